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


class _Parent:
    def inherited(self) -> None:
        """A method the object's class inherits: dir() lists it, vars() does not."""


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
    child = type("Child", (_Parent,), {"own": 1})()
    child.mine = 2
    got = _list(ex.public_names(child), "public_names")
    if got != ["inherited", "mine", "own"]:
        raise Wrong(_("for an object with an attribute of its own, one of its class and one its class inherits, "
                      "public_names gave {got}, expected ['inherited', 'mine', 'own']: dir(obj) lists inherited "
                      "names too, vars(obj) does not").format(got=got))


def _kind(value: object) -> str:
    if inspect.ismodule(value):
        return _("a module")
    return _("a function") if callable(value) else type(value).__name__


def _made_up_module() -> ModuleType:
    """A module unlike torch.utils.data: a lower-case class, and upper-case names that are not classes."""
    module = ModuleType("shapes")
    module.circle = type("circle", (), {})
    module.Square = type("Square", (), {})
    module.SIZE = 3
    module.Helper = lambda: None
    module._Private = type("_Private", (), {})
    return module


def _compare_classes(ex: ModuleType, module: ModuleType) -> None:
    got = _list(ex.classes_in(module), "classes_in")
    want = [name for name in dir(module) if not name.startswith("_") and inspect.isclass(getattr(module, name))]
    for name in got:
        if str(name).startswith("_"):
            raise Wrong(_("{name!r} starts with _: classes_in keeps only public names").format(name=name))
        if not hasattr(module, str(name)):
            raise Wrong(_("classes_in({module}) gave {name!r}, which is not in that module: look in the module "
                          "given, not in a fixed one").format(module=module.__name__, name=name))
        value = getattr(module, str(name))
        if not inspect.isclass(value):
            raise Wrong(_("{name!r} is {kind}, not a class: keep the names whose value is a class "
                          "(isinstance(value, type))").format(name=name, kind=_kind(value)))
    missing = [name for name in want if name not in got]
    if missing:
        raise Wrong(_("{name!r} in {module} is a class but missing from your list: decide by the value, "
                      "isinstance(value, type), not by the name").format(name=missing[0], module=module.__name__))
    if sorted(got) != sorted(want) or got != sorted(got):
        raise Wrong(_("the classes are there but not in order (or twice): return them sorted, once each"))


def check_classes(ex: ModuleType) -> None:
    for module in (MODULE, _made_up_module()):
        _compare_classes(ex, module)


CHECKS = (
    Check(N_("public_names(torch.utils.data), and of an object: dir() without the names that start with _, sorted"),
          check_public_names, ("public_names",)),
    Check(N_("classes_in(torch.utils.data), and of a made-up module: the classes, nothing else"), check_classes,
          ("classes_in",)),
)

MISTAKES = (
    Mistake(N_("private names (starting with _) kept"), 'for name in dir(obj) if not name.startswith("_")',
            "for name in dir(obj)", "starts with _"),
    Mistake(N_("callable() used to find classes: functions are callable too"),
            "isinstance(getattr(module, name), type)", "callable(getattr(module, name))", "not a class"),
    Mistake(N_("vars(obj) instead of dir(obj): inherited names lost"), "for name in dir(obj) if",
            "for name in vars(obj) if", "vars(obj) does not"),
    Mistake(N_("classes told by a capital first letter"), "isinstance(getattr(module, name), type)",
            "name[0].isupper()", "not by the name"),
    Mistake(N_("torch.utils.data searched instead of the module given"),
            "public_names(module) if isinstance(getattr(module, name), type)",
            "public_names(torch.utils.data) if isinstance(getattr(torch.utils.data, name), type)",
            "not in a fixed one"),
)
