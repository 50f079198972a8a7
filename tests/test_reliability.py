"""Reliability: no finished run or learner's file is ever overwritten silently, and every hostile input the
red-team pass found (issue #14) ends in one clear line with the fix and exit 2 — or, for a bad file inside an
image folder, is skipped and listed with its true cause. Each test failed before its fix."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from torchstart.cli import main
from torchstart.data.scan import scan_image_folder
from torchstart.models import Tudui
from torchstart.training.checkpoint import load_checkpoint, make_checkpoint, save_checkpoint

TOO_LONG = "x" * 300  # one name longer than the 255 bytes Linux and macOS allow


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


@pytest.fixture
def finished_run(trained_run, tmp_path) -> Path:
    return shutil.copytree(trained_run, tmp_path / "run")


def checkpoint_bytes(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((run / "checkpoints").iterdir())}


# ---- never lose a finished run or a learner's file -------------------------------------------------------------
def test_train_into_a_finished_run_refuses_and_leaves_it_untouched(finished_run, capsys):
    before = checkpoint_bytes(finished_run)
    metrics = (finished_run / "metrics.json").read_text()
    assert main(["train", "--epochs", "1", "--max-train-images", "64", "--out", str(finished_run), "--quiet"]) == 2
    line = one_line(capsys)
    assert "already holds a training run (1 of 1 epochs, finished)" in line
    assert f"--resume {finished_run}" in line and "--overwrite" in line
    assert checkpoint_bytes(finished_run) == before and (finished_run / "metrics.json").read_text() == metrics


def test_overwrite_keeps_the_old_run_aside(finished_run, capsys):
    before = checkpoint_bytes(finished_run)
    assert main(["train", "--epochs", "1", "--max-train-images", "64", "--out", str(finished_run), "--quiet",
                 "--overwrite"]) == 0
    (aside,) = finished_run.parent.glob("run.old-*")
    assert f"kept the old run aside as {aside}" in capsys.readouterr().out
    assert checkpoint_bytes(aside) == before  # the old run, whole
    assert json.loads((finished_run / "metrics.json").read_text())["data"]["train_images"] == 64  # the new one


def test_a_folder_with_only_an_unfinished_metrics_json_is_reused(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text('{"status": "running", "epochs": []}')  # stopped before epoch 1
    assert main(["train", "--epochs", "1", "--max-train-images", "64", "--out", str(run), "--quiet"]) == 0


def test_notebook_never_replaces_a_learners_notebook_and_takes_a_folder(tmp_path, capsys):
    mine = tmp_path / "09-conv.ipynb"
    mine.write_text("my notes")
    assert main(["notebook", "conv", "-o", str(mine)]) == 2
    assert "already exists" in one_line(capsys) and mine.read_text() == "my notes"
    assert main(["notebook", "conv", "-o", str(tmp_path)]) == 2  # a folder: its default name inside, which exists
    one_line(capsys)
    assert main(["notebook", "conv", "-o", str(tmp_path / "sub")]) == 0  # was IsADirectoryError? no: a new file
    (tmp_path / "folder").mkdir()
    assert main(["notebook", "conv", "-o", str(tmp_path / "folder")]) == 0  # was IsADirectoryError
    assert json.loads((tmp_path / "folder" / "09-conv.ipynb").read_text())["nbformat"] == 4
    assert main(["notebook", "conv", "-o", str(mine), "--force"]) == 0
    (aside,) = tmp_path.glob("09-conv.ipynb.old-*")
    assert aside.read_text() == "my notes" and json.loads(mine.read_text())["nbformat"] == 4


def test_import_course_model_never_replaces_new_pt_silently(tmp_path, capsys):
    torch.save(Tudui().state_dict(), tmp_path / "course.pth")
    (tmp_path / "new.pt").write_bytes(b"precious")
    assert main(["import-course-model", str(tmp_path / "course.pth"), str(tmp_path / "new.pt")]) == 2
    assert "already exists" in one_line(capsys) and (tmp_path / "new.pt").read_bytes() == b"precious"
    assert main(["import-course-model", str(tmp_path / "course.pth"), str(tmp_path / "new.pt"), "--force"]) == 0
    (aside,) = tmp_path.glob("new.pt.old-*")
    assert aside.read_bytes() == b"precious" and load_checkpoint(tmp_path / "new.pt")["model_name"] == "tudui"


# ---- operating-system errors ----------------------------------------------------------------------------------
def test_a_name_longer_than_the_os_allows_is_one_line(trained_run, tmp_path, capsys):
    best = trained_run / "checkpoints" / "best.pt"
    for argv in (["predict", str(best), str(tmp_path / TOO_LONG)],
                 ["train", "--data-dir", str(tmp_path / TOO_LONG), "--dry-run", "--out", str(tmp_path / "r")],
                 ["evaluate", str(tmp_path / TOO_LONG)],
                 ["train", "--resume", str(tmp_path / TOO_LONG)]):
        assert main(argv) == 2, argv
        assert "has a name longer than this system allows" in one_line(capsys)


def test_a_fifo_is_called_a_named_pipe_not_missing_or_empty(trained_run, tmp_path, capsys):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    assert main(["predict", str(trained_run / "checkpoints" / "best.pt"), str(fifo)]) == 2
    assert "is a named pipe (FIFO), not a regular file" in one_line(capsys)
    assert main(["evaluate", str(fifo)]) == 2
    assert "is a named pipe (FIFO)" in one_line(capsys)


def test_links_and_pipes_inside_a_class_folder_are_skipped_with_their_true_cause(tmp_path):
    root = tmp_path / "photos"
    for name in ("ants", "bees"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(root / name / f"{i}.png")
    (root / "ants" / "loop.jpg").symlink_to(root / "ants" / "loop.jpg")
    (root / "ants" / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    os.mkfifo(root / "bees" / "pipe.png")
    reasons = {path.name: why for path, why in scan_image_folder(root).skipped}
    assert reasons == {"loop.jpg": "is a symbolic link that loops back on itself",
                       "gone.jpg": f"is a link to {tmp_path / 'deleted.jpg'}, which does not exist",
                       "pipe.png": "is a named pipe (FIFO), not a regular file"}


# ---- damaged checkpoint metadata that keeps our format tag ----------------------------------------------------
@pytest.mark.parametrize("damage,message", [
    (lambda c: c.pop("model_name"), "model_name is None"),
    (lambda c: c.update(input_size=[0, 0]), "input_size is [0, 0]"),
    (lambda c: c.update(num_classes="ten"), "num_classes is 'ten'"),
    (lambda c: c.update(normalization={"mean": [0.5] * 3, "std": [0.0] * 3}), "normalization is"),
    (lambda c: c.update(classes=["a", "b"]), "do not name num_classes classes"),
    (lambda c: c.update(format_version="1"), "format_version is '1'"),
    (lambda c: c.update(model_state={"model.0.weight": [1, 2]}), "model_state is not a dict of tensors"),
])
def test_damaged_metadata_is_one_line_for_every_command(tmp_path, capsys, damage, message):
    checkpoint = make_checkpoint(Tudui(), model_name="tudui", classes=[str(i) for i in range(10)],
                                 mean=(0.0,) * 3, std=(1.0,) * 3)
    damage(checkpoint)
    path = tmp_path / "damaged.pt"
    save_checkpoint(checkpoint, path)
    Image.new("RGB", (32, 32)).save(tmp_path / "x.png")
    for argv in (["evaluate", str(path)], ["predict", str(path), str(tmp_path / "x.png")],
                 ["train", "--init", str(path), "--dry-run", "--out", str(tmp_path / "run")]):
        assert main(argv) == 2, argv
        line = one_line(capsys)
        assert "is a damaged torchstart checkpoint" in line and message in line, line


def test_a_resume_checkpoint_with_a_damaged_history_is_one_line(finished_run, capsys):
    last = finished_run / "checkpoints" / "last.pt"
    checkpoint = load_checkpoint(last)
    checkpoint["history"]["epochs"] = [{"epoch": "one"}]
    save_checkpoint(checkpoint, last)
    assert main(["train", "--resume", str(finished_run), "--epochs", "2"]) == 2
    assert "damaged training history" in one_line(capsys)


# ---- numbers out of range -------------------------------------------------------------------------------------
def test_a_seed_from_date_nanoseconds_trains(tmp_path):
    assert main(["train", "--seed", "1764590000123456789", "--dry-run", "--epochs", "1", "--quiet",
                 "--out", str(tmp_path / "run")]) == 0  # overflowed torch's generator before


def test_a_seed_beyond_64_bits_is_refused_before_the_run_directory_is_made(tmp_path, capsys):
    assert main(["train", "--seed", str(2**64), "--dry-run", "--out", str(tmp_path / "run")]) == 2
    assert "--seed must be a whole number from 0 to 2**63 - 1" in one_line(capsys)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "3.4e38"])
def test_an_infinite_or_nan_learning_rate_is_refused(tmp_path, capsys, value):
    assert main(["train", f"--lr={value}", "--dry-run", "--out", str(tmp_path / "run")]) == 2
    line = one_line(capsys)
    assert "--lr must be a positive, finite number up to 1e+06" in line and "e.g. --lr 0.01" in line


def test_board_port_out_of_range_is_one_line(trained_run, capsys):
    assert main(["board", str(trained_run), "--port", "70000"]) == 2
    assert "--port 70000 is not a TCP port" in one_line(capsys)


def test_a_mistyped_flag_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--epochs", "ten"])
    assert stop.value.code == 2
    assert "invalid int value: 'ten'" in one_line(capsys)


# ---- data that cannot teach anything --------------------------------------------------------------------------
def write_folder(root: Path, counts: dict[str, int]) -> Path:
    rng = np.random.default_rng(0)
    for name, n in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


def test_a_single_class_is_refused(tmp_path, capsys):
    photos = write_folder(tmp_path / "photos", {"cats": 10})
    assert main(["train", "--data-dir", str(photos), "--out", str(tmp_path / "run")]) == 2
    assert "only one class folder (cats)" in one_line(capsys) and not (tmp_path / "run").exists()


def test_one_image_per_class_leaves_nothing_to_validate_and_says_so(tmp_path, capsys):
    photos = write_folder(tmp_path / "photos", {"cats": 1, "dogs": 1})
    assert main(["train", "--data-dir", str(photos), "--out", str(tmp_path / "run")]) == 2
    assert "leaves no images to validate on" in one_line(capsys)


# ---- resume and the run table ---------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["[1, 2, 3]", '"just a string"', '{"resumes": "not a list"}'])
def test_resume_survives_a_metrics_json_of_the_wrong_shape(finished_run, content):
    (finished_run / "metrics.json").write_text(content)
    assert main(["train", "--resume", str(finished_run), "--epochs", "2", "--quiet"]) == 0
    metrics = json.loads((finished_run / "metrics.json").read_text())
    assert metrics["status"] == "finished" and [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    assert [r["after_epoch"] for r in metrics["resumes"]] == [1]


def test_a_missing_last_pt_names_best_pt_and_how_to_use_it(finished_run, capsys):
    (finished_run / "checkpoints" / "last.pt").unlink()
    assert main(["train", "--resume", str(finished_run), "--epochs", "2"]) == 2
    line = one_line(capsys)
    best = finished_run / "checkpoints" / "best.pt"
    assert "has no checkpoints/last.pt" in line and f"cp {best} {finished_run / 'checkpoints' / 'last.pt'}" in line


def test_runs_lists_a_deeply_nested_metrics_json_as_broken(tmp_path, capsys):
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "metrics.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["runs", str(tmp_path)]) == 0
    assert "nested too deeply" in capsys.readouterr().out


# ---- an internal error is a bug, said so in one line ----------------------------------------------------------
def test_an_internal_error_is_one_line_naming_the_traceback_file(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    def broken(*args, **kwargs):
        raise ValueError("something we never expected")

    monkeypatch.setattr("torchstart.tools.runs_table.list_runs", broken)
    assert main(["runs", str(tmp_path)]) == 70
    line = one_line(capsys)
    (report,) = tmp_path.glob("torchstart-runs-crash-*.txt")
    assert "internal error, a bug in torchstart" in line and str(report) in line and "TORCHSTART_DEBUG=1" in line
    assert "ValueError: something we never expected" in report.read_text() and "Traceback" in report.read_text()
    monkeypatch.setenv("TORCHSTART_DEBUG", "1")
    with pytest.raises(ValueError, match="never expected"):
        main(["runs", str(tmp_path)])


# ---- torchrun restarts --------------------------------------------------------------------------------------
# The course recipe on 2 gloo processes; 512 images = 8 steps of 32 per process and epoch.
TORCHRUN_ARGS = ["--recipe", "seed", "--lr", "0.05", "--epochs", "3", "--max-train-images", "512", "--seed", "1",
                 "--quiet", "--device", "cpu"]
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
# Rank 1 of the first attempt kills itself (SIGKILL: no clean-up at all) after one step of epoch 2.
DIES_IN_EPOCH_2 = r"""
import os, signal, sys
from torchstart.cli import main
from torchstart.data.loader import TensorLoader

original = TensorLoader.__iter__

def dying(self):
    for k, batch in enumerate(original(self)):
        first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT") == "0"
        if first_attempt and os.environ["RANK"] == "1" and self.shuffle and self.epoch == 1 and k == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        yield batch

TensorLoader.__iter__ = dying
sys.exit(main(sys.argv[1:]))
"""


def torchrun(script: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in TORCHRUN_ENV}
    env["OMP_NUM_THREADS"] = "1"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
               "--max-restarts=1", "--monitor-interval=0.5", str(script), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_torchrun_restarts_a_killed_worker_group_which_resumes_from_last_pt_by_itself(tmp_path):
    script = tmp_path / "dies.py"
    script.write_text(DIES_IN_EPOCH_2)
    plain = tmp_path / "plain.py"
    plain.write_text("import sys\nfrom torchstart.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    restarted, reference = tmp_path / "restarted", tmp_path / "reference"
    done = torchrun(script, "train", *TORCHRUN_ARGS, "--out", str(restarted))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "resuming after epoch 1" in done.stdout  # the second attempt continued the first one's run
    assert torchrun(plain, "train", *TORCHRUN_ARGS, "--out", str(reference)).returncode == 0

    ours, theirs = (load_checkpoint(r / "checkpoints" / "last.pt") for r in (restarted, reference))
    assert ours["epoch"] == theirs["epoch"] == 3 and ours["step"] == theirs["step"] == 24
    for name, tensor in theirs["model_state"].items():
        assert torch.equal(ours["model_state"][name], tensor), name
    metrics = [json.loads((r / "metrics.json").read_text()) for r in (restarted, reference)]
    assert [e["test_accuracy"] for e in metrics[0]["epochs"]] == [e["test_accuracy"] for e in metrics[1]["epochs"]]
    assert metrics[0]["status"] == "finished" and [r["after_epoch"] for r in metrics[0]["resumes"]] == [1]
