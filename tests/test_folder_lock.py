"""One run directory, one writer (issue 26): a second `train`, `train --resume` or `lesson --out` into a folder
another process is writing refuses in one line naming that process; a lock a killed process left never blocks."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from torchstart.cli import main
from torchstart.errors import FolderBusy
from torchstart.folder_lock import HOLDER_FILE, LOCK_FILES, FolderLock
from torchstart.training import distributed, job
from torchstart.training.distributed import Ranks

# Holds the folder in argv[1] until its stdin closes or it is killed.
HOLD = "import sys\nfrom torchstart.folder_lock import FolderLock\nheld = FolderLock(sys.argv[1]).acquire()\n" \
       "print('held', flush=True)\nsys.stdin.read()\n"
# `torchstart train` that, once epoch 1 is saved, touches $TEST_MARKER and waits (holding its run directory).
WAITS_AFTER_EPOCH_1 = r"""
import os, sys, time
from pathlib import Path
from torchstart.cli import main
from torchstart.training.rundir import RunDir

save_epoch = RunDir.save_epoch

def save_then_wait(self, *args):
    save_epoch(self, *args)
    Path(os.environ["TEST_MARKER"]).touch()
    time.sleep(600)

RunDir.save_epoch = save_then_wait
sys.exit(main(sys.argv[1:]))
"""
# 128 sample images = 1 step of 128 per epoch on the CPU: seconds
ARGS = ["--epochs", "2", "--max-train-images", "128", "--seed", "3", "--quiet", "--device", "cpu"]
TORCHSTART = shutil.which("torchstart") or str(Path(sys.executable).with_name("torchstart"))


@contextmanager
def held_by_another_process(folder: Path):
    """`folder` held by a child process; on leaving, the child is killed with SIGKILL (no clean-up at all)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline() == "held\n"
        yield proc
    finally:
        proc.kill()
        proc.communicate(timeout=30)


def lock_files_in(folder: Path) -> list[str]:
    return sorted(name for name in LOCK_FILES if (folder / name).exists())


def wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while not path.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)


@pytest.mark.slow
def test_two_trainings_on_one_out_then_kill_9_and_resume(tmp_path, capsys):
    run, marker = tmp_path / "run", tmp_path / "epoch-1-saved"
    first = subprocess.Popen([sys.executable, "-c", WAITS_AFTER_EPOCH_1, "train", *ARGS, "--out", str(run)],
                             env={**os.environ, "TEST_MARKER": str(marker)}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for(run / HOLDER_FILE, first)  # it holds its run directory; the second starts a second later
        time.sleep(1)
        second = subprocess.run([TORCHSTART, "train", *ARGS, "--out", str(run)], capture_output=True, text=True,
                                timeout=120)
        assert second.returncode == 2 and second.stdout == "" and second.stderr.count("\n") == 1, second.stderr
        assert f"is being written by another torchstart process (PID {first.pid}, started " in second.stderr
        assert second.stderr.rstrip().endswith("or choose another --out")
        wait_for(marker, first)
        before = (run / "metrics.json").read_bytes()
        assert main(["train", "--resume", str(run)]) == 2  # a resume of the same run refuses the same way
        err = capsys.readouterr().err
        assert f"(PID {first.pid}, started " in err and err.rstrip().endswith(f"or kill {first.pid})")
        assert first.poll() is None  # exactly one runs: the first, untouched by the two refused
        assert (run / "metrics.json").read_bytes() == before
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    assert lock_files_in(run) == sorted(LOCK_FILES)  # the killed one could not clean up
    assert main(["train", "--resume", str(run)]) == 0
    assert "resuming after epoch 1" in capsys.readouterr().out
    assert json.loads((run / "metrics.json").read_text())["status"] == "finished"
    assert lock_files_in(run) == []  # the run that finished left its folder as it found it


def test_a_lock_a_killed_process_left_does_not_block(tmp_path):
    folder = tmp_path / "run"
    with held_by_another_process(folder):
        pass
    assert lock_files_in(folder) == sorted(LOCK_FILES)
    with FolderLock(folder):
        assert json.loads((folder / HOLDER_FILE).read_text())["pid"] == os.getpid()
    assert list(folder.iterdir()) == []


def test_lesson_out_refuses_in_the_learner_s_language(tmp_path, capsys):
    folder = tmp_path / "lesson"
    with held_by_another_process(folder) as holder:
        assert main(["lesson", "1", "--out", str(folder)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"torchstart lesson: error: {folder} is being written by another torchstart process "
                              f"(PID {holder.pid}, started ") and err.count("\n") == 1
        assert err.rstrip().endswith(f"— fix: wait for it to finish or stop it (Ctrl-C in its terminal, or kill "
                                     f"{holder.pid}); or choose another --out")
        assert main(["--lang", "zh", "lesson", "1", "--out", str(folder)]) == 2
        assert f"另一个 torchstart 进程正在写 {folder}（PID {holder.pid}，" in capsys.readouterr().err
        assert not (folder / "lesson.py").exists()  # the refused lesson wrote nothing


def test_a_holder_that_left_no_note_is_refused_all_the_same(tmp_path):
    folder = tmp_path / "run"
    with held_by_another_process(folder):
        (folder / HOLDER_FILE).write_text("{not json")
        with pytest.raises(FolderBusy) as caught:
            FolderLock(folder, flag=None).acquire()
    assert str(caught.value) == (f"{folder} is being written by another torchstart process (its PID was not "
                                 "recorded) — fix: wait for it to finish or stop it")


def test_a_refused_run_leaves_no_folder_it_made(tmp_path, capsys):
    out = tmp_path / "new"
    assert main(["train", *ARGS, "--data-dir", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err and not out.exists()


def test_under_torchrun_rank_0_alone_locks_and_every_rank_raises_its_refusal(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "share", lambda value, ranks: FolderBusy("held by PID 7", "wait"))
    folder = tmp_path / "run"
    with pytest.raises(FolderBusy, match="held by PID 7"):
        job._hold(FolderLock(folder), Ranks(rank=1, world_size=2))
    assert not folder.exists()  # rank 1 neither made nor locked the folder


def test_resume_of_a_run_still_in_its_first_epoch_names_the_process(tmp_path, capsys):
    """No last.pt yet, but the run is alive: say who writes it, not "nothing to resume"."""
    folder = tmp_path / "run"
    with held_by_another_process(folder) as holder:
        assert main(["train", "--resume", str(folder)]) == 2
        assert f"being written by another torchstart process (PID {holder.pid}" in capsys.readouterr().err
    assert main(["train", "--resume", str(folder)]) == 2  # the holder is gone: the plain reason again
    assert "has no checkpoints/last.pt to resume from" in capsys.readouterr().err
