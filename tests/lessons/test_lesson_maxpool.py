"""Lesson 10 (maxpool): the course's ceil_mode numbers, a hand-written max pool, CIFAR shapes, the dtype pitfall."""

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn

from torchstart.data import CifarDataset, find_cifar10
from torchstart.i18n import using
from torchstart.lessons.maxpool import GRID_4X4, INPUT, avg_pool_by_hand, describe, max_pool_by_hand, pooled_size


def test_ceil_mode_gives_the_course_numbers(lesson_result):
    result = lesson_result("maxpool")
    assert result.ceil_true == [[2, 3], [5, 1]]
    assert result.ceil_false == [[2]]
    assert result.hand_ceil_true == result.ceil_true and result.hand_ceil_false == result.ceil_false


def test_the_course_worked_example_and_average_pooling(lesson_result):
    example = lesson_result("maxpool").example
    assert GRID_4X4 == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
    assert example.maxpool == example.maxpool_by_hand == [[6, 8], [14, 16]]  # the course's answer
    assert example.avgpool == example.avgpool_by_hand == [[3.5, 5.5], [11.5, 13.5]]  # (1 + 2 + 5 + 6) / 4 = 3.5
    assert example.global_avg == sum(range(1, 17)) / 16 == 8.5


def test_average_pooling_divides_a_partial_window_by_what_is_in_it(lesson_result):
    result = lesson_result("maxpool")
    # top-left: 10 / 9; right: 3 + 1 + 3 + 1 + 0 + 0 over 6 values; bottom: 13 over 6; bottom-right: 4 over 4
    expected = [[10 / 9, 8 / 6], [13 / 6, 1.0]]
    for row, by_hand, want in zip(result.avg_ceil_true, result.avg_ceil_true_by_hand, expected):
        assert row == pytest.approx(by_hand, abs=1e-6) and row == pytest.approx(want, abs=1e-6)
    assert result.cifar_avg_output == (64, 3, 11, 11)


@pytest.mark.parametrize("size,kernel,stride", [(5, 3, 3), (7, 2, 2), (8, 3, 2), (9, 4, 3), (6, 3, 1)])
def test_hand_average_pool_matches_torch(size, kernel, stride):
    grid = torch.randint(0, 100, (size, size), generator=torch.Generator().manual_seed(size)).float()
    for ceil_mode in (True, False):
        expected = nn.AvgPool2d(kernel, stride, ceil_mode=ceil_mode)(grid[None, None])[0, 0]
        got = torch.tensor(avg_pool_by_hand(grid.tolist(), kernel, stride, ceil_mode))
        torch.testing.assert_close(got, expected)


def test_hand_pool_by_eye():
    # top-left full window holds 1 2 0 / 0 1 2 / 1 2 1 → 2; the partial bottom-right one holds 1 1 / 1 1 → 1
    assert max_pool_by_hand(INPUT, 3, ceil_mode=True)[1][1] == max(INPUT[3][3:] + INPUT[4][3:]) == 1
    assert max_pool_by_hand([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], 2) == [[6, 8], [14, 16]]


# (size, kernel, stride); (5, 1, 3) has stride > kernel, where ceil mode would start a window past the edge
POOLS = [(5, 3, 3), (7, 2, 2), (8, 3, 2), (9, 4, 3), (6, 3, 1), (10, 3, 4), (5, 1, 3)]


@pytest.mark.parametrize("size,kernel,stride", POOLS)
@pytest.mark.parametrize("ceil_mode", [True, False])
def test_hand_pool_matches_torch_on_random_grids(size, kernel, stride, ceil_mode):
    grid = torch.randint(0, 100, (size, size + 1), generator=torch.Generator().manual_seed(size * kernel)).float()
    expected = nn.MaxPool2d(kernel, stride, ceil_mode=ceil_mode)(grid[None, None])[0, 0]
    assert max_pool_by_hand(grid.tolist(), kernel, stride, ceil_mode) == expected.tolist()
    assert pooled_size(size, kernel, stride, ceil_mode) == expected.shape[0]


def test_cifar_batch_shapes_and_values(lesson_result):
    result = lesson_result("maxpool")
    assert result.cifar_input == (64, 3, 32, 32)
    assert result.cifar_output == (64, 3, 11, 11)
    assert result.cifar_output_floor == (64, 3, 10, 10)
    assert pooled_size(32, 3, 3, True) == 11 and pooled_size(32, 3, 3, False) == 10


def test_pooled_cifar_image_equals_hand_pool():
    image, _ = CifarDataset(find_cifar10().test)[0]  # (3, 32, 32), the batch's first image
    pooled = nn.MaxPool2d(3, ceil_mode=True)(image[None])[0]
    for channel in range(3):
        assert max_pool_by_hand(image[channel].tolist(), 3, ceil_mode=True) == pooled[channel].tolist()


def test_images_written_to_tensorboard(lesson_result):
    result = lesson_result("maxpool")
    events = EventAccumulator(str(result.log_dir), size_guidance={"images": 0})
    events.Reload()
    assert sorted(events.Tags()["images"]) == sorted(result.tags) == ["avgpool", "input", "maxpool"]
    grid_in, grid_out = events.Images("input")[0], events.Images("maxpool")[0]
    assert (grid_in.height, grid_in.width) == (8 * 32, 8 * 32)  # 64 images, 8 per row
    assert (grid_out.height, grid_out.width) == (8 * 11, 8 * 11)
    grid_avg = events.Images("avgpool")[0]
    assert (grid_avg.height, grid_avg.width) == (8 * 11, 8 * 11)


def test_dtype_pitfall(lesson_result):
    d = lesson_result("maxpool").dtype
    if d.maxpool_int_error:  # torch versions without an integer max pool on this device
        assert "Long" in d.maxpool_int_error and d.maxpool_int is None
    else:
        assert d.maxpool_int == [[2, 3], [5, 1]]
    assert d.avgpool_int == 1 and d.avgpool_float == pytest.approx(10 / 9)  # (1+2+0+0+1+2+1+2+1) / 9
    assert "long" in d.conv_int_error.lower() and "float" in d.conv_int_error.lower()


def test_describe_in_chinese(lesson_result):
    with using("zh"):
        text = describe(lesson_result("maxpool"))
    assert "池化" in text and "[[6, 8], [14, 16]]" in text and "[[2, 3], [5, 1]]" in text
