"""Crash and resume: a run killed (SIGKILL) or stopped with Ctrl-C (SIGINT) during epoch 2 and resumed with
`--resume` ends with exactly the weights and accuracy of an uninterrupted run; a kill during a save never
breaks last.pt; flags that contradict the run are refused."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from torchstart.cli import main
from torchstart.training.checkpoint import load_checkpoint
from torchstart.training.rundir import prepare_run_dir

# The fast recipe (momentum, one-cycle schedule, augmentation): every piece of state resume must restore.
# 2 steps of 128 per epoch; on the CPU, so "equal to an uninterrupted run" means bit for bit
ARGS = ["--epochs", "3", "--max-train-images", "256", "--seed", "3", "--quiet", "--device", "cpu"]
# The speedrun recipe adds parameter groups, a frozen-after-N-epochs whitening bias and Lookahead (blends at
# steps 5 and 6, after the kill): 2 steps of 128 per epoch
SPEEDRUN_ARGS = ["--recipe", "speedrun", "--batch-size", "128", "--lr", "0.1875", *ARGS]

# Runs `torchstart train` and, in epoch 2, after its first step, touches $TEST_MARKER and waits to be
# signalled: the signal lands mid-epoch with epoch 1 saved and epoch 2's first step only in memory.
PAUSE_IN_EPOCH_2 = r"""
import os, sys, time
from pathlib import Path
import torch
from torchstart.cli import main
from torchstart.data.loader import TensorLoader

torch.set_num_threads(int(os.environ["TEST_THREADS"]))  # same threads as the reference: same float sums
original = TensorLoader.__iter__

def pausing(self):
    for k, batch in enumerate(original(self)):
        if self.shuffle and self.epoch == 1 and k == 1:  # set_epoch(1) = epoch 2
            Path(os.environ["TEST_MARKER"]).touch()
            time.sleep(600)
        yield batch

TensorLoader.__iter__ = pausing
sys.exit(main(sys.argv[1:]))
"""


def uninterrupted(tmp_path_factory, args: list[str]) -> Path:
    out = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCHSTART_CACHE", str(tmp_path_factory.mktemp("cache")))
        assert main(["train", *args, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The uninterrupted 3-epoch run."""
    return uninterrupted(tmp_path_factory, ARGS)


def stopped_in_epoch_2(run: Path, sig: signal.Signals, tmp_path: Path,
                       args: list[str] = ARGS) -> subprocess.CompletedProcess:
    marker = tmp_path / "in-epoch-2"
    env = {**os.environ, "TEST_MARKER": str(marker), "TEST_THREADS": str(torch.get_num_threads())}
    proc = subprocess.Popen([sys.executable, "-c", PAUSE_IN_EPOCH_2, "train", *args, "--out", str(run)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the child never reached epoch 2: {proc.communicate()}")
        time.sleep(0.05)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def metrics_of(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


def numbers(epochs: list[dict]) -> list[list]:
    """What an epoch computed (not how long it took)."""
    return [[e[k] for k in ("epoch", "train_loss", "test_loss", "test_accuracy", "lr")] for e in epochs]


def assert_same_as_reference(run: Path, reference: Path) -> None:
    ours, theirs = (load_checkpoint(r / "checkpoints" / "last.pt") for r in (run, reference))
    assert ours["epoch"] == theirs["epoch"] == 3 and ours["step"] == theirs["step"] == 6
    for name, tensor in theirs["model_state"].items():
        assert torch.equal(ours["model_state"][name], tensor), name
    for index, state in theirs["optimizer_state"]["state"].items():  # Nesterov momentum buffers
        assert torch.equal(ours["optimizer_state"]["state"][index]["momentum_buffer"], state["momentum_buffer"])
    assert ours["scheduler_state"]["last_epoch"] == theirs["scheduler_state"]["last_epoch"] == 6
    if theirs["lookahead_state"] is not None:  # the speedrun recipe: Lookahead's slow weights
        assert ours["lookahead_state"].keys() == theirs["lookahead_state"].keys()
        for name, tensor in theirs["lookahead_state"].items():
            assert torch.equal(ours["lookahead_state"][name], tensor), name
    resumed, uninterrupted = metrics_of(run), metrics_of(reference)
    assert numbers(resumed["epochs"]) == numbers(uninterrupted["epochs"])
    assert resumed["best_test_accuracy"] == uninterrupted["best_test_accuracy"]
    assert resumed["status"] == "finished" and resumed["finished"]
    assert [r["after_epoch"] for r in resumed["resumes"]] == [1]


def test_resume_after_sigkill_in_epoch_2_equals_the_uninterrupted_run(reference, tmp_path):
    run = tmp_path / "run"
    killed = stopped_in_epoch_2(run, signal.SIGKILL, tmp_path)
    assert killed.returncode == -signal.SIGKILL
    assert [e["epoch"] for e in metrics_of(run)["epochs"]] == [1] and metrics_of(run)["status"] == "running"
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert_same_as_reference(run, reference)

    # The same TensorBoard folder, one event file per process; each epoch's point once, with the same value.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert len(list((run / "tb").glob("events.out.tfevents.*"))) == 2
    points = {}
    for folder in (run, reference):
        events = EventAccumulator(str(folder / "tb"))
        events.Reload()
        points[folder] = [(p.step, p.value) for p in events.Scalars("test_accuracy")]
    assert points[run] == points[reference] and [step for step, _ in points[run]] == [1, 2, 3]


@pytest.mark.slow
def test_a_speedrun_resumed_after_sigkill_equals_the_uninterrupted_run(tmp_path_factory, tmp_path):
    reference = uninterrupted(tmp_path_factory, SPEEDRUN_ARGS)
    run = tmp_path / "run"
    assert stopped_in_epoch_2(run, signal.SIGKILL, tmp_path, SPEEDRUN_ARGS).returncode == -signal.SIGKILL
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert_same_as_reference(run, reference)
    assert load_checkpoint(run / "checkpoints" / "last.pt")["lookahead_state"] is not None
    assert metrics_of(run)["epochs"][-1]["test_views"] == 6  # the last epoch's test-time augmentation


def test_ctrl_c_in_epoch_2_keeps_epoch_1_says_how_to_resume_and_exits_130(reference, tmp_path):
    run = tmp_path / "run"
    stopped = stopped_in_epoch_2(run, signal.SIGINT, tmp_path)
    assert stopped.returncode == 130
    (line,) = stopped.stderr.strip().splitlines()
    assert "interrupted" in line and "epoch 1 is saved" in line and f"torchstart train --resume {run}" in line
    metrics = metrics_of(run)
    assert metrics["status"] == "interrupted" and not metrics["finished"]
    assert numbers(metrics["epochs"]) == numbers(metrics_of(reference)["epochs"][:1])
    assert load_checkpoint(run / "checkpoints" / "last.pt")["epoch"] == 1
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["best.pt", "last.pt"]  # no temp files


def test_sigterm_in_epoch_2_is_like_ctrl_c_exit_143_and_the_run_resumes_exactly(reference, tmp_path):
    run = tmp_path / "run"
    stopped = stopped_in_epoch_2(run, signal.SIGTERM, tmp_path)  # what a scheduler or `docker stop` sends
    assert stopped.returncode == 143
    (line,) = stopped.stderr.strip().splitlines()
    assert "stopped by SIGTERM" in line and "epoch 1 is saved" in line and f"torchstart train --resume {run}" in line
    assert metrics_of(run)["status"] == "interrupted" and load_checkpoint(run / "checkpoints" / "last.pt")["epoch"] == 1
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert_same_as_reference(run, reference)


def test_resume_extends_a_finished_run_and_refuses_contradicting_flags(reference, tmp_path, capsys):
    run = shutil.copytree(reference, tmp_path / "run")
    assert main(["train", "--resume", str(run)]) == 2  # finished: nothing left to train
    assert "already trained 3 of 3 epochs" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--epochs", "4", "--lr", "0.1"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--lr 0.1 differs from the run's own 0.05" in line
    assert main(["train", "--resume", str(tmp_path / "nothing-here")]) == 2
    assert "--resume" in (err := capsys.readouterr().err) and "does not exist" in err
    (tmp_path / "empty-run").mkdir()
    assert main(["train", "--resume", str(tmp_path / "empty-run")]) == 2
    assert "no checkpoints/last.pt" in capsys.readouterr().err

    # Flags equal to the run's own are accepted; --epochs 4 trains one more epoch on top of the first three.
    assert main(["train", "--resume", str(run), "--epochs", "4", "--seed", "3", "--max-train-images", "256",
                 "--quiet"]) == 0
    metrics = metrics_of(run)
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2, 3, 4] and metrics["config"]["epochs"] == 4
    assert metrics["epochs"][:3] == metrics_of(reference)["epochs"]
    assert load_checkpoint(run / "checkpoints" / "last.pt")["step"] == 8


# Saves last.pt (epoch 1), then saves again (epoch 2) with a torch.save that writes half the file and
# then kills its own process with SIGKILL: a kill in the middle of a save, every time.
KILLED_MID_SAVE = r"""
import io, os, signal, sys
import torch
from torchstart.training.checkpoint import make_checkpoint, save_checkpoint
from torchstart.models import build_model

path = sys.argv[1]
model = build_model("tudui")
def checkpoint(epoch):
    return make_checkpoint(model, model_name="tudui", classes=[str(k) for k in range(10)], mean=(0.5,) * 3,
                           std=(0.25,) * 3, epoch=epoch)
save_checkpoint(checkpoint(1), path)
real_save = torch.save

def dying_save(obj, f, *args, **kwargs):
    buffer = io.BytesIO()
    real_save(obj, buffer, *args, **kwargs)
    f.write(buffer.getvalue()[: buffer.tell() // 2])
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

torch.save = dying_save
save_checkpoint(checkpoint(2), path)
"""


def test_sigkill_during_a_save_leaves_the_previous_last_pt_and_stale_temps_are_cleaned(tmp_path):
    last = tmp_path / "run" / "checkpoints" / "last.pt"
    last.parent.mkdir(parents=True)
    child = subprocess.run([sys.executable, "-c", KILLED_MID_SAVE, str(last)], capture_output=True, text=True,
                           timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    (temp,) = last.parent.glob(".last.pt.*.tmp")  # the half-written new checkpoint: the kill was mid-save
    assert 0 < temp.stat().st_size < last.stat().st_size
    assert load_checkpoint(last)["epoch"] == 1  # the previous checkpoint, whole
    prepare_run_dir(tmp_path / "run")  # what train and --resume do first
    assert [p.name for p in last.parent.iterdir()] == ["last.pt"]


def test_a_resumed_tracker_hides_what_the_killed_run_logged_after_its_checkpoint(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from torchstart.training.tracking import TensorBoardTracker

    killed = TensorBoardTracker(tmp_path)
    for step in range(1, 8):  # the checkpoint holds step 5; steps 6 and 7 were logged, then the kill
        killed.log_scalar("train_loss_step", 10.0 + step, step)
    killed.close()
    resumed = TensorBoardTracker(tmp_path, purge_step=6)
    for step in (6, 7, 8):
        resumed.log_scalar("train_loss_step", 20.0 + step, step)
    resumed.close()
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert [(p.step, p.value) for p in events.Scalars("train_loss_step")] == \
        [(1, 11.0), (2, 12.0), (3, 13.0), (4, 14.0), (5, 15.0), (6, 26.0), (7, 27.0), (8, 28.0)]


def test_a_resumed_event_file_sorts_after_one_made_in_the_same_second(tmp_path):
    from torchstart.training.tracking import TensorBoardTracker

    now = int(time.time())
    (tmp_path / f"events.out.tfevents.{now}.host.99999.0").write_bytes(b"")  # a run started this second
    tracker = TensorBoardTracker(tmp_path, purge_step=3)
    tracker.close()
    names = sorted(p.name for p in tmp_path.glob("events.out.tfevents.*"))
    assert len(names) == 2 and names[0].startswith(f"events.out.tfevents.{now}.host")  # TensorBoard's reading order
