"""Lesson 2 (dir_help): dir() with and without an argument, dir(math), help() text of torch's and our own
classes, captured and read."""

import contextlib
import io
import math

import torch
from torch.utils.data import DataLoader, Dataset

from torchstart.lessons.dir_help import Thermometer, help_text, kind_of, names_in_scope, own_part, public_names


def test_dir_without_an_argument_lists_the_names_of_its_scope(lesson_result):
    assert lesson_result("dir_help").scope_names == ["batch_size", "data", "my_function"]
    assert names_in_scope([]) == ["batch_size", "data", "my_function"]  # names, not values

    def another(x):
        y = x + 1
        return dir(), y

    assert another(1)[0] == ["x", "y"]


def test_dir_of_math(lesson_result):
    result = lesson_result("dir_help")
    assert result.math_name_count == len([n for n in dir(math) if not n.startswith("_")]) > 40
    kinds = {item.name: (item.found, item.kind) for item in result.math_lookups}
    assert kinds == {"math.pi": (True, "float"), "math.sin": (True, "function"), "math.cos": (True, "function"),
                     "math.sqrt": (True, "function")}


def test_help_on_our_own_class_shows_its_docstrings(lesson_result):
    own = lesson_result("dir_help").own_class_help
    assert own[0] == "Help on class Thermometer in module torchstart.lessons.dir_help:"
    text = "\n".join(own)
    assert Thermometer.__doc__.splitlines()[0] in text  # the class docstring, as written
    assert "fahrenheit(self)" in text and Thermometer.fahrenheit.__doc__ in text
    assert "__weakref__" not in text and not own[-1].strip(" |") == ""  # Python's boilerplate is cut off
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        help(Thermometer)
    assert own_part(printed.getvalue().splitlines()) == own  # the same text help() prints
    assert Thermometer(100).fahrenheit() == 212


def test_dir_finds_dataset_and_dataloader(lesson_result):
    result = lesson_result("dir_help")
    assert {"Dataset", "DataLoader", "random_split", "ConcatDataset"} <= set(result.data_names)
    assert not any(name.startswith("_") for name in result.data_names)
    assert result.data_names == sorted(result.data_names)  # dir() sorts
    assert result.torch_name_count == len([n for n in dir(torch) if not n.startswith("_")]) > 500


def test_each_looked_up_name_has_its_kind(lesson_result):
    kinds = {item.name: (item.found, item.kind) for item in lesson_result("dir_help").lookups}
    assert kinds == {
        "torch.utils.data.Dataset": (True, "class"),
        "torch.utils.data.DataLoader": (True, "class"),
        "torch.utils.data.random_split": (True, "function"),
        "torch.cuda": (True, "module"),
        "torch.cuda.is_available": (True, "function"),
    }


def test_kind_of_other_objects():
    assert kind_of(len) == "function"  # a builtin
    assert kind_of(DataLoader) == "class"
    assert kind_of(torch.tensor(1.0)) == "Tensor"
    assert kind_of(3) == "int"


def test_dataset_has_getitem_but_no_len(lesson_result):
    result = lesson_result("dir_help")
    assert result.dataset_methods == ["__getitem__", "__add__"]
    assert "__len__" not in dir(Dataset)


def test_help_text_of_dataset_mentions_getitem(lesson_result):
    result = lesson_result("dir_help")
    assert result.dataset_help_title == "Help on class Dataset in module torch.utils.data.dataset:"
    assert result.dataset_help_getitem and all("__getitem__" in line for line in result.dataset_help_getitem)
    assert any("should overwrite" in line for line in result.dataset_help_getitem)
    assert result.dataset_help_lines > 20


def test_help_text_is_what_help_prints():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # not a terminal, so help() prints instead of paging
        help(Dataset)
    assert printed.getvalue().strip() == help_text(Dataset).strip()


def test_calling_the_function_inside_help_shows_the_help_of_its_result(lesson_result):
    result = lesson_result("dir_help")
    assert result.is_available_help_title == "Help on function is_available in module torch.cuda:"
    assert result.called_by_mistake_title == "Help on bool object:"


def test_public_names_of_a_small_class():
    class Tiny:
        def __init__(self):
            self.x = 10

        def my_method(self):
            pass

    names = public_names(Tiny())
    assert names == ["my_method", "x"]
    assert "__init__" in dir(Tiny()) and "__str__" in dir(Tiny())  # inherited from object, filtered out above
