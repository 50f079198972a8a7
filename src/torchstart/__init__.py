"""torchstart — the PyTorch quick-start course (PyTorch深度学习快速入门) as runnable, tested software.

The small public API:

    from torchstart import recipe, train
    result = train(recipe("fast"))            # the `torchstart train` job
    result.history.best_test_accuracy
"""

__version__ = "0.1.0"

from .config import DataConfig, OptimConfig, TrainConfig, recipe, with_overrides  # noqa: E402
from .device import pick_device, seed_everything  # noqa: E402
from .engine import evaluate, fit  # noqa: E402
from .models import build_model  # noqa: E402
from .runs import train  # noqa: E402

__all__ = [
    "DataConfig",
    "OptimConfig",
    "TrainConfig",
    "__version__",
    "build_model",
    "evaluate",
    "fit",
    "pick_device",
    "recipe",
    "seed_everything",
    "train",
    "with_overrides",
]
