"""Files from strangers: no torchstart command ever runs code hidden in a .pth, .pt or .npz file.

Two guarantees: every loader in the package is a weights-only / pickle-free one (checked in the
source), and crafted files whose payload demonstrably runs under plain `torch.load` are refused by
`evaluate` and `predict` in one line, with the payload never running.
"""

import ast
import os
import subprocess
from pathlib import Path

import pytest
import torch
from PIL import Image

import torchstart
from torchstart.cli import main
from torchstart.models import Tudui

SRC = Path(torchstart.__file__).parent


def calls(tree: ast.AST, module: str, function: str):
    """Every call written `module.function(...)` in `tree`."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == function
                and isinstance(node.func.value, ast.Name) and node.func.value.id == module):
            yield node


def keyword(call: ast.Call, name: str):
    return next((kw.value.value for kw in call.keywords if kw.arg == name and isinstance(kw.value, ast.Constant)),
                None)


# (file, the path argument) of loads that may unpickle objects because the file was written a few lines
# earlier by the same code. Anything else must load with weights_only=True / allow_pickle=False.
TRUSTED_LOADS = {
    # Lesson 7 opens one file of the CIFAR-10 copy torchstart wrote itself, as the data set's own page shows how.
    ("course/07_datasets/lesson.py", "f"),
    # Lesson 17 saves a whole model itself, then shows that torch.load's default (weights only) refuses it.
    ("course/17_save_load/lesson.py", "'tudui_method1.pth'"),
}


def loader_problems(path: Path) -> list[str]:
    """Loads in `path` that could unpickle arbitrary objects, as "file:line what"."""
    tree, name = ast.parse(path.read_text(encoding="utf-8")), path.relative_to(SRC).as_posix()

    def flagged(call: ast.Call, problem: str) -> list[str]:
        trusted = bool(call.args) and (name, ast.unparse(call.args[0])) in TRUSTED_LOADS
        return [] if trusted else [f"{name}:{call.lineno} {problem}"]

    problems = [p for c in calls(tree, "torch", "load") if keyword(c, "weights_only") is not True
                for p in flagged(c, "torch.load without weights_only=True")]
    problems += [p for c in calls(tree, "np", "load") if keyword(c, "allow_pickle") is not False
                 for p in flagged(c, "np.load without allow_pickle=False")]
    return problems + [p for fn in ("load", "loads") for c in calls(tree, "pickle", fn)
                       for p in flagged(c, f"pickle.{fn}")]


def test_every_loader_in_the_package_is_weights_only():
    sources = sorted(SRC.rglob("*.py"))
    assert sum(1 for path in sources for _ in calls(ast.parse(path.read_text(encoding="utf-8")), "torch", "load"))
    problems = [problem for path in sources for problem in loader_problems(path)]
    assert not problems, problems


def test_the_source_check_catches_an_unsafe_load(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    (tmp_path / "course" / "17_save_load").mkdir(parents=True)
    (tmp_path / "course" / "17_save_load" / "lesson.py").write_text(
        "x = torch.load(p)\ny = torch.load(p, weights_only=False)\nz = np.load(p, allow_pickle=True)\n"
        "w = pickle.loads(b)\nok = torch.load(p, weights_only=True)\n"
        "mine = torch.load('tudui_method1.pth')\n")
    assert loader_problems(tmp_path / "course" / "17_save_load" / "lesson.py") == [
        "course/17_save_load/lesson.py:1 torch.load without weights_only=True",
        "course/17_save_load/lesson.py:2 torch.load without weights_only=True",
        "course/17_save_load/lesson.py:3 np.load without allow_pickle=False",
        "course/17_save_load/lesson.py:4 pickle.loads"]


class Payload:
    """Pickles as `func(*args)`: what a crafted file runs under plain torch.load."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


class ModelWithPayload(Tudui):
    def __init__(self, payload):
        super().__init__()
        self.extra = payload


def crafted(kind: str, marker: Path):
    return {
        # Looks like a torchstart checkpoint; its weights are a shell command.
        "os.system": {"format": "torchstart.checkpoint", "format_version": 1, "model_name": "tudui",
                      "model_state": Payload(os.system, f"touch '{marker}'")},
        "exec": {"format": "torchstart.checkpoint", "classes": [Payload(exec, f"open({str(marker)!r}, 'w')")]},
        "subprocess": [Payload(subprocess.call, ["touch", str(marker)])],
        # A whole pickled model (what the course's torch.save(model) writes), carrying a payload.
        "whole model": ModelWithPayload(Payload(open, str(marker), "w")),
    }[kind]


@pytest.fixture
def an_image(tmp_path) -> Path:
    path = tmp_path / "cat.png"
    Image.new("RGB", (32, 32), (120, 80, 40)).save(path)
    return path


@pytest.mark.parametrize("command", ["evaluate", "predict"])
@pytest.mark.parametrize("kind", ["os.system", "exec", "subprocess", "whole model"])
def test_crafted_checkpoints_are_refused_and_never_run(tmp_path, an_image, capsys, command, kind):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "downloaded.pth"
    torch.save(crafted(kind, marker), path)
    torch.load(path, weights_only=False)  # proof that the file is armed: plain torch.load runs the payload
    assert marker.exists()
    marker.unlink()

    argv = ["evaluate", str(path)] if command == "evaluate" else ["predict", str(path), str(an_image)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and captured.out == ""
    assert f"{path} needs full pickle to load, which could run code hidden in the file" in err
    assert "torchstart import-course-model" in err  # the way forward for a course file
    assert not marker.exists()


def test_a_whole_course_model_is_refused_by_predict_and_points_to_the_import(tmp_path, an_image, capsys):
    path = tmp_path / "tudui_9.pth"
    torch.save(Tudui(), path)
    assert main(["predict", str(path), str(an_image)]) == 2
    err = capsys.readouterr().err.strip()
    assert "GLOBAL torchstart.models.Tudui was not an allowed global" in err
    assert "torchstart import-course-model OLD.pth NEW.pt" in err and len(err.splitlines()) == 1
