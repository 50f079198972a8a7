"""Configuration as data: frozen dataclasses, the recipes (the only presets), and the one table of train flags.

A *recipe* is a named, complete TrainConfig. The CLI starts from a recipe and replaces only
the fields a learner set on the command line, so `--recipe seed --epochs 3` is "the course,
but 3 epochs". The engine receives these objects and never sees argparse.

`TrainConfig()` with no arguments is the seed recipe — the course as written — so there is no
unnamed third preset: every other recipe is the course plus visible, explained changes.

Units: learning rates are per optimiser step; `batch_size` is images per step (under torchrun:
of all processes together, each taking batch_size / processes); `epochs` are full passes over
the training set.

This module imports nothing heavy (no torch), so `torchstart --help` stays fast.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .i18n import N_, _

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "onecycle")
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps", "xpu")
PRECISION_CHOICES = ("auto", "fp32", "bf16", "fp16")
# The names models.MODELS registers (a test keeps the two equal); here so the CLI can list them without torch.
MODEL_NAMES = ("tudui", "speedrun", "resnet18", "mobilenet_v3_small", "vgg16")
MAX_IMAGE_SIZE = 2048  # pixels per side of a model input: larger would not fit a learner's memory anyway
MAX_SEED = 2**63 - 1  # torch's generators take 64-bit seeds
TTA_VIEWS = {0: 1, 1: 2, 2: 6}  # test-time augmentation level → views per image: itself, + mirror, + 1-px shifts
TTA_LEVELS = tuple(TTA_VIEWS)
MAX_LR = 1e6  # far beyond any useful learning rate, and still a float32 SGD can multiply by


@dataclass(frozen=True)
class DataConfig:
    data_dir: Path | None = None  # CIFAR-10 (torchvision or npz layout) or class folders of images; None = search
    download: bool = False  # allow torchvision's download when nothing is found locally
    max_train_images: int | None = None  # train on a seeded random subset of N images (quick runs)
    normalize: bool = False  # standardise with the data's mean/std; False = ToTensor's [0, 1] as in the course
    crop_padding: int = 0  # random-crop augmentation: pad by this many pixels, crop back to 32×32
    flip: bool = False  # random horizontal flip augmentation (probability 0.5 per image)
    alternate_flip: bool = False  # with flip: each image flipped every other epoch (a seeded half starts flipped)
    val_fraction: float = 0.2  # image folders without val/: this share of each class is held out (seeded)


@dataclass(frozen=True)
class OptimConfig:
    name: str = "sgd"  # sgd | adam | adamw
    lr: float = 0.01  # peak learning rate (per step)
    momentum: float = 0.0  # SGD momentum; 0 = plain SGD as in the course
    nesterov: bool = False
    weight_decay: float = 0.0  # L2 penalty on weights (not on biases)
    schedule: str = "constant"  # constant | onecycle (linear warm-up, then linear decay to end_factor × lr)
    warmup_fraction: float = 0.0  # share of all steps spent warming up (onecycle only)
    start_factor: float = 0.1  # onecycle starts at start_factor × lr
    end_factor: float = 0.0  # onecycle ends at end_factor × lr
    label_smoothing: float = 0.0  # CrossEntropyLoss(label_smoothing=…)
    grad_clip: float | None = None  # clip the global gradient norm to this value; None = no clipping
    decay_all: bool = False  # weight decay on every parameter (biases, norm layers); False = weights only
    norm_lr_scale: float = 1.0  # lr multiplier of normalisation-layer parameters; their decay is divided by it
    whiten_bias_epochs: int = 0  # speedrun model: its whitening bias trains this many epochs, then stops; 0 = always
    lookahead_every: int = 0  # every N steps pull the weights toward their slow average (Lookahead); 0 = off
    lookahead_decay: float = 0.0  # peak weight of the slow average; ramps up as (step / total steps)³


@dataclass(frozen=True)
class TrainConfig:
    """One training job. The defaults are the seed recipe: the course's train.py as written."""

    recipe: str = "seed"
    model: str = "tudui"  # a name in models.MODELS
    weights: str = "none"  # none | DEFAULT (torchvision's ImageNet weights, from the torch cache) | a .pt/.pth path
    init: Path | None = None  # start from a torchstart checkpoint of another task (its head is replaced)
    freeze_backbone: bool = False  # train only the new head
    image_size: int | None = None  # image-folder inputs are resized to this side; None = what the model expects
    epochs: int = 10
    batch_size: int = 64
    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"  # auto | fp32 | bf16 | fp16 (autocast dtype; see precision.resolve_precision)
    channels_last: bool = False  # NHWC memory layout: faster convolutions on CPU (oneDNN) and tensor cores
    compile: bool = False  # torch.compile the model (slow first epoch, faster after)
    eval_batch_size: int = 1000
    tta: int = 0  # test-time augmentation of the last epoch's evaluation: 0 none, 1 + mirror, 2 + 1-px shifts
    out: Path | None = None  # run directory; None = runs/<date-time>
    dry_run: bool = False  # a couple of batches only: a smoke test of the whole pipeline
    quiet: bool = False  # no progress bar
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)

    def validate(self) -> TrainConfig:
        """Raise ConfigError for impossible values; return self so calls can chain."""
        for ok, cause, fix in self._checks():
            if not ok:
                # the {fields} of the texts: every config field (names are unique across the three), and the limits
                shown = {**vars(self), **vars(self.data), **vars(self.optim), "max_lr": f"{MAX_LR:g}",
                         "max_size": MAX_IMAGE_SIZE, "models": ", ".join(MODEL_NAMES),
                         "optimizers": ", ".join(OPTIMIZERS), "schedules": ", ".join(SCHEDULES)}
                raise ConfigError(_(cause).format(**shown), _(fix).format(**shown) if fix else None)
        return self

    def _checks(self) -> list[tuple[bool, str, str | None]]:
        """(fine, cause, fix) per rule; the texts are catalog messages whose {fields} are config field names."""
        return [
            (self.epochs > 0, N_("--epochs must be at least 1 (got {epochs})"), N_("e.g. --epochs 10")),
            (self.batch_size > 0, N_("--batch-size must be at least 1 (got {batch_size})"), N_("e.g. --batch-size 64")),
            (math.isfinite(self.optim.lr) and 0 < self.optim.lr <= MAX_LR,
             N_("--lr must be a positive, finite number up to {max_lr} (got {lr})"), N_("e.g. --lr 0.01")),
            (0 <= self.seed <= MAX_SEED, N_("--seed must be a whole number from 0 to 2**63 - 1 (got {seed})"),
             N_("e.g. --seed 0, or $(date +%s) for a new one each run")),
            (self.data.max_train_images is None or self.data.max_train_images > 0,
             N_("--max-train-images must be at least 1 (got {max_train_images})"), N_("leave it out to use all")),
            (self.eval_batch_size > 0, N_("eval batch size must be positive (got {eval_batch_size})"), None),
            (self.model in MODEL_NAMES, N_("unknown model {model!r}"), N_("use one of {models}")),
            (self.optim.name in OPTIMIZERS, N_("unknown optimizer {name!r}"), N_("use one of {optimizers}")),
            (self.optim.schedule in SCHEDULES, N_("unknown schedule {schedule!r}"), N_("use one of {schedules}")),
            (0 <= self.optim.label_smoothing < 1, N_("label smoothing must be in [0, 1)"), None),
            (0 <= self.optim.warmup_fraction < 1, N_("warm-up fraction must be in [0, 1)"), None),
            (self.tta in TTA_LEVELS, N_("--tta must be 0, 1 or 2 (got {tta})"),
             N_("0 = no test-time augmentation, 1 = + mirror image, 2 = + mirror and 1-pixel shifts")),
            (0 < self.data.val_fraction < 1, N_("--val-fraction must be between 0 and 1 (got {val_fraction})"),
             N_("e.g. --val-fraction 0.2")),
            (self.image_size is None or 8 <= self.image_size <= MAX_IMAGE_SIZE,
             N_("--image-size must be from 8 to {max_size} (got {image_size})"), N_("e.g. --image-size 64")),
            (self.init is None or self.weights == "none", N_("--init and --weights both give starting weights"),
             N_("use one: --init CKPT (a torchstart checkpoint) or --weights DEFAULT|PATH")),
            (not self.freeze_backbone or self.init is not None or self.weights != "none",
             N_("--freeze-backbone without starting weights would train a head on random features"),
             N_("add --weights DEFAULT|PATH or --init CKPT, or leave --freeze-backbone out")),
        ]


# ---- Field names ---------------------------------------------------------------------------------------------
# Overrides and flags name fields flat ("lr", "data_dir"); every name is unique across the three dataclasses.
_PARTS = {"data": DataConfig, "optim": OptimConfig}


def field_path(name: str) -> tuple[str | None, str]:
    """(None, name) for a TrainConfig field, ("data" | "optim", name) for a field of a sub-config."""
    if name in {f.name for f in fields(TrainConfig)} - set(_PARTS):
        return None, name
    for part, cls in _PARTS.items():
        if name in {f.name for f in fields(cls)}:
            return part, name
    raise ConfigError(_("unknown config field {name!r}").format(name=name))


def config_value(config: TrainConfig, name: str) -> Any:
    """The value of the field called `name` (flat name, see `field_path`)."""
    part, name = field_path(name)
    return getattr(config if part is None else getattr(config, part), name)


def with_overrides(base: TrainConfig, **overrides: Any) -> TrainConfig:
    """`base` with the given fields replaced; None values are ignored (flag not given)."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {part: {} for part in _PARTS}
    for key, value in overrides.items():
        part, name = field_path(key)
        if value is not None:
            (top if part is None else nested[part])[name] = value
    return replace(base, **top, **{part: replace(getattr(base, part), **values) for part, values in nested.items()})


# ---- Recipes --------------------------------------------------------------------------------------------------
# The course as written (chapter 总体过程): SGD, lr 0.01, batch 64, 10 epochs, no augmentation, ToTensor only.
# One deliberate change: the training set is shuffled every epoch (the course forgot to).
SEED_RECIPE = TrainConfig()

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
# - inputs standardised with the data's mean and std, random translation by up to 2 px + horizontal
#   flip made in the batch gather: more varied images at almost no cost.
# - precision auto: bf16 autocast on GPUs, and on CPUs with native bf16 that one step measures faster (there
#   1.5× at the same accuracy; a Xeon with AMX hidden measured 0.69×: precision.cpu_bf16_pays, docs/en/recipes.md).
FAST_RECIPE = TrainConfig(
    recipe="fast", precision="auto", batch_size=128, channels_last=True,
    data=DataConfig(normalize=True, crop_padding=2, flip=True),
    optim=OptimConfig(name="sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4,
                      schedule="onecycle", warmup_fraction=0.15, label_smoothing=0.1, grad_clip=2.0),
)

# The capstone (lesson 21; every field and its source in docs/en/speedrun.md): the `speedrun` model with the CIFAR-10
# speed records' techniques, at airbench94's published values (Jordan 2024, arXiv 2404.00498) in our units:
# airbench sums the loss over the batch with lr 11.5 and decay 0.0153 "per 1024 examples", divided by
# 1024·(1 + 1/(1 - momentum)); for a mean loss the same steps are lr 1.5 at batch 1024 and decay 0.0153/11.5.
# Batch 1024: a CPU runs this net as fast per image at 1024 as at 256–512, and the values are tuned for it.
# BatchNorm biases take 64× the lr (their decay ÷ 64, so lr × decay is the same for every parameter); one-cycle
# 0.2 → 1 (at 23 %) → 0.07 × lr; Lookahead every 5 steps with weight 0.95⁵·(step/total)³; alternating flips
# and 2-px shifts; the last evaluation averages 6 views (tta 2).
SPEEDRUN_RECIPE = TrainConfig(
    recipe="speedrun", model="speedrun", precision="auto", epochs=10, batch_size=1024, channels_last=True, tta=2,
    data=DataConfig(normalize=True, crop_padding=2, flip=True, alternate_flip=True),
    optim=OptimConfig(name="sgd", lr=1.5, momentum=0.85, nesterov=True, weight_decay=0.0153 / 11.5,
                      decay_all=True, norm_lr_scale=64.0, schedule="onecycle", start_factor=0.2,
                      warmup_fraction=0.23, end_factor=0.07, label_smoothing=0.2, whiten_bias_epochs=3,
                      lookahead_every=5, lookahead_decay=0.95**5),
)

RECIPES: dict[str, TrainConfig] = {"fast": FAST_RECIPE, "seed": SEED_RECIPE, "speedrun": SPEEDRUN_RECIPE}
DEFAULT_RECIPE = "fast"

# On a GPU the fast recipe takes 4× bigger steps. This small model cannot keep a GPU busy with 128
# images: an H200 then spends its time launching kernels (≈31k images/s at 128, ≈159k at 512, bf16).
# A quarter of the steps need a bigger learning rate (×2, the square-root rule; measured on CPU).
ACCELERATORS = ("cuda", "xpu", "mps")
ACCELERATOR_RECIPES: dict[str, TrainConfig] = {"fast": with_overrides(FAST_RECIPE, batch_size=512, lr=0.1)}


def recipe(name: str, device_type: str = "cpu") -> TrainConfig:
    """The TrainConfig preset called `name`, as tuned for `device_type` ("cpu", "cuda", "mps", …)."""
    if name not in RECIPES:
        raise ConfigError(_("unknown recipe {name!r}").format(name=name),
                          _("use one of {choices}").format(choices=", ".join(RECIPES)))
    if device_type in ACCELERATORS and name in ACCELERATOR_RECIPES:
        return ACCELERATOR_RECIPES[name]
    return RECIPES[name]


# ---- The train flags ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Flag:
    """One `torchstart train` flag and the config field it sets. argparse, resume and the docs read this table."""

    name: str  # "--batch-size"
    field: str  # flat config field name (see field_path)
    type: type | None  # int, float, str, Path; None = a switch (store_true)
    metavar: str | None
    help: str  # English, marked with N_() for the catalog; shown with _(flag.help)
    choices: tuple[str, ...] | None = None
    on_resume: bool = False  # may differ from the run's own value with --resume


TRAIN_FLAGS: tuple[Flag, ...] = (
    Flag("--recipe", "recipe", str, None, N_("fast = tuned training of the same model (default); seed = the course "
         "as written; speedrun = the capstone: its own model, to 94 percent"), choices=tuple(sorted(RECIPES))),
    Flag("--epochs", "epochs", int, "N", N_("passes over the training set"), on_resume=True),
    Flag("--batch-size", "batch_size", int, "N", N_("images per optimiser step (torchrun: all processes together)")),
    Flag("--lr", "lr", float, "LR", N_("(peak) learning rate")),
    Flag("--seed", "seed", int, "N", N_("random seed (default 0)")),
    Flag("--out", "out", Path, "DIR", N_("run directory (default runs/<date-time>)")),
    Flag("--device", "device", str, "DEVICE", N_("auto|cpu|cuda|mps|xpu (default auto: the accelerator if "
         "there is one; a resumed run keeps its own)"), on_resume=True),
    Flag("--precision", "precision", str, None, N_("autocast dtype (default: the recipe's; auto = bf16 on recent "
         "GPUs and on CPUs where native bf16 measures faster, else fp32)"), choices=PRECISION_CHOICES),
    Flag("--data-dir", "data_dir", Path, "DIR", N_("CIFAR-10 (cifar-10-batches-py/ or train.npz + test.npz) or your "
         "own images: one folder per class, with or without train/ and val/")),
    Flag("--download", "download", None, None, N_("download CIFAR-10 with torchvision if not found")),
    Flag("--max-train-images", "max_train_images", int, "N", N_("train on a random subset of N images")),
    Flag("--val-fraction", "val_fraction", float, "F", N_("image folders without val/: hold out this share of each "
         "class (default 0.2)")),
    Flag("--model", "model", str, None, N_("default tudui, the course's model"), choices=MODEL_NAMES),
    Flag("--weights", "weights", str, "DEFAULT|none|PATH", N_("starting weights: DEFAULT = torchvision's ImageNet "
         "weights from the torch cache, PATH = a state_dict or torchstart checkpoint (default none)")),
    Flag("--init", "init", Path, "CKPT",
         N_("start from a torchstart checkpoint of another task; its head is replaced")),
    Flag("--freeze-backbone", "freeze_backbone", None, None, N_("train only the new head")),
    Flag("--image-size", "image_size", int, "PX", N_("image folders: resize to PX×PX (default: 32 for tudui, 224 for "
         "ImageNet models)")),
    Flag("--tta", "tta", int, "LEVEL", N_("test-time augmentation of the last evaluation: 0 none, 1 + mirror, "
         "2 + mirror and 1-pixel shifts (default: the recipe's)")),
    Flag("--compile", "compile", None, None, N_("torch.compile the model")),
    Flag("--dry-run", "dry_run", None, None, N_("a few batches only (smoke test)")),
    Flag("--quiet", "quiet", None, None, N_("no progress bar"), on_resume=True),
)
RESUMABLE_FIELDS = tuple(f.field for f in TRAIN_FLAGS if f.on_resume)  # what --resume may change


# ---- Dicts (checkpoints and metrics.json store configs as JSON-friendly dicts) --------------------------------
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
