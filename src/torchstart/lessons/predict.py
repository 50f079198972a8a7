"""Lesson 20 — classify any image with a trained model (课程 test.py：用训练好的模型做预测).

中文：课程的 test.py 打开一张图片、转成 RGB、`Resize((32, 32))`（不管原图什么比例，直接压扁成 32×32）、`ToTensor`、
`torch.reshape` 成 (1, 3, 32, 32)，加载整个模型，在 `eval()` 和 `no_grad()` 下算出输出再 `argmax(1)`。本课把这几步
原样跑在一张不是正方形的蚂蚁照片上，再和 `torchstart predict` 的结果对照：检查点记录了照片该怎么缩放（课程的
CIFAR-10 模型是 "squash"，压扁），所以 predict 和 test.py 给出相同的概率；换成 "crop"（先裁出中间的正方形）答案就
可能不同。本课还把一张 CIFAR-10 测试图存成 RGB、RGBA、灰度三种 PNG 来预测（课程的写法遇到 4 通道或 1 通道会出错），
并核对 predict 的预处理和训练时的张量完全一致。没有给检查点时，先训练一个：课程的模型、按 torchstart 调好的配方训练
3 轮，但输入和课程一样只做 `ToTensor`（不标准化），这样 test.py 的预处理正好适用。

English: the course's test.py opens an image, makes it RGB, `Resize((32, 32))` (squashing it to 32×32 whatever its
shape), `ToTensor`, `torch.reshape` to (1, 3, 32, 32), loads the whole model and takes `argmax(1)` of the output
under `eval()` and `no_grad()`. This lesson runs those steps as written on an ant photo that is not square and
compares them with `torchstart predict`: the checkpoint records how photos are resized ("squash" for the course's
CIFAR-10 model), so predict gives test.py's probabilities; "crop" (the centre square first) may give another answer.
It also classifies one CIFAR-10 test image saved as RGB, RGBA and grayscale PNGs (the course's code fails on 4 or 1
channels) and checks that predict's preprocessing gives the model exactly the tensor it saw in training. Without a
checkpoint it first trains one: the course's model, 3 epochs of torchstart's tuned recipe, on ToTensor inputs as in
the course (no standardisation), so that test.py's preprocessing fits it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image

from ..config import recipe, with_overrides
from ..data import find_cifar10
from ..data.hymenoptera import hymenoptera_root
from ..files import writable_dir
from ..i18n import _
from ..inference import predict_images, resize_mode
from ..training.checkpoint import load_checkpoint, model_from_checkpoint
from ..training.job import train
from .runner import lesson_main

TEST_INDEX = 0  # which CIFAR-10 test image to save and classify
TRAIN_EPOCHS = 3  # for the checkpoint the lesson trains when none is given


@dataclass
class Guess:
    image: str  # file name
    mode: str  # PIL mode on disk: RGB, RGBA, L …
    top: list[tuple[str, float]]  # (class, probability), most likely first


@dataclass
class CourseTestPy:
    image: str  # the photo's file name
    size: tuple[int, int]  # (width, height) on disk
    shape: list[int]  # the tensor after Resize((32, 32)) → ToTensor → reshape: [1, 3, 32, 32]
    answer: str  # classes[output.argmax(1)]
    probability: float  # softmax of test.py's output, for that class
    predict_resize: str  # how predict resizes for this checkpoint (it records it): "squash" like test.py
    predict_difference: float  # largest |p_test.py − p_predict| over the classes
    crop_answer: str  # predict --resize crop: the centre square instead
    crop_difference: float  # largest |p_test.py − p_crop|


@dataclass
class Result:
    checkpoint: Path
    trained_here: bool  # the lesson trained the checkpoint itself (none was given)
    true_class: str  # label of the CIFAR-10 test image
    guesses: list[Guess]
    direct_class: str  # the model's answer on the training-style tensor of the same image
    same_as_predict: bool  # predict's answer on the RGB PNG equals direct_class (same preprocessing)
    max_prob_difference: float  # largest |p_predict − p_direct| over the 10 classes
    course: CourseTestPy  # the course's test.py on a photo that is not square


def _write_inputs(image: np.ndarray, folder: Path) -> list[Path]:
    """The test image (32, 32, 3) uint8 as RGB PNG, as RGBA PNG (opaque) and as grayscale PNG."""
    rgb = Image.fromarray(image)
    paths = [folder / "cifar_rgb.png", folder / "cifar_rgba.png", folder / "cifar_gray.png"]
    rgb.save(paths[0])
    rgb.convert("RGBA").save(paths[1])  # 4 channels: the course's Normalize would fail here
    rgb.convert("L").save(paths[2])  # 1 channel
    return paths


def probabilities(checkpoint: Path, image: Path, resize: str | None = None) -> torch.Tensor:
    """predict's probabilities for one image, in the checkpoint's class order: (num_classes,)."""
    classes = load_checkpoint(checkpoint)["classes"]
    top = dict(predict_images(checkpoint, [image], topk=len(classes), device="cpu", resize=resize)[0].top)
    return torch.tensor([top[name] for name in classes])


def course_test_py(checkpoint: Path, image_path: Path) -> CourseTestPy:
    """The course's test.py on `image_path`, next to `predict` with the checkpoint's resize and with "crop"."""
    saved = load_checkpoint(checkpoint)
    model = model_from_checkpoint(saved, checkpoint)  # the course: torch.load of a whole model (lesson 17)
    image = Image.open(image_path)
    size = image.size
    image = image.convert("RGB")
    transform = torchvision.transforms.Compose([torchvision.transforms.Resize((32, 32)),
                                                torchvision.transforms.ToTensor()])
    image = transform(image)  # (3, 32, 32): both sides to 32 pixels, so a wide photo is squashed
    image = torch.reshape(image, (1, 3, 32, 32))
    model.eval()
    with torch.no_grad():
        output = model(image)
    p_course = torch.softmax(output, dim=1)[0]
    answer = int(output.argmax(1))
    p_predict, p_crop = probabilities(checkpoint, image_path), probabilities(checkpoint, image_path, "crop")
    classes = saved["classes"]
    return CourseTestPy(image_path.name, size, list(image.shape), classes[answer], float(p_course[answer]),
                        resize_mode(saved), float((p_course - p_predict).abs().max()),
                        classes[int(p_crop.argmax())], float((p_course - p_crop).abs().max()))


def _train_checkpoint(out: Path, data_dir: Path | None, device: str,
                      report: Callable[[str], None] | None) -> Path:
    """A checkpoint trained as `torchstart train --epochs 3` would, but on ToTensor inputs as in the course."""
    config = with_overrides(recipe("fast"), epochs=TRAIN_EPOCHS, normalize=False, data_dir=data_dir,
                            device=device, out=out / "run", quiet=True)
    on_epoch = None if report is None else (lambda record: report(_(
        "training the model: epoch {epoch}/{epochs}, test accuracy {accuracy:.1%}").format(
        epoch=record.epoch, epochs=TRAIN_EPOCHS, accuracy=record.test_accuracy)))
    return train(config, on_epoch=on_epoch).best_checkpoint


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto", checkpoint: Path | None = None,
        report: Callable[[str], None] | None = None) -> Result:
    out = writable_dir(Path(out))
    trained_here = checkpoint is None
    if checkpoint is None:
        checkpoint = _train_checkpoint(out, data_dir, device, report)
    data = find_cifar10(data_dir)
    image, label = data.test.images[TEST_INDEX].numpy(), int(data.test.labels[TEST_INDEX])
    ants = hymenoptera_root() / "val" / "ants"
    photo = next(p for p in sorted(ants.iterdir()) if p.suffix == ".jpg")
    paths = _write_inputs(image, out) + [photo]

    # The package's predict: open any mode as RGB → resize as the checkpoint records → normalise → softmax
    guesses = []
    for path, prediction in zip(paths, predict_images(checkpoint, paths, topk=3, device=device)):
        with Image.open(path) as opened:
            guesses.append(Guess(path.name, opened.mode, prediction.top))

    # The same image as training saw it: (1, 3, 32, 32) floats in [0, 1] straight from the uint8 array
    saved = load_checkpoint(checkpoint)
    model = model_from_checkpoint(saved, checkpoint)
    mean, std = (torch.tensor(saved["normalization"][k]).view(1, 3, 1, 1) for k in ("mean", "std"))
    x = (torch.from_numpy(image).permute(2, 0, 1).float().div(255).unsqueeze(0) - mean) / std
    with torch.inference_mode():
        direct = torch.softmax(model(x), dim=1)[0]  # (10,)
    p_rgb = probabilities(checkpoint, paths[0])
    direct_class = saved["classes"][int(direct.argmax())]
    return Result(checkpoint=Path(checkpoint), trained_here=trained_here, true_class=data.classes[label],
                  guesses=guesses, direct_class=direct_class,
                  same_as_predict=saved["classes"][int(p_rgb.argmax())] == direct_class,
                  max_prob_difference=float((p_rgb - direct).abs().max()), course=course_test_py(checkpoint, photo))


def course_lines(c: CourseTestPy) -> list[str]:
    return [_("the course's test.py on {image} ({width}×{height}, not square): Resize((32, 32)) squashes it, "
              "ToTensor and reshape give {shape}; output.argmax(1) → {answer} ({probability:.1%})").format(
                image=c.image, width=c.size[0], height=c.size[1], shape=c.shape, answer=c.answer,
                probability=c.probability),
            _("predict with resize {mode!r} (recorded in the checkpoint): largest probability difference from "
              "test.py {difference:.1e}").format(mode=c.predict_resize, difference=c.predict_difference),
            _("predict --resize crop (the centre square, no squashing): {answer}; probabilities differ from test.py "
              "by up to {difference:.1%}").format(answer=c.crop_answer, difference=c.crop_difference)]


def describe(result: Result) -> str:
    lines = [_("checkpoint {path}").format(path=result.checkpoint)]
    if result.trained_here:
        lines.append(_("(trained here: the course's model, {epochs} epochs of the tuned recipe on ToTensor inputs "
                       "as in the course, so test.py's preprocessing fits it)").format(epochs=TRAIN_EPOCHS))
    lines.append(_("CIFAR-10 test image {index}: true class {name!r}").format(index=TEST_INDEX,
                                                                             name=result.true_class))
    mode = _("mode")
    for g in result.guesses:
        top = ", ".join(f"{name} {100 * p:.1f}%" for name, p in g.top)
        lines.append(f"  {g.image:<28} {mode} {g.mode:<5} → {top}")
    lines.append(_("model on the training-style tensor: {name!r}; predict agrees: {agrees} (largest probability "
                   "difference {difference:.2e})").format(name=result.direct_class, agrees=result.same_as_predict,
                                                          difference=result.max_prob_difference))
    lines.append(_("an ant is not a CIFAR-10 class: the model must still pick one of its 10 — softmax never says "
                   "'none of these'"))
    return "\n".join(lines + course_lines(result.course))


def main(argv: list[str] | None = None) -> int:
    return lesson_main("predict", argv)


if __name__ == "__main__":
    raise SystemExit(main())
