"""Lesson 9 (conv): the course's hand-computed convolutions, checked against torch and by hand."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from torchstart.i18n import using
from torchstart.lessons.conv import (
    INPUT,
    KERNEL,
    conv_transpose_by_hand,
    describe,
    output_size,
    spread_kernel,
    transposed_size,
)


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


def test_bias_adds_one_number_per_output_channel(lesson_result):
    result = lesson_result("conv")
    assert result.with_bias == [[v + 1 for v in row] for row in result.stride1]
    assert (result.parameters_with_bias, result.parameters_without_bias) == (3 * 3 + 1, 3 * 3)


def test_padding_modes_fill_the_border_as_documented(lesson_result):
    modes = {m.mode: m for m in lesson_result("conv").padding_modes}
    assert list(modes) == ["zeros", "reflect", "replicate", "circular"]
    zeros, reflect, replicate, circular = (modes[m].padded for m in modes)
    for padded in (zeros, reflect, replicate, circular):
        assert [row[1:6] for row in padded[1:6]] == INPUT  # the inside is the input itself
    assert zeros[0] == zeros[6] == [0] * 7 and [row[0] for row in zeros] == [0] * 7
    assert reflect[0][1:6] == INPUT[1] and reflect[6][1:6] == INPUT[3]  # mirrored, the edge row not repeated
    assert replicate[0][1:6] == INPUT[0] and replicate[6][1:6] == INPUT[4]  # the edge row repeated
    assert circular[0][1:6] == INPUT[4] and circular[6][1:6] == INPUT[0]  # wrapped around
    assert reflect[0] == [1, 0, 1, 2, 3, 1, 3] and circular[0] == [1, 2, 1, 0, 1, 1, 2]
    assert all(m.equals_pad_then_conv for m in modes.values())
    assert modes["zeros"].output == lesson_result("conv").padding1
    assert [modes[m].output[0] for m in ("reflect", "replicate", "circular")] == [
        [5, 7, 12, 19, 16], [6, 8, 9, 17, 14], [9, 7, 6, 13, 13]]


def test_dilation_spreads_the_kernel(lesson_result):
    result = lesson_result("conv")
    assert result.effective_kernel == 5
    by_hand = sum(INPUT[2 * i][2 * j] * KERNEL[i][j] for i in range(3) for j in range(3))
    assert result.dilated == result.dilated_by_hand == [[by_hand]] == [[7]]
    assert len(result.dilated_padding2) == 5 and result.dilated_padding2[0] == [2, 4, 3, 7, 3]
    assert output_size(5, 3, 1, 2, 2) == 5


def test_groups_cut_the_parameters(lesson_result):
    result = lesson_result("conv")
    assert [(g.groups, g.parameters) for g in result.groups] == [(1, 168), (3, 60), (3, 30), (3, 27)]
    assert all(g.parameters == g.formula for g in result.groups)
    assert result.groups_split_max_diff < 1e-6


def test_transposed_convolution_by_hand_and_its_size(lesson_result):
    result = lesson_result("conv")
    assert result.transposed == result.transposed_by_hand
    assert result.transposed[0] == [10, 20, 22, 24, 12] and result.transposed[4] == [26, 13, 6, 3, 0]
    assert all(t.formula == t.actual for t in result.transposed_checks)
    assert [t.actual for t in result.transposed_checks] == [16, 16, 16, 8, 17]


@pytest.mark.parametrize("size,kernel,stride,padding,output_padding,dilation",
                         [(5, 3, 2, 1, 1, 1), (7, 4, 3, 2, 2, 1), (4, 3, 1, 0, 0, 3), (6, 2, 2, 1, 1, 2)])
def test_transposed_convolution_is_the_gradient_of_a_convolution(size, kernel, stride, padding, output_padding,
                                                                 dilation):
    # conv_transpose2d(y, w) is how conv2d sends a gradient back to its input: the same settings, the adjoint
    out_side = transposed_size(size, kernel, stride, padding, output_padding, dilation)
    torch.manual_seed(size)
    w = torch.randn(2, 3, kernel, kernel)
    y = torch.randn(1, 2, size, size)
    x = torch.zeros(1, 3, out_side, out_side, requires_grad=True)
    conv = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    assert conv.shape[-1] == size
    (conv * y).sum().backward()
    transposed = F.conv_transpose2d(y, w, stride=stride, padding=padding, output_padding=output_padding,
                                    dilation=dilation)
    torch.testing.assert_close(transposed, x.grad)


def test_spread_kernel_and_hand_transpose_on_other_sizes():
    assert spread_kernel([[1, 2], [3, 4]], 3) == [[1, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]]
    grid, kernel = [[1.0, -2.0, 0.5]] * 3, [[1.0, 0.0], [2.0, -1.0]]
    expected = F.conv_transpose2d(torch.tensor(grid)[None, None], torch.tensor(kernel)[None, None], stride=3)
    assert conv_transpose_by_hand(grid, kernel, 3) == expected[0, 0].tolist()


def test_describe_in_chinese(lesson_result):
    with using("zh"):
        text = describe(lesson_result("conv"))
    assert "步长" in text and "填充" in text and "转置卷积" in text
    assert "      10   12   12" in text  # the numbers stay as they are
