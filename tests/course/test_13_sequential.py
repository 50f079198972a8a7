"""Lesson 13 (sequential): the course model written out as nn.Sequential — its shapes and parameters layer by layer,
the named form, the TensorBoard graph, and that it is the package's Tudui — read from the executed script."""

import re
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from torchstart import models

# After each of the nine layers, for a batch of 64
EXPECTED_SHAPES = [(64, 32, 32, 32), (64, 32, 16, 16), (64, 32, 16, 16), (64, 32, 8, 8), (64, 64, 8, 8),
                   (64, 64, 4, 4), (64, 1024), (64, 64), (64, 10)]
# weights + biases: conv 3·32·25 + 32, conv 32·32·25 + 32, conv 32·64·25 + 64, linear 1024·64 + 64, 64·10 + 10
EXPECTED_PARAMS = [2432, 0, 25632, 0, 51264, 0, 0, 65600, 650]


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(13).namespace


def docstring_shapes(batch: int) -> list[tuple[int, ...]]:
    """The shapes models.py's docstring lists for a batch of B images, with B = batch (input first)."""
    doc = models.__doc__
    block = doc[doc.index("Shapes for a CIFAR-10 batch"):doc.index("logits")]
    return [(batch, *map(int, dims.split(","))) for dims in re.findall(r"\(B, ([\d, ]+)\)", block)]


def test_the_lesson_writes_the_sequential_out_layer_by_layer(lesson_run):
    source = "\n".join(run.cell.source for run in lesson_run(13).cells)
    assert "self.model = Sequential(\n            Conv2d(3, 32, 5, padding=2),\n            MaxPool2d(2)," in source
    assert "Linear(1024, 64),\n            Linear(64, 10),\n        )" in source
    assert "torchstart" not in source  # the course's own code, not the package's model


def test_output_and_parameter_count(ns):
    assert ns["input"].shape == (64, 3, 32, 32) and ns["output"].shape == (64, 10)
    assert ns["total_parameters"] == 145_578 == sum(ns["layer_parameters"])
    assert ns["total_parameters"] == sum(p.numel() for p in models.Tudui().parameters())
    assert torch.equal(ns["x"], ns["output"])  # layer by layer == tudui(input)


def test_shape_table_matches_the_models_docstring(ns):
    assert ns["layer_shapes"] == EXPECTED_SHAPES
    assert docstring_shapes(64) == [(64, 3, 32, 32), *EXPECTED_SHAPES]
    assert ns["layer_parameters"] == EXPECTED_PARAMS
    layers = [repr(layer) for layer in ns["tudui"].model]
    assert layers[0].startswith("Conv2d(3, 32, kernel_size=(5, 5)") and layers[6].startswith("Flatten")


def test_it_is_the_packages_course_model(ns):
    # the names are the state_dict's prefixes, so a course checkpoint's keys line up with torchstart's Tudui
    lesson_state = ns["tudui"].state_dict()
    package = models.Tudui()
    assert {k: v.shape for k, v in lesson_state.items()} == {k: v.shape for k, v in package.state_dict().items()}
    assert {k.rsplit(".", 1)[0] for k in lesson_state} == {f"model.{i}" for i in (0, 2, 4, 7, 8)}
    package.load_state_dict(lesson_state)
    with torch.no_grad():
        torch.testing.assert_close(package(ns["input"]), ns["output"].detach())


def test_another_batch_size_changes_only_the_first_dimension_and_another_image_size_fails(ns):
    tudui = ns["tudui"]
    with torch.no_grad():
        x = torch.zeros(3, 3, 32, 32)
        for layer, shape in zip(tudui.model, EXPECTED_SHAPES):
            x = layer(x)
            assert x.shape == (3, *shape[1:])
    assert ns["size_error"] == "mat1 and mat2 shapes cannot be multiplied (1x4096 and 1024x64)"


def test_named_form_is_the_same_network(ns):
    assert ns["named_layers"] == ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "flatten", "linear1",
                                 "linear2"]
    assert ns["named_parameters"] == 145_578
    assert list(ns["renamed"])[:2] == ["conv1.weight", "conv1.bias"]
    assert torch.equal(ns["named"](ns["input"]), ns["output"])


def test_graph_is_in_the_event_file(ns):
    log_dir = Path(ns["__file__"]).parent / ns["writer"].log_dir
    assert list(log_dir.glob("events.out.tfevents.*"))
    events = EventAccumulator(str(log_dir))
    events.Reload()
    assert events.Tags()["graph"]
    names = [node.name for node in events.Graph().node]
    assert any("Sequential[model]/Conv2d[0]" in name for name in names)
    assert any("Sequential[model]/Linear[8]" in name for name in names)


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(13, "zh")
    assert zh.namespace["layer_shapes"] == lesson_run(13).namespace["layer_shapes"]
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "按顺序把 model.0.weight" in sources and "rename in order" not in sources
