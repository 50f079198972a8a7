"""Data-parallel training through torchrun: 2 CPU processes (gloo) train like one process with the same global
batch, only rank 0 writes, `--resume` works under torchrun, and no process gets a BatchNorm batch of one image."""

import json
import os
import subprocess
import sys

import pytest
import torch
from test_transfer import make_photos

from torchstart.cli import main
from torchstart.config import recipe, with_overrides
from torchstart.errors import ConfigError
from torchstart.models import build_model
from torchstart.training.build import check_batch_size
from torchstart.training.checkpoint import load_checkpoint
from torchstart.training.distributed import Ranks, per_rank_batch, ranks_from_env

# The course's recipe (no augmentation, no dropout), with lr 0.05 so one epoch moves the weights by far more
# than the tolerance; 512 images = 8 global batches of 64 = 8 steps of 32 images on each of 2 processes.
ARGS = ["--recipe", "seed", "--lr", "0.05", "--epochs", "1", "--max-train-images", "512", "--seed", "1", "--quiet",
        "--device", "cpu"]  # gloo on CPU processes, as in CI, even where a GPU is visible
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def torchrun(*train_args: str) -> subprocess.CompletedProcess:
    """`torchrun --standalone --nproc-per-node=2 -m torchstart train …` (standalone: a free port on localhost)."""
    env = {k: v for k, v in os.environ.items() if k not in TORCHRUN_ENV}
    env["OMP_NUM_THREADS"] = "1"  # two processes on two cores
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
               "-m", "torchstart", "train", *train_args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


def weights(run) -> dict[str, torch.Tensor]:
    return load_checkpoint(run / "checkpoints" / "last.pt")["model_state"]


def max_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)


@pytest.mark.slow
def test_two_gloo_processes_train_like_one_process_and_resume_under_torchrun(tmp_path):
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    assert main(["train", *ARGS, "--out", str(single)]) == 0
    launched = torchrun(*ARGS, "--out", str(ddp))
    assert "8 steps of 64 (2 processes × 32)" in launched.stdout
    assert launched.stdout.count("epoch   1/1") == 1  # rank 0 alone prints

    torch.manual_seed(1)
    initial = build_model("tudui").state_dict()
    assert max_difference(weights(single), initial) > 5e-3  # the epoch moved the weights 50× the tolerance …
    assert max_difference(weights(ddp), weights(single)) < 1e-4  # … and DDP moved them the same way
    assert load_checkpoint(ddp / "checkpoints" / "last.pt")["step"] == 8

    metrics = json.loads((ddp / "metrics.json").read_text())
    reference = json.loads((single / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["data"]["train_images"] == 512
    assert metrics["epochs"][0]["train_images"] == 512  # both ranks' images
    assert metrics["epochs"][0]["test_accuracy"] == pytest.approx(reference["epochs"][0]["test_accuracy"], abs=1 / 500)
    assert sorted(p.name for p in ddp.iterdir()) == sorted(p.name for p in single.iterdir())  # rank 0's files only
    assert len(list((ddp / "tb").iterdir())) == 1

    # Resume under torchrun: one more epoch on 2 processes, compared with one more epoch in one process.
    torchrun("--resume", str(ddp), "--epochs", "2", "--quiet")
    assert main(["train", "--resume", str(single), "--epochs", "2", "--quiet"]) == 0
    assert max_difference(weights(ddp), weights(single)) < 1e-4
    metrics = json.loads((ddp / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2] and metrics["status"] == "finished"
    assert metrics["resumes"][0]["processes"] == 2 and load_checkpoint(ddp / "checkpoints" / "last.pt")["step"] == 16


def test_ranks_come_from_torchrun_environment():
    assert ranks_from_env({}) == Ranks(0, 1, 0) and ranks_from_env({}).is_main
    ranks = ranks_from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert ranks == Ranks(3, 4, 1) and not ranks.is_main


def test_the_global_batch_is_split_evenly_or_refused():
    assert per_rank_batch(128, 4) == 32 and per_rank_batch(64, 1) == 64
    with pytest.raises(ConfigError, match="--batch-size 100 cannot be split evenly over 3 processes.*99"):
        per_rank_batch(100, 3)


@pytest.mark.slow
def test_a_batchnorm_model_trains_the_last_smaller_global_batch_split_over_processes(tmp_path):
    photos = make_photos(tmp_path / "photos", per_class=6)  # 15 train / 3 val images
    out = tmp_path / "run"
    launched = torchrun("--data-dir", str(photos), "--model", "resnet18", "--image-size", "16", "--precision", "fp32",
                        "--device", "cpu", "--batch-size", "8", "--epochs", "1", "--quiet", "--out", str(out))
    # 15 = a global batch of 8, then 7: 3 on each process, the 15th image left out of this epoch
    assert "1 epochs × 2 steps of 8 (2 processes × 4)" in launched.stdout
    assert json.loads((out / "metrics.json").read_text())["epochs"][0]["train_images"] == 14


@pytest.mark.parametrize("model, batch, processes, refused", [
    ("resnet18", 1, 1, True), ("mobilenet_v3_small", 1, 1, True), ("speedrun", 2, 2, True), ("resnet18", 3, 3, True),
    ("resnet18", 2, 1, False), ("speedrun", 4, 2, False), ("tudui", 1, 1, False), ("tudui", 2, 2, False),
])
def test_a_batchnorm_model_gets_two_images_per_process_or_is_refused(model, batch, processes, refused):
    config = with_overrides(recipe("fast"), model=model, batch_size=batch)
    if not refused:
        check_batch_size(config, processes)
        return
    with pytest.raises(ConfigError, match=f"BatchNorm.*use --batch-size {2 * processes} or more"):
        check_batch_size(config, processes)
