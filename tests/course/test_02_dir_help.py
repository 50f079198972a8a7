"""Lesson 2 (dir_help): dir() with and without an argument, dir(math), dir() of a class, torch.utils.data, and the
help() text of torch's and our own classes — read from the executed script."""

import contextlib
import io
import math

import pytest
import torch
from torch.utils.data import DataLoader, Dataset


@pytest.fixture(scope="module")
def run(lesson_run):
    return lesson_run(2)


@pytest.fixture(scope="module")
def ns(run):
    return run.namespace


def test_dir_without_an_argument_lists_the_names_of_its_scope(ns):
    assert ns["scope_names"] == ["batch_size", "data", "my_function"]
    assert ns["names_in_scope"]([]) == ["batch_size", "data", "my_function"]  # names, not values

    def another(x):
        y = x + 1
        return dir(), y

    assert another(1)[0] == ["x", "y"]


def test_dir_of_math(ns):
    assert ns["math_name_count"] == len([n for n in dir(math) if not n.startswith("_")]) > 40
    assert ns["math_kinds"] == {"math.pi": "float", "math.sin": "function", "math.cos": "function",
                                "math.sqrt": "function"}


def test_dir_of_the_course_class_and_its_public_names(ns):
    assert ns["my_class_names"] == ["my_method", "x"]
    assert {"__init__", "__str__"} <= set(dir(ns["obj"]))  # inherited from object, filtered out above


def test_help_on_our_own_class_shows_its_docstrings(run, ns):
    (cell,) = [c for c in run.cells if "help(Thermometer)" in c.cell.source]
    printed = cell.output
    assert printed.startswith("Help on class Thermometer in module __main__:")
    thermometer = ns["Thermometer"]
    assert thermometer.__doc__.splitlines()[0] in printed  # the class docstring, as written
    assert "fahrenheit(self)" in printed and thermometer.fahrenheit.__doc__ in printed
    assert printed.index("Methods defined here") < printed.index("-----") < printed.index("__weakref__")
    # help_text is what help() prints. While the script runs, its module is __main__, so pydoc finds the class and
    # shows __init__ with object.__init__'s inherited docstring; called here, after the run, it cannot.
    inherited = "\n |      Initialize self.  See help(type(self)) for accurate signature."
    assert inherited in printed
    assert ns["help_text"](thermometer).strip() in printed.replace(inherited, "")
    assert ns["fahrenheit"] == 212


def test_dir_finds_dataset_and_dataloader(ns):
    data_names = ns["data_names"]
    assert {"Dataset", "DataLoader", "random_split", "ConcatDataset"} <= set(data_names)
    assert not any(name.startswith("_") for name in data_names)
    assert data_names == sorted(data_names)  # dir() sorts
    assert ns["torch_name_count"] == len([n for n in dir(torch) if not n.startswith("_")]) > 500


def test_each_looked_up_name_has_its_kind(ns):
    assert ns["lookups"] == {
        "torch.utils.data.Dataset": "class",
        "torch.utils.data.DataLoader": "class",
        "torch.utils.data.random_split": "function",
        "torch.cuda": "module",
        "torch.cuda.is_available": "function",
    }


def test_kind_of_other_objects(ns):
    kind_of = ns["kind_of"]
    assert kind_of(len) == "function"  # a builtin
    assert kind_of(DataLoader) == "class"
    assert kind_of(torch) == "module"
    assert kind_of(torch.tensor(1.0)) == "Tensor"
    assert kind_of(3) == "int"


def test_dataset_has_getitem_but_no_len(ns):
    assert ns["dataset_methods"] == ["__getitem__", "__add__"]
    assert "__len__" not in dir(Dataset)


def test_help_text_of_dataset_mentions_getitem(ns):
    assert ns["dataset_help_title"] == "Help on class Dataset in module torch.utils.data.dataset:"
    getitem = ns["dataset_help_getitem"]
    assert getitem and all("__getitem__" in line for line in getitem)
    assert any("should overwrite" in line for line in getitem)
    assert len(ns["dataset_help"]) > 20


def test_help_text_is_what_help_prints(ns):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # not a terminal, so help() prints instead of paging
        help(Dataset)
    assert printed.getvalue().strip() == ns["help_text"](Dataset).strip()


def test_calling_the_function_inside_help_shows_the_help_of_its_result(ns):
    assert ns["is_available_help_title"] == "Help on function is_available in module torch.cuda:"
    assert ns["called_by_mistake_title"] == "Help on bool object:"
