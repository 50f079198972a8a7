"""CUDA paths: skipped on machines without an NVIDIA GPU (CI has none); run on a GPU by hand or by
benchmarks/gpu_check.sh."""

import json

import pytest
import torch

from torchstart.config import recipe, with_overrides
from torchstart.data import CIFAR10_MEAN, CIFAR10_STD, TensorLoader, load_sample
from torchstart.inference import evaluate_checkpoint
from torchstart.training.job import train

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_gpu_loader_gives_the_cpu_batches_augmentation_included():
    split = load_sample().train
    kwargs = dict(batch_size=256, shuffle=True, seed=4, crop_padding=2, flip=True, mean=CIFAR10_MEAN,
                  std=CIFAR10_STD)
    gpu = TensorLoader(split.images, split.labels, device="cuda", **kwargs)
    cpu = TensorLoader(split.images, split.labels, device="cpu", **kwargs)
    assert gpu.images.device.type == "cuda"  # the whole uint8 split lives on the GPU
    for epoch in (0, 3):
        gpu.set_epoch(epoch)
        cpu.set_epoch(epoch)
        for (xg, yg), (xc, yc) in zip(gpu, cpu):
            assert xg.device.type == "cuda" and xg.is_contiguous(memory_format=torch.channels_last)
            torch.testing.assert_close(xg.cpu(), xc, atol=1e-6, rtol=1e-6)
            assert torch.equal(yg.cpu(), yc)


@pytest.mark.parametrize("precision,extra", [("auto", {}), ("fp16", {}), ("auto", {"compile": True})])
def test_fast_recipe_on_cuda(tmp_path, precision, extra):
    # batch 128 (the CPU size): 4 epochs of the 2,000-image sample are then 64 steps, enough to learn
    config = with_overrides(recipe("fast", "cuda"), device="cuda", precision=precision, epochs=4, batch_size=128,
                            out=tmp_path / "run", quiet=True, **extra)
    result = train(config)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    expected = {"auto": "bf16" if torch.cuda.is_bf16_supported() else "fp16", "fp16": "fp16"}[precision]
    assert metrics["precision"] == expected and metrics["device"].startswith("cuda")
    assert result.history.best_test_accuracy > 0.30  # sample, 4 epochs; chance is 0.10
    report = evaluate_checkpoint(result.best_checkpoint, device="cpu")  # a GPU checkpoint works on a CPU
    assert report.accuracy == pytest.approx(result.history.best_test_accuracy, abs=0.02)
