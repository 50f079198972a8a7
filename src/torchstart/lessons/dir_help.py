"""Lesson 2 — dir() and help() from code (课程第三章：两大工具函数).

中文：`dir()` 列出一个对象里有哪些名字，`help()` 显示它的说明文档。本课在代码里使用这两个工具：不带参数的
`dir()` 列出当前作用域里的名字；`dir(math)` 看一个标准库模块；`dir(torch.utils.data)` 找到 `Dataset` 和
`DataLoader`，判断每个名字是类、函数还是模块；再把 `help(Dataset)` 的文字取出来，看到文档要求子类实现
`__getitem__`；对自己写的类调用 `help()`，看到自己写的文档字符串。最后演示一个常见错误：
`help(torch.cuda.is_available())` 多写了一对括号，看到的是布尔值的帮助。

English: `dir()` lists the names an object holds and `help()` shows its documentation. This lesson uses both
from code: `dir()` with no argument lists the names of the current scope; `dir(math)` looks into a standard
module; `dir(torch.utils.data)` finds `Dataset` and `DataLoader`, each name is classified as a class, a
function or a module, and the text of `help(Dataset)` is captured to see that subclasses must implement
`__getitem__`; `help()` on a class of your own shows the docstrings you wrote. Last, a common slip:
`help(torch.cuda.is_available())` has one pair of brackets too many and shows the help of a bool.
"""

from __future__ import annotations

import inspect
import math
import pydoc
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch
import torch.utils.data
from torch.utils.data import Dataset

from ..i18n import N_, _
from .runner import lesson_main

# Names worth looking up, as (where, name): each one is found with dir() and then classified.
LOOKUPS = [(torch.utils.data, "Dataset"), (torch.utils.data, "DataLoader"), (torch.utils.data, "random_split"),
           (torch, "cuda"), (torch.cuda, "is_available")]
MATH_LOOKUPS = [(math, "pi"), (math, "sin"), (math, "cos"), (math, "sqrt")]  # the names the course points at
KIND_NAMES = {"class": N_("class"), "function": N_("function"), "module": N_("module")}


class Thermometer:
    """Holds one temperature in degrees Celsius (保存一个摄氏温度).

    A class you write yourself: help() shows this docstring, then each method with its own.
    """

    def __init__(self, celsius=20.0):  # no type hints here: with them help() would show them as strings
        self.celsius = celsius

    def fahrenheit(self):
        """The same temperature in degrees Fahrenheit (换算成华氏度)."""
        return self.celsius * 9 / 5 + 32


@dataclass
class Lookup:
    name: str  # dotted, e.g. "torch.cuda.is_available"
    found: bool  # listed by dir() of its parent
    kind: str  # "class" | "function" | "module" | the type's name for anything else


@dataclass
class Result:
    scope_names: list[str]  # dir() with no argument, called inside names_in_scope(): that function's names
    math_name_count: int  # public names in dir(math)
    math_lookups: list[Lookup]
    data_names: list[str]  # public names in torch.utils.data: dir() without the _private ones
    torch_name_count: int  # how many public names dir(torch) lists — too many to read, so filter
    lookups: list[Lookup]
    dataset_methods: list[str]  # dunder methods dir(Dataset) lists among __getitem__, __len__, __add__
    dataset_help_title: str  # first line of help(Dataset)
    dataset_help_getitem: list[str]  # the lines of help(Dataset) that mention __getitem__
    dataset_help_lines: int
    own_class_help: list[str]  # help(Thermometer) up to Python's own boilerplate: your docstrings are in it
    is_available_help_title: str  # help(torch.cuda.is_available)
    called_by_mistake_title: str  # help(torch.cuda.is_available()) — the bool it returned


def names_in_scope(data: list[int], batch_size: int = 3) -> list[str]:
    """dir() with no argument: the names of the scope it is called in — here this function's own names."""
    def my_function():  # defined here, so dir() lists it next to the two parameters
        pass
    return dir()  # ['batch_size', 'data', 'my_function']


def public_names(obj: object) -> list[str]:
    """dir(obj) without the names that start with an underscore (private, or Python's own dunders)."""
    return [name for name in dir(obj) if not name.startswith("_")]


def kind_of(obj: object) -> str:
    if inspect.isclass(obj):
        return "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "function"
    if inspect.ismodule(obj):
        return "module"
    return type(obj).__name__


def look_up(parent: ModuleType, name: str) -> Lookup:
    dotted = f"{parent.__name__}.{name}"
    if name not in dir(parent):
        return Lookup(dotted, False, "missing")
    return Lookup(dotted, True, kind_of(getattr(parent, name)))


def help_text(obj: object) -> str:
    """Exactly what help(obj) prints, as a string: pydoc renders it and help() only pipes it to a pager."""
    return pydoc.render_doc(obj, "Help on %s:", renderer=pydoc.plaintext)  # not text: Python's own title


def own_part(help_lines: list[str]) -> list[str]:
    """help() of your own class up to the line of dashes: below it, Python lists __dict__ and __weakref__."""
    lines = [line.rstrip() for line in help_lines]
    lines = lines[:next((i for i, line in enumerate(lines) if line.lstrip(" |").startswith("---")), len(lines))]
    while lines and lines[-1].strip(" |") == "":  # the empty " |" lines before the dashes
        lines.pop()
    return lines


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    dataset_help = help_text(Dataset).splitlines()
    return Result(
        scope_names=names_in_scope([1, 2, 3]),
        math_name_count=len(public_names(math)),
        math_lookups=[look_up(parent, name) for parent, name in MATH_LOOKUPS],
        data_names=public_names(torch.utils.data),
        torch_name_count=len(public_names(torch)),
        lookups=[look_up(parent, name) for parent, name in LOOKUPS],
        dataset_methods=[name for name in ("__getitem__", "__len__", "__add__") if name in dir(Dataset)],
        dataset_help_title=dataset_help[0],
        dataset_help_getitem=[line.strip(" |") for line in dataset_help if "__getitem__" in line],
        dataset_help_lines=len(dataset_help),
        own_class_help=own_part(help_text(Thermometer).splitlines()),
        is_available_help_title=help_text(torch.cuda.is_available).splitlines()[0],
        called_by_mistake_title=help_text(torch.cuda.is_available()).splitlines()[0],
    )


def lookup_lines(lookups: list[Lookup]) -> list[str]:
    lines = []
    for item in lookups:
        kind = KIND_NAMES.get(item.kind, item.kind)  # class, function, module in the learner's language
        shown = _(kind) if item.found else _("not in dir()")
        lines.append(f"    {item.name}: {shown}")
    return lines


def describe(result: Result) -> str:
    lines = [_("dir() inside names_in_scope(data, batch_size=3): {names}").format(names=result.scope_names),
             _("dir(math): {count} public names, among them").format(count=result.math_name_count),
             *lookup_lines(result.math_lookups),
             _("dir(torch.utils.data), public names ({count}):").format(count=len(result.data_names)),
             "    " + ", ".join(result.data_names),
             _("dir(torch) lists {count} public names — filter them, e.g. "
               "[n for n in dir(torch) if 'cuda' in n]").format(count=result.torch_name_count),
             *lookup_lines(result.lookups)]
    note = "" if "__len__" in result.dataset_methods else _(" — no __len__: your subclass adds it")  # not text
    lines.append(_("dir(Dataset) has {methods}{note}").format(methods=", ".join(result.dataset_methods), note=note))
    lines.append(_("help(Dataset): {count} lines, starting '{title}'").format(
        count=result.dataset_help_lines, title=result.dataset_help_title))
    lines += [f"    {line}" for line in result.dataset_help_getitem]
    lines.append(_("help(Thermometer), a class defined in this lesson — its docstrings show:"))
    lines += [f"    {line}".rstrip() for line in result.own_class_help]
    lines.append(_("help(torch.cuda.is_available)   → {title}").format(title=result.is_available_help_title))
    lines.append(_("help(torch.cuda.is_available()) → {title}  (the brackets called it)").format(
        title=result.called_by_mistake_title))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("dir_help", argv)


if __name__ == "__main__":
    raise SystemExit(main())
