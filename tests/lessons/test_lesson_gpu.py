"""Lesson 18 (gpu): device choice, moving model and data, optimiser state, and forward timings.

The default run uses `--device auto`, so these tests hold on a CPU-only machine and on a GPU one; the CUDA
comparison at the end is skipped without a CUDA GPU.
"""

import pytest
import torch
from torch import nn

from torchstart.device import pick_device
from torchstart.lessons._shared import course_device
from torchstart.lessons.gpu import Timing, compare_logits, run, time_forward
from torchstart.models import Tudui


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
    assert (result.speedup is not None) == has_accelerator
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
    assert result.accelerator_timing is not None and result.accelerator_timing.device == "cuda"
    assert result.logits_allclose and result.logits_max_diff <= 1e-4
