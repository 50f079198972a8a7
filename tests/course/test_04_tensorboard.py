"""Lesson 4 (tensorboard): the event file holds what the script wrote, read with TensorBoard's own loader."""

import io
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
from tensorboard.compat.proto.graph_pb2 import GraphDef

import torchstart
from torchstart.course import find_chapter
from torchstart.course.literate import cells
from torchstart.data import find_cifar10
from torchstart.models import TUDUI_LAYERS
from torchstart.models import Tudui as PackageTudui

ANT = "train/ants/0013035.jpg"


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(4).namespace


@pytest.fixture(scope="module")
def log_dir(ns):
    return Path(ns["__file__"]).parent / "logs"  # the script wrote `logs` in the folder it ran in


@pytest.fixture(scope="module")
def bgr():
    return cv2.imread(str(torchstart.sample("hymenoptera") / ANT))  # (H, W, 3) B, G, R


@pytest.fixture(scope="module")
def events(log_dir):
    """Every record of the script's one event file: (scalars, images, histograms, graph)."""
    files = list(log_dir.glob("events.out.tfevents.*"))
    assert len(files) == 1
    scalars, images, histograms, graph = {}, {}, {}, GraphDef()
    for event in LegacyEventFileLoader(str(files[0])).Load():
        if event.HasField("graph_def"):
            graph.ParseFromString(event.graph_def)
        for value in event.summary.value:
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
            elif kind == "image":
                images[value.tag] = np.asarray(Image.open(io.BytesIO(value.image.encoded_image_string)))
            elif kind == "histo":
                histograms[value.tag] = value.histo
    return scalars, images, histograms, graph


def test_hundred_scalars_with_value_two_x(ns, events):
    scalars, *_ = events
    assert sorted(scalars["y=2x"]) == [(x, 2.0 * x) for x in range(100)]
    assert ns["scalar_steps"] == 100 and ns["scalar_max_error"] == 0
    assert ns["tags"]["scalars"] == ["y=2x"]


def test_opencv_image_is_written_as_rgb(ns, events, bgr):
    _, images, *_ = events
    np.testing.assert_array_equal(ns["image"], bgr)  # imdecode(np.fromfile(...)) reads what cv2.imread reads
    np.testing.assert_array_equal(images["ant/opencv_rgb_hwc"], bgr[..., ::-1])  # uint8 goes in unscaled, PNG
    np.testing.assert_array_equal(images["ant/opencv_as_bgr"], bgr)  # the course's call: red and blue swapped
    assert not np.array_equal(images["ant/opencv_as_bgr"], images["ant/opencv_rgb_hwc"])
    # the CHW float tensor in [0, 1] is scaled by 255 and truncated: within one level of the same pixels
    diff = np.abs(images["ant/tensor_chw"].astype(int) - bgr[..., ::-1].astype(int))
    assert diff.max() <= 1
    for tag, picture in images.items():
        np.testing.assert_array_equal(ns["read_back"][tag], picture)  # the script's read-back is the file's


def test_image_shapes_given_and_batch_grid(ns, events, bgr):
    _, images, *_ = events
    h, w = bgr.shape[:2]
    assert (h, w) == (149, 224)
    assert ns["image"].shape == ns["image_rgb"].shape == (h, w, 3)
    assert tuple(ns["img_tensor"].shape) == (3, h, w) and ns["img_tensor"].dtype == torch.float32
    assert ns["batch"].shape == (16, 32, 32, 3) and ns["batch"].dtype == np.uint8
    assert images["cifar/batch"].shape == (2 * 32, 8 * 32, 3)  # 16 images → 2 rows of 8
    first = find_cifar10().test.images[0].numpy()  # the package's own loader: the same sample
    np.testing.assert_array_equal(images["cifar/batch"][:32, :32], first)
    assert set(ns["tags"]["images"]) == set(images) == {"ant/opencv_as_bgr", "ant/opencv_rgb_hwc",
                                                        "ant/tensor_chw", "cifar/batch"}
    assert {tag: p.shape for tag, p in ns["read_back"].items()}["cifar/batch"] == (64, 256, 3)


def test_three_ant_images_and_one_grid_are_logged(ns):
    tags = ns["tags"]["images"]
    assert [tag for tag in tags if tag.startswith("ant/")] == ["ant/opencv_as_bgr", "ant/opencv_rgb_hwc",
                                                              "ant/tensor_chw"]
    assert len(tags) == 4


def test_histogram_of_conv1_weights(ns, events):
    _, _, histograms, _ = events
    histo = histograms["tudui/conv1.weight"]
    assert histo.num == 32 * 3 * 5 * 5
    bound = 1 / (3 * 5 * 5) ** 0.5  # default init: uniform in ±1/sqrt(fan_in), fan_in = 3·5·5
    assert -bound <= histo.min < histo.max <= bound
    assert sum(histo.bucket) == histo.num
    assert ns["tags"]["histograms"] == ["tudui/conv1.weight"]
    assert ns["histogram_values"] == histo.num == 2400


def test_graph_has_the_course_models_layers(ns, events):
    *_, graph = events
    ops = Counter(node.op for node in graph.node)
    kinds = Counter(row[0] for row in TUDUI_LAYERS)
    assert ops["aten::_convolution"] == kinds["conv"] == 3
    assert ops["aten::max_pool2d"] == kinds["pool"] == 3
    assert ops["aten::linear"] == kinds["linear"] == 2
    assert ns["graph_written"] is True


def test_the_scripts_model_is_the_course_model_of_the_package(ns):
    script, package = ns["tudui"], PackageTudui()
    assert [type(m) for m in script.model] == [type(m) for m in package.model]
    assert [p.shape for p in script.parameters()] == [p.shape for p in package.parameters()]
    assert sum(p.numel() for p in script.parameters()) == 145_578


def test_embedding_projector_files(ns, log_dir):
    config = (log_dir / "projector_config.pbtxt").read_text()
    folder = log_dir / "00000" / "cifar_pixels"
    assert 'tensor_path: "00000/cifar_pixels/tensors.tsv"' in config
    assert 'metadata_path: "00000/cifar_pixels/metadata.tsv"' in config
    cifar = find_cifar10()
    labels = (folder / "metadata.tsv").read_text().splitlines()
    assert labels == ns["labels"] == [cifar.classes[int(i)] for i in cifar.test.labels[:64]]
    vectors = np.loadtxt(folder / "tensors.tsv", delimiter="\t")
    pixels = cifar.test.images[:64].permute(0, 3, 1, 2).float() / 255
    expected = torch.nn.functional.avg_pool2d(pixels, 4).flatten(1).numpy()  # (64, 192)
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    with Image.open(folder / "sprite.png") as sprite:
        assert sprite.size == (8 * 32, 8 * 32)  # 64 thumbnails in an 8×8 sprite
    assert ns["embedding_files"] == ["00000/cifar_pixels/metadata.tsv", "00000/cifar_pixels/sprite.png",
                                     "00000/cifar_pixels/tensors.tsv", "projector_config.pbtxt"]
    assert ns["embedding_shape"] == vectors.shape == (64, 192)


def test_a_second_run_into_the_same_folder_starts_clean(lesson_run, tmp_path, monkeypatch):
    (cell,) = [run.cell for run in lesson_run(4).cells if "events.out.tfevents" in run.cell.source]
    log_dir = tmp_path / "logs"
    (log_dir / "00000" / "cifar_pixels").mkdir(parents=True)
    (log_dir / "events.out.tfevents.1.host").write_bytes(b"old")
    (log_dir / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    exec("import shutil\nfrom pathlib import Path\n" + cell.source, {"__name__": "__main__"})
    assert sorted(p.name for p in log_dir.iterdir()) == ["notes.txt"]  # only the lesson's own records go


def test_the_lesson_says_how_to_start_tensorboard_on_its_folder(ns, log_dir):
    assert ns["log_dir"] == Path("logs") and log_dir.is_dir()
    for lang in ("zh", "en"):
        prose = "\n".join(cell.source for cell in cells(find_chapter(4), lang) if cell.kind == "markdown")
        assert "tensorboard --logdir logs" in prose and "--bind_all" in prose and "ssh -L 6006" in prose


def test_the_chinese_view_keeps_the_chinese_comments():
    sources = "\n".join(cell.source for cell in cells(find_chapter(4), "zh") if cell.kind == "code")
    assert "# 课程的写法：红蓝对调" in sources and "the course's call: red and blue swapped" not in sources
