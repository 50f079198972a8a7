"""The pictures scripts/make_docs.py puts in the docs, each made from a real run (the table is docs_pages.PICTURE_LIST).

- TensorBoard's SCALARS, IMAGES and GRAPHS pages over lesson 4's log: the real TensorBoard (`torchstart board`,
  as tests/tools/test_board.py starts it) rendered by headless Chromium (tests/tools/headless_chromium.py);
- what lessons 6, 10 and 11 write to TensorBoard, read back from their event files and laid out with matplotlib;
- the contact sheet lesson 5 writes; curves.png and confusion_matrix.png of a real `torchstart train` run;
- the feature maps of the course model's first convolution, with that run's weights, on a real CIFAR-10 image.
Every file is scaled and colour-reduced until it is small (MAX_PICTURE_BYTES in docs_pages).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from docs_pages import MAX_PICTURE_BYTES, ROOT
from PIL import Image

sys.path.insert(0, str(ROOT / "tests" / "tools"))
from headless_chromium import Chromium, find_chromium  # noqa: E402

BOARD_TIMEOUT_S = 120  # a loaded machine may take long to import tensorboard
SCREEN = (1000, 720)  # Chromium's viewport, pixels

# The middle of the last element matching a selector whose text contains a needle, shadow DOM included.
CENTRE_JS = """
((selector, needle) => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll(selector)) if (el.textContent.includes(needle)) found.push(el);
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
  if (!found.length) return null;
  const r = found[found.length - 1].getBoundingClientRect();
  return [r.x + r.width / 2, r.y + r.height / 2];
})
"""


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


def figure_to_png(fig, path: Path, max_width: int = 1000) -> Path:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return save_small(Image.open(buffer), path, max_width)


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ---- TensorBoard in Chromium ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_board(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + BOARD_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"torchstart board exited: {process.communicate()[0]}")
        try:
            with urllib.request.urlopen(f"{url}/data/plugin/scalars/tags", timeout=10) as answer:
                if json.loads(answer.read()):
                    return
        except (OSError, ValueError):
            pass  # not listening yet, or still reading the event files
        time.sleep(0.5)
    raise RuntimeError(f"TensorBoard did not answer {url} in {BOARD_TIMEOUT_S} s")


def centre_of(browser: Chromium, selector: str, needle: str) -> list[float] | None:
    expression = f"{CENTRE_JS}({json.dumps(selector)}, {json.dumps(needle)})"
    answer = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, browser.session)
    return answer["result"].get("value")


def click(browser: Chromium, x: float, y: float, count: int = 1) -> None:
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": count},
                     browser.session)
    time.sleep(1.5)  # the graph animates its layout


def open_the_graph(browser: Chromium) -> None:
    """Expand Tudui and its Sequential (double clicks), deselect, and fit the whole graph into the view."""
    for node in ("Tudui", "Sequential"):
        centre = centre_of(browser, "g.node", node)
        if centre:
            click(browser, *centre, count=2)
    click(browser, 290, SCREEN[1] - 30)  # the empty left edge of the graph: clears the selection
    fit = centre_of(browser, "paper-button, div, span", "Fit to screen")
    if fit:
        click(browser, *fit)


def board_screenshots(logdir: Path, cwd: Path, images: Path) -> list[Path]:
    """tensorboard-{scalars,images,graph}.png of a real TensorBoard over `logdir` (given relative to `cwd`)."""
    executable = find_chromium()
    if executable is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "torchstart", "board", str(logdir), "--port", str(port)],
                               cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url, shots = f"http://127.0.0.1:{port}", []
    try:
        wait_for_board(url, process)
        with Chromium(executable, *SCREEN) as browser:
            for page, selector, name in (("scalars", "text.tick-label", "scalars"), ("images", "img", "images"),
                                         ("graphs", "g.node", "graph")):
                browser.goto(f"{url}/#{page}")
                if browser.wait_for_count(selector, 1, timeout=BOARD_TIMEOUT_S) < 1:
                    raise RuntimeError(f"TensorBoard's {page} page showed nothing in {BOARD_TIMEOUT_S} s")
                time.sleep(2)  # charts and images fade in after their elements exist
                if page == "graphs":
                    open_the_graph(browser)
                raw = browser.screenshot(images / f"tensorboard-{name}.png")
                shots.append(save_small(Image.open(raw).copy(), raw))
    finally:
        process.kill()
        process.communicate(timeout=30)
    return shots


# ---- figures from lesson outputs ------------------------------------------------------------------------------

def event_images(folder: Path) -> dict[str, np.ndarray]:
    """Every image tag TensorBoard finds under `folder` (its last step), as a uint8 (H, W, C) array."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    found = {}
    for events_dir in sorted({p.parent for p in folder.rglob("events.out.tfevents.*")}):
        events = EventAccumulator(str(events_dir), size_guidance={"images": 0})
        events.Reload()
        for tag in events.Tags()["images"]:
            encoded = events.Images(tag)[-1].encoded_image_string
            found[tag] = np.asarray(Image.open(io.BytesIO(encoded)).convert("RGB"))
    return found


def panels_figure(panels: dict[str, np.ndarray], path: Path, columns: int, cell: tuple[float, float]) -> Path:
    """The images side by side, each titled, pixels drawn as blocks (interpolation "nearest")."""
    plt = pyplot()
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(cell[0] * columns, cell[1] * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, image) in zip(axes.flat, panels.items()):
        ax.imshow(image, interpolation="nearest")
        ax.set_title(f"{title}  {image.shape[0]}×{image.shape[1]}", fontsize=9)
    fig.tight_layout()
    return figure_to_png(fig, path)


def lesson_event_figure(out: Path, path: Path, columns: int, cell: tuple[float, float]) -> Path:
    panels = event_images(out)
    if not panels:
        raise RuntimeError(f"no TensorBoard images under {out}")
    return panels_figure(panels, path, columns, cell)


def feature_maps_figure(checkpoint: Path, path: Path, index: int = 3) -> Path:
    """Test image `index` of the embedded sample and the course model's first conv outputs on it."""
    import torch
    from torch import nn

    from torchstart.data import load_sample
    from torchstart.training.checkpoint import load_checkpoint, model_from_checkpoint

    ckpt = load_checkpoint(checkpoint)
    model = model_from_checkpoint(ckpt, checkpoint)
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    sample = load_sample()
    image = sample.test.images[index]  # uint8 (32, 32, 3)
    norm = ckpt["normalization"]
    x = image.permute(2, 0, 1).float().div(255)  # (3, 32, 32) in [0, 1], what ToTensor gives
    x = (x - torch.tensor(norm["mean"]).view(3, 1, 1)) / torch.tensor(norm["std"]).view(3, 1, 1)
    with torch.no_grad():
        maps = conv(x.unsqueeze(0))[0]  # (32, 32, 32): one 32×32 map per output channel
    plt = pyplot()
    fig = plt.figure(figsize=(11, 4.2))
    grid = fig.add_gridspec(4, 10)
    ax = fig.add_subplot(grid[:, :2])
    ax.imshow(image.numpy(), interpolation="nearest")
    ax.set_title(f"input: {sample.classes[int(sample.test.labels[index])]}  (3, 32, 32)", fontsize=9)
    ax.axis("off")
    for channel in range(maps.shape[0]):
        ax = fig.add_subplot(grid[channel // 8, 2 + channel % 8])
        ax.imshow(maps[channel].numpy(), cmap="gray", interpolation="nearest")
        ax.set_title(str(channel), fontsize=7, pad=2)
        ax.axis("off")
    fig.suptitle(f"{conv}: output (32, 32, 32)", fontsize=10)
    fig.tight_layout()
    return figure_to_png(fig, path)


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
            if browser.wait_for_count("#upload input[type=file]", 1, timeout=BOARD_TIMEOUT_S) < 1:
                raise RuntimeError("the demo page showed no upload field")
            browser.upload("#upload input[type=file]", photo)
            browser.wait_for_text(["%"], timeout=BOARD_TIMEOUT_S)
            time.sleep(2)  # the heat map and feature maps arrive with the label; let them draw
            raw = browser.screenshot(path)
    finally:
        app.close()
    return save_small(Image.open(raw).copy(), raw)
