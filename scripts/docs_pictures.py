"""The pictures scripts/make_docs.py puts in the README and docs pages, each made from the README's real
`torchstart train` run (the table is docs_pages.PICTURE_LIST):

- its curves.png;
- `torchstart predict … --explain` with its weights on a real CIFAR-10 image;
- the `torchstart demo` page after an upload, rendered by headless Chromium (tests/tools/headless_chromium.py);
- lesson 9's page on the course site (`torchstart docs 9`), rendered the same way (it needs no training run).
Every file is scaled and colour-reduced until it is small (MAX_PICTURE_BYTES in docs_pages). The chapters' figures
are made with their pages (scripts/make_pages.py).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from docs_pages import MAX_PICTURE_BYTES, ROOT
from PIL import Image

sys.path.insert(0, str(ROOT / "tests" / "tools"))
from headless_chromium import Chromium, find_chromium  # noqa: E402

TIMEOUT_S = 120  # a loaded machine may take long to start the demo
SCREEN = (1000, 720)  # Chromium's viewport, pixels


def save_small(image: Image.Image, path: Path, max_width: int = 1000) -> Path:
    """`image` as a PNG at most `max_width` pixels across, with fewer colours while over MAX_PICTURE_BYTES."""
    image = image.convert("RGB")
    if image.width > max_width:
        image = image.resize((max_width, round(image.height * max_width / image.width)), Image.Resampling.LANCZOS)
    for colours in (None, 256, 128, 64):
        candidate = image if colours is None else image.quantize(colours, dither=Image.Dither.FLOYDSTEINBERG)
        buffer = io.BytesIO()
        candidate.save(buffer, "PNG", optimize=True)
        if buffer.tell() <= MAX_PICTURE_BYTES:
            break
    path.write_bytes(buffer.getvalue())
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_small(source: Path, path: Path, max_width: int = 800) -> Path:
    with Image.open(source) as image:
        return save_small(image, path, max_width)


def train_run(cwd: Path, command: str, env: dict[str, str], lang: str) -> tuple[Path, str]:
    """Run `command` (the README's `torchstart train …` line, as typed) in a fresh `cwd/<lang>` with the learner's
    language `lang`; returns the run folder it made under runs/ and what it printed on stdout."""
    where = cwd / f"train-{lang}"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    argv = [sys.executable, "-m", "torchstart", *command.split()[1:]]
    done = subprocess.run(argv, cwd=where, env={**env, "TORCHSTART_LANG": lang}, check=True, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # stderr: the progress bar
    (run,) = [p for p in (where / "runs").iterdir() if p.is_dir()]
    return run, done.stdout


def explain_figure(checkpoint: Path, path: Path, index: int = 3) -> Path:
    """`torchstart predict CKPT IMAGE --explain` on test image `index` of the embedded sample: every conv and pool
    layer's feature maps, the Grad-CAM heat map and the top classes (torchstart.explain draws it)."""
    from torchstart.data import load_sample

    sample = load_sample()
    photo = path.with_name("cifar-test-image.png")
    path.unlink(missing_ok=True)  # predict --explain never replaces a picture that is there
    Image.fromarray(sample.test.images[index].numpy()).save(photo)  # the real 32×32 image, as a file
    try:
        subprocess.run([sys.executable, "-m", "torchstart", "predict", str(checkpoint), str(photo), "--explain",
                        str(path)], check=True, stdout=subprocess.DEVNULL, env={**os.environ, "TORCHSTART_LANG": "en"})
    finally:
        photo.unlink(missing_ok=True)
    with Image.open(path) as drawn:
        return save_small(drawn.copy(), path)


def demo_screenshot(checkpoint: Path, photo: Path, path: Path) -> Path:
    """The `torchstart demo` page for `checkpoint` after uploading `photo`, through headless Chromium."""
    from torchstart.tools.demo import start_demo

    app, url = start_demo(checkpoint, port=free_port())
    try:
        with Chromium(find_chromium(), *SCREEN) as browser:
            browser.goto(url)
            if browser.wait_for_count("#upload input[type=file]", 1, timeout=TIMEOUT_S) < 1:
                raise RuntimeError("the demo page showed no upload field")
            browser.upload("#upload input[type=file]", photo)
            browser.wait_for_text(["%"], timeout=TIMEOUT_S)
            time.sleep(2)  # the heat map and feature maps arrive with the label; let them draw
            raw = browser.screenshot(path)
    finally:
        app.close()
    return save_small(Image.open(raw).copy(), raw)


def site_screenshot(path: Path) -> Path:
    """Lesson 9's page of the course site (`torchstart docs 9`), built from this checkout, through headless Chromium."""
    from torchstart.data.cifar10 import cache_dir
    from torchstart.tools.site.build import cached_site
    from torchstart.tools.site.serve import start_server

    server = start_server(cached_site(cache_dir() / "site").folder, port=None)
    try:
        with Chromium(find_chromium(), *SCREEN) as browser:
            browser.goto(f"http://127.0.0.1:{server.server_address[1]}/lessons/09-conv.html")
            browser.wait_for_text(["第 9 课"], timeout=TIMEOUT_S)
            time.sleep(1)  # the fonts and the highlighted code settle
            raw = browser.screenshot(path)
    finally:
        server.shutdown()
        server.server_close()
    return save_small(Image.open(raw).copy(), raw)
