"""Lesson 1 (env): versions, accelerator report, the auto device and a matmul on it."""

import dataclasses

import pytest
import torch
import torchvision

from torchstart.device import pick_device
from torchstart.errors import DeviceError
from torchstart.lessons import env


def test_versions_are_the_installed_ones(lesson_result):
    result = lesson_result("env")
    assert result.torch_version == torch.__version__
    assert result.torchvision_version == torchvision.__version__
    assert result.cuda_version == torch.version.cuda


def test_backends_report_what_torch_says(lesson_result):
    by_name = {b.name: b for b in lesson_result("env").backends}
    assert set(by_name) == {"cuda", "mps", "xpu"}
    assert by_name["cuda"].built == torch.backends.cuda.is_built()
    assert by_name["cuda"].available == torch.cuda.is_available()
    assert by_name["mps"].built == torch.backends.mps.is_built()
    assert by_name["mps"].available == torch.backends.mps.is_available()
    assert by_name["xpu"].available == torch.xpu.is_available()
    # usable implies built
    assert all(b.built for b in by_name.values() if b.available)


def test_device_is_the_one_auto_picks_and_the_matmul_is_right(lesson_result):
    result = lesson_result("env")
    assert result.accelerator_api == hasattr(torch, "accelerator")
    assert result.device == str(pick_device("auto"))
    assert result.check.device == result.device
    assert result.check.ok and result.check.error is None
    # (2, 3) @ (3, 2) of 0..5, worked out by hand
    assert result.check.expected == [[10, 13], [28, 40]]
    assert result.check.got == [[10, 13], [28, 40]]
    if result.device in ("cpu", "cuda", "mps"):  # the course's one-liner knows no other kind
        assert result.course_device == result.device


def test_unavailable_backend_is_reported_as_such(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    by_name = {b.name: b for b in env.backends()}
    assert not by_name["cuda"].available and not by_name["mps"].available
    assert str(env.course_device()) == "cpu"


def test_without_torch_accelerator_the_fallback_still_agrees(monkeypatch, tmp_path):
    # PyTorch < 2.6 has no torch.accelerator; pick_device then checks CUDA → MPS → XPU by hand
    expected = str(pick_device("auto"))
    monkeypatch.delattr(torch, "accelerator")
    result = env.run(out=tmp_path)
    assert not result.accelerator_api and result.accelerator is None
    assert result.device == str(pick_device("auto")) == expected


def test_a_failing_device_is_reported_not_raised(monkeypatch, lesson_result):
    result = lesson_result("env")  # before the patch: the cached run must stay a real one

    def broken_to(self, *args, **kwargs):
        raise RuntimeError("CUDA error: no kernel image is available for execution on the device")

    monkeypatch.setattr(torch.Tensor, "to", broken_to)
    check = env.check_device(torch.device("cpu"))
    assert not check.ok and check.got is None
    assert "no kernel image" in check.error
    assert check.expected == [[10, 13], [28, 40]]
    assert "FAILED" in env.describe(dataclasses.replace(result, check=check))


def test_asking_for_a_missing_device_is_a_clear_error(tmp_path):
    missing = [b.name for b in env.backends() if not b.available]
    if not missing:
        pytest.skip("every accelerator kind is available here")
    with pytest.raises(DeviceError, match=f"--device {missing[0]}"):
        env.run(out=tmp_path, device=missing[0])
