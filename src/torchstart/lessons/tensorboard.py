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

import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter

from ..data import ImageData, find_cifar10
from ..files import writable_dir
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
    graph_written: bool
    embedding_files: list[Path]  # the projector's config and the tsv/png files next to the event file
    command: str  # how to look at it


def write_embedding(writer: SummaryWriter, cifar: ImageData) -> None:
    """The first EMBEDDING_SIZE test images as points in TensorBoard's projector, labelled with their class.

    One row per image: 4×4 average pooling keeps 3·8·8 = 192 numbers per image, so the projector's
    tensors.tsv stays small.
    """
    pixels = cifar.test.images[:EMBEDDING_SIZE].permute(0, 3, 1, 2).float() / 255  # (64, 3, 32, 32)
    features = F.avg_pool2d(pixels, 4).flatten(1)  # (64, 192)
    labels = [cifar.classes[int(i)] for i in cifar.test.labels[:EMBEDDING_SIZE]]
    writer.add_embedding(features, metadata=labels, label_img=pixels, global_step=0, tag=EMBEDDING_TAG)


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    log_dir = writable_dir(out) / "tb"
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

    write_embedding(writer, cifar)

    with warnings.catch_warnings():
        # add_graph traces the model with torch.jit.trace, which newer torch marks as deprecated; the
        # graph is still written, so the warning would only distract here.
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.trace.*", category=FutureWarning)
        writer.add_graph(model, torch.zeros(1, 3, 32, 32))  # traced with one (1, 3, 32, 32) input
    writer.close()  # flushes everything to disk; without it the last records can be missing

    # Read back with TensorBoard's own reader (size_guidance 0 = keep every record, not a sample).
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "histograms": 0})
    events.Reload()
    found = events.Tags()
    points = events.Scalars(SCALAR_TAG)
    return Result(
        log_dir=log_dir,
        tags={kind: sorted(found[kind]) for kind in ("scalars", "images", "histograms")},
        scalar_steps=len(points),
        scalar_max_error=max(abs(p.value - 2 * p.step) for p in points),
        image_shapes={**{tag: tuple(image.shape) for tag, (image, _) in image_inputs.items()},
                      "cifar/batch": tuple(batch.shape)},
        graph_written=bool(found["graph"]),
        embedding_files=sorted(p for p in log_dir.rglob("*") if p.suffix in (".pbtxt", ".tsv", ".png")),
        command=f"tensorboard --logdir {log_dir}",
    )


def describe(result: Result) -> str:
    lines = [f"log dir: {result.log_dir}",
             f"scalars: {result.tags['scalars']} — {result.scalar_steps} points read back, "
             f"largest |value − 2·step| = {result.scalar_max_error:g}"]
    lines += [f"image {tag}: given {shape}" for tag, shape in result.image_shapes.items()]
    lines += [f"images read back: {result.tags['images']}",
              f"histograms read back: {result.tags['histograms']}",
              f"graph read back: {result.graph_written}",
              "embedding files: " + ", ".join(str(p.relative_to(result.log_dir)) for p in result.embedding_files),
              f"look at it: {result.command}   (then open http://localhost:6006)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("tensorboard", argv)


if __name__ == "__main__":
    raise SystemExit(main())
