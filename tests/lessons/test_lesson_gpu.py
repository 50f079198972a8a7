"""Lesson 18 (gpu): looking at the GPU, device choice, the course's loop on the device, optimiser state, timings.

The default run uses `--device auto`, so these tests hold on a CPU-only machine and on a GPU one; the CUDA
checks at the end are skipped without a CUDA GPU.
"""

import copy
import os
import shutil
import sys

import pytest
import torch
from torch import nn

from torchstart.data import find_cifar10
from torchstart.device import pick_device
from torchstart.i18n import using
from torchstart.lessons._shared import course_device
from torchstart.lessons.gpu import (
    LEARNING_RATE,
    TOOL_LINES,
    GpuLook,
    Timing,
    compare_logits,
    describe,
    gpu_look_lines,
    look_at_gpu,
    make_loaders,
    measure_accuracy,
    run,
    time_forward,
    train_epoch,
)
from torchstart.models import Tudui
from torchstart.training.engine import TrainState, evaluate, fit

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="fake tools are shell scripts")


def test_device_is_what_pick_device_auto_chooses(lesson_result):
    result = lesson_result("gpu")
    expected = pick_device("auto")
    assert result.device == str(expected)
    assert result.model_device.split(":")[0] == result.data_device.split(":")[0] == expected.type
    # the course's cuda → mps → cpu expression agrees except where only torch.accelerator knows the device (XPU)
    assert result.course_device == str(course_device())
    if expected.type != "xpu":
        assert result.course_device == result.device
    if torch.cuda.is_available():
        assert result.cuda_call == "works"
    else:  # a CPU-only build asserts; a CUDA build without a GPU or driver raises RuntimeError
        assert result.cuda_call.startswith(("RuntimeError", "AssertionError"))


def test_without_an_accelerator_there_is_only_the_cpu_timing(lesson_result):
    result = lesson_result("gpu")
    has_accelerator = pick_device("auto").type != "cpu"
    assert (result.accelerator_timing is not None) == has_accelerator
    assert (result.logits_max_diff is not None) == (result.logits_allclose is not None) == has_accelerator
    if not has_accelerator:
        assert result.device == "cpu"


def test_cpu_timing_is_consistent(lesson_result):
    t = lesson_result("gpu").cpu_timing
    assert (t.device, t.batch_size, t.repeats) == ("cpu", 256, 5)
    assert t.seconds > 0
    assert t.images_per_s == pytest.approx(t.batch_size * t.repeats / t.seconds)


def test_module_moves_in_place_and_the_loss_has_nothing_to_move(lesson_result):
    result = lesson_result("gpu")
    assert result.to_returns_same_model
    assert result.loss_fn_tensors == 0


def test_optimizer_has_no_to_and_its_state_follows_the_parameters(lesson_result):
    result = lesson_result("gpu")
    assert result.optimizer_has_to is False
    assert result.optimizer_holds_model_params
    assert result.momentum_buffer_device == result.model_device
    assert result.sgd_state_tensors == 0  # plain SGD (the course's) keeps no state at all
    model = Tudui()
    for optimizer in (torch.optim.SGD(model.parameters(), lr=0.1), torch.optim.Adam(model.parameters())):
        assert not hasattr(optimizer, "to")
        with pytest.raises(AttributeError):
            optimizer.to("cpu")  # what the course's `optim = optim.to(device)` runs into


def test_optimizer_state_is_created_on_the_parameters_device():
    layer = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    assert optimizer.state_dict()["state"] == {}  # nothing until the first step
    layer(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    for p in layer.parameters():
        buffer = optimizer.state[p]["momentum_buffer"]
        assert buffer.device == p.device and buffer.shape == p.shape
        torch.testing.assert_close(buffer, p.grad)  # the first step's buffer is the gradient itself


def test_helpers_on_the_cpu():
    model, x = Tudui(), torch.randn(8, 3, 32, 32)
    timing = time_forward(model, x, torch.device("cpu"), repeats=2)
    assert isinstance(timing, Timing) and (timing.batch_size, timing.repeats) == (8, 2)
    assert model.training  # timing works on a copy; the model itself is untouched
    assert compare_logits(model, x, torch.device("cpu")) == 0.0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_logits_match_the_cpu(tmp_path):
    result = run(out=tmp_path, device="cuda")
    assert result.device == "cuda" and result.model_device.startswith("cuda")
    assert result.momentum_buffer_device == result.model_device
    assert result.evaluation.total == 500 and result.train_steps == 32
    assert result.accelerator_timing is not None and result.accelerator_timing.device == "cuda"
    assert result.logits_allclose and result.logits_max_diff <= 1e-4


def test_the_course_loop_trains_on_the_device_and_torch_max_equals_argmax(lesson_result):
    result = lesson_result("gpu")
    e = result.evaluation
    assert result.train_steps == 32 and result.train_seconds > 0  # 2,000 images in batches of 64
    assert e.total == 500 and 0 <= e.correct <= 500
    assert e.same_as_argmax == e.total  # torch.max(outputs.data, 1)[1] is outputs.argmax(1)
    assert len(e.first) == 4 and all(0 <= index < 10 for _value, index in e.first)


def test_torch_max_gives_the_largest_value_and_its_index():
    outputs = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2]], requires_grad=True)
    values, predicted = torch.max(outputs.data, 1)
    assert values.tolist() == [2.0, 3.0] and predicted.tolist() == [1, 0] == outputs.argmax(1).tolist()
    assert not values.requires_grad  # .data: no autograd history


@pytest.mark.parametrize("kind", ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU")])])
def test_the_course_loop_gives_the_weights_engine_fit_gives(kind):
    """One epoch on the same data, seed and settings: chapter 十八's loop and the production loop agree."""
    device = torch.device(kind)
    data = find_cifar10(None)
    torch.manual_seed(0)
    ours = Tudui().to(device)
    engines = copy.deepcopy(ours)
    with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True, allow_tf32=False):
        steps = train_epoch(ours, make_loaders(data)[0], nn.CrossEntropyLoss().to(device),
                            torch.optim.SGD(ours.parameters(), lr=LEARNING_RATE), device)
        history = fit(TrainState(engines, torch.optim.SGD(engines.parameters(), lr=LEARNING_RATE)),
                      *make_loaders(data), device, epochs=1, num_classes=10)
        evaluation = measure_accuracy(ours, make_loaders(data)[1], device)
        engine_result = evaluate(engines, make_loaders(data)[1], device, 10)
    assert steps == history.step == 32
    for name, value in ours.state_dict().items():
        torch.testing.assert_close(value, engines.state_dict()[name], rtol=0, atol=1e-6 if kind == "cpu" else 1e-5,
                                   msg=name)
    assert evaluation.correct / evaluation.total == engine_result.accuracy


def test_progress_is_reported_once_per_epoch(tmp_path):
    lines = []
    result = run(out=tmp_path, report=lines.append)
    assert lines == [f"epoch 1 on {result.device}: 32 steps in {result.train_seconds:.1f} s; "
                     f"{result.evaluation.correct}/500 test images correct"]


def test_without_a_gpu_tool_it_says_so(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    look = look_at_gpu()
    assert look == GpuLook(None, [], None)
    assert gpu_look_lines(look) == ["no nvidia-smi (NVIDIA) and no system_profiler (macOS) on this machine: no "
                                    "graphics card to look at this way"]
    assert gpu_look_lines(GpuLook("nvidia-smi", [], None)) == ["nvidia-smi did not answer within 10 s"]


def _fake_tool(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@POSIX
def test_the_first_installed_tool_runs_and_its_first_lines_are_kept(tmp_path, monkeypatch):
    _fake_tool(tmp_path, "system_profiler", 'echo "Graphics/Displays: $1"')
    monkeypatch.setenv("PATH", str(tmp_path))
    assert look_at_gpu() == GpuLook("system_profiler SPDisplaysDataType", ["Graphics/Displays: SPDisplaysDataType"], 0)
    _fake_tool(tmp_path, "nvidia-smi", "i=1; while [ $i -le 30 ]; do echo $i; i=$((i + 1)); done; exit 9")
    look = look_at_gpu()  # nvidia-smi is found first; exit 9: no driver, as on a broken setup
    assert (look.command, look.lines, look.returncode) == ("nvidia-smi", [str(i) for i in range(1, TOOL_LINES + 1)], 9)


@POSIX
def test_a_tool_that_hangs_is_stopped(tmp_path, monkeypatch):
    _fake_tool(tmp_path, "nvidia-smi", "sleep 5")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin")
    assert look_at_gpu(timeout=0.3) == GpuLook("nvidia-smi", [], None)


def test_describe_speaks_chinese(lesson_result):
    result = lesson_result("gpu")
    with using("zh"):
        text = describe(result)
    assert "优化器" in text and "测试集" in text and "torch.max(outputs.data, 1)" in text
    if result.gpu_look.command is None:
        assert text.splitlines()[0].startswith("这台机器上没有 nvidia-smi")
