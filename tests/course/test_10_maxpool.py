"""Lesson 10 (maxpool): the course's pooling numbers, the hand-written pooling against torch, CIFAR shapes,
the TensorBoard log and the dtype pitfall, read from the executed script's variables."""

from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn

INPUT = [[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1], [2, 1, 0, 1, 1]]
GRID_4X4 = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(10).namespace


def test_the_course_worked_example_and_average_pooling(ns):
    assert ns["grid"][0, 0].tolist() == GRID_4X4
    assert ns["maxpool_4x4"][0, 0].tolist() == [[6, 8], [14, 16]]  # the course's answer
    assert ns["avgpool_4x4"][0, 0].tolist() == [[3.5, 5.5], [11.5, 13.5]]  # (1 + 2 + 5 + 6) / 4 = 3.5
    assert ns["global_avg"].item() == sum(range(1, 17)) / 16 == 8.5
    by_hand, mean = ns["pool_by_hand"], ns["mean"]
    assert by_hand(GRID_4X4, 2) == [[6, 8], [14, 16]]
    assert by_hand(GRID_4X4, 2, reduce=mean) == [[3.5, 5.5], [11.5, 13.5]]


def test_ceil_mode_gives_the_course_numbers(ns):
    assert ns["input"][0, 0].tolist() == INPUT and ns["input"].dtype == torch.float32
    assert ns["ceil_true"] == [[2, 3], [5, 1]]
    assert ns["ceil_false"] == [[2]]
    assert ns["hand_ceil_true"] == ns["ceil_true"] and ns["hand_ceil_false"] == ns["ceil_false"]
    assert ns["tudui"].maxpool1.ceil_mode and ns["tudui"].maxpool1.stride == 3  # the stride defaults to the kernel


def test_hand_pool_by_eye(ns):
    # top-left full window holds 1 2 0 / 0 1 2 / 1 2 1 → 2; the partial bottom-right one holds 1 1 / 1 1 → 1
    assert ns["pool_by_hand"](INPUT, 3, ceil_mode=True)[1][1] == max(INPUT[3][3:] + INPUT[4][3:]) == 1


def test_average_pooling_divides_a_partial_window_by_what_is_in_it(ns):
    # top-left: 10 / 9; right: 3 + 1 + 3 + 1 + 0 + 0 over 6 values; bottom: 13 over 6; bottom-right: 4 over 4
    expected = [[10 / 9, 8 / 6], [13 / 6, 1.0]]
    for row, by_hand, want in zip(ns["avg_ceil_true"], ns["avg_ceil_true_by_hand"], expected, strict=True):
        assert row == pytest.approx(by_hand, abs=1e-6) and row == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize("size,kernel,stride", [(5, 3, 3), (7, 2, 2), (8, 3, 2), (9, 4, 3), (6, 3, 1)])
def test_hand_average_pool_matches_torch(ns, size, kernel, stride):
    grid = torch.randint(0, 100, (size, size), generator=torch.Generator().manual_seed(size)).float()
    for ceil_mode in (True, False):
        expected = nn.AvgPool2d(kernel, stride, ceil_mode=ceil_mode)(grid[None, None])[0, 0]
        got = torch.tensor(ns["pool_by_hand"](grid.tolist(), kernel, stride, ceil_mode, reduce=ns["mean"]))
        torch.testing.assert_close(got, expected)


# (size, kernel, stride); (5, 1, 3) has stride > kernel, where ceil mode would start a window past the edge
POOLS = [(5, 3, 3), (7, 2, 2), (8, 3, 2), (9, 4, 3), (6, 3, 1), (10, 3, 4), (5, 1, 3)]


@pytest.mark.parametrize("size,kernel,stride", POOLS)
@pytest.mark.parametrize("ceil_mode", [True, False])
def test_hand_pool_matches_torch_on_random_grids(ns, size, kernel, stride, ceil_mode):
    grid = torch.randint(0, 100, (size, size + 1), generator=torch.Generator().manual_seed(size * kernel)).float()
    expected = nn.MaxPool2d(kernel, stride, ceil_mode=ceil_mode)(grid[None, None])[0, 0]
    assert ns["pool_by_hand"](grid.tolist(), kernel, stride, ceil_mode) == expected.tolist()
    assert ns["pooled_size"](size, kernel, stride, ceil_mode) == expected.shape[0]


def test_cifar_batch_shapes_and_values(ns):
    assert [tuple(s) for s in ns["cifar_shapes"]] == [(64, 3, 32, 32), (64, 3, 11, 11), (64, 3, 10, 10),
                                                       (64, 3, 11, 11)]
    assert ns["pooled_size"](32, 3, 3, True) == 11 and ns["pooled_size"](32, 3, 3, False) == 10
    assert len(ns["dataset"]) == 500 and ns["step"] == 8  # ⌈500 / 64⌉ batches, one step each
    image = ns["first_imgs"][0]  # (3, 32, 32), the batch's first image
    for channel in range(3):
        assert ns["pool_by_hand"](image[channel].tolist(), 3, ceil_mode=True) == ns["pooled"][0, channel].tolist()
    assert ns["pooled"].mean() > ns["first_imgs"].mean() > 0  # the maximum leans to the bright pixels


def test_images_written_to_tensorboard(ns):
    log_dir = Path(ns["__file__"]).parent / "logs_maxpool"
    events = EventAccumulator(str(log_dir), size_guidance={"images": 0})
    events.Reload()
    assert sorted(events.Tags()["images"]) == ["avgpool", "input", "output"]
    assert [event.step for event in events.Images("output")] == list(range(8))
    grid_in, grid_out, grid_avg = (events.Images(tag)[0] for tag in ("input", "output", "avgpool"))
    assert (grid_in.height, grid_in.width) == (8 * 32, 8 * 32)  # 64 images, 8 per row
    assert (grid_out.height, grid_out.width) == (grid_avg.height, grid_avg.width) == (8 * 11, 8 * 11)
    last = events.Images("input")[-1]  # the last batch holds 500 − 7 · 64 = 52 images: 7 rows of 8
    assert (last.height, last.width) == (7 * 32, 8 * 32)


def test_dtype_pitfall(ns):
    assert ns["input_int"].dtype == torch.int64 and ns["input_int"].tolist() == [[INPUT]]
    if "maxpool_int_error" in ns:  # torch versions without an integer max pool on this device
        assert "Long" in ns["maxpool_int_error"] and "maxpool_int" not in ns
    else:
        assert ns["maxpool_int"] == [[2, 3], [5, 1]]
    assert ns["avgpool_int"] == 1 and ns["avgpool_float"] == pytest.approx(10 / 9)  # (1+2+0+0+1+2+1+2+1) / 9
    assert "long" in ns["conv_int_error"].lower() and "float" in ns["conv_int_error"].lower()


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(10, "zh")
    assert zh.namespace["ceil_true"] == [[2, 3], [5, 1]]
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "课程最初没写 dtype" in sources and "the course first wrote no dtype" not in sources
