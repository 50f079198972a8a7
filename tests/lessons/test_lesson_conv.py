"""Lesson 9 (conv): the course's hand-computed convolutions, checked against torch and by hand."""

import torch
from torch import nn

from torchstart.lessons.conv import INPUT, KERNEL, output_size


def test_stride_and_padding_give_the_course_numbers(lesson_result):
    result = lesson_result("conv")
    assert result.stride1 == [[10, 12, 12], [18, 16, 16], [13, 9, 3]]
    assert result.stride2 == [[10, 12], [13, 3]]
    assert len(result.padding1) == 5 and all(len(row) == 5 for row in result.padding1)
    assert result.padding1[0] == [1, 3, 4, 10, 8]


def test_first_output_is_the_sum_of_elementwise_products():
    # top-left window of the input times the kernel, summed: what conv2d computes at (0, 0)
    by_hand = sum(INPUT[i][j] * KERNEL[i][j] for i in range(3) for j in range(3))
    assert by_hand == 10


def test_output_size_formula_matches_conv2d(lesson_result):
    checks = lesson_result("conv").shape_checks
    assert len(checks) >= 3
    assert all(c.formula == c.actual for c in checks)
    # and beyond the lesson's table: dilation too
    x = torch.zeros(1, 3, 32, 32)
    for kernel, stride, padding, dilation in [(3, 1, 0, 2), (5, 3, 1, 1), (2, 2, 0, 1)]:
        out = nn.Conv2d(3, 4, kernel, stride, padding, dilation)(x)
        assert out.shape[-1] == output_size(32, kernel, stride, padding, dilation)
