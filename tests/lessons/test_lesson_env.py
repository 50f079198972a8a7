"""Lesson 1 (env): the interpreter and its environment, the course's conda commands, versions, accelerator
report, the auto device and a matmul on it."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision

from torchstart.device import pick_device
from torchstart.errors import DeviceError
from torchstart.lessons import env
from torchstart.lessons.env import environment_kind


def test_the_interpreter_is_the_one_running(lesson_result):
    result = lesson_result("env")
    assert result.executable == sys.executable and result.prefix == sys.prefix
    assert result.base_prefix == sys.base_prefix
    expected = ("conda" if (Path(sys.prefix) / "conda-meta").is_dir()
                else "venv" if sys.prefix != sys.base_prefix else "system")
    assert result.env_kind == expected
    text = env.describe(result)
    assert f"this Python: {sys.executable}" in text and f"choose this interpreter: {sys.executable}" in text


def test_environment_kind_from_the_folders(tmp_path):
    conda = tmp_path / "envs" / "pytorch"
    (conda / "conda-meta").mkdir(parents=True)
    venv, base = tmp_path / "venv", tmp_path / "python"
    venv.mkdir()
    base.mkdir()
    assert environment_kind(conda, conda) == "conda"  # an env made by `conda create`
    assert environment_kind(venv, base) == "venv"  # sys.prefix != sys.base_prefix
    assert environment_kind(base, base) == "system"


@pytest.mark.parametrize("conda_env, conda_prefix, expected, said", [
    (None, None, False, "no environment is activated in this shell"),
    ("pytorch", "RUNNING", True, "pytorch is activated, and it is the one running this lesson"),
    ("base", "ELSEWHERE", False, "base is activated in this shell"),
])
def test_what_conda_says_about_this_shell(monkeypatch, tmp_path, conda_env, conda_prefix, expected, said):
    for name, value in (("CONDA_DEFAULT_ENV", conda_env), ("CONDA_PREFIX", conda_prefix)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, {"RUNNING": sys.prefix, "ELSEWHERE": str(tmp_path)}.get(value, value))
    result = env.run(out=tmp_path)
    assert result.conda_env == conda_env and result.conda_env_runs is expected
    assert said in env.describe(result)


def test_the_course_conda_commands_are_shown_not_run(monkeypatch, tmp_path):
    def no_subprocess(*args, **kwargs):
        raise AssertionError("the lesson must not run conda (or anything else)")

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    result = env.run(out=tmp_path)
    assert result.conda_commands[:2] == ["conda create -n pytorch python=3.11", "conda activate pytorch"]
    assert {"conda deactivate", "conda remove --name pytorch --all", "pip install torch torchvision",
            "conda env create -f environment.yml"} <= set(result.conda_commands)
    text = env.describe(result)
    assert all(f"    {command}" in text for command in result.conda_commands)
    assert "the prompt then starts with (pytorch)" in text


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
