"""Lesson 1 (env): the interpreter and its environment, the course's conda commands, versions, accelerators, the
auto device and a matmul on it — read from the executed script; a few cells are run again under changed conditions."""

import re
import sys
from pathlib import Path

import pytest
import torch
import torchvision

import torchstart
from torchstart.course import find_chapter
from torchstart.course.literate import cells, code
from torchstart.errors import DeviceError

CHAPTER = find_chapter(1)


@pytest.fixture(scope="module")
def run(lesson_run):
    return lesson_run(1)


@pytest.fixture(scope="module")
def ns(run):
    return run.namespace


def rerun(ns: dict, marker: str) -> dict:
    """The code cell holding `marker`, run again on a copy of the script's namespace (as a learner re-runs one cell)."""
    (cell,) = [c for c in cells(CHAPTER, "en") if c.kind == "code" and marker in c.source]
    namespace = dict(ns)
    exec(compile(cell.source, f"<lesson 1, cell {cell.index}>", "exec"), namespace)
    return namespace



def test_the_interpreter_is_the_one_running(run, ns):
    printed = run.output_of("env_kind = environment_kind(")
    assert f"sys.executable={sys.executable!r}" in printed and f"sys.prefix={sys.prefix!r}" in printed
    assert f"sys.base_prefix={sys.base_prefix!r}" in printed
    expected = ("conda" if (Path(sys.prefix) / "conda-meta").is_dir()
                else "venv" if Path(sys.prefix).resolve() != Path(sys.base_prefix).resolve() else "system")
    assert ns["env_kind"] == expected


def test_environment_kind_from_the_folders(ns, tmp_path):
    environment_kind = ns["environment_kind"]
    conda = tmp_path / "envs" / "pytorch"
    (conda / "conda-meta").mkdir(parents=True)
    venv, base = tmp_path / "venv", tmp_path / "python"
    venv.mkdir()
    base.mkdir()
    assert environment_kind(conda, conda) == "conda"  # an env made by `conda create`
    assert environment_kind(venv, base) == "venv"  # sys.prefix != sys.base_prefix
    assert environment_kind(base, base) == "system"


@pytest.mark.parametrize("conda_env, conda_prefix, runs", [
    (None, None, False),  # no conda in this shell
    ("pytorch", "RUNNING", True),  # the activated env is the one running the lesson
    ("base", "ELSEWHERE", False),  # activated, but another Python runs the lesson
])
def test_what_conda_says_about_this_shell(ns, monkeypatch, tmp_path, conda_env, conda_prefix, runs):
    for name, value in (("CONDA_DEFAULT_ENV", conda_env), ("CONDA_PREFIX", conda_prefix)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, {"RUNNING": sys.prefix, "ELSEWHERE": str(tmp_path)}.get(value, value))
    again = rerun(ns, "CONDA_DEFAULT_ENV")
    assert again["conda_env"] == conda_env and again["conda_env_runs"] is runs


def bash_commands(lang: str) -> list[str]:
    """The commands of the conda block in the `lang` prose, comments cut off."""
    prose = "\n".join(c.source for c in cells(CHAPTER, lang) if c.kind == "markdown")
    (block,) = re.findall(r"```bash\n(.*?)```", prose, flags=re.S)
    return [line.split("  #")[0].strip() for line in block.splitlines()]


def test_the_course_conda_commands_are_shown_not_run():
    commands = bash_commands("en")
    assert commands == bash_commands("zh")  # the same commands in both views
    assert commands[:2] == ["conda create -n pytorch python=3.11", "conda activate pytorch"]
    assert {"conda deactivate", "conda remove --name pytorch --all", "pip install torch torchvision",
            "conda env list", "conda env create -f environment.yml"} <= set(commands)
    prose = "\n".join(c.source for c in cells(CHAPTER, "en") if c.kind == "markdown")
    assert "the prompt starts with (pytorch)" in prose and "stopped at 2.5" in prose
    script = code(CHAPTER, "en")
    assert "subprocess" not in script and "os.system" not in script  # the lesson never runs a command


def test_versions_are_the_installed_ones(ns):
    assert ns["torch_version"] == torch.__version__ and ns["torchvision_version"] == torchvision.__version__
    assert ns["cuda_version"] == torch.version.cuda
    assert ns["python_version"] == ".".join(map(str, sys.version_info[:3]))


def test_backends_report_what_torch_says(ns):
    backends = ns["backends"]
    assert list(backends) == ["cuda", "mps", "xpu"]
    assert backends["cuda"] == {"built": torch.backends.cuda.is_built(), "available": torch.cuda.is_available()}
    assert backends["mps"] == {"built": torch.backends.mps.is_built(),
                               "available": torch.backends.mps.is_available()}
    assert backends["xpu"]["available"] == torch.xpu.is_available()
    assert all(state["built"] for state in backends.values() if state["available"])  # usable implies built


def test_device_is_the_one_auto_picks_and_the_matmul_is_right(ns):
    assert ns["accelerator_api"] == hasattr(torch, "accelerator")
    assert ns["device"] == torchstart.pick_device("auto")
    assert ns["check_ok"] is True and ns["error"] is None
    # (2, 3) @ (3, 2) of 0..5, worked out by hand
    assert ns["expected"].tolist() == [[10, 13], [28, 40]]
    assert ns["got"].tolist() == [[10, 13], [28, 40]]
    assert ns["device_name"]
    if ns["device"].type in ("cpu", "cuda", "mps"):  # the course's one-liner knows no other kind
        assert ns["course_device"] == ns["device"]


def test_unavailable_backend_is_reported_as_such(ns, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    backends = rerun(ns, "backends = {")["backends"]
    assert not backends["cuda"]["available"] and not backends["mps"]["available"]
    assert rerun(ns, "course_device = ")["course_device"] == torch.device("cpu")


def test_without_torch_accelerator_the_fallback_still_agrees(ns, monkeypatch):
    # PyTorch < 2.6 has no torch.accelerator; pick_device then checks CUDA → MPS → XPU by hand
    expected = torchstart.pick_device("auto")
    monkeypatch.delattr(torch, "accelerator")
    again = rerun(ns, "accelerator_api = ")
    assert again["accelerator_api"] is False and again["accelerator"] is None
    assert torchstart.pick_device("auto") == expected == ns["device"]


def test_a_failing_device_is_reported_not_raised(ns, monkeypatch):
    def broken_to(self, *args, **kwargs):
        raise RuntimeError("CUDA error: no kernel image is available for execution on the device")

    monkeypatch.setattr(torch.Tensor, "to", broken_to)
    again = rerun(ns, "expected = x @ w")
    assert again["check_ok"] is False and again["got"] is None
    assert "no kernel image" in again["error"] and again["error"].startswith("RuntimeError: ")
    assert again["expected"].tolist() == [[10, 13], [28, 40]]


def test_asking_for_a_missing_device_is_a_clear_error(ns):
    missing = [name for name, state in ns["backends"].items() if not state["available"]]
    assert list(ns["missing_device_errors"]) == missing
    for name, message in ns["missing_device_errors"].items():
        assert f"--device {name}" in message and "--device auto" in message and "\n" not in message
        with pytest.raises(DeviceError, match=f"--device {name}"):
            torchstart.pick_device(name)


def test_the_chinese_view_keeps_chinese_comments():
    zh = code(CHAPTER, "zh")
    assert "# 没有 conda 时是 None" in zh and "None without conda" not in zh
