"""Use a trained checkpoint: measure it on a test set (`evaluate`) or classify images (`predict`).

Both read the normalisation and class names stored in the checkpoint, so an image is prepared
exactly as the training images were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from .config import TrainConfig
from .data import TensorLoader, find_data
from .data.images import image_to_input, open_rgb
from .data.scan import IMAGE_SUFFIXES, image_files
from .device import pick_device
from .errors import CheckpointError, ImageError
from .files import kind_of
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

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "loss": self.loss, "per_class_accuracy": self.per_class_accuracy,
                "num_images": self.num_images, "data": self.data, "checkpoint": self.checkpoint,
                "epoch": self.epoch}


def evaluate_checkpoint(path: Path | str, data_dir: Path | None = None, device: str = "auto",
                        batch_size: int = 1000) -> EvaluationReport:
    """Accuracy, mean loss and per-class accuracy of a checkpoint on a test split.

    The split is CIFAR-10's test set, or for image folders their val/ folder (or the same seeded
    held-out share the run used), at the image size the checkpoint was trained at.
    """
    checkpoint = load_checkpoint(path)
    target = pick_device(device)
    model = model_from_checkpoint(checkpoint, path).to(target)
    trained = stored_config(checkpoint) or TrainConfig()  # image folders: split them as the run did
    data = find_data(data_dir, image_size=checkpoint["input_size"][0], val_fraction=trained.data.val_fraction,
                     seed=trained.seed)
    if tuple(data.classes) != tuple(checkpoint["classes"]):
        raise CheckpointError(f"{path} was trained on the classes {', '.join(checkpoint['classes'])} but the data "
                              f"has {', '.join(data.classes)}", "evaluate on the data set the model was trained on")
    norm = checkpoint["normalization"]
    loader = TensorLoader(data.test.images, data.test.labels, batch_size=batch_size, device=target,
                          mean=norm["mean"], std=norm["std"], channels_last=False)
    result = evaluate(model, loader, target, len(data.classes))
    per_class = dict(zip(checkpoint["classes"], result.per_class_accuracy))
    return EvaluationReport(result.accuracy, result.loss, per_class, result.num_images, data.describe(),
                            str(path), checkpoint.get("epoch"))


@dataclass
class Prediction:
    image: str
    top: list[tuple[str, float]]  # (class name, probability 0..1), most likely first

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
            raise ImageError(f"folder {path} holds no image files", f"put {', '.join(IMAGE_SUFFIXES)} files in it")
        found += [path / name for name in names]
    return found


def predict_images(path: Path | str, images: Sequence[Path | str], topk: int = 3,
                   device: str = "auto") -> list[Prediction]:
    """The `topk` most likely classes of each image (any format Pillow reads; a folder means its images)."""
    images = image_paths(images)
    checkpoint = load_checkpoint(path)
    target = pick_device(device)
    model = model_from_checkpoint(checkpoint, path).to(target)
    norm, size = checkpoint["normalization"], tuple(checkpoint["input_size"])
    # Decode every image first, so a bad file is reported before any work is done.
    batch = torch.cat([image_to_input(open_rgb(p), size, norm["mean"], norm["std"]) for p in images])
    with torch.inference_mode():
        probs = torch.softmax(model(batch.to(target)).float(), dim=1).cpu()  # (N, num_classes)
    k = max(1, min(topk, probs.shape[1]))
    values, indices = probs.topk(k, dim=1)
    classes = checkpoint["classes"]
    return [Prediction(str(p), [(classes[i], float(v)) for v, i in zip(vs.tolist(), ix.tolist())])
            for p, vs, ix in zip(images, values, indices)]
