"""Lesson 18 — training on a GPU (课程第十八–二十章：利用 GPU 训练、关于 GPU).

中文：像第二十章那样先看看显卡（`nvidia-smi`；macOS 上 `system_profiler SPDisplaysDataType`），再用 `pick_device`
选设备，和课程的写法、`.cuda()` 对照。然后用第十八章的循环在这个设备上训练一轮：模型、损失函数和每一批数据都
`.to(device)`，先搬模型再建优化器（优化器没有 `.to()`，它的状态建在参数所在的设备上）；测试时用 `torch.max(outputs.data,
1)` 取预测类别，和 `argmax` 对照。最后给前向计算计时，有加速器时比较它和 CPU 的 logits。测试证明这个循环和 `engine.fit`
得到相同的权重。

English: look at the graphics card as chapter 二十 does (`nvidia-smi`; on macOS `system_profiler SPDisplaysDataType`),
then choose the device with `pick_device`, next to the course's expression and its `.cuda()`. Train one epoch there
with chapter 十八's loop: the model, the loss and every batch go `.to(device)`, the model moves before the optimiser
is made (optimisers have no `.to()`; their state is created on the parameters' device); the test pass takes the
predicted class with `torch.max(outputs.data, 1)`, next to `argmax`. Last, time the forward pass and, on an
accelerator, compare its logits with the CPU's. A test proves the loop gives the weights `engine.fit` gives.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data import CifarDataset, find_cifar10
from ..device import describe_device, keep_freed_memory, pick_device, seed_everything
from ..i18n import _
from ..models import Tudui
from ._shared import course_device
from .runner import lesson_main

SEED = 0
BATCH_SIZE = 64  # images per training and test step, as in the course
LEARNING_RATE = 0.01  # the course's SGD learning rate (chapter 十九), no momentum
BATCH = 256  # images per timed forward pass
REPEATS = 5  # timed passes after one warm-up pass
LOGITS_TOLERANCE = 1e-4  # CPU vs accelerator, float32 both sides (TF32 off)
# How chapter 二十 looks at the graphics card (it writes "invidia-smi"): NVIDIA's tool, or Apple's report on macOS.
GPU_TOOLS = (("nvidia-smi",), ("system_profiler", "SPDisplaysDataType"))  # the first one installed runs
TOOL_TIMEOUT_S, TOOL_LINES = 10.0, 12  # seconds it may take; lines of its output shown


@dataclass
class GpuLook:
    command: str | None  # the tool that ran ("nvidia-smi"); None when none of GPU_TOOLS exists here
    lines: list[str]  # the first TOOL_LINES lines it printed
    returncode: int | None  # its exit status; None when it ran past TOOL_TIMEOUT_S or could not start


@dataclass
class Timing:
    device: str
    batch_size: int
    repeats: int
    seconds: float  # for all `repeats` passes together
    images_per_s: float


@dataclass
class Evaluation:
    correct: int  # test images whose predicted class is their label
    total: int
    same_as_argmax: int  # images where torch.max(outputs.data, 1)'s indices equal outputs.argmax(1)
    first: list[tuple[float, int]]  # torch.max's (value, index) — largest logit, predicted class — of the first images


@dataclass
class Result:
    gpu_look: GpuLook  # chapter 二十: nvidia-smi / system_profiler
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
    sgd_state_tensors: int  # what plain SGD (no momentum) keeps after training: nothing
    momentum_buffer_device: str  # SGD with momentum, after one step: created next to its parameter
    train_steps: int  # the course's loop, one epoch on the device
    train_seconds: float
    evaluation: Evaluation
    cpu_timing: Timing
    accelerator_timing: Timing | None  # None when there is no accelerator
    logits_max_diff: float | None  # |CPU logits − accelerator logits|, same weights and batch
    logits_allclose: bool | None  # within LOGITS_TOLERANCE


def look_at_gpu(tools: Sequence[Sequence[str]] = GPU_TOOLS, timeout: float = TOOL_TIMEOUT_S) -> GpuLook:
    """Run the first of `tools` that is installed and keep the start of what it prints."""
    command = next((list(tool) for tool in tools if shutil.which(tool[0])), None)
    if command is None:
        return GpuLook(None, [], None)
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout)
    except (subprocess.TimeoutExpired, OSError):
        return GpuLook(" ".join(command), [], None)
    return GpuLook(" ".join(command), (done.stdout or done.stderr).splitlines()[:TOOL_LINES], done.returncode)


def try_cuda_call() -> str:
    """What `tensor.cuda()` does on this machine: it only knows NVIDIA (and ROCm) GPUs."""
    try:
        torch.zeros(1).cuda()
    except (AssertionError, RuntimeError) as err:  # CPU-only build: AssertionError; no GPU/driver: RuntimeError
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return "works"


def make_loaders(data, seed: int = SEED) -> tuple[DataLoader, DataLoader]:
    """ToTensor images in batches of 64; the training set shuffled by a seeded generator, so runs repeat."""
    train_loader = DataLoader(CifarDataset(data.train), batch_size=BATCH_SIZE, shuffle=True,
                              generator=torch.Generator().manual_seed(seed))
    return train_loader, DataLoader(CifarDataset(data.test), batch_size=BATCH_SIZE)


def train_epoch(model: nn.Module, train_loader, criterion: nn.Module, optimizer: torch.optim.Optimizer,
                device: torch.device) -> int:
    """The course's chapter-十八 training loop, one epoch on `device`. Returns the steps taken."""
    steps = 0
    model.train()
    for inputs, labels in train_loader:
        inputs, labels = inputs.to(device), labels.to(device)  # every batch, every step
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        steps += 1
    return steps


def measure_accuracy(model: nn.Module, test_loader, device: torch.device, first: int = 4) -> Evaluation:
    """The course's chapter-十八 test pass, with torch.max(outputs.data, 1) checked against outputs.argmax(1)."""
    model.eval()
    shown: list[tuple[float, int]] | None = None
    with torch.no_grad():
        correct = total = same = 0
        for inputs, labels in test_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            outputs = model(inputs)
            # The course writes `_, predicted = …`: torch.max over dim 1 gives (largest value, its index) per row.
            # `.data` is the tensor without its autograd history; under no_grad() there is none (today: .detach()).
            values, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
            same += (predicted == outputs.argmax(1)).sum().item()
            shown = shown or list(zip(values[:first].tolist(), predicted[:first].tolist()))
    return Evaluation(correct, total, same, shown or [])


def momentum_buffer_device(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> str:
    """Where SGD with momentum creates its buffer: one step on a copy of the model (the model stays as it is)."""
    probe = copy.deepcopy(model)
    optimizer = torch.optim.SGD(probe.parameters(), lr=LEARNING_RATE, momentum=0.9)
    nn.functional.cross_entropy(probe(x), y).backward()
    optimizer.step()
    return str(optimizer.state[next(probe.parameters())]["momentum_buffer"].device)


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
        for _pass in range(repeats):
            model(x)
        synchronize(device)  # without this the clock would stop before the accelerator has done the work
        seconds = time.perf_counter() - start
    return Timing(str(device), x.shape[0], repeats, seconds, x.shape[0] * repeats / seconds)


def compare_logits(model: nn.Module, x: torch.Tensor, device: torch.device) -> float:
    """Largest |difference| between the logits of the same model and batch on the CPU and on `device`.

    Plain float32 on both sides: on CUDA, cuDNN and matmuls may otherwise use TF32 (a 10-bit mantissa, ~1e-3 off).
    """
    matmul = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        with torch.inference_mode(), torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True,
                                                                allow_tf32=False):
            on_cpu = copy.deepcopy(model).cpu().eval()(x.cpu())
            on_device = copy.deepcopy(model).to(device).eval()(x.to(device))
    finally:
        torch.set_float32_matmul_precision(matmul)
    return (on_cpu - on_device.cpu()).abs().max().item()


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto",
        report: Callable[[str], None] | None = None) -> Result:
    gpu_look = look_at_gpu()
    target = pick_device(device)  # instead of the course's cuda-or-cpu: knows MPS and XPU, explains errors
    data = find_cifar10(data_dir)
    train_loader, test_loader = make_loaders(data)
    x = data.test.images[:BATCH].permute(0, 3, 1, 2).float().div(255)  # ToTensor's (256, 3, 32, 32) in [0, 1]
    seed_everything(SEED)
    model = Tudui(num_classes=len(data.classes))
    moved = model.to(target)  # a module moves in place (and returns itself) ...
    x_dev = x.to(target)  # ... a tensor does not: .to() returns a moved copy; keep it
    criterion = nn.CrossEntropyLoss().to(target)  # no tensors inside, so this moves nothing (harmless)
    # Build the optimiser after moving the model: it stores references to these parameter tensors.
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    keep_freed_memory()  # not in the course: no new memory from the OS every step (see device.py)
    start = time.perf_counter()
    steps = train_epoch(model, train_loader, criterion, optimizer, target)
    synchronize(target)
    seconds = time.perf_counter() - start
    evaluation = measure_accuracy(model, test_loader, target)
    if report is not None:  # progress: one line per epoch
        report(training_line(str(target), steps, seconds, evaluation))

    first = next(model.parameters())
    cpu_timing = time_forward(model, x, torch.device("cpu"))
    on_accelerator = target.type != "cpu"
    accelerator_timing = time_forward(model, x, target) if on_accelerator else None
    diff = compare_logits(model, x, target) if on_accelerator else None
    labels = data.test.labels[:BATCH].to(target)
    return Result(
        gpu_look=gpu_look, course_device=str(course_device()), device=str(target),
        device_name=describe_device(target).name, cuda_call=try_cuda_call(), model_device=str(first.device),
        data_device=str(x_dev.device), to_returns_same_model=moved is model,
        loss_fn_tensors=len(list(criterion.parameters())) + len(list(criterion.buffers())),
        optimizer_has_to=hasattr(optimizer, "to"),
        optimizer_holds_model_params=optimizer.param_groups[0]["params"][0] is first,
        sgd_state_tensors=sum(len(state) for state in optimizer.state.values()),
        momentum_buffer_device=momentum_buffer_device(model, x_dev[:BATCH_SIZE], labels[:BATCH_SIZE]),
        train_steps=steps, train_seconds=seconds, evaluation=evaluation,
        cpu_timing=cpu_timing, accelerator_timing=accelerator_timing,
        logits_max_diff=diff, logits_allclose=None if diff is None else diff <= LOGITS_TOLERANCE)


def training_line(device: str, steps: int, seconds: float, evaluation: Evaluation) -> str:
    return _("epoch 1 on {device}: {steps} steps in {seconds:.1f} s; {correct}/{total} test images correct").format(
        device=device, steps=steps, seconds=seconds, correct=evaluation.correct, total=evaluation.total)


def gpu_look_lines(look: GpuLook) -> list[str]:
    if look.command is None:
        return [_("no nvidia-smi (NVIDIA) and no system_profiler (macOS) on this machine: no graphics card to "
                  "look at this way")]
    if look.returncode is None:
        return [_("{command} did not answer within {seconds:.0f} s").format(command=look.command,
                                                                             seconds=TOOL_TIMEOUT_S)]
    lines = [_("{command} (first {count} lines, exit status {code}):").format(
        command=look.command, count=len(look.lines), code=look.returncode)]
    return lines + [f"  | {line}" for line in look.lines]


def _timing(t: Timing) -> str:
    return _("{rate:,.0f} images/s ({repeats} × {batch} images in {seconds:.3f} s)").format(
        rate=t.images_per_s, repeats=t.repeats, batch=t.batch_size, seconds=t.seconds)


def describe(result: Result) -> str:
    e = result.evaluation
    lines = [*gpu_look_lines(result.gpu_look),
             _("course's choice: {course}; pick_device: {device} ({name})").format(
                 course=result.course_device, device=result.device, name=result.device_name),
             _("course's .cuda() here: {outcome}").format(outcome=result.cuda_call),
             _("after .to({device}): model on {model}, batch on {batch}, model.to() returned the same model: "
               "{same}").format(device=result.device, model=result.model_device, batch=result.data_device,
                                same=result.to_returns_same_model),
             _("CrossEntropyLoss holds {count} tensors (nothing to move)").format(count=result.loss_fn_tensors),
             _("optimizer has .to(): {has_to}; holds the model's own parameters: {holds}; plain SGD keeps "
               "{state} state tensors; with momentum its buffer is made on {buffer}").format(
                 has_to=result.optimizer_has_to, holds=result.optimizer_holds_model_params,
                 state=result.sgd_state_tensors, buffer=result.momentum_buffer_device),
             training_line(result.device, result.train_steps, result.train_seconds, e),
             _("torch.max(outputs.data, 1) of the first test images: values {values}, indices {indices}; "
               "outputs.argmax(1) gives the same class for {same}/{total} images").format(
                 values="[" + ", ".join(f"{v:.3f}" for v, _i in e.first) + "]", indices=[i for _v, i in e.first],
                 same=e.same_as_argmax, total=e.total),
             _("forward pass on cpu: {timing}").format(timing=_timing(result.cpu_timing))]
    if result.accelerator_timing is None:
        lines.append(_("no accelerator here: nothing to compare the CPU with"))
    else:
        speedup = result.accelerator_timing.images_per_s / result.cpu_timing.images_per_s
        lines += [_("forward pass on {device}: {timing}, {speedup:.1f}× the CPU").format(
                      device=result.device, timing=_timing(result.accelerator_timing), speedup=speedup),
                  _("logits cpu vs {device}: largest difference {diff:.1e}, within {tolerance}: {ok}").format(
                      device=result.device, diff=result.logits_max_diff, tolerance=LOGITS_TOLERANCE,
                      ok=result.logits_allclose)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("gpu", argv)


if __name__ == "__main__":
    raise SystemExit(main())
