"""Lesson 4 (tensorboard): the event files hold what the lesson wrote, read with TensorBoard's own loader."""

import io
from collections import Counter

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
from tensorboard.compat.proto.graph_pb2 import GraphDef

from torchstart.data import find_cifar10
from torchstart.lessons._shared import read_image, sample_image_path
from torchstart.lessons.tensorboard import forget_earlier_runs
from torchstart.models import TUDUI_LAYERS


@pytest.fixture(scope="module")
def events(lesson_result):
    """Every record of the lesson's one event file: (scalars, images, histograms, graph, result)."""
    result = lesson_result("tensorboard")
    files = list(result.log_dir.glob("events.out.tfevents.*"))
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
    return scalars, images, histograms, graph, result


def test_hundred_scalars_with_value_two_x(events):
    scalars, *_, result = events
    assert sorted(scalars["y=2x"]) == [(x, 2.0 * x) for x in range(100)]
    assert result.scalar_steps == 100 and result.scalar_max_error == 0
    assert result.tags["scalars"] == ["y=2x"]


def test_opencv_image_is_written_as_rgb(events):
    _, images, *_ = events
    bgr = read_image(sample_image_path())  # (H, W, 3) B, G, R
    np.testing.assert_array_equal(images["ant/opencv_rgb_hwc"], bgr[..., ::-1])  # uint8 goes in unscaled, PNG
    np.testing.assert_array_equal(images["ant/opencv_as_bgr"], bgr)  # the course's call: red and blue swapped
    assert not np.array_equal(images["ant/opencv_as_bgr"], images["ant/opencv_rgb_hwc"])
    # the CHW float tensor in [0, 1] is scaled by 255 and rounded: within one level of the same pixels
    diff = np.abs(images["ant/tensor_chw"].astype(int) - bgr[..., ::-1].astype(int))
    assert diff.max() <= 1


def test_image_shapes_given_and_batch_grid(events):
    _, images, _, _, result = events
    h, w = read_image(sample_image_path()).shape[:2]
    assert result.image_shapes["ant/opencv_rgb_hwc"] == (h, w, 3)
    assert result.image_shapes["ant/tensor_chw"] == (3, h, w)
    assert result.image_shapes["cifar/batch"] == (16, 32, 32, 3)
    assert images["cifar/batch"].shape == (2 * 32, 8 * 32, 3)  # 16 images → 2 rows of 8
    first = find_cifar10().test.images[0].numpy()
    np.testing.assert_array_equal(images["cifar/batch"][:32, :32], first)
    assert set(result.tags["images"]) == set(images) == {"ant/opencv_as_bgr", "ant/opencv_rgb_hwc",
                                                         "ant/tensor_chw", "cifar/batch"}


def test_histogram_of_conv1_weights(events):
    _, _, histograms, _, result = events
    histo = histograms["tudui/conv1.weight"]
    assert histo.num == 32 * 3 * 5 * 5
    # default init: uniform in ±1/sqrt(fan_in), fan_in = 3·5·5
    bound = 1 / (3 * 5 * 5) ** 0.5
    assert -bound <= histo.min < histo.max <= bound
    assert sum(histo.bucket) == histo.num
    assert result.tags["histograms"] == ["tudui/conv1.weight"]
    assert result.histogram_values == histo.num == 2400


def test_graph_has_the_course_models_layers(events):
    *_, graph, result = events
    ops = Counter(node.op for node in graph.node)
    kinds = Counter(row[0] for row in TUDUI_LAYERS)
    assert ops["aten::_convolution"] == kinds["conv"] == 3
    assert ops["aten::max_pool2d"] == kinds["pool"] == 3
    assert ops["aten::linear"] == kinds["linear"] == 2
    assert result.graph_written


def test_embedding_projector_files(lesson_result):
    result = lesson_result("tensorboard")
    log_dir = result.log_dir
    config = (log_dir / "projector_config.pbtxt").read_text()
    folder = log_dir / "00000" / "cifar_pixels"
    assert 'tensor_path: "00000/cifar_pixels/tensors.tsv"' in config
    assert 'metadata_path: "00000/cifar_pixels/metadata.tsv"' in config
    cifar = find_cifar10()
    labels = (folder / "metadata.tsv").read_text().splitlines()
    assert labels == [cifar.classes[int(i)] for i in cifar.test.labels[:64]]
    vectors = np.loadtxt(folder / "tensors.tsv", delimiter="\t")
    pixels = cifar.test.images[:64].permute(0, 3, 1, 2).float() / 255
    expected = torch.nn.functional.avg_pool2d(pixels, 4).flatten(1).numpy()  # (64, 192)
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    with Image.open(folder / "sprite.png") as sprite:
        assert sprite.size == (8 * 32, 8 * 32)  # 64 thumbnails in an 8×8 sprite
    assert set(result.embedding_files) >= {log_dir / "projector_config.pbtxt", folder / "tensors.tsv"}
    assert result.embedding_shape == vectors.shape == (64, 192)


def test_three_ant_images_and_one_grid_are_logged(lesson_result):
    # the page used to say two ants appear: the lesson logs the photo three ways, plus the CIFAR grid
    tags = lesson_result("tensorboard").tags["images"]
    assert [tag for tag in tags if tag.startswith("ant/")] == ["ant/opencv_as_bgr", "ant/opencv_rgb_hwc",
                                                              "ant/tensor_chw"]
    assert len(tags) == 4


def test_a_second_run_into_the_same_folder_starts_clean(tmp_path):
    log_dir = tmp_path / "tb"
    (log_dir / "00000" / "cifar_pixels").mkdir(parents=True)
    (log_dir / "events.out.tfevents.1.host").write_bytes(b"old")
    keep = log_dir / "notes.txt"
    keep.write_text("mine")
    forget_earlier_runs(log_dir)
    assert sorted(p.name for p in log_dir.iterdir()) == ["notes.txt"]  # only the lesson's own records go


def test_result_says_how_to_start_tensorboard(lesson_result):
    result = lesson_result("tensorboard")
    assert result.command == f"tensorboard --logdir {result.log_dir}"
    assert result.log_dir.name == "tb" and result.log_dir.is_dir()
