"""Configuration as data: frozen dataclasses built once (by the CLI or a lesson) and recipes.

A *recipe* is a named, complete TrainConfig. The CLI starts from a recipe and replaces only
the fields a learner set on the command line, so `--recipe seed --epochs 3` is "the course,
but 3 epochs". The engine receives these objects and never sees argparse.

Units: learning rates are per optimiser step; `batch_size` is images per step (under torchrun:
of all processes together, each taking batch_size / processes); `epochs` are full passes over
the training set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class DataConfig:
    data_dir: Path | None = None  # CIFAR-10 (torchvision or npz layout) or class folders of images; None = search
    download: bool = False  # allow torchvision's download when nothing is found locally
    max_train_images: int | None = None  # train on a seeded random subset of N images (quick runs)
    normalize: bool = True  # standardise with the CIFAR-10 mean/std; False = ToTensor's [0, 1] as in the course
    crop_padding: int = 0  # random-crop augmentation: pad by this many pixels, crop back to 32×32
    flip: bool = False  # random horizontal flip augmentation (probability 0.5 per image)
    val_fraction: float = 0.2  # image folders without val/: this share of each class is held out (seeded)


@dataclass(frozen=True)
class OptimConfig:
    name: str = "sgd"  # sgd | adam | adamw
    lr: float = 0.01  # peak learning rate (per step)
    momentum: float = 0.0  # SGD momentum; 0 = plain SGD as in the course
    nesterov: bool = False
    weight_decay: float = 0.0  # L2 penalty on weights (not on biases)
    schedule: str = "constant"  # constant | onecycle (linear warm-up, then linear decay to 0)
    warmup_fraction: float = 0.0  # share of all steps spent warming up (onecycle only)
    start_factor: float = 0.1  # onecycle starts at start_factor × lr
    label_smoothing: float = 0.0  # CrossEntropyLoss(label_smoothing=…)
    grad_clip: float | None = None  # clip the global gradient norm to this value; None = no clipping


@dataclass(frozen=True)
class TrainConfig:
    recipe: str = "custom"
    model: str = "tudui"  # a name in models.MODELS
    weights: str = "none"  # none | DEFAULT (torchvision's ImageNet weights, from the torch cache) | a .pt/.pth path
    init: Path | None = None  # start from a torchstart checkpoint of another task (its head is replaced)
    freeze_backbone: bool = False  # train only the new head
    image_size: int | None = None  # image-folder inputs are resized to this side; None = what the model expects
    epochs: int = 10
    batch_size: int = 64
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (autocast dtype; see device.resolve_precision)
    channels_last: bool = False  # NHWC memory layout: faster convolutions on CPU (oneDNN) and tensor cores
    compile: bool = False  # torch.compile the model (slow first epoch, faster after)
    eval_batch_size: int = 1000
    out: Path | None = None  # run directory; None = runs/<date-time>
    dry_run: bool = False  # a couple of batches only: a smoke test of the whole pipeline
    quiet: bool = False  # no progress bar
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)

    def validate(self) -> TrainConfig:
        """Raise ConfigError for impossible values; return self so calls can chain."""
        checks = [
            (self.epochs > 0, f"--epochs must be at least 1 (got {self.epochs})", "e.g. --epochs 10"),
            (self.batch_size > 0, f"--batch-size must be at least 1 (got {self.batch_size})", "e.g. --batch-size 64"),
            (self.optim.lr > 0, f"--lr must be positive (got {self.optim.lr})", "e.g. --lr 0.01"),
            (self.data.max_train_images is None or self.data.max_train_images > 0,
             f"--max-train-images must be at least 1 (got {self.data.max_train_images})", "leave it out to use all"),
            (self.eval_batch_size > 0, f"eval batch size must be positive (got {self.eval_batch_size})", None),
            (self.optim.name in OPTIMIZERS, f"unknown optimizer {self.optim.name!r}", f"use one of {OPTIMIZERS}"),
            (self.optim.schedule in SCHEDULES, f"unknown schedule {self.optim.schedule!r}", f"use one of {SCHEDULES}"),
            (0 <= self.optim.label_smoothing < 1, "label smoothing must be in [0, 1)", None),
            (0 <= self.optim.warmup_fraction < 1, "warm-up fraction must be in [0, 1)", None),
            (0 < self.data.val_fraction < 1, f"--val-fraction must be between 0 and 1 (got {self.data.val_fraction})",
             "e.g. --val-fraction 0.2"),
            (self.image_size is None or self.image_size >= 8,
             f"--image-size must be at least 8 (got {self.image_size})", "e.g. --image-size 64"),
            (self.init is None or self.weights == "none", "--init and --weights both give starting weights",
             "use one: --init CKPT (a torchstart checkpoint) or --weights DEFAULT|PATH"),
            (not self.freeze_backbone or self.init is not None or self.weights != "none",
             "--freeze-backbone without starting weights would train a head on random features",
             "add --weights DEFAULT|PATH or --init CKPT, or leave --freeze-backbone out"),
        ]
        for ok, cause, fix in checks:
            if not ok:
                raise ConfigError(cause, fix)
        return self


OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "onecycle")

# The course as written (chapter 总体过程): SGD, lr 0.01, batch 64, 10 epochs, no augmentation.
# One deliberate change: the training set is shuffled every epoch (the course forgot to).
SEED_RECIPE = TrainConfig(
    recipe="seed",
    epochs=10,
    batch_size=64,
    precision="fp32",
    data=DataConfig(normalize=False),
    optim=OptimConfig(name="sgd", lr=0.01),
)

# Same model, tuned training (measured choices: see docs/en/recipes.md). Why each one helps:
# - data in memory as uint8, batches built on the device: no per-image Python work (the course
#   spends much of each step in PIL → ToTensor → collate).
# - channels_last (NHWC): oneDNN on CPUs and tensor cores on GPUs run 5×5 convolutions ~30 % faster.
# - batch 128: as fast per image as 256 on a CPU, but twice the steps per epoch — this model learns
#   more from more steps in short runs (63 % vs 57 % after one epoch).
# - SGD + Nesterov momentum 0.9: momentum averages noisy gradients, so lr 0.05 (5× the course) is
#   stable; 0.1 diverges — the model has no normalisation layers.
# - one-cycle schedule: 15 % linear warm-up from lr/10 (a full-size first step from random weights
#   can blow the loss up), then linear decay to 0 so the last epoch settles into a minimum.
# - gradient-norm clipping at 2 (typical norms are about 1): a safety net against a rare spike.
# - label smoothing 0.1 and weight decay 5e-4 (weights only): standard CIFAR regularisers.
# - random translation by up to 2 px + horizontal flip, made in the batch gather: more varied
#   images at almost no cost.
FAST_RECIPE = TrainConfig(
    recipe="fast",
    epochs=10,
    batch_size=128,
    channels_last=True,
    data=DataConfig(crop_padding=2, flip=True),
    optim=OptimConfig(name="sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4,
                      schedule="onecycle", warmup_fraction=0.15, label_smoothing=0.1, grad_clip=2.0),
)

RECIPES: dict[str, TrainConfig] = {"fast": FAST_RECIPE, "seed": SEED_RECIPE}
DEFAULT_RECIPE = "fast"

# On a GPU the fast recipe takes 4× bigger steps. This small model cannot keep a GPU busy with 128
# images: an H200 then spends its time launching kernels (≈31k images/s at 128, ≈159k at 512, bf16).
# A quarter of the steps need a bigger learning rate (×2, the square-root rule; measured on CPU).
ACCELERATORS = ("cuda", "xpu", "mps")
ACCELERATOR_OVERRIDES: dict[str, dict[str, Any]] = {"fast": {"batch_size": 512, "lr": 0.1}}


def recipe(name: str, device_type: str = "cpu") -> TrainConfig:
    """The TrainConfig preset called `name`, as tuned for `device_type` ("cpu", "cuda", "mps", …)."""
    try:
        base = RECIPES[name]
    except KeyError:
        raise ConfigError(f"unknown recipe {name!r}", f"use one of {', '.join(RECIPES)}") from None
    if device_type in ACCELERATORS and name in ACCELERATOR_OVERRIDES:
        return with_overrides(base, **ACCELERATOR_OVERRIDES[name])
    return base


def with_overrides(base: TrainConfig, **overrides: Any) -> TrainConfig:
    """`base` with the given fields replaced; None values are ignored (flag not given).

    Keys may name TrainConfig fields or fields of its `data` / `optim` sub-configs.
    """
    overrides = {k: v for k, v in overrides.items() if v is not None}
    sub = {"data": {f.name for f in fields(DataConfig)}, "optim": {f.name for f in fields(OptimConfig)}}
    top = {f.name for f in fields(TrainConfig)}
    nested: dict[str, dict[str, Any]] = {"data": {}, "optim": {}}
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in top:
            flat[key] = value
        elif key in sub["data"]:
            nested["data"][key] = value
        elif key in sub["optim"]:
            nested["optim"][key] = value
        else:
            raise ConfigError(f"unknown config field {key!r}")
    return replace(base, **flat, data=replace(base.data, **nested["data"]),
                   optim=replace(base.optim, **nested["optim"]))


def to_dict(config: Any) -> dict[str, Any]:
    """A JSON-friendly dict of a config dataclass (Paths become strings)."""
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, Path):
            return str(value)
        return value
    assert is_dataclass(config)
    return clean(asdict(config))


def from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild a TrainConfig from `to_dict` output (as stored in checkpoints and metrics.json)."""
    data = dict(data)
    dc = dict(data.pop("data", {}))
    if dc.get("data_dir") is not None:
        dc["data_dir"] = Path(dc["data_dir"])
    for key in ("out", "init"):
        if data.get(key) is not None:
            data[key] = Path(data[key])
    oc = dict(data.pop("optim", {}))
    known = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in data.items() if k in known},
                       data=DataConfig(**dc), optim=OptimConfig(**oc))
