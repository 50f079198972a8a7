"""Lesson 18 (gpu): looking at the GPU, device choice, the course's loop on the device, optimizer state, timings.

The lesson picks the accelerator when there is one, so these tests hold on a CPU-only machine and on a GPU one;
the CUDA checks are skipped without a CUDA GPU.
"""

import os
import shutil
import sys

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from torchstart.course import find_chapter
from torchstart.course.literate import cells
from torchstart.training.engine import TrainState, fit

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="fake tools are shell scripts")


@pytest.fixture(scope="module")
def run(lesson_run):
    return lesson_run(18)


@pytest.fixture(scope="module")
def ns(run):
    return run.namespace



def test_device_is_what_torch_accelerator_chooses(run, ns):
    expected = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
    assert ns["device"] == expected
    assert next(ns["tudui"].parameters()).device.type == ns["imgs_on_device"].device.type == expected.type
    # .to() returned a copy on the device; the batch itself stayed on the CPU
    assert run.output_of("imgs_on_device = ").splitlines()[1] == f"cpu {ns['imgs_on_device'].device}"
    # the course's cuda → mps → cpu expression agrees except where only torch.accelerator knows the device (XPU)
    if expected.type != "xpu":
        assert ns["course_device"] == expected
    if torch.cuda.is_available():
        assert ns["cuda_call"] == "works"
    else:  # a CPU-only build asserts; a CUDA build without a GPU or driver raises RuntimeError
        assert ns["cuda_call"].startswith(("RuntimeError", "AssertionError"))


def test_without_an_accelerator_there_is_only_the_cpu_timing(ns):
    has_accelerator = ns["device"].type != "cpu"
    assert list(ns["timings"]) == ["cpu"] + ([str(ns["device"])] if has_accelerator else [])
    assert (ns["logits_max_diff"] is not None) == has_accelerator


def test_cpu_timing_is_consistent(ns):
    cpu = ns["timings"]["cpu"]
    assert ns["x"].shape == (256, 3, 32, 32)
    assert cpu["seconds"] > 0 and cpu["images_per_s"] == pytest.approx(256 * 5 / cpu["seconds"])
    assert ns["model"] is not ns["tudui"]  # timed on a copy: the trained model is left as it is


def test_module_moves_in_place_and_the_loss_has_nothing_to_move(ns):
    assert ns["moved"] is ns["tudui"]
    assert ns["loss_fn_tensors"] == 0


def test_optimizer_has_no_to_and_its_state_follows_the_parameters(ns):
    assert ns["optimizer_to_error"] == "AttributeError: 'SGD' object has no attribute 'to'"
    assert ns["optimizer_holds_model_params"]
    assert ns["momentum_buffer_device"] == next(ns["tudui"].parameters()).device
    assert ns["sgd_state_tensors"] == 0  # plain SGD (the course's) keeps no state at all
    model = ns["Tudui"]()
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


def test_the_course_loop_trains_on_the_device_and_torch_max_equals_argmax(run, ns):
    assert (ns["train_data_size"], ns["test_data_size"]) == (2000, 500)
    assert ns["total_train_step"] == 32 and ns["train_seconds"] > 0  # 2,000 images in batches of 64
    assert ns["total"] == 500 and 0 <= ns["correct"] <= 500
    assert ns["same_as_argmax"] == ns["total"]  # torch.max(outputs.data, 1)[1] is outputs.argmax(1)
    values, indices = ns["first"]
    assert len(values) == len(indices) == 4 and all(0 <= index < 10 for index in indices)
    lines = run.output_of("total_train_step = 0").splitlines()
    assert [line.split(",")[0] for line in lines[:3]] == ["step 10", "step 20", "step 30"]
    assert lines[3].startswith(f"total_train_step=32 on {ns['device']}")


def test_torch_max_gives_the_largest_value_and_its_index():
    outputs = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2]], requires_grad=True)
    values, predicted = torch.max(outputs.data, 1)
    assert values.tolist() == [2.0, 3.0] and predicted.tolist() == [1, 0] == outputs.argmax(1).tolist()
    assert not values.requires_grad  # .data: no autograd history


def test_the_course_loop_gives_the_weights_engine_fit_gives(ns):
    """The same start, data and settings: the lesson's epoch and the production loop agree."""
    device = ns["device"]
    torch.manual_seed(0)
    model = ns["Tudui"]().to(device)
    history = fit(TrainState(model, torch.optim.SGD(model.parameters(), lr=0.01)),
                  DataLoader(ns["train_data"], batch_size=64), DataLoader(ns["test_data"], batch_size=64), device,
                  epochs=1, num_classes=10)
    assert history.step == ns["total_train_step"] == 32
    lesson = ns["tudui"].state_dict()
    for name, value in model.state_dict().items():  # cuDNN may pick other kernels on a GPU: a looser bound
        torch.testing.assert_close(value, lesson[name], rtol=0, atol=1e-6 if device.type == "cpu" else 1e-4,
                                   msg=name)
    if device.type == "cpu":
        assert history.epochs[0].test_accuracy == ns["correct"] / ns["total"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_logits_match_the_cpu(ns):
    assert ns["device"].type == "cuda" and ns["momentum_buffer_device"].type == "cuda"
    assert ns["total"] == 500 and ns["total_train_step"] == 32
    assert list(ns["timings"]) == ["cpu", str(ns["device"])]
    assert ns["logits_max_diff"] <= 1e-4


def test_without_a_gpu_tool_it_says_so(run, ns, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert ns["look_at_gpu"]() == (None, None, [])
    if ns["gpu_tool"] is None:
        assert run.output_of("look_at_gpu()").strip() == "no nvidia-smi and no system_profiler on this machine"


def _fake_tool(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@POSIX
def test_the_first_installed_tool_runs_and_its_first_lines_are_kept(ns, tmp_path, monkeypatch):
    look_at_gpu = ns["look_at_gpu"]
    _fake_tool(tmp_path, "system_profiler", 'echo "Graphics/Displays: $1"')
    monkeypatch.setenv("PATH", str(tmp_path))
    assert look_at_gpu() == ("system_profiler SPDisplaysDataType", 0, ["Graphics/Displays: SPDisplaysDataType"])
    _fake_tool(tmp_path, "nvidia-smi", "i=1; while [ $i -le 30 ]; do echo $i; i=$((i + 1)); done; exit 9")
    # nvidia-smi is found first; exit 9: no driver, as on a broken setup; 12 of its 30 lines are kept
    assert look_at_gpu() == ("nvidia-smi", 9, [str(i) for i in range(1, 13)])


@POSIX
def test_a_tool_that_hangs_is_stopped(ns, tmp_path, monkeypatch):
    _fake_tool(tmp_path, "nvidia-smi", "sleep 5")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin")
    assert ns["look_at_gpu"](timeout=0.3) == ("nvidia-smi", None, [])


def test_each_view_keeps_its_own_comments():
    chapter = find_chapter(18)
    zh = "\n".join(c.source for c in cells(chapter, "zh") if c.kind == "code")
    en = "\n".join(c.source for c in cells(chapter, "en") if c.kind == "code")
    assert "课程第二十章的写法" in zh and "the course's chapter-二十 expression" not in zh
    assert "the course's chapter-二十 expression" in en and "课程第二十章的写法" not in en
