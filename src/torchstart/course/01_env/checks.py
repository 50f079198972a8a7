"""Exercise 1 (env): `environment()` against torch itself — the version, and CUDA / MPS as True or False."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import torch

from torchstart.course.kit import Check, Mistake, Wrong
from torchstart.i18n import N_, _

KEYS = ("torch", "cuda", "mps")
FAKE_VERSION = "9.9.9"  # what torch.__version__ reads for one call, to tell a typed-in version from torch's own


@contextmanager
def torch_says(cuda: bool, mps: bool, version: str = torch.__version__) -> Iterator[None]:
    """torch's answers swapped for the duration of one call, so a hard-coded answer shows on any machine."""
    saved = torch.cuda.is_available, torch.backends.mps.is_available, torch.__version__
    torch.cuda.is_available, torch.backends.mps.is_available = (lambda: cuda), (lambda: mps)
    torch.__version__ = version
    try:
        yield
    finally:
        torch.cuda.is_available, torch.backends.mps.is_available, torch.__version__ = saved


def _info(ex: ModuleType) -> dict:
    info = ex.environment()
    if not isinstance(info, dict):
        raise Wrong(_("environment() returned {kind}: return a dict such as "
                      "{{\"torch\": …, \"cuda\": …, \"mps\": …}}").format(kind=type(info).__name__))
    return info


def check_keys(ex: ModuleType) -> None:
    missing = [key for key in KEYS if key not in _info(ex)]
    if missing:
        raise Wrong(_("the dict has no key {key!r}: it needs \"torch\", \"cuda\" and \"mps\"").format(key=missing[0]))


def check_version(ex: ModuleType) -> None:
    got = _info(ex).get("torch")
    if isinstance(got, ModuleType):
        raise Wrong(_("\"torch\" is a module ({name}): the version string is torch.__version__").format(
            name=got.__name__))
    if got != torch.__version__:
        raise Wrong(_("\"torch\" is {got!r}, but the torch that runs your file is {want!r}: use "
                      "torch.__version__").format(got=got, want=torch.__version__))
    with torch_says(torch.cuda.is_available(), torch.backends.mps.is_available(), FAKE_VERSION):
        faked = _info(ex).get("torch")
    if faked != FAKE_VERSION:
        raise Wrong(_("\"torch\" stays {got!r} when torch.__version__ reads {fake!r} (faked for one call): do "
                      "not type the version in, read torch.__version__").format(got=faked, fake=FAKE_VERSION))


def check_accelerators(ex: ModuleType) -> None:
    info = _info(ex)
    torch_says_now = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    for key, want in torch_says_now.items():
        got = info.get(key)
        if callable(got):
            raise Wrong(_("\"{key}\" is the function itself, not True/False: call it — add the () after "
                          "is_available").format(key=key))
        if not isinstance(got, bool):
            raise Wrong(_("\"{key}\" is {got!r}: it should be True or False").format(key=key, got=got))
        if got != want:
            raise Wrong(_("\"{key}\" is {got}, but torch says {want} on this machine").format(
                key=key, got=got, want=want))
    cuda, mps = not torch_says_now["cuda"], not torch_says_now["mps"]  # the other answers, for one call
    with torch_says(cuda, mps):
        faked = _info(ex)
    for key, want in (("cuda", cuda), ("mps", mps)):
        if faked.get(key) != want:
            raise Wrong(_("\"{key}\" stays {got} when torch says {want} (faked for one call): do not type the "
                          "answer in, ask torch — is_available()").format(key=key, got=faked.get(key), want=want))


CHECKS = (
    Check(N_("environment() returns a dict with the keys torch, cuda and mps"), check_keys, ("environment",)),
    Check(N_("\"torch\" is the version of the torch that runs the file"), check_version, ("environment",)),
    Check(N_("\"cuda\" and \"mps\" are True or False, as torch says"), check_accelerators, ("environment",)),
)

MISTAKES = (
    Mistake(N_("is_available without its brackets: the function, not its answer"), "torch.cuda.is_available(),",
            "torch.cuda.is_available,", "add the () after is_available"),
    Mistake(N_("the torch.version module instead of torch.__version__"), "torch.__version__,", "torch.version,",
            "is a module"),
    Mistake(N_("the answer typed in instead of asked of torch"), '"cuda": torch.cuda.is_available(),',
            f'"cuda": {torch.cuda.is_available()},', "do not type the answer in"),
    Mistake(N_("the version typed in"), '"torch": torch.__version__,', f'"torch": "{torch.__version__}",',
            "do not type the version in"),
)
