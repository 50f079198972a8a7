"""Lesson 20 — classify any image with a trained model (课程 test.py：用训练好的模型做预测).

中文：课程的 test.py 打开一张图片、缩放到 32×32、转成张量、加载整个模型再 `argmax`。真实图片会让它出错：
带透明通道的 PNG 有 4 个通道，灰度图只有 1 个，而 torch ≥ 2.6 默认拒绝加载整个模型对象。本课用一个 torchstart
检查点（只含权重和元数据，`weights_only=True` 安全加载；没有给出时，先用 `torchstart train` 同一个任务按课程配方
训练 2 轮得到一个；第 19 课保存的检查点也可以），对同一张 CIFAR-10 测试图的 RGB、RGBA、灰度三个版本
以及一张蚂蚁照片做预测，并核对：走 `predict` 的预处理与训练时喂给模型的张量完全一致。

English: the course's test.py opens an image, resizes it to 32×32, makes a tensor, loads the whole pickled model
and takes the `argmax`. Real images break it: a PNG with transparency has 4 channels, a grayscale image 1, and
torch ≥ 2.6 refuses to load a whole pickled model by default. This lesson uses a torchstart checkpoint
(weights plus metadata, loaded safely with `weights_only=True`; without one it first trains one with the
`torchstart train` job, 2 epochs of the course's recipe; lesson 19's checkpoints work too) to classify three
versions of one CIFAR-10 test image — RGB, RGBA and grayscale — and an ant photo, and checks that `predict`'s
preprocessing gives the model exactly the tensor it saw in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..config import recipe, with_overrides
from ..data import find_cifar10
from ..data.hymenoptera import hymenoptera_root
from ..files import writable_dir
from ..inference import predict_images
from ..training.checkpoint import load_checkpoint, model_from_checkpoint
from ..training.job import train
from .runner import lesson_main

TEST_INDEX = 0  # which CIFAR-10 test image to save and classify


@dataclass
class Guess:
    image: str  # file name
    mode: str  # PIL mode on disk: RGB, RGBA, L …
    top: list[tuple[str, float]]  # (class, probability), most likely first


@dataclass
class Result:
    checkpoint: Path
    true_class: str  # label of the CIFAR-10 test image
    guesses: list[Guess]
    direct_class: str  # the model's answer on the training-style tensor of the same image
    same_as_predict: bool  # predict's answer on the RGB PNG equals direct_class (same preprocessing)
    max_prob_difference: float  # largest |p_predict − p_direct| over the 10 classes


def _write_inputs(image: np.ndarray, folder: Path) -> list[Path]:
    """The test image (32, 32, 3) uint8 as RGB PNG, as RGBA PNG (opaque) and as grayscale PNG."""
    rgb = Image.fromarray(image)
    paths = [folder / "cifar_rgb.png", folder / "cifar_rgba.png", folder / "cifar_gray.png"]
    rgb.save(paths[0])
    rgb.convert("RGBA").save(paths[1])  # 4 channels: the course's Normalize would fail here
    rgb.convert("L").save(paths[2])  # 1 channel
    return paths


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto", checkpoint: Path | None = None) -> Result:
    out = writable_dir(Path(out))
    if checkpoint is None:  # no model given: train one as `torchstart train --recipe seed --epochs 2` would
        config = with_overrides(recipe("seed"), epochs=2, data_dir=data_dir, device=device, out=out / "run", quiet=True)
        checkpoint = train(config).best_checkpoint  # seed recipe: inputs are pixels / 255, as below
    data = find_cifar10(data_dir)
    image, label = data.test.images[TEST_INDEX].numpy(), int(data.test.labels[TEST_INDEX])
    ant = hymenoptera_root() / "val" / "ants"
    paths = _write_inputs(image, out) + [next(p for p in sorted(ant.iterdir()) if p.suffix == ".jpg")]

    # The package's predict: open any mode as RGB → resize to the checkpoint's input size → normalise → softmax
    predictions = predict_images(checkpoint, paths, topk=3, device=device)
    guesses = []
    for path, prediction in zip(paths, predictions):
        with Image.open(path) as opened:
            guesses.append(Guess(path.name, opened.mode, prediction.top))

    # The same image as training saw it: (1, 3, 32, 32) floats in [0, 1] straight from the uint8 array
    saved = load_checkpoint(checkpoint)
    model = model_from_checkpoint(saved, checkpoint)
    x = torch.from_numpy(image).permute(2, 0, 1).float().div(255).unsqueeze(0)
    with torch.inference_mode():
        direct = torch.softmax(model(x), dim=1)[0]  # (10,)
    p_rgb = predict_images(checkpoint, paths[:1], topk=len(saved["classes"]), device="cpu")[0]
    p_vector = torch.tensor([dict(p_rgb.top)[name] for name in saved["classes"]])
    direct_class = saved["classes"][int(direct.argmax())]
    return Result(checkpoint=Path(checkpoint), true_class=data.classes[label], guesses=guesses,
                  direct_class=direct_class, same_as_predict=p_rgb.top[0][0] == direct_class,
                  max_prob_difference=float((p_vector - direct).abs().max()))


def describe(result: Result) -> str:
    lines = [f"checkpoint {result.checkpoint}", f"CIFAR-10 test image {TEST_INDEX}: true class {result.true_class!r}"]
    for g in result.guesses:
        top = ", ".join(f"{name} {100 * p:.1f}%" for name, p in g.top)
        lines.append(f"  {g.image:<28} mode {g.mode:<5} → {top}")
    lines.append(f"model on the training-style tensor: {result.direct_class!r}; predict agrees: "
                 f"{result.same_as_predict} (largest probability difference {result.max_prob_difference:.2e})")
    lines.append("an ant is not a CIFAR-10 class: the model must still pick one of its 10 — softmax never says "
                 "'none of these'")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("predict", argv)


if __name__ == "__main__":
    raise SystemExit(main())
