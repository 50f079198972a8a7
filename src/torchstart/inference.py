"""Use a trained checkpoint: measure it on a test set (`evaluate`) or classify images (`predict`).

Both read the normalisation and class names stored in the checkpoint, so an image is prepared
exactly as the training images were. `predict` also resizes a photo the way the checkpoint records
(`resize`): "squash" as the course's test.py does (`Resize((32, 32))`, then `ToTensor`), for CIFAR-10
models; "crop" (shorter side, then the centre square) for models trained on image folders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from .config import TrainConfig
from .data import find_data
from .data.images import image_to_input, open_rgb
from .data.scan import IMAGE_SUFFIXES, image_files
from .device import pick_device
from .errors import CheckpointError, ImageError
from .files import kind_of
from .i18n import _
from .precision import precision_name, resolve_precision
from .training.build import place_model, test_loader_for
from .training.checkpoint import load_checkpoint, model_from_checkpoint, stored_config
from .training.engine import evaluate


@dataclass
class EvaluationReport:
    accuracy: float  # 0..1
    loss: float  # mean cross-entropy per image
    per_class_accuracy: dict[str, float]  # class name → 0..1
    num_images: int
    data: str  # the "using CIFAR-10 from …" line
    checkpoint: str
    epoch: int | None
    tta: int = 0  # test-time augmentation level used (engine.tta_logits)
    precision: str = "fp32"  # autocast dtype of the pass, as the run's test pass used it on this device

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "loss": self.loss, "per_class_accuracy": self.per_class_accuracy,
                "num_images": self.num_images, "data": self.data, "checkpoint": self.checkpoint,
                "epoch": self.epoch, "tta": self.tta, "precision": self.precision}


def evaluate_checkpoint(path: Path | str, data_dir: Path | None = None, device: str = "auto",
                        tta: int | None = None) -> EvaluationReport:
    """Accuracy, mean loss and per-class accuracy of a checkpoint on a test split.

    The split is CIFAR-10's test set, or for image folders their val/ folder (or the same seeded
    held-out share the run used), at the image size the checkpoint was trained at. The pass is the
    run's own test pass (precision, batch size, memory layout from its stored config), so on the
    machine that trained it the numbers are the ones its epoch line printed.
    `tta`: test-time augmentation level (0, 1, 2); None = the level the run's recipe evaluated with.
    """
    checkpoint = load_checkpoint(path)
    target = pick_device(device)
    trained = stored_config(checkpoint) or TrainConfig()  # image folders: split them as the run did
    model = place_model(model_from_checkpoint(checkpoint, path), trained, target)
    data = find_data(data_dir, image_size=checkpoint["input_size"][0], val_fraction=trained.data.val_fraction,
                     seed=trained.seed)
    if tuple(data.classes) != tuple(checkpoint["classes"]):
        raise CheckpointError(_("{path} was trained on the classes {classes} but the data has {found}").format(
            path=path, classes=", ".join(checkpoint["classes"]), found=", ".join(data.classes)),
            _("evaluate on the data set the model was trained on"))
    norm = checkpoint["normalization"]
    loader = test_loader_for(data.test, trained, (norm["mean"], norm["std"]), target)
    level = trained.tta if tta is None else tta
    amp_dtype = resolve_precision(trained.precision, target)
    result = evaluate(model, loader, target, len(data.classes), amp_dtype, tta=level)
    per_class = dict(zip(checkpoint["classes"], result.per_class_accuracy))
    return EvaluationReport(result.accuracy, result.loss, per_class, result.num_images, data.describe(),
                            str(path), checkpoint.get("epoch"), level, precision_name(amp_dtype))


@dataclass
class Prediction:
    image: str
    top: list[tuple[str, float]]  # (class name, probability 0..1), most likely first
    classes: tuple[str, ...]  # every class the model knows: it picks among these, whatever the photo shows

    def to_dict(self) -> dict:
        return {"image": self.image, "top": [{"class": c, "probability": p} for c, p in self.top]}


def image_paths(paths: Sequence[Path | str]) -> list[Path]:
    """The image files to classify: each file as given, each folder replaced by the images directly inside it."""
    found: list[Path] = []
    for path in map(Path, paths):
        if kind_of(path, "image", ImageError) != "dir":
            found.append(path)  # open_rgb reports a missing or unreadable file by name
            continue
        names = image_files(path)
        if not names:
            raise ImageError(_("folder {path} holds no image files").format(path=path),
                             _("put {suffixes} files in it").format(suffixes=", ".join(IMAGE_SUFFIXES)))
        found += [path / name for name in names]
    return found


def resize_mode(checkpoint: dict, override: str | None = None) -> str:
    """How photos are brought to the checkpoint's input size: `override` (--resize), else what the checkpoint
    records; a checkpoint from before the field crops square inputs and squashes others, as predict then did."""
    size = checkpoint["input_size"]
    return override or checkpoint.get("resize") or ("crop" if size[0] == size[1] else "squash")


def model_input(image: Image.Image, checkpoint: dict, resize: str) -> torch.Tensor:
    """One RGB photo as the model's (1, 3, H, W) input: resized by `resize`, then scaled and standardised."""
    (height, width), norm = checkpoint["input_size"], checkpoint["normalization"]
    if resize == "squash":  # torchvision's Resize((H, W)) on a PIL image is exactly this call
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    return image_to_input(image, (height, width), norm["mean"], norm["std"])  # "crop": shorter side, centre


def predict_images(path: Path | str, images: Sequence[Path | str], topk: int = 3,
                   device: str = "auto", resize: str | None = None) -> list[Prediction]:
    """The `topk` most likely classes of each image (any format Pillow reads; a folder means its images).

    resize: "squash" or "crop" instead of what the checkpoint records (see `resize_mode`).
    """
    images = image_paths(images)
    checkpoint = load_checkpoint(path)
    target = pick_device(device)
    model = model_from_checkpoint(checkpoint, path).to(target)
    mode = resize_mode(checkpoint, resize)
    # Decode every image first, so a bad file is reported before any work is done.
    batch = torch.cat([model_input(open_rgb(p), checkpoint, mode) for p in images])
    with torch.inference_mode():
        probs = torch.softmax(model(batch.to(target)).float(), dim=1).cpu()  # (N, num_classes)
    k = max(1, min(topk, probs.shape[1]))
    values, indices = probs.topk(k, dim=1)
    classes = checkpoint["classes"]
    return [Prediction(str(p), [(classes[i], float(v)) for v, i in zip(vs.tolist(), ix.tolist())], tuple(classes))
            for p, vs, ix in zip(images, values, indices)]
