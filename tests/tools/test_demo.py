"""`torchstart demo`: the page's answers equal predict's, bad uploads are a message, a browser can use it (#17)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("gradio")
pytest.importorskip("pytorch_grad_cam")

from headless_chromium import Chromium, require_chromium  # noqa: E402

from conftest import CIFAR10_CLASSES as CLASSES  # noqa: E402
from torchstart.inference import predict_images  # noqa: E402
from torchstart.tools.demo import TOPK, answer, examples, start_demo  # noqa: E402
from torchstart.training.checkpoint import load_checkpoint  # noqa: E402


def test_the_page_answer_equals_predict(course_checkpoint):
    photo = examples()[0]  # an embedded ant photo, 500×375: not square
    result = answer(load_checkpoint(course_checkpoint), photo, None, "crop")
    predicted = predict_images(course_checkpoint, [photo], topk=TOPK)[0].top
    assert result.message == "" and list(result.probabilities) == [name for name, _p in predicted]
    np.testing.assert_allclose(list(result.probabilities.values()), [p for _n, p in predicted], rtol=1e-5)
    with Image.open(photo) as image:
        assert result.heatmap.shape == (image.height, image.width, 3) and result.heatmap.dtype == np.uint8
    assert result.feature_maps.ndim == 3


def test_bad_uploads_are_a_message_and_the_next_upload_works(course_checkpoint, tmp_path):
    checkpoint = load_checkpoint(course_checkpoint)
    text = tmp_path / "notes.txt"
    text.write_text("not an image", encoding="utf-8")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(Path(examples()[0]).read_bytes()[:300])  # a truncated JPEG
    for bad in (text, broken):
        result = answer(checkpoint, str(bad), None, "crop")
        assert result.message.startswith("Could not use this file:") and bad.name in result.message
        assert result.probabilities == {} and result.heatmap is None
    assert answer(checkpoint, examples()[1], "ship", "crop").message == ""
    assert "Upload an image" in answer(checkpoint, None, None, "crop").message


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_browser_uploads_a_photo_and_reads_the_prediction(course_checkpoint, tmp_path_factory, record_property):
    executable = require_chromium()
    app, url = start_demo(course_checkpoint, port=free_port())
    assert url.startswith("http://127.0.0.1:")  # this machine only, unless --host/--share
    expected = next(iter(answer(load_checkpoint(course_checkpoint), examples()[1], None, "crop").probabilities))
    # TORCHSTART_ARTIFACTS=docs/images keeps the screenshot for the docs (scripts/make_docs.py runs it so)
    artifacts = Path(os.environ.get("TORCHSTART_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    screenshot = artifacts / "demo.png"
    broken = tmp_path_factory.mktemp("upload") / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    try:
        with Chromium(executable) as browser:
            browser.goto(url)
            assert browser.wait_for_count("#upload input[type=file]", 1, timeout=60) == 1
            browser.upload("#upload input[type=file]", broken)
            assert "Could not use this file" in browser.wait_for_text(["Could not use this file"], timeout=60)
            browser.click('#upload button[aria-label="Clear"]')  # as a learner removes the bad file
            assert browser.wait_for_count("#upload input[type=file]", 1, timeout=30) == 1
            browser.upload("#upload input[type=file]", Path(examples()[1]))
            text = browser.wait_for_text(["%", expected], timeout=60)
            browser.screenshot(screenshot)
            # an embedded CIFAR-10 test image is one click away, and gives what answer() gives for that file
            cat = next(e for e in examples(CLASSES) if e.endswith("-cat.png"))
            top = next(iter(answer(load_checkpoint(course_checkpoint), cat, None, "crop").probabilities))
            browser.click('#upload button[aria-label="Clear"]')
            clicked = browser.send("Runtime.evaluate", {"expression": "Array.from(document.querySelectorAll("
                                   "'button')).find(b => b.innerText.includes('-cat.png')).click()"}, browser.session)
            assert "exceptionDetails" not in clicked
            assert top in browser.wait_for_text([Path(cat).name, "%", top], timeout=60)
    finally:
        app.close()
    record_property("screenshot", str(screenshot))
    assert expected in text and "%" in text and "Could not use this file" not in text


def test_the_demo_command_serves_this_machine_and_stops_on_ctrl_c(course_checkpoint):
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    command = [sys.executable, "-m", "torchstart", "demo", str(course_checkpoint), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TORCHSTART_LANG": "en"})
    try:
        line = process.stdout.readline()  # printed once the page is served
        assert f"http://127.0.0.1:{port}" in line and "Ctrl-C stops it" in line, process.stderr.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200 and "torchstart demo" in page.read().decode()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            time.sleep(0.1)
    assert process.returncode == 0 and "demo stopped" in out, err


def test_predict_explain_writes_the_picture_and_keeps_an_existing_one(course_checkpoint, tmp_path, capsys):
    from torchstart.cli import main

    out = tmp_path / "explain.png"
    assert main(["predict", str(course_checkpoint), examples()[0], "--explain", str(out), "--target", "cat"]) == 0
    printed = capsys.readouterr().out
    assert "Grad-CAM heat map for cat" in printed and out.stat().st_size > 10_000
    before = out.read_bytes()
    assert main(["predict", str(course_checkpoint), examples()[0], "--explain", str(out)]) == 2
    assert out.read_bytes() == before and "--force" in capsys.readouterr().err
