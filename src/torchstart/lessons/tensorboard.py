"""Lesson 4 — TensorBoard (课程第五章：TensorBoard).

中文：用 `SummaryWriter` 写入课程里的各种记录：标量 y = 2x（x 从 0 到 99）、用 OpenCV 读入的蚂蚁照片
（先把 BGR 转成 RGB，再以 `dataformats="HWC"` 写入）、同一张照片的 CHW 张量、一批 CIFAR-10 图像、课程模型
第一层卷积权重的直方图、带类别标签的嵌入向量，以及课程模型 Tudui 的计算图。全部写在 `out/tb` 下，
最后用 TensorBoard 自己的读取器把事件文件读回来，核对写进去的东西确实在里面。

English: write every kind of record the course uses with `SummaryWriter`: the scalar y = 2x for x in
0..99, an ant photo read with OpenCV (BGR turned into RGB, written with `dataformats="HWC"`), the same
photo as a CHW tensor, a batch of CIFAR-10 images, a histogram of the course model's first conv weights,
an embedding with class labels, and the graph of the course model Tudui. Everything goes under
`out/tb`; the lesson then reads the event files back with TensorBoard's own reader to check that what
was written is there.
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter

from ..data import ImageData, find_cifar10
from ..files import writable_dir
from ..i18n import _
from ..models import Tudui
from ._shared import read_image, sample_image_path
from .runner import lesson_main

SCALAR_TAG = "y=2x"
EMBEDDING_TAG = "cifar_pixels"
BATCH_SIZE = 16  # CIFAR images in the add_images grid (8 per row)
EMBEDDING_SIZE = 64  # CIFAR images in the embedding


@dataclass
class Result:
    log_dir: Path
    tags: dict[str, list[str]]  # kind ("scalars", "images", "histograms") → tags, as TensorBoard reads them back
    scalar_steps: int  # how many y=2x points came back
    scalar_max_error: float  # largest |value read back − 2·step|
    image_shapes: dict[str, tuple[int, ...]]  # what each image tag was given (before TensorBoard's conversion)
    histogram_values: int  # how many numbers the histogram counts: conv1's 32·3·5·5 weights
    embedding_shape: tuple[int, int]  # (images, numbers per image) in the projector
    graph_written: bool
    embedding_files: list[Path]  # the projector's config and the tsv/png files next to the event file
    command: str  # how to look at it


def write_embedding(writer: SummaryWriter, cifar: ImageData) -> tuple[int, int]:
    """The first EMBEDDING_SIZE test images as points in TensorBoard's projector, labelled with their class.

    One row per image: 4×4 average pooling keeps 3·8·8 = 192 numbers per image, so the projector's
    tensors.tsv stays small.
    """
    pixels = cifar.test.images[:EMBEDDING_SIZE].permute(0, 3, 1, 2).float() / 255  # (64, 3, 32, 32)
    features = F.avg_pool2d(pixels, 4).flatten(1)  # (64, 192)
    labels = [cifar.classes[int(i)] for i in cifar.test.labels[:EMBEDDING_SIZE]]
    writer.add_embedding(features, metadata=labels, label_img=pixels, global_step=0, tag=EMBEDDING_TAG)
    return tuple(features.shape)


def write_graph(writer: SummaryWriter, model: torch.nn.Module) -> None:
    with warnings.catch_warnings():
        # add_graph traces the model with torch.jit.trace, which newer torch marks as deprecated; the
        # graph is still written, so the warning would only distract here.
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.trace.*", category=FutureWarning)
        writer.add_graph(model, torch.zeros(1, 3, 32, 32))  # traced with one (1, 3, 32, 32) input


def forget_earlier_runs(log_dir: Path) -> None:
    """Remove what an earlier run of this lesson wrote to `log_dir`.

    TensorBoard reads every event file in a folder: run the lesson twice with the same --out and each
    y = 2x point would come back twice (the course's own `logs` folder grows the same way).
    """
    for old in log_dir.glob("events.out.tfevents.*"):
        old.unlink()
    shutil.rmtree(log_dir / "00000", ignore_errors=True)  # the embedding, in a folder named after global_step 0


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    log_dir = writable_dir(out) / "tb"
    forget_earlier_runs(log_dir)
    writer = SummaryWriter(log_dir=str(log_dir))

    for x in range(100):  # the course's first example: one point per step, y = 2x
        writer.add_scalar(SCALAR_TAG, 2 * x, x)

    bgr = read_image(sample_image_path())  # uint8 (H, W, 3), channels B, G, R
    rgb = bgr[..., ::-1].copy()  # TensorBoard shows RGB; without the flip the ant turns blue
    chw = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255  # (3, H, W) in [0, 1], what ToTensor gives
    cifar = find_cifar10()
    batch = cifar.test.images[:BATCH_SIZE]  # uint8 (16, 32, 32, 3)
    image_inputs = {
        "ant/opencv_as_bgr": (bgr, "HWC"),  # the course's call: colours swapped
        "ant/opencv_rgb_hwc": (rgb, "HWC"),
        "ant/tensor_chw": (chw, "CHW"),  # the default format, so the course's later code needs no dataformats
    }
    for tag, (image, dataformats) in image_inputs.items():
        writer.add_image(tag, image, 1, dataformats=dataformats)
    writer.add_images("cifar/batch", batch, 0, dataformats="NHWC")  # one grid image, 8 per row

    model = Tudui()
    conv1 = model.model[0].weight.detach()  # (32, 3, 5, 5): 2,400 numbers
    writer.add_histogram("tudui/conv1.weight", conv1, 0)

    embedding_shape = write_embedding(writer, cifar)

    write_graph(writer, model)
    writer.close()  # flushes everything to disk; without it the last records can be missing

    # Read back with TensorBoard's own reader (size_guidance 0 = keep every record, not a sample).
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "histograms": 0})
    events.Reload()
    found = events.Tags()
    points = events.Scalars(SCALAR_TAG)
    histogram = events.Histograms("tudui/conv1.weight")[0].histogram_value
    return Result(
        log_dir=log_dir,
        tags={kind: sorted(found[kind]) for kind in ("scalars", "images", "histograms")},
        scalar_steps=len(points),
        scalar_max_error=max(abs(p.value - 2 * p.step) for p in points),
        image_shapes={**{tag: tuple(image.shape) for tag, (image, _format) in image_inputs.items()},
                      "cifar/batch": tuple(batch.shape)},
        histogram_values=int(histogram.num),
        embedding_shape=embedding_shape,
        graph_written=bool(found["graph"]),
        embedding_files=sorted(p for p in log_dir.rglob("*") if p.suffix in (".pbtxt", ".tsv", ".png")),
        command=f"tensorboard --logdir {log_dir}",
    )


def describe(result: Result) -> str:
    lines = [_("log dir: {log_dir}").format(log_dir=result.log_dir),
             _("scalars: {tags} — {count} points read back, largest |value − 2·step| = {error:g}").format(
                 tags=result.tags["scalars"], count=result.scalar_steps, error=result.scalar_max_error)]
    lines += [_("image {tag}: given {shape}").format(tag=tag, shape=shape)
              for tag, shape in result.image_shapes.items()]
    lines += [_("images read back: {tags}").format(tags=result.tags["images"]),
              _("histograms read back: {tags}, {count} values").format(
                  tags=result.tags["histograms"], count=result.histogram_values),
              _("graph read back: {written}").format(written=result.graph_written),
              _("embedding: {images} images × {numbers} numbers; files: {files}").format(
                  images=result.embedding_shape[0], numbers=result.embedding_shape[1],
                  files=", ".join(str(p.relative_to(result.log_dir)) for p in result.embedding_files)),
              _("look at it: {command}   (then open http://localhost:6006)").format(command=result.command)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("tensorboard", argv)


if __name__ == "__main__":
    raise SystemExit(main())
