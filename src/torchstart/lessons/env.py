"""Lesson 1 — check the environment (课程第二章、第十八至二十章：环境配置与 GPU).

中文：安装好之后先确认几件事：现在运行的是哪个 Python 解释器（`sys.executable`、`sys.prefix`），它属于 conda 环境、
venv 还是系统自带的 Python；torch 和 torchvision 的版本；这个 torch 编译时带没带 CUDA、MPS、XPU 支持，现在能不能用；
以及 `--device auto` 会选中哪个设备（调用 `torchstart.device.pick_device`，和训练用的是同一套逻辑）。本课还列出课程
第二章的 conda 命令（创建、激活、删除环境，往里面装 torch），供你自己在终端里输入——本课不会替你运行 conda。
最后在选中的设备上做一次小矩阵乘法，搬回 CPU 和 CPU 上的结果比对——能算对，环境才算真的可用。

English: after installing, check a few things: which Python interpreter runs (`sys.executable`, `sys.prefix`)
and whether it belongs to a conda env, a venv or the system's Python; the torch and torchvision versions;
whether this torch was built with CUDA, MPS and XPU support and whether each is usable now; and which device
`--device auto` picks (through `torchstart.device.pick_device`, the same logic training uses). The lesson also
lists the conda commands of the course's chapter 二 (create, activate and remove an env, install torch into
it) for you to type in a terminal — it never runs conda itself. Then it runs a small matrix product on that
device, brings it back and compares it with the CPU's answer — only a correct result proves the setup works.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision

from ..device import Backend, DeviceCheck, backends, check_device, describe_device, pick_device, usable_accelerator
from ..i18n import N_, _
from ._shared import course_device
from .runner import lesson_main

ENV_NAME = "pytorch"  # the course's environment name
CONDA_PYTHON = "3.11"  # the course created 3.8, then 3.9; torch wheels today need Python 3.10 or newer
# The course's conda commands (chapter 二), in the order you type them: (what it does, the command).
# torch comes from PyPI: the conda "pytorch" channel the course installed from is no longer updated
# (its last release is 2.5).
CONDA_COMMANDS = (
    (N_("make an environment with its own Python (today's torch needs 3.10 or newer)"),
     "conda create -n {env} python={python}"),
    (N_("switch this terminal to it: the prompt then starts with ({env})"), "conda activate {env}"),
    (N_("install torch into it (the conda pytorch channel stopped at 2.5)"), "pip install torch torchvision"),
    (N_("check that its Python is the one that runs now"), 'python -c "import sys; print(sys.executable)"'),
    (N_("list every environment; * marks the active one"), "conda env list"),
    (N_("leave it, back to base"), "conda deactivate"),
    (N_("delete it with everything installed in it (run from base)"), "conda remove --name {env} --all"),
    (N_("or: this project's whole environment in one step"), "conda env create -f environment.yml"),
)

ENV_KINDS = {"conda": N_("{prefix} — a conda environment (the folder holds conda-meta/)"),
             "venv": N_("{prefix} — a venv, made from the Python in {base}"),
             "system": N_("{prefix} — the system's own Python, in no environment")}


@dataclass
class Result:
    executable: str  # sys.executable: the interpreter running this lesson — the one an IDE must be set to
    prefix: str  # sys.prefix: the environment that interpreter belongs to
    base_prefix: str  # sys.base_prefix: the Python a venv was made from (equal to prefix outside a venv)
    env_kind: str  # "conda" | "venv" | "system"
    conda_env: str | None  # CONDA_DEFAULT_ENV: the env `conda activate` chose in this shell, None without conda
    conda_prefix: str | None  # CONDA_PREFIX: that env's folder
    conda_env_runs: bool  # the activated conda env is the one running this lesson
    conda_commands: list[str]  # the course's conda commands, for you to type (never run here)
    python_version: str
    torch_version: str
    torchvision_version: str
    cuda_version: str | None  # the CUDA toolkit this torch was built against (None for CPU and MPS builds)
    backends: list[Backend]
    accelerator_api: bool  # torch.accelerator exists (PyTorch ≥ 2.6): one API for CUDA, ROCm, MPS and XPU
    accelerator: str | None  # the accelerator torch.accelerator reports as usable, None when there is none
    course_device: str  # what the course's one-line device choice (chapter 二十) gives here
    device: str  # what pick_device chose — the same as `--device auto` when device="auto"
    device_name: str  # GPU model or CPU description
    check: DeviceCheck


def environment_kind(prefix: Path, base_prefix: Path) -> str:
    """"conda" when the folder holds conda-meta/ (every conda env has one, base too); "venv" when sys.prefix
    is not sys.base_prefix (python -m venv, virtualenv, uv); otherwise "system" (no environment at all)."""
    if (prefix / "conda-meta").is_dir():
        return "conda"
    return "venv" if prefix.resolve() != base_prefix.resolve() else "system"


def conda_commands(python: str = CONDA_PYTHON, env: str = ENV_NAME) -> list[str]:
    return [command.format(env=env, python=python) for _note, command in CONDA_COMMANDS]


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    chosen = pick_device(device)
    conda_prefix = os.environ.get("CONDA_PREFIX") or None  # set by `conda activate`, like CONDA_DEFAULT_ENV
    return Result(
        executable=sys.executable,
        prefix=sys.prefix,
        base_prefix=sys.base_prefix,
        env_kind=environment_kind(Path(sys.prefix), Path(sys.base_prefix)),
        conda_env=os.environ.get("CONDA_DEFAULT_ENV") or None,
        conda_prefix=conda_prefix,
        conda_env_runs=conda_prefix is not None and Path(conda_prefix).resolve() == Path(sys.prefix).resolve(),
        conda_commands=conda_commands(),
        python_version=platform.python_version(),
        torch_version=torch.__version__,
        torchvision_version=torchvision.__version__,
        cuda_version=torch.version.cuda,
        backends=backends(),
        accelerator_api=hasattr(torch, "accelerator"),
        accelerator=usable_accelerator(),
        course_device=str(course_device()),
        device=str(chosen),
        device_name=describe_device(chosen).name,
        check=check_device(chosen),
    )


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")


def interpreter_lines(result: Result) -> list[str]:
    """Which Python runs, what kind of environment it is in, and what conda says about this shell."""
    lines = [_("this Python: {executable}  (sys.executable)").format(executable=result.executable),
             _("its environment: {kind}").format(
                 kind=_(ENV_KINDS[result.env_kind]).format(prefix=result.prefix, base=result.base_prefix))]
    if result.conda_env is None:
        lines.append(_("conda: no environment is activated in this shell (CONDA_DEFAULT_ENV is not set)"))
    elif result.conda_env_runs:
        lines.append(_("conda: {env} is activated, and it is the one running this lesson").format(
            env=result.conda_env))
    else:
        lines.append(_("conda: {env} is activated in this shell ({prefix}), but another Python runs this lesson "
                       "— activating does not change the interpreter a venv or an IDE uses").format(
                           env=result.conda_env, prefix=result.conda_prefix))
    lines.append(_("the course's conda commands, to type in a terminal (this lesson does not run them):"))
    width = max(len(command) for command in result.conda_commands)
    for (note, _command), command in zip(CONDA_COMMANDS, result.conda_commands):
        lines.append(f"    {command:<{width}}  # {_(note).format(env=ENV_NAME)}")
    lines.append(_("in PyCharm or VS Code, choose this interpreter: {executable}").format(
        executable=result.executable))
    return lines


def describe(result: Result) -> str:
    lines = interpreter_lines(result)
    lines.append(_("python {python}, torch {torch}, torchvision {torchvision}, CUDA build {cuda}").format(
        python=result.python_version, torch=result.torch_version, torchvision=result.torchvision_version,
        cuda=result.cuda_version or _("none")))
    for b in result.backends:
        lines.append(_("    {name:<5} built: {built:<4} available: {available}").format(
            name=b.name, built=_yes(b.built), available=_yes(b.available)))
    api = _("present") if result.accelerator_api else _("missing (PyTorch < 2.6)")
    lines.append(_("torch.accelerator: {api}; usable accelerator: {accelerator}").format(
        api=api, accelerator=result.accelerator or _("none")))
    lines.append(_("device: {device} ({name}); the course's one-liner picks {course}").format(
        device=result.device, name=result.device_name, course=result.course_device))
    check = result.check
    if check.ok:
        line = _("matmul on {device}: {got} equals the CPU result — ok")
    elif check.error:
        line = _("matmul on {device} FAILED: {error}")
    else:
        line = _("matmul on {device} is WRONG: {got}, the CPU says {expected}")
    lines.append(line.format(device=check.device, got=check.got, error=check.error, expected=check.expected))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("env", argv)


if __name__ == "__main__":
    raise SystemExit(main())
