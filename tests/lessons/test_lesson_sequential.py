"""Lesson 13 (sequential): the course model's shapes and parameters layer by layer, and its TensorBoard graph."""

import re

import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from torchstart import models
from torchstart.lessons.sequential import shape_table
from torchstart.models import Tudui, count_parameters

# After each of the nine layers of TUDUI_LAYERS, for a batch of 64
EXPECTED_SHAPES = [(64, 32, 32, 32), (64, 32, 16, 16), (64, 32, 16, 16), (64, 32, 8, 8), (64, 64, 8, 8),
                   (64, 64, 4, 4), (64, 1024), (64, 64), (64, 10)]
# weights + biases: conv 3·32·25 + 32, conv 32·32·25 + 32, conv 32·64·25 + 64, linear 1024·64 + 64, 64·10 + 10
EXPECTED_PARAMS = [2432, 0, 25632, 0, 51264, 0, 0, 65600, 650]


def docstring_shapes(batch: int) -> list[tuple[int, ...]]:
    """The shapes models.py's docstring lists for a batch of B images, with B = batch (input first)."""
    doc = models.__doc__
    block = doc[doc.index("Shapes for a CIFAR-10 batch"):doc.index("logits")]
    return [(batch, *map(int, dims.split(","))) for dims in re.findall(r"\(B, ([\d, ]+)\)", block)]


def test_output_and_parameter_count(lesson_result):
    result = lesson_result("sequential")
    assert result.input_shape == (64, 3, 32, 32)
    assert result.output_shape == (64, 10)
    assert result.total_params == 145_578 == count_parameters(Tudui())
    assert sum(row.params for row in result.layers) == 145_578
    assert result.layer_by_layer_equals_model


def test_shape_table_matches_the_models_docstring(lesson_result):
    rows = lesson_result("sequential").layers
    assert [row.name for row in rows] == [f"model.{i}" for i in range(9)]
    assert [row.output_shape for row in rows] == EXPECTED_SHAPES
    assert docstring_shapes(64) == [(64, 3, 32, 32), *EXPECTED_SHAPES]
    assert [row.params for row in rows] == EXPECTED_PARAMS
    assert rows[0].layer.startswith("Conv2d(3, 32, kernel_size=(5, 5)") and rows[6].layer.startswith("Flatten")
    # the names are the state_dict's prefixes, so a course checkpoint's keys line up
    assert {k.rsplit(".", 1)[0] for k in Tudui().state_dict()} == {f"model.{i}" for i in (0, 2, 4, 7, 8)}


def test_named_form_is_the_same_network(lesson_result):
    result = lesson_result("sequential")
    assert result.named_layers == ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "flatten", "linear1",
                                   "linear2"]
    assert result.named_params == 145_578


def test_graph_is_in_the_event_file(lesson_result):
    log_dir = lesson_result("sequential").log_dir
    assert list(log_dir.glob("events.out.tfevents.*"))
    events = EventAccumulator(str(log_dir))
    events.Reload()
    assert events.Tags()["graph"]
    names = [node.name for node in events.Graph().node]
    assert any("Conv2d[0]" in name for name in names) and any("Linear[8]" in name for name in names)


def test_another_batch_size_changes_only_the_first_dimension():
    with torch.no_grad():
        rows, out = shape_table(Tudui(), torch.zeros(3, 3, 32, 32))
    assert out.shape == (3, 10)
    assert [row.output_shape for row in rows] == [(3, *shape[1:]) for shape in EXPECTED_SHAPES]
