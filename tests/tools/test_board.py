"""torchstart board: the real TensorBoard serves a trained run's scalars; headless Chromium renders them.

The board runs as `python -m torchstart board …` in a subprocess so the test can stop it like a learner
does (Ctrl-C = SIGINT); every server started here is stopped in a `finally`, leaving no process behind.
"""

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from headless_chromium import Chromium, require_chromium
from PIL import Image

from torchstart.cli import main
from torchstart.errors import DataError
from torchstart.tools.board import board_logdir

TAGS = ("train_loss", "test_loss", "test_accuracy")
RUN = "20260101-090000"  # the run's folder name inside the runs root
START_TIMEOUT_S = 120  # a loaded CI machine may take long to import torch and tensorboard


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def poll(url: str, ready, process: subprocess.Popen):
    """fetch(url) once `ready(answer)` holds; fails if the board exits or the time runs out."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"board exited early: {process.communicate()[0]}"
        try:
            answer = fetch(url)
            if ready(answer):
                return answer
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            pass  # not listening yet, or still loading the event files
        time.sleep(0.5)
    pytest.fail(f"TensorBoard did not answer {url} in {START_TIMEOUT_S} s")


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc); TensorBoard starts its data server as one."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Still running (a zombie waiting for a parent to reap it has already ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_board(path: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "torchstart", "board", str(path), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory, trained_run):
    """(url, runs root) of a board over a runs folder holding a copy of the trained run."""
    root = tmp_path_factory.mktemp("board") / "runs"
    shutil.copytree(trained_run / "tb", root / RUN / "tb")
    shutil.copy(trained_run / "metrics.json", root / RUN / "metrics.json")
    port = free_port()
    process = start_board(root, port)
    try:
        yield f"http://127.0.0.1:{port}", root, process
    finally:
        stop(process)


def test_the_data_api_serves_the_runs_tags_and_metrics_json_values(served):
    url, root, process = served
    run = f"{RUN}/tb"
    assert run in poll(f"{url}/data/runs", lambda runs: run in runs, process)
    tags = poll(f"{url}/data/plugin/scalars/tags", lambda t: run in t and all(tag in t[run] for tag in TAGS), process)
    assert set(TAGS) <= set(tags[run])
    points = fetch(f"{url}/data/plugin/scalars/scalars?" + urllib.parse.urlencode({"run": run, "tag": "test_accuracy"}))
    epochs = json.loads((root / RUN / "metrics.json").read_text())["epochs"]
    assert [step for _, step, _ in points] == [e["epoch"] for e in epochs]
    # TensorBoard keeps scalars as float32: equal to metrics.json's float64 up to float32 rounding
    assert [value for *_, value in points] == pytest.approx([e["test_accuracy"] for e in epochs], rel=1e-6)


def test_chromium_renders_the_scalars_dashboard(served, tmp_path_factory, record_property):
    url, _, process = served
    executable = require_chromium()
    run = f"{RUN}/tb"
    poll(f"{url}/data/plugin/scalars/tags", lambda t: run in t and all(tag in t[run] for tag in TAGS), process)
    screenshot = tmp_path_factory.mktemp("artifacts") / "tensorboard-scalars.png"
    with Chromium(executable) as browser:
        browser.goto(f"{url}/#scalars")
        text = browser.wait_for_text([*TAGS, run], timeout=START_TIMEOUT_S)
        # the cards open first; their charts are drawn after the data arrives: wait for the axis labels
        tick_labels = browser.wait_for_count("text.tick-label", 1, timeout=START_TIMEOUT_S)
        browser.screenshot(screenshot)
    record_property("screenshot", str(screenshot))
    print(f"screenshot of the scalars dashboard: {screenshot}")
    assert all(tag in text for tag in TAGS), f"the scalars dashboard shows no tag names: {text[:500]!r}"
    assert run in text
    assert tick_labels > 0, "the scalar cards are there but no chart was drawn"
    with Image.open(screenshot) as image:
        assert image.size == (1400, 900)


def test_ctrl_c_stops_the_board_and_its_data_server(trained_run):
    port = free_port()
    process = start_board(trained_run, port)  # a single run directory: its tb/ shows as run "tb"
    try:
        poll(f"http://127.0.0.1:{port}/data/runs", lambda runs: "tb" in runs, process)
        helpers = children(process.pid) if Path("/proc").is_dir() else []
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        stop(process)
    assert process.returncode == 0, output
    assert f"TensorBoard at http://127.0.0.1:{port}/ showing {trained_run}" in output
    assert output.rstrip().endswith("TensorBoard stopped")
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in helpers if alive(pid)], "a helper process outlived the board"


def test_a_folder_without_event_files_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(DataError, match="does not exist"):
        board_logdir(tmp_path / "nope")
    (tmp_path / "run" / "tb").mkdir(parents=True)
    assert main(["board", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"no TensorBoard event files under {tmp_path}" in err and "torchstart train" in err
    assert len(err.strip().splitlines()) == 1
