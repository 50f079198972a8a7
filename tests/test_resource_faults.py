"""The machine's limits are the learner's situation: every command that writes, against a full disk, a read-only
place, a closed pipe and /dev/full. Each ends in one line with the cause and the fix (exit 2), or quietly for a
closed pipe (141, as `yes | head` does), never as an internal error (70), and leaves no half-written file.

The full disk is a real one: a tmpfs a few kB large, mounted in a user namespace (`unshare -r -m`, no root
needed). Where the kernel does not allow that, the same class of fault comes from RLIMIT_FSIZE: every write past
the limit fails with EFBIG, in Python, torch's C++ writer and matplotlib alike. The read-only place is a tmpfs
mounted read-only (or a folder without write permission when not root).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# One process per fault runs every writing command in-process (one torch import, not one per command) and prints
# {command: [exit code, stderr, files left in its target]}. A command's target starts empty; `size` is the tmpfs.
DRIVER = r"""
import contextlib, io, json, os, resource, subprocess, sys
from pathlib import Path
from torchstart.cli import main

fault, work, cases, own_namespace = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4] == "ns"
mount = own_namespace and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "none", str(work / "probe")],
                                              capture_output=True).returncode == 0
report = {}
for name, (size, argv) in cases.items():
    target = work / name
    target.mkdir()
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    if mount:
        options = "ro" if fault == "read-only" else f"size={size}"
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "none", str(target)], check=True)
    elif fault == "read-only":
        target.chmod(0o555)
    else:
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(size[:-1]) * 1024, limit[1]))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([a.replace("{out}", str(target)) for a in argv])
    resource.setrlimit(resource.RLIMIT_FSIZE, limit)
    left = {str(p.relative_to(target)): p.read_bytes().hex() for p in target.rglob("*") if p.is_file()}
    report[name] = [code, err.getvalue(), left, "tmpfs" if mount else "rlimit"]
print(json.dumps(report))
"""


def complete(name: str, data: bytes) -> bool:
    """Whether a file a command left is whole: it parses as what its name says it is."""
    import io

    import torch
    from PIL import Image

    suffix = Path(name).suffix
    if suffix in (".json", ".ipynb"):
        json.loads(data)
    elif suffix == ".png":
        Image.open(io.BytesIO(data)).verify()
    elif suffix in (".pt", ".pth"):
        torch.load(io.BytesIO(data), weights_only=True)
    elif suffix == ".py":
        compile(data, name, "exec")
    elif suffix == ".safetensors":
        from safetensors.torch import load

        load(data)
    return not Path(name).name.endswith(".tmp")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, course_checkpoint) -> dict[str, str]:
    import torch
    from PIL import Image

    from torchstart.models import Tudui

    folder = tmp_path_factory.mktemp("inputs")
    Image.new("RGB", (32, 32), (200, 10, 10)).save(folder / "photo.png")
    torch.manual_seed(0)
    torch.save(Tudui().state_dict(), folder / "course.pth")
    return {"checkpoint": str(course_checkpoint), "photo": str(folder / "photo.png"),
            "course": str(folder / "course.pth")}


def writing_commands(inputs: dict[str, str]) -> dict[str, tuple[str, list[str]]]:
    """Every command that writes files: (tmpfs size that lets it start but not finish, its argv)."""
    return {
        "train": ("16k", ["train", "--epochs", "1", "--max-train-images", "64", "--quiet", "--out", "{out}/run"]),
        "lesson": ("64k", ["lesson", "17", "--quiet", "--out", "{out}/lesson"]),
        "notebook": ("4k", ["notebook", "9", "-o", "{out}/nine.ipynb"]),
        "export": ("4k", ["export", inputs["checkpoint"], "{out}/model.safetensors"]),
        "import-course-model": ("4k", ["import-course-model", inputs["course"], "{out}/new.pt"]),
        "exercise": ("4k", ["exercise", "9", "--dir", "{out}/mine"]),
        "predict": ("4k", ["predict", inputs["checkpoint"], inputs["photo"], "--explain", "{out}/why.png"]),
    }


@pytest.mark.parametrize("fault", ["full", "read-only"])
@pytest.mark.slow
def test_every_writing_command_fails_in_one_line_and_leaves_nothing_half_written(fault, inputs, tmp_path):
    work = tmp_path / "work"
    (work / "probe").mkdir(parents=True)
    cases = writing_commands(inputs)
    driver = [sys.executable, "-c", DRIVER, fault, str(work), json.dumps(cases)]
    done = None
    if shutil.which("unshare"):  # a mount namespace of our own: real tmpfs mounts, gone when the driver ends
        done = subprocess.run(["unshare", "-r", "-m", *driver, "ns"], capture_output=True, text=True, timeout=300)
    if done is None or "unshare:" in done.stderr:  # user namespaces switched off: RLIMIT_FSIZE, chmod
        done = subprocess.run([*driver, "plain"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    if fault == "read-only" and next(iter(report.values()))[3] == "rlimit" and os.geteuid() == 0:
        pytest.skip("root without a mount namespace: no folder is read-only to it")
    for name, (code, stderr, left, how) in report.items():
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert code == 2, (name, how, stderr)
        assert len(lines) == 1 and lines[0].startswith(f"torchstart {name}: error:"), (name, stderr)
        assert "internal error" not in stderr and "Traceback" not in stderr, (name, stderr)
        if name != "lesson":  # the lesson's own code saves with torch.save(path): it reports torch's words
            assert "cannot write" in lines[0] and "fix:" in lines[0], (name, stderr)
        for file, data in left.items():  # the lesson's own torch.save(model, "x.pth") is the learner's code
            assert name == "lesson" and file.endswith(".pth") or complete(file, bytes.fromhex(data)), (name, file)


def run_with_stdout(argv: list[str], stdout: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "torchstart", *argv], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=120, env={**os.environ, "TORCHSTART_LANG": "en"})


PRINTING = [["lessons"], ["lesson", "1", "--code"], ["solution", "9"], ["lesson", "9"]]


@pytest.mark.parametrize("argv", PRINTING, ids=" ".join)
def test_output_into_a_closed_pipe_ends_quietly(argv):
    """`torchstart lesson 9 | head -1`: the reader went away; like other Unix tools, stop without a word."""
    read, write = os.pipe()
    os.close(read)  # every write now fails with EPIPE, as after `head` exits
    try:
        done = run_with_stdout(argv, write)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full is a Linux device")
@pytest.mark.parametrize("argv", PRINTING[:3], ids=" ".join)
def test_output_into_a_full_device_is_one_line(argv):
    with open("/dev/full", "w") as full:
        done = run_with_stdout(argv, full.fileno())
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "cannot write /dev/full: no space left on the device" in done.stderr
