"""Lesson 2 (dir_help): dir() finds the data classes, help() text is captured and read."""

import contextlib
import io

import torch
from torch.utils.data import DataLoader, Dataset

from torchstart.lessons.dir_help import help_text, kind_of, public_names


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
