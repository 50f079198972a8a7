"""Lesson 21 — the speedrun: from a plain conv/BatchNorm net to 94 % on CIFAR-10, one trick at a time (毕业项目).

中文：课程的模型最多到 75 % 左右。CIFAR-10 的速度纪录（Page 的 "How to train your ResNet"、hlb-CIFAR10、Jordan 的
airbench94）用同样的基本零件——卷积、池化、BatchNorm、SGD——在 GPU 上几秒钟就到 94 %。这一课把它们的技巧排成一架
梯子：从一个普通的卷积/BatchNorm 网络开始，每一级只加一个技巧（白化层、恒等初始化、BatchNorm 偏置的大学习率、
标签平滑、交替翻转、Lookahead、测试时增强），每一级都用同一个训练循环 `engine.fit` 训练，打印准确率、比上一级
多了多少、用了几秒，以及这个技巧做了什么、为什么有用。在内置的 2,000 张样本上几十秒跑完；完整数据上的梯子
（每级的准确率和秒数）由 benchmarks/speedrun.py 在本机测出，写在这一课的文档页里。最后一级就是
`torchstart train --recipe speedrun`：在两个 CPU 核上大约十分钟到 94 %。

English: the course's model tops out near 75 %. The CIFAR-10 speed records (Page's "How to train your ResNet",
hlb-CIFAR10, Jordan's airbench94) reach 94 % in seconds on a GPU with the same basic parts — convolutions, pooling,
BatchNorm, SGD. This lesson sets their tricks out as a ladder: start from a plain conv/BatchNorm net and add one
trick per rung (a whitening layer, identity initialisation, a large learning rate for BatchNorm biases, label
smoothing, alternating flips, Lookahead, test-time augmentation). Every rung trains with the same loop,
`engine.fit`, and prints its accuracy, the change from the rung below and its seconds, with what the trick does
and why it helps. On the embedded 2,000-image sample it runs in under a minute; the full-data ladder (accuracy and
seconds per rung) is measured on this machine by benchmarks/speedrun.py and shown on the lesson's page. The top
rung is `torchstart train --recipe speedrun`: about ten minutes to 94 % on two CPU cores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..config import SPEEDRUN_RECIPE, TrainConfig, with_overrides
from ..data import ImageData, find_cifar10
from ..device import configure_backends, pick_device, seed_everything
from ..files import writable_dir
from ..i18n import N_, _, pad
from ..models import Speedrun
from ..training.build import build_state, fit_to_data, make_loaders, normalization
from ..training.engine import evaluate, fit
from ..training.transfer import StartingPoint
from .runner import lesson_main

SAMPLE_EPOCHS = 3  # per rung on the embedded sample: 7 trainings of 2,000 images × 3 fit the lesson's minute
FULL_EPOCHS = 2  # per rung on the full set (`--data-dir`): 7 × 2 epochs ≈ 15 minutes on 2 CPU cores
SAMPLE_BATCH = 128  # 16 steps per epoch on the sample; the recipe's 1024 would give 2
SMALL_SET = 20_000  # fewer training images than this: the sample's batch size


@dataclass(frozen=True)
class Rung:
    """One step of the ladder: what changes (model options, config fields) and why."""

    name: str
    title: str  # English, marked for the catalog
    why: str  # English, marked for the catalog
    model: dict = field(default_factory=dict)  # Speedrun(**options) changes, kept by the rungs above
    changes: dict = field(default_factory=dict)  # config fields (with_overrides names), kept by the rungs above
    retrain: bool = True  # False: the rung below's model, only evaluated differently


# The bottom rung: the speedrun recipe with every trick switched off (random first layer, random init, one lr for
# all parameters, no label smoothing, random flips, no Lookahead, one test view).
PLAIN = with_overrides(SPEEDRUN_RECIPE, decay_all=False, norm_lr_scale=1.0, label_smoothing=0.0,
                       alternate_flip=False, lookahead_every=0, lookahead_decay=0.0, tta=0, whiten_bias_epochs=0)

LADDER: tuple[Rung, ...] = (
    Rung("plain", N_("plain conv/BatchNorm net"),
         N_("three blocks of conv → max-pool → BatchNorm → GELU → conv → BatchNorm → GELU, Nesterov SGD with a "
            "one-cycle schedule, random flips and 2-pixel shifts: a good ordinary network"),
         model={"whitening": False, "identity_init": False}),
    Rung("whitening", N_("+ whitening layer"),
         N_("the first layer's 2×2 filters are computed from the training images so that its outputs are "
            "uncorrelated with variance 1, and never trained: SGD starts on inputs whose directions all have the "
            "same scale"), model={"whitening": True}, changes={"whiten_bias_epochs": 3}),
    Rung("identity", N_("+ identity init"),
         N_("each conv in the blocks starts as the identity on its first channels (dirac_): at step one every block "
            "passes its input on, so the signal and the gradients reach all layers"), model={"identity_init": True}),
    Rung("bias_lr", N_("+ BatchNorm biases at 64× lr"),
         N_("the BatchNorm biases (the only trained BatchNorm parameters) take 64× larger steps, with weight "
            "decay on every parameter: the few shift parameters keep up with the many conv weights"),
         changes={"norm_lr_scale": 64.0, "decay_all": True}),
    Rung("smoothing", N_("+ label smoothing 0.2"),
         N_("the target is 80 % the true class and 20 % spread over all classes: the model stops pushing its "
            "logits further once it is right, which generalises better"), changes={"label_smoothing": 0.2}),
    Rung("altflip", N_("+ alternating flip"),
         N_("instead of a coin per image per epoch, each image is mirrored in every other epoch: over two epochs "
            "every image is seen both ways, none twice the same way"), changes={"alternate_flip": True}),
    Rung("lookahead", N_("+ Lookahead"),
         N_("every 5 steps the weights are pulled toward their slow running average, strongly near the end: the "
            "average sits nearer the centre of the valley SGD jitters in"),
         changes={"lookahead_every": 5, "lookahead_decay": 0.95**5}),
    Rung("tta", N_("+ test-time augmentation"),
         N_("the same model, each test image scored over 6 views: half the mean of the image and its mirror, half "
            "the mean of the mirrored pair shifted by one pixel both ways; no training cost, 6× the test cost"),
         changes={"tta": 2}, retrain=False),
)


@dataclass
class RungResult:
    name: str
    accuracy: float  # test accuracy after the rung's training (with TTA on the tta rung), 0..1
    seconds: float  # training + the test passes; the tta rung adds its 6-view test pass to the rung below
    train_images: int  # images the rung trained on in all (epochs × training set)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Result:
    data: str
    device: str
    epochs: int  # per rung
    batch_size: int
    lr: float
    rungs: list[RungResult] = field(default_factory=list)


def rung_configs(base: TrainConfig) -> list[tuple[Rung, TrainConfig, dict]]:
    """Each rung with its config and model options, every rung keeping the changes of the rungs below."""
    config, options, out = base, {}, []
    for rung in LADDER:
        config = with_overrides(config, **rung.changes)
        options = {**options, **rung.model}
        out.append((rung, config, options))
    return out


def ladder_settings(train_images: int, epochs: int | None = None) -> tuple[int, int, float]:
    """(epochs per rung, batch size, lr) for a training set of `train_images` images."""
    small = train_images < SMALL_SET
    batch = SAMPLE_BATCH if small else SPEEDRUN_RECIPE.batch_size
    # linear scaling: the recipe's lr belongs to batch 1024; an 8× smaller batch takes 8× smaller steps
    lr = SPEEDRUN_RECIPE.optim.lr * batch / SPEEDRUN_RECIPE.batch_size
    return epochs or (SAMPLE_EPOCHS if small else FULL_EPOCHS), batch, lr


def climb(data: ImageData, target: torch.device, base: TrainConfig,
          report: Callable[[str], None] | None = None) -> list[RungResult]:
    """Train every rung of the ladder, starting from `base`, with engine.fit; return each rung's numbers."""
    results: list[RungResult] = []
    state = test_loader = None
    for rung, config, options in rung_configs(base):
        if rung.retrain:
            seed_everything(config.seed)  # every rung starts from the same random numbers
            train_loader, test_loader = make_loaders(data, config, normalization(config, data), target)
            start = time.perf_counter()
            model = Speedrun(len(data.classes), **options)
            fit_to_data(model, train_loader)  # the whitening filters (rungs with whitening only)
            steps = len(train_loader)
            state = build_state(config, len(data.classes), target, config.epochs * steps,
                                start=StartingPoint(model, "", (), fresh=True), steps_per_epoch=steps)
            history = fit(state, train_loader, test_loader, target, epochs=config.epochs,
                          num_classes=len(data.classes))
            row = RungResult(rung.name, history.epochs[-1].test_accuracy, time.perf_counter() - start,
                             config.epochs * train_loader.num_images)
        else:  # the same model, evaluated with the rung's test-time augmentation
            start = time.perf_counter()
            tested = evaluate(state.model, test_loader, target, len(data.classes), state.amp_dtype, config.tta)
            below = results[-1]
            row = RungResult(rung.name, tested.accuracy, below.seconds + time.perf_counter() - start,
                             below.train_images)
        results.append(row)
        if report is not None:
            report(rung_line(rung, row, results[-2] if len(results) > 1 else None))
    return results


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto", epochs: int | None = None,
        report: Callable[[str], None] | None = None) -> Result:
    writable_dir(Path(out))  # nothing is written there; the folder is checked as every lesson's is
    data = find_cifar10(data_dir)  # the embedded sample, or the full set with --data-dir
    target = pick_device(device)
    configure_backends(target)
    epochs, batch, lr = ladder_settings(len(data.train), epochs)
    base = with_overrides(PLAIN, epochs=epochs, batch_size=batch, lr=lr)
    rungs = climb(data, target, base, report)
    return Result(data=data.describe(), device=str(target), epochs=epochs, batch_size=batch, lr=lr, rungs=rungs)


def rung_line(rung: Rung, row: RungResult, below: RungResult | None) -> str:
    change = "" if below is None else f"{100 * (row.accuracy - below.accuracy):+.1f}%"  # percentage points
    return f"{pad(_(rung.title), 30)} {row.accuracy:6.1%}  {pad(change, 14)} {row.seconds:.1f} s"


def describe(result: Result) -> str:
    by_name = {rung.name: rung for rung in LADDER}
    lines = [result.data,
             _("each rung: {epochs} epochs, batch {batch}, lr {lr:g} (the recipe's 1.5 at batch 1024, scaled "
               "linearly), device {device}").format(epochs=result.epochs, batch=result.batch_size, lr=result.lr,
                                                    device=result.device),
             " ".join((pad(_("rung"), 30), pad(_("accuracy"), 7), pad(_("vs. below"), 14), _("seconds")))]
    for k, row in enumerate(result.rungs):
        lines.append(rung_line(by_name[row.name], row, result.rungs[k - 1] if k else None))
    lines.append(_("why each rung helps:"))
    lines += [f"  {_(by_name[row.name].title)}: {_(by_name[row.name].why)}" for row in result.rungs]
    lines.append(_("the top rung is the speedrun recipe: torchstart train --recipe speedrun --data-dir DIR trains "
                   "it for 10 epochs on the full set, about ten minutes on 2 CPU cores with native bf16 (measured "
                   "figures: docs/en/speedrun.md)"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("speedrun", argv)


if __name__ == "__main__":
    raise SystemExit(main())
