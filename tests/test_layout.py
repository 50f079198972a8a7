"""The package's shape: imports run downward only, no cycles, no lesson imports another, and the cheap entry
points (`import torchstart`, `torchstart --help`) load no torch. The graph is read from the source."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import import_graph  # noqa: E402

from torchstart.cli import build_parser  # noqa: E402
from torchstart.config import MODEL_NAMES, RESUMABLE_FIELDS, TRAIN_FLAGS, TrainConfig, field_path, recipe  # noqa: E402
from torchstart.models import MODELS  # noqa: E402

HEAVY = ("torch", "torchvision", "tensorboard", "torch.distributed", "numpy", "tqdm", "matplotlib", "cv2")
MAX_FILE_LINES = 310  # the aim is ~300; tools/doctor.py sits just over it (its text moves to catalogs next)
MAX_FUNCTION_LINES = 55  # the aim is ~50: a lesson's run() reads top to bottom like the chapter


@pytest.fixture(scope="module")
def edges():
    return import_graph.graph()


def test_every_module_sits_in_a_layer_and_imports_only_downward(edges):
    assert "training.job" in edges and "training.engine" in edges["training.job"]  # the graph is really read
    assert import_graph.violations(edges) == []


def test_the_checker_catches_an_upward_import_and_a_chapter_importing_a_chapter(edges):
    assert "course.kit" in edges["course.10_maxpool.checks"]  # chapter folders are in the graph
    broken = {**edges, "data.loader": edges["data.loader"] | {"training.engine"},
              "course.10_maxpool.checks": edges["course.10_maxpool.checks"] | {"course.09_conv.checks"}}
    assert import_graph.violations(broken) == [
        "chapter course.10_maxpool.checks imports chapter course.09_conv.checks",
        "data.loader imports training.engine, a higher layer"]


def test_there_are_no_import_cycles(edges):
    assert import_graph.cycles(edges) == []
    assert import_graph.cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]


@pytest.mark.parametrize("code", ["import torchstart", "import torchstart.cli",
                                  "import torchstart.cli; torchstart.cli.build_parser()"])
def test_cheap_entry_points_load_no_heavy_module(code):
    probe = f"{code}; import sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""


def test_help_prints_without_importing_torch():
    probe = ("import sys, contextlib, io\nfrom torchstart.cli import main\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
             "    main(['train', '--help'])\nprint('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"


def test_the_public_api_is_still_there_lazily():
    import torchstart

    assert torchstart.train.__module__ == "torchstart.training.job"
    assert torchstart.recipe("seed") == recipe("seed") and callable(torchstart.fit)
    with pytest.raises(AttributeError):
        torchstart.no_such_name  # noqa: B018


def test_model_names_for_the_cli_are_the_registry():
    assert tuple(MODELS) == MODEL_NAMES


def test_the_dataclass_defaults_are_the_seed_recipe_not_a_third_preset():
    assert TrainConfig() == recipe("seed") and TrainConfig().recipe == "seed"


def test_every_train_flag_names_a_config_field_and_argparse_takes_it_from_the_table():
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    by_option = {option: action for action in train._actions for option in action.option_strings}
    for flag in TRAIN_FLAGS:
        field_path(flag.field)  # raises ConfigError for a field that does not exist
        assert by_option[flag.name].dest == flag.field and by_option[flag.name].default is None
    assert set(by_option) - {f.name for f in TRAIN_FLAGS} == {"-h", "--help", "--resume", "--overwrite"}
    assert RESUMABLE_FIELDS == ("epochs", "device", "quiet")


def _shape(path: Path):
    import ast

    text = path.read_text(encoding="utf-8")
    functions = [(node.end_lineno - node.lineno + 1, node.name) for node in ast.walk(ast.parse(text))
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return len(text.splitlines()), functions


def test_files_and_functions_stay_short():
    # a chapter's lesson.py is a literate script, half prose, read top to bottom like a page: not library code
    for path in sorted(p for p in (ROOT / "src" / "torchstart").rglob("*.py") if p.name != "lesson.py"):
        lines, functions = _shape(path)
        assert lines <= MAX_FILE_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concern"
        for length, name in functions:
            assert length <= MAX_FUNCTION_LINES, f"{path.relative_to(ROOT)}:{name} is {length} lines"
