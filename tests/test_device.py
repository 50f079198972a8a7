import pytest
import torch

from torchstart import device as dev
from torchstart.errors import DeviceError


def test_auto_is_cpu_without_accelerator(monkeypatch):
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: False)
    assert dev.pick_device("auto") == torch.device("cpu")


def test_auto_follows_torch_accelerator(monkeypatch):
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: True)
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda: torch.device("mps"))
    assert dev.pick_device("auto") == torch.device("mps")


def test_auto_falls_back_to_manual_checks_on_old_torch(monkeypatch):
    monkeypatch.delattr(torch, "accelerator")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.pick_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert dev.pick_device("auto") == torch.device("mps")


@pytest.mark.parametrize("name", ["cuda", "mps", "xpu"])
def test_named_unavailable_device_is_a_clear_error(monkeypatch, name):
    monkeypatch.setattr(dev, "_kind_available", lambda kind: kind == "cpu")
    with pytest.raises(DeviceError, match=f"--device {name} was asked for.*fix: use --device auto"):
        dev.pick_device(name)


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "tpu"])
def test_unknown_device_name(name):
    with pytest.raises(DeviceError, match="unknown device"):
        dev.pick_device(name)


def test_cpu_always_works():
    assert dev.pick_device("CPU") == torch.device("cpu")


def test_seed_everything_repeats_draws():
    dev.seed_everything(123)
    a = (torch.rand(3), torch.randint(0, 100, (3,)))
    dev.seed_everything(123)
    b = (torch.rand(3), torch.randint(0, 100, (3,)))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    dev.seed_everything(124)
    assert not torch.equal(a[0], torch.rand(3))


def test_precision_resolution(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert dev.resolve_precision("auto", cpu) is None
    assert dev.resolve_precision("fp32", cuda) is None
    assert dev.resolve_precision("bf16", cpu) is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert dev.resolve_precision("auto", cuda) is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert dev.resolve_precision("auto", cuda) is torch.float16
    with pytest.raises(DeviceError):
        dev.resolve_precision("int8", cpu)


def test_precision_names():
    assert [dev.precision_name(d) for d in (None, torch.bfloat16, torch.float16)] == ["fp32", "bf16", "fp16"]


def test_describe_cpu():
    info = dev.describe_device(torch.device("cpu"))
    assert info.device == "cpu" and "CPU" in info.name and info.torch_version == torch.__version__
