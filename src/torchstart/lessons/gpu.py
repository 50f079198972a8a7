"""Lesson 18 — training on a GPU (课程第十八–二十章：利用 GPU 训练、关于 GPU).

中文：用 `torchstart.device.pick_device` 选设备（和 `--device auto` 是同一套逻辑），并和课程里的
`torch.device("cuda" if … else …)` 写法对照；看看课程的 `.cuda()` 在没有 NVIDIA GPU 的机器上会怎样，以及为什么
`.to(device)` 更好。把模型和数据搬到设备上；说明优化器为什么没有 `.to()`：它只引用模型的参数，动量等状态在
第一次 step 时才在参数所在的设备上创建，所以应当先搬模型、再建优化器。最后给课程模型的前向计算计时，
CPU 一次，有加速器时再在加速器上一次（计时前后同步），报告每秒处理的图片数；有加速器时还比较两边算出的
logits 是否一致。

English: choose the device with `torchstart.device.pick_device` (the logic behind `--device auto`) and compare
it with the course's `torch.device("cuda" if … else …)`; see what the course's `.cuda()` does on a machine
without an NVIDIA GPU and why `.to(device)` is better. Move the model and the data; see why optimisers have no
`.to()`: they only refer to the model's parameters, and state such as the momentum buffer is created at the
first step on the parameter's device — so move the model first, then build the optimiser. Finally time the
course model's forward pass on the CPU and, when there is one, on the accelerator (synchronising around the
clock), report images per second, and on an accelerator check that its logits match the CPU's.
"""

from __future__ import annotations

import copy
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..data import CIFAR10_MEAN, CIFAR10_STD, TensorLoader, find_cifar10
from ..device import describe_device, pick_device, seed_everything
from ..models import Tudui
from ..training.engine import TrainState, train_one_epoch
from ._shared import course_device
from .runner import lesson_main

SEED = 0
BATCH = 256  # images per timed forward pass
REPEATS = 5  # timed passes after one warm-up pass
LOGITS_TOLERANCE = 1e-4  # CPU vs accelerator, float32 both sides (TF32 off)


@dataclass
class Timing:
    device: str
    batch_size: int
    repeats: int
    seconds: float  # for all `repeats` passes together
    images_per_s: float


@dataclass
class Result:
    course_device: str  # the course's chapter-20 expression (CUDA → MPS → CPU)
    device: str  # pick_device(...): what the lesson uses
    device_name: str
    cuda_call: str  # what the course's `.cuda()` does here: "works" or the error it raises
    model_device: str  # a parameter's device after model.to(device)
    data_device: str  # the batch's device after x = x.to(device)
    to_returns_same_model: bool  # module.to() moves in place and returns the module itself
    loss_fn_tensors: int  # parameters + buffers of CrossEntropyLoss: nothing to move
    optimizer_has_to: bool  # hasattr(optimizer, "to"): False — there is no optimizer.to()
    optimizer_holds_model_params: bool  # the optimiser's params are the model's tensors, not copies
    momentum_buffer_device: str  # after one step: created next to its parameter
    cpu_timing: Timing
    accelerator_timing: Timing | None  # None when there is no accelerator
    speedup: float | None  # accelerator images/s ÷ CPU images/s
    logits_max_diff: float | None  # |CPU logits − accelerator logits|, same weights and batch
    logits_allclose: bool | None  # within LOGITS_TOLERANCE


def try_cuda_call() -> str:
    """What `tensor.cuda()` does on this machine: it only knows NVIDIA (and ROCm) GPUs."""
    try:
        torch.zeros(1).cuda()
    except (AssertionError, RuntimeError) as err:  # CPU-only build: AssertionError; no GPU/driver: RuntimeError
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return "works"


def synchronize(device: torch.device) -> None:
    """Wait until the device has finished its queued work (accelerator calls return before the work is done)."""
    if device.type != "cpu":
        torch.accelerator.synchronize(device)  # torch.cuda.synchronize() on CUDA, the same for MPS/XPU


def time_forward(model: nn.Module, x: torch.Tensor, device: torch.device, repeats: int = REPEATS) -> Timing:
    """Seconds for `repeats` forward passes of a copy of `model` over the batch x on `device`."""
    model = copy.deepcopy(model).to(device).eval()
    x = x.to(device)
    with torch.inference_mode():
        model(x)  # warm-up: the first pass pays for kernel choice, memory allocation and lazy initialisation
        synchronize(device)
        start = time.perf_counter()
        for _ in range(repeats):
            model(x)
        synchronize(device)  # without this the clock would stop before the accelerator has done the work
        seconds = time.perf_counter() - start
    return Timing(str(device), x.shape[0], repeats, seconds, x.shape[0] * repeats / seconds)


@contextmanager
def full_float32(device: torch.device):
    """Plain float32 convolutions and matmuls on CUDA while comparing with the CPU.

    By default cuDNN may use TF32 (inputs rounded to a 10-bit mantissa) for float32 convolutions, and
    set_float32_matmul_precision("high") allows it for matmuls: fast, but off by ~1e-3 relative.
    """
    if device.type != "cuda":  # TF32 is a CUDA feature
        yield
        return
    matmul = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True, allow_tf32=False):
            yield
    finally:
        torch.set_float32_matmul_precision(matmul)


def compare_logits(model: nn.Module, x: torch.Tensor, device: torch.device) -> float:
    """Largest |difference| between the logits of the same model and batch on the CPU and on `device`."""
    with torch.inference_mode(), full_float32(device):
        on_cpu = copy.deepcopy(model).cpu().eval()(x.cpu())
        on_device = copy.deepcopy(model).to(device).eval()(x.to(device))
    return (on_cpu - on_device.cpu()).abs().max().item()


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    target = pick_device(device)  # instead of the course's cuda-or-cpu: knows MPS and XPU, explains errors
    split = find_cifar10(data_dir).test.subset(BATCH, SEED)
    x, y = next(iter(TensorLoader(split.images, split.labels, batch_size=BATCH, mean=CIFAR10_MEAN,
                                  std=CIFAR10_STD)))  # (256, 3, 32, 32) standardised, on the CPU
    seed_everything(SEED)
    model = Tudui()
    moved = model.to(target)  # a module moves in place (and returns itself) ...
    x_dev, y_dev = x.to(target), y.to(target)  # ... a tensor does not: .to() returns a moved copy; keep it
    loss_fn = nn.CrossEntropyLoss().to(target)  # no tensors inside, so this moves nothing (harmless)

    # Build the optimiser after moving the model: it stores references to these parameter tensors and
    # creates its own state (here the momentum buffers) at the first step, on each parameter's device.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    train_one_epoch(TrainState(model, optimizer, loss_fn=loss_fn), [(x_dev[:64], y_dev[:64])], target)
    first = next(model.parameters())

    cpu_timing = time_forward(model, x, torch.device("cpu"))
    on_accelerator = target.type != "cpu"
    accelerator_timing = time_forward(model, x, target) if on_accelerator else None
    diff = compare_logits(model, x, target) if on_accelerator else None
    return Result(
        course_device=str(course_device()), device=str(target), device_name=describe_device(target).name,
        cuda_call=try_cuda_call(), model_device=str(first.device), data_device=str(x_dev.device),
        to_returns_same_model=moved is model,
        loss_fn_tensors=len(list(loss_fn.parameters())) + len(list(loss_fn.buffers())),
        optimizer_has_to=hasattr(optimizer, "to"),
        optimizer_holds_model_params=optimizer.param_groups[0]["params"][0] is first,
        momentum_buffer_device=str(optimizer.state[first]["momentum_buffer"].device),
        cpu_timing=cpu_timing, accelerator_timing=accelerator_timing,
        speedup=accelerator_timing.images_per_s / cpu_timing.images_per_s if accelerator_timing else None,
        logits_max_diff=diff, logits_allclose=None if diff is None else diff <= LOGITS_TOLERANCE)


def _timing(t: Timing) -> str:
    return f"{t.images_per_s:,.0f} images/s ({t.repeats} × {t.batch_size} images in {t.seconds:.3f} s)"


def describe(result: Result) -> str:
    lines = [f"course's choice: {result.course_device}; pick_device: {result.device} ({result.device_name})",
             f"course's .cuda() here: {result.cuda_call}",
             f"after .to({result.device}): model on {result.model_device}, batch on {result.data_device}, "
             f"model.to() returned the same model: {result.to_returns_same_model}",
             f"CrossEntropyLoss holds {result.loss_fn_tensors} tensors (nothing to move)",
             f"optimizer has .to(): {result.optimizer_has_to}; holds the model's own parameters: "
             f"{result.optimizer_holds_model_params}; momentum buffer on {result.momentum_buffer_device}",
             f"forward pass on cpu: {_timing(result.cpu_timing)}"]
    if result.accelerator_timing is None:
        lines.append("no accelerator here: nothing to compare the CPU with")
    else:
        lines += [f"forward pass on {result.device}: {_timing(result.accelerator_timing)}, "
                  f"{result.speedup:.1f}× the CPU",
                  f"logits cpu vs {result.device}: largest difference {result.logits_max_diff:.1e}, "
                  f"within {LOGITS_TOLERANCE}: {result.logits_allclose}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("gpu", argv)


if __name__ == "__main__":
    raise SystemExit(main())
