"""torchstart — the PyTorch quick-start course (PyTorch深度学习快速入门) as runnable, tested software.

The small public API:

    from torchstart import recipe, train
    result = train(recipe("fast"))            # the `torchstart train` job
    result.history.best_test_accuracy

`import torchstart` itself is cheap (no torch): each name below is imported the first time it is
used, so `torchstart --help` answers at once and a lesson loads only what it needs.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

# public name → the module that defines it
_EXPORTS = {
    "DataConfig": "config", "OptimConfig": "config", "TrainConfig": "config", "recipe": "config",
    "with_overrides": "config",
    "pick_device": "device", "seed_everything": "device",
    "evaluate": "training.engine", "fit": "training.engine",
    "build_model": "models",
    "sample": "data.course_samples", "CIFAR10": "data.course_cifar10",
    "train": "training.job",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
