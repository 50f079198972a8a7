"""What a TrainConfig builds before the first step: input normalisation, the two loaders, the training state.

Each function takes the config and what it needs explicitly and returns a plain object, so the
train job, benchmarks and tests build exactly the same loaders and state.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import TrainConfig
from ..data import CIFAR10_MEAN, CIFAR10_STD, ArraySplit, ImageData, TensorLoader
from ..data.folders import channel_stats
from ..errors import ConfigError, DataError
from ..i18n import _, ngettext
from ..models import build_model, freeze_backbone, preprocessing, uses_batchnorm
from ..precision import resolve_precision
from . import distributed
from .averaging import Lookahead
from .distributed import SINGLE, Ranks, per_rank_batch
from .engine import TrainState
from .optim import build_optimizer, build_scheduler
from .transfer import StartingPoint

DRY_RUN_BATCHES = 3  # train and test batches per epoch in a dry run
MIN_TRAIN_BATCH = 2  # fewest images per process in a training batch; --batch-size 1 only without BatchNorm
Normalization = tuple[tuple[float, ...], tuple[float, ...]]  # (mean, std) per channel of pixel/255


def input_side(config: TrainConfig) -> int:
    """Side in pixels that image-folder inputs are resized to: --image-size, else what the model expects."""
    declared = preprocessing(config.model)
    return config.image_size or (declared[0] if declared else 32)


def normalization(config: TrainConfig, data: ImageData) -> Normalization:
    """(mean, std) of pixel/255 used for inputs; (0,0,0)/(1,1,1) is the course's plain ToTensor.

    Pretrained ImageNet models use the statistics their weights declare; the course model uses
    CIFAR-10's on CIFAR-10 and the training images' own on an image folder (one pass over every
    pixel: compute it once per run).
    """
    declared = preprocessing(config.model)
    if declared is not None:
        return declared[1], declared[2]
    if not config.data.normalize:
        return (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    return channel_stats(data.train) if data.is_folder else (CIFAR10_MEAN, CIFAR10_STD)


def make_loaders(data: ImageData, config: TrainConfig, norm: Normalization, device: torch.device,
                 ranks: Ranks = SINGLE) -> tuple[TensorLoader, TensorLoader]:
    """The training loader (shuffled, augmented per the recipe) and the test loader.

    With several processes the training loader yields this rank's share of every global batch
    (`config.batch_size` / world_size images), and every rank takes the same steps; each rank
    evaluates the whole test set. No training batch of one image is formed (data.loader.epoch_share):
    9 images in batches of 8 train as one batch of 8, a different image left out each epoch.
    A set too small for one training step is refused (DataError).
    """
    mean, std = norm
    train = data.train
    if config.data.max_train_images:
        train = train.subset(config.data.max_train_images, config.seed)
    max_batches = DRY_RUN_BATCHES if config.dry_run else None
    train_loader = TensorLoader(
        train.images, train.labels, batch_size=per_rank_batch(config.batch_size, ranks.world_size), device=device,
        mean=mean, std=std, shuffle=True, seed=config.seed, crop_padding=config.data.crop_padding,
        flip=config.data.flip, alternate_flip=config.data.alternate_flip, channels_last=config.channels_last,
        min_last_batch=MIN_TRAIN_BATCH, max_batches=max_batches, rank=ranks.rank, world_size=ranks.world_size)
    if not len(train_loader):
        raise too_few_images(len(train), min(train_loader.batch_size, MIN_TRAIN_BATCH), ranks.world_size)
    return train_loader, test_loader_for(data.test, config, norm, device, max_batches)


def too_few_images(n: int, each: int, world_size: int) -> DataError:
    """The error for `n` training images when one step takes `each` images on each of `world_size` processes."""
    if world_size == 1:
        cause = ngettext("{n} training image is too few: a training step takes at least {each}",
                         "{n} training images are too few: a training step takes at least {each}", n)
    else:
        cause = ngettext("{n} training image is too few: a training step takes at least {each} on each of "
                         "{processes} processes", "{n} training images are too few: a training step takes at least "
                         "{each} on each of {processes} processes", n)
    return DataError(cause.format(n=n, each=each, processes=world_size),
                     _("use more training images: add images, raise or leave out --max-train-images, or hold out "
                       "fewer with a smaller --val-fraction"))


def check_batch_size(config: TrainConfig, world_size: int) -> None:
    """Refuse, before any work, training steps of one image per process for a model with BatchNorm.

    BatchNorm normalises each channel by the mean and variance of the batch in training mode; with one image and
    a 1×1 feature map (resnet18 or mobilenet_v3_small at 32 px) there is a single value per channel and torch
    raises; where it does not, one image's own statistics make every step a step of noise.
    """
    each = config.batch_size // world_size
    if each >= MIN_TRAIN_BATCH or not uses_batchnorm(config.model):
        return
    if world_size == 1:
        raise ConfigError(_("model {model} has BatchNorm layers, which cannot train on batches of one image (they "
                            "normalise by the batch's own mean and variance)").format(model=config.model),
                          _("use --batch-size {batch} or more").format(batch=MIN_TRAIN_BATCH))
    raise ConfigError(_("model {model} has BatchNorm layers, which cannot train on batches of one image, and "
                        "--batch-size {batch} gives each of {processes} processes one image per step").format(
                          model=config.model, batch=config.batch_size, processes=world_size),
                      _("use --batch-size {batch} or more").format(batch=MIN_TRAIN_BATCH * world_size))


SIDES_TO_TRY = (12, 16, 24, 32, 48, 64)  # image sides offered when --image-size is too small for a model


def check_image_size(config: TrainConfig) -> None:
    """Refuse, before any work, an --image-size the model's pooling shrinks to nothing (speedrun below 12 px,
    vgg16 below 32): torch would stop in the first step with "Output size is too small".

    A forward pass of two blank images tells, on the CPU in milliseconds at these sizes; from 64 px up every
    registered model fits, so nothing is built there.
    """
    side = input_side(config)
    if side >= SIDES_TO_TRY[-1]:
        return
    model = build_model(config.model, num_classes=2).eval()

    def fits(px: int) -> bool:
        try:
            with torch.no_grad():
                model(torch.zeros(2, 3, px, px))
        except RuntimeError:
            return False
        return True

    if fits(side):
        return
    smallest = next((px for px in SIDES_TO_TRY if px > side and fits(px)), SIDES_TO_TRY[-1])
    raise ConfigError(_("--image-size {side} is too small for model {model}: its pooling layers shrink the picture to "
                        "nothing").format(side=side, model=config.model),
                      _("use --image-size {smallest} or more").format(smallest=smallest))


def test_loader_for(test: ArraySplit, config: TrainConfig, norm: Normalization, device: torch.device,
                    max_batches: int | None = None) -> TensorLoader:
    """The test pass's loader: the run's batch size and memory layout.

    `torchstart evaluate` builds it from a checkpoint's stored config too, so a checkpoint is measured
    the way its epoch was: with bf16 (AMX, AVX512-BF16) the batch shape and layout pick different
    kernels, and a different sum order can flip the prediction of an image on the class boundary.
    """
    mean, std = norm
    return TensorLoader(test.images, test.labels, batch_size=config.eval_batch_size, device=device, mean=mean,
                        std=std, channels_last=config.channels_last, max_batches=max_batches)


def place_model(model: nn.Module, config: TrainConfig, device: torch.device) -> nn.Module:
    """`model` on `device`, in the memory layout the run trains and evaluates in."""
    model = model.to(device)
    return model.to(memory_format=torch.channels_last) if config.channels_last else model


WHITENING_IMAGES = 5000  # training images whose 2×2 patches set a whitening layer (4.8 million patches)


def fit_to_data(model: nn.Module, train_loader: TensorLoader) -> int:
    """Data-dependent initialisation (the speedrun model's whitening filters); returns the images used, 0 = none.

    Uses WHITENING_IMAGES training images drawn with the run's seed — not the first ones: a data set sorted by
    class (as the shared CIFAR-10 copy is) would start with 5,000 airplanes — standardised as training batches
    are and not augmented; every torchrun process draws the same, so they compute the same filters.
    """
    if not hasattr(model, "fit_to_data"):
        return 0
    count = min(WHITENING_IMAGES, len(train_loader.labels))
    chosen = torch.randperm(len(train_loader.labels), generator=torch.Generator().manual_seed(train_loader.seed))
    images, _labels = train_loader.make_batch(chosen[:count].to(train_loader.device))
    return count if model.fit_to_data(images) else 0


def build_state(config: TrainConfig, num_classes: int, device: torch.device, total_steps: int,
                ranks: Ranks = SINGLE, start: StartingPoint | None = None, steps_per_epoch: int = 1) -> TrainState:
    """Model (DDP-wrapped under torchrun), optimiser, schedule and precision for `config`, on `device`.

    `start`: the model with its starting weights and trainable parameters (transfer.starting_point);
    None = a fresh model (a resumed run, whose checkpoint then replaces the weights).
    """
    model = place_model(start.model if start is not None else build_model(config.model, num_classes=num_classes),
                        config, device)
    amp_dtype = resolve_precision(config.precision, device)
    if start is None and config.freeze_backbone:
        freeze_backbone(model, config.model)
    optimizer = build_optimizer(model, config.optim)  # only parameters with requires_grad
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 and device.type == "cuda" else None
    lookahead = None
    if config.optim.lookahead_every:
        lookahead = Lookahead(model, every=config.optim.lookahead_every, peak_decay=config.optim.lookahead_decay,
                              total_steps=total_steps)
    model = distributed.wrap(model, ranks, device)
    return TrainState(
        model=torch.compile(model) if config.compile else model,
        optimizer=optimizer,
        scheduler=build_scheduler(optimizer, config.optim, total_steps, steps_per_epoch),
        scaler=scaler,
        loss_fn=nn.CrossEntropyLoss(label_smoothing=config.optim.label_smoothing),
        amp_dtype=amp_dtype,
        grad_clip=config.optim.grad_clip,
        lookahead=lookahead,
    )
