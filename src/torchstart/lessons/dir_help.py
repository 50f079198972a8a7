"""Lesson 2 — dir() and help() from code (课程第三章：两大工具函数).

中文：`dir()` 列出一个对象里有哪些名字，`help()` 显示它的说明文档。本课在代码里使用这两个工具：
用 `dir(torch.utils.data)` 找到 `Dataset` 和 `DataLoader`，判断每个名字是类、函数还是模块，
再把 `help(Dataset)` 的文字取出来，看到文档要求子类实现 `__getitem__`。
最后演示一个常见错误：`help(torch.cuda.is_available())` 多写了一对括号，看到的是布尔值的帮助。

English: `dir()` lists the names an object holds and `help()` shows its documentation. This lesson uses both
from code: `dir(torch.utils.data)` finds `Dataset` and `DataLoader`, each name is classified as a class, a
function or a module, and the text of `help(Dataset)` is captured to see that subclasses must implement
`__getitem__`. Last, a common slip: `help(torch.cuda.is_available())` has one pair of brackets too many and
shows the help of a bool.
"""

from __future__ import annotations

import inspect
import pydoc
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch
import torch.utils.data
from torch.utils.data import Dataset

from .runner import lesson_main

# Names worth looking up, as (where, name): each one is found with dir() and then classified.
LOOKUPS = [(torch.utils.data, "Dataset"), (torch.utils.data, "DataLoader"), (torch.utils.data, "random_split"),
           (torch, "cuda"), (torch.cuda, "is_available")]


@dataclass
class Lookup:
    name: str  # dotted, e.g. "torch.cuda.is_available"
    found: bool  # listed by dir() of its parent
    kind: str  # "class" | "function" | "module" | the type's name for anything else


@dataclass
class Result:
    data_names: list[str]  # public names in torch.utils.data: dir() without the _private ones
    torch_name_count: int  # how many public names dir(torch) lists — too many to read, so filter
    lookups: list[Lookup]
    dataset_methods: list[str]  # dunder methods dir(Dataset) lists among __getitem__, __len__, __add__
    dataset_help_title: str  # first line of help(Dataset)
    dataset_help_getitem: list[str]  # the lines of help(Dataset) that mention __getitem__
    dataset_help_lines: int
    is_available_help_title: str  # help(torch.cuda.is_available)
    called_by_mistake_title: str  # help(torch.cuda.is_available()) — the bool it returned


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
    return pydoc.render_doc(obj, "Help on %s:", renderer=pydoc.plaintext)


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    dataset_help = help_text(Dataset).splitlines()
    return Result(
        data_names=public_names(torch.utils.data),
        torch_name_count=len(public_names(torch)),
        lookups=[look_up(parent, name) for parent, name in LOOKUPS],
        dataset_methods=[name for name in ("__getitem__", "__len__", "__add__") if name in dir(Dataset)],
        dataset_help_title=dataset_help[0],
        dataset_help_getitem=[line.strip(" |") for line in dataset_help if "__getitem__" in line],
        dataset_help_lines=len(dataset_help),
        is_available_help_title=help_text(torch.cuda.is_available).splitlines()[0],
        called_by_mistake_title=help_text(torch.cuda.is_available()).splitlines()[0],
    )


def describe(result: Result) -> str:
    lines = [f"dir(torch.utils.data), public names ({len(result.data_names)}):",
             "    " + ", ".join(result.data_names),
             f"dir(torch) lists {result.torch_name_count} public names — filter them, e.g. "
             "[n for n in dir(torch) if 'cuda' in n]"]
    lines += [f"    {item.name}: {item.kind if item.found else 'not in dir()'}" for item in result.lookups]
    note = "" if "__len__" in result.dataset_methods else " — no __len__: your subclass adds it"
    lines.append(f"dir(Dataset) has {', '.join(result.dataset_methods)}{note}")
    lines.append(f"help(Dataset): {result.dataset_help_lines} lines, starting '{result.dataset_help_title}'")
    lines += [f"    {line}" for line in result.dataset_help_getitem]
    lines.append(f"help(torch.cuda.is_available)   → {result.is_available_help_title}")
    lines.append(f"help(torch.cuda.is_available()) → {result.called_by_mistake_title}  (the brackets called it)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("dir_help", argv)


if __name__ == "__main__":
    raise SystemExit(main())
