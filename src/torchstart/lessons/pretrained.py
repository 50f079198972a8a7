"""Lesson 16 — pretrained models and transfer learning (课程第十六章：预训练（迁移学习）).

中文：用新的 weights 接口 `torchvision.models.vgg16(weights=...)`（旧的 `pretrained=True` 已废弃）建 VGG16，
数一数参数（1.38 亿），再用课程的办法 `classifier.add_module('add_linear', nn.Linear(1000, 10))` 把 1000 类
改成 10 类，并和直接替换最后一层 `classifier[6] = nn.Linear(4096, 10)` 比较参数量。ImageNet 权重文件只有
已经在 torch 缓存里时才用；否则给出清楚的提示：文件名、缓存目录、在有网的机器上从哪个网址下载。
最后在蚂蚁/蜜蜂样例上把小模型 MobileNetV3-Small 的分类头换成 2 类，冻结主干，用 `engine.fit` 微调两轮。

English: build VGG16 with the weights API, `torchvision.models.vgg16(weights=...)` (the old `pretrained=True`
is deprecated), count its 138 million parameters, turn its 1000 ImageNet classes into 10 the course's way,
`classifier.add_module('add_linear', nn.Linear(1000, 10))`, and compare with replacing the last layer,
`classifier[6] = nn.Linear(4096, 10)`. The ImageNet weights are used only when their file is already in the
torch cache; otherwise a clear message names the file, the cache folder and the URL to fetch it from on a
machine with internet. Finally, give the small MobileNetV3-Small a 2-class head, freeze its backbone and
fine-tune it for two epochs on the ants/bees sample with `engine.fit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import ConcatDataset, DataLoader, Dataset
from torchvision.models import MobileNet_V3_Small_Weights, VGG16_Weights, mobilenet_v3_small, vgg16

from ..data.hymenoptera import LabelFolder, hymenoptera_root
from ..device import pick_device, seed_everything
from ..errors import DataError
from ..i18n import _
from ..models import count_parameters, pretrained_weights_status, require_pretrained_weights
from ..training.engine import EpochRecord, TrainState, fit
from .runner import lesson_main

CLASSES = ("ants", "bees")  # folder names; a name's position is the class index the loss needs
IMAGE_SIZE = 112  # pixels after the centre crop: ImageNet models see 224, a quarter of the pixels keeps CPUs quick
RESIZE = 128  # the short side before the crop, in the same 8 : 7 ratio as ImageNet's 256 → 224
EPOCHS = 2
BATCH_SIZE = 16
LR = 1e-3  # Adam, for the head only


@dataclass
class VggCounts:
    weights: str  # what vgg16(weights=...) got: "VGG16_Weights.IMAGENET1K_V1" when cached, else "None"
    device: str  # "meta": shapes only, no memory; "cpu": real tensors (~550 MB) holding the ImageNet weights
    params: int  # as built: 1000 ImageNet classes
    params_add_linear: int  # the course's way: a 1000 → 10 layer appended to the classifier
    params_replace_last: int  # the other way: the 4096 → 1000 layer replaced by 4096 → 10
    classifier_tail: list[str]  # the last lines of print(model.classifier) after add_module


@dataclass
class FineTune:
    model: str
    weights: str  # "MobileNet_V3_Small_Weights.IMAGENET1K_V1" when cached, else "None" (random backbone)
    image_size: int
    train_images: int
    val_images: int
    trainable_params: int  # the classifier only: the backbone is frozen
    total_params: int
    history: list[EpochRecord]  # test_loss / test_accuracy are measured on val/


@dataclass
class Result:
    vgg16: VggCounts
    weights_cached: bool  # VGG16_Weights.DEFAULT is in the torch cache
    weights_path: Path  # where torch looks for it
    weights_url: str  # where it is downloaded from
    weights_message: str  # how to get it when it is missing ("" when cached)
    fine_tune: FineTune


def vgg16_counts() -> tuple[VggCounts, str]:
    """Build VGG16 once, count its parameters with the course's new head and with a replaced last layer."""
    weights: VGG16_Weights | None = VGG16_Weights.DEFAULT
    try:
        require_pretrained_weights(weights)
        message = ""
    except DataError as err:  # offline and not cached: torchvision would try to download 528 MB and fail
        weights, message = None, str(err)

    # Without weights there is nothing to load, so build on the "meta" device: every tensor has a shape and
    # a dtype but no storage. Counting needs only shapes, and skips allocating and initialising ~550 MB.
    device = torch.device("cpu" if weights is not None else "meta")
    with device:
        model = vgg16(weights=weights)
        params = count_parameters(model)
        # classifier: Linear(25088, 4096) … Linear(4096, 1000); the course appends 1000 → 10 after it
        model.classifier.add_module("add_linear", nn.Linear(1000, 10))
        params_add = count_parameters(model)
        tail = str(model.classifier).splitlines()[-3:-1]
        # the alternative: drop the appended layer and swap the 1000-way layer itself for a 10-way one
        del model.classifier.add_linear
        model.classifier[6] = nn.Linear(4096, 10)
        params_replace = count_parameters(model)
    del model  # free the ~550 MB before the fine-tune (nothing to free on meta)
    return VggCounts(str(weights), device.type, params, params_add, params_replace, tail), message


class ClassIndex(Dataset):
    """A LabelFolder whose label is a class index: LabelFolder gives the folder name, the loss needs an int."""

    def __init__(self, folder: LabelFolder, index: int) -> None:
        self.folder = folder
        self.index = index

    def __len__(self) -> int:
        return len(self.folder)

    def __getitem__(self, i: int):
        image, _folder_name = self.folder[i]
        return image, self.index


def labelled_split(root: Path, transform) -> ConcatDataset:
    """root/ants → label 0, root/bees → label 1, as one dataset."""
    return ConcatDataset([ClassIndex(LabelFolder(root, name, transform), i) for i, name in enumerate(CLASSES)])


def build_finetune_model(num_classes: int = len(CLASSES)) -> tuple[nn.Module, str]:
    """MobileNetV3-Small (ImageNet weights if cached, else random) with a frozen backbone and a new head."""
    weights: MobileNet_V3_Small_Weights | None = MobileNet_V3_Small_Weights.DEFAULT
    if not pretrained_weights_status(weights).available:
        weights = None
    model = mobilenet_v3_small(weights=weights)
    model.features.requires_grad_(False)  # keep the learned features; only the classifier trains
    # classifier: Linear(576, 1024) → Hardswish → Dropout → Linear(1024, 1000); the last becomes 1024 → 2
    model.classifier[3] = nn.Linear(model.classifier[3].in_features, num_classes)
    return model, str(weights)


def fine_tune(root: Path, device: torch.device, epochs: int = EPOCHS,
              report: Callable[[str], None] | None = None) -> FineTune:
    seed_everything(0)
    model, weights_name = build_finetune_model()
    # The weights enum declares its preprocessing (resize, centre crop, ImageNet mean/std) even when the file
    # is not here; we only shrink the sizes. Each image becomes a (3, 112, 112) float tensor.
    transform = MobileNet_V3_Small_Weights.DEFAULT.transforms(crop_size=IMAGE_SIZE, resize_size=RESIZE)
    train = labelled_split(root / "train", transform)
    val = labelled_split(root / "val", transform)
    train_loader = DataLoader(train, batch_size=BATCH_SIZE, shuffle=True)  # batches (16, 3, 112, 112), (16,)
    val_loader = DataLoader(val, batch_size=BATCH_SIZE)
    trainable = [p for p in model.parameters() if p.requires_grad]
    state = TrainState(model.to(device), torch.optim.Adam(trainable, lr=LR))

    def progress(record: EpochRecord, _result, _history) -> None:  # one line per epoch while it trains
        report(_("fine-tune epoch {epoch}/{epochs}: train loss {train:.4f}, val loss {val:.4f}, val accuracy "
                 "{accuracy:.1%}").format(epoch=record.epoch, epochs=epochs, train=record.train_loss,
                                          val=record.test_loss, accuracy=record.test_accuracy))

    history = fit(state, train_loader, val_loader, device, epochs=epochs, num_classes=len(CLASSES),
                  on_epoch_end=progress if report else None)
    return FineTune(model="mobilenet_v3_small", weights=weights_name, image_size=IMAGE_SIZE,
                    train_images=len(train), val_images=len(val),
                    trainable_params=sum(p.numel() for p in trainable), total_params=count_parameters(model),
                    history=history.epochs)


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto",
        report: Callable[[str], None] | None = None) -> Result:
    counts, message = vgg16_counts()
    status = pretrained_weights_status(VGG16_Weights.DEFAULT)
    tuned = fine_tune(hymenoptera_root(data_dir), pick_device(device), report=report)
    return Result(vgg16=counts, weights_cached=status.available, weights_path=status.path,
                  weights_url=status.url, weights_message=message, fine_tune=tuned)


def describe(result: Result) -> str:
    v, f, pad = result.vgg16, result.fine_tune, "    "
    lines = [_("vgg16(weights={weights}) built on {device}:").format(weights=v.weights, device=v.device),
             pad + _("parameters (1000 classes):                 {count:>12,}").format(count=v.params),
             pad + _("+ classifier.add_module('add_linear', …):  {count:>12,}").format(count=v.params_add_linear),
             pad + _("classifier[6] = nn.Linear(4096, 10):       {count:>12,}").format(count=v.params_replace_last),
             pad + _("print(model.classifier) ends with:"), *(f"{pad}{line}" for line in v.classifier_tail)]
    if result.weights_cached:
        lines.append(_("ImageNet weights loaded from the torch cache: {path}").format(path=result.weights_path))
    else:
        lines.append(_("ImageNet weights not cached: {message}").format(message=result.weights_message))
    lines += [_("fine-tune {model} (weights={weights}, backbone frozen) on {train} train / {val} val images at "
                "{size}×{size}: {trainable:,} of {total:,} parameters train").format(
                  model=f.model, weights=f.weights, train=f.train_images, val=f.val_images, size=f.image_size,
                  trainable=f.trainable_params, total=f.total_params),
              pad + _("epoch  train loss  val loss  val accuracy")]
    lines += [f"{pad}{r.epoch:>5}  {r.train_loss:>10.4f}  {r.test_loss:>8.4f}  {r.test_accuracy:>12.1%}"
              for r in f.history]
    if f.weights == "None":  # not text: the name torchvision's weights=None prints as
        lines.append(pad + _("(random backbone: its features mean nothing yet, so expect chance level, 50%)"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("pretrained", argv)


if __name__ == "__main__":
    raise SystemExit(main())
