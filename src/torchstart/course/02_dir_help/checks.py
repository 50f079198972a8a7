"""Exercise 2 (dir_help): `public_names` and `classes_in` on torch.utils.data, against dir() and isinstance."""

from __future__ import annotations

import inspect
from types import ModuleType

import torch.utils.data

from torchstart.course.kit import Check, Mistake, Wrong
from torchstart.i18n import N_, _

MODULE = torch.utils.data  # the chapter's example: where Dataset and DataLoader live


def _list(value: object, what: str) -> list:
    if not isinstance(value, list):
        raise Wrong(_("{what} returned {kind}: return a list of names").format(what=what, kind=type(value).__name__))
    return value


def check_public_names(ex: ModuleType) -> None:
    got = _list(ex.public_names(MODULE), "public_names")
    want = sorted(name for name in dir(MODULE) if not name.startswith("_"))
    private = [name for name in got if str(name).startswith("_")]
    if private:
        raise Wrong(_("{name!r} starts with _ (a private or special name): leave out the names that start with "
                      "_").format(name=private[0]))
    missing = [name for name in want if name not in got]
    if missing:
        raise Wrong(_("{name!r} is missing: keep every name of dir(obj) that does not start with _").format(
            name=missing[0]))
    if got != want:
        raise Wrong(_("the names are all there but not in order: return sorted(…)"))


def _kind(value: object) -> str:
    if inspect.ismodule(value):
        return _("a module")
    return _("a function") if callable(value) else type(value).__name__


def check_classes(ex: ModuleType) -> None:
    got = _list(ex.classes_in(MODULE), "classes_in")
    want = [name for name in dir(MODULE) if not name.startswith("_") and inspect.isclass(getattr(MODULE, name))]
    for name in got:
        value = getattr(MODULE, str(name), None)
        if str(name).startswith("_"):
            raise Wrong(_("{name!r} starts with _: classes_in keeps only public names").format(name=name))
        if not inspect.isclass(value):
            raise Wrong(_("{name!r} is {kind}, not a class: keep the names whose value is a class "
                          "(isinstance(value, type))").format(name=name, kind=_kind(value)))
    missing = [name for name in want if name not in got]
    if missing:
        raise Wrong(_("{name!r} is a class but missing from your list").format(name=missing[0]))
    if sorted(got) != sorted(want) or got != sorted(got):
        raise Wrong(_("the classes are there but not in order (or twice): return them sorted, once each"))


CHECKS = (
    Check(N_("public_names(torch.utils.data): dir() without the names that start with _, sorted"),
          check_public_names, ("public_names",)),
    Check(N_("classes_in(torch.utils.data): Dataset, DataLoader and the other classes, nothing else"), check_classes,
          ("classes_in",)),
)

MISTAKES = (
    Mistake(N_("private names (starting with _) kept"), 'for name in dir(obj) if not name.startswith("_")',
            "for name in dir(obj)", "starts with _"),
    Mistake(N_("callable() used to find classes: functions are callable too"),
            "isinstance(getattr(module, name), type)", "callable(getattr(module, name))", "not a class"),
)
