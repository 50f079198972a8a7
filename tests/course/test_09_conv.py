"""Lesson 9 (conv): the course's hand-computed convolutions, read from the executed script's variables."""

import pytest
import torch
import torch.nn.functional as F

INPUT = [[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1], [2, 1, 0, 1, 1]]
KERNEL = [[1, 2, 1], [0, 1, 0], [2, 1, 0]]


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(9).namespace


def test_stride_and_padding_give_the_course_numbers(ns):
    assert ns["output"][0, 0].tolist() == [[10, 12, 12], [18, 16, 16], [13, 9, 3]]
    assert ns["output2"][0, 0].tolist() == [[10, 12], [13, 3]]
    assert ns["output3"].shape == (1, 1, 5, 5) and ns["output3"][0, 0, 0].tolist() == [1, 3, 4, 10, 8]
    assert ns["first"].item() == sum(INPUT[i][j] * KERNEL[i][j] for i in range(3) for j in range(3)) == 10


def test_output_size_formula_matches_conv2d(ns):
    assert len(ns["shape_checks"]) == 7 and all(formula == actual for formula, actual in ns["shape_checks"])
    assert [formula for formula, _actual in ns["shape_checks"]] == [32, 30, 16, 14, 11, 28, 32]


def test_the_course_conv_layer_on_cifar_images(ns):
    assert ns["imgs"].shape == (64, 3, 32, 32) and ns["feature_maps"].shape == (64, 6, 30, 30)
    assert ns["dataset"].classes[0] == "airplane" and len(ns["dataset"]) == 500  # the real test sample, offline


def test_bias_adds_one_number_per_output_channel(ns):
    assert torch.equal(ns["with_bias"], ns["output"] + 1)
    assert (ns["parameters_with_bias"], ns["parameters_without_bias"]) == (10, 9)


def test_padding_modes_fill_the_border_as_documented(ns):
    padded = {mode: grid.tolist() for mode, grid in ns["padded"].items()}
    assert list(padded) == ["zeros", "reflect", "replicate", "circular"]
    for grid in padded.values():
        assert [row[1:6] for row in grid[1:6]] == INPUT  # the inside is the input itself
    assert padded["zeros"][0] == [0] * 7
    assert padded["reflect"][0] == [1, 0, 1, 2, 3, 1, 3] and padded["reflect"][6][1:6] == INPUT[3]
    assert padded["replicate"][0][1:6] == INPUT[0] and padded["circular"][0] == [1, 2, 1, 0, 1, 1, 2]


def test_dilation_spreads_the_kernel(ns):
    by_hand = sum(INPUT[2 * i][2 * j] * KERNEL[i][j] for i in range(3) for j in range(3))
    assert ns["dilated"].item() == ns["dilated_by_hand"].item() == by_hand == 7
    assert ns["dilated_padding2"][0, 0, 0].tolist() == [2, 4, 3, 7, 3]


def test_groups_cut_the_parameters(ns):
    assert ns["group_parameters"] == [(1, 168, 168), (3, 60, 60), (3, 30, 30), (3, 27, 27)]
    assert ns["groups_difference"] < 1e-6


def test_transposed_convolution_by_hand_and_its_size(ns):
    assert torch.equal(ns["transposed"][0, 0], ns["by_hand"])
    assert ns["transposed"][0, 0, 0].tolist() == [10, 20, 22, 24, 12]
    assert ns["transposed"][0, 0, 4].tolist() == [26, 13, 6, 3, 0]
    assert ns["transposed_sizes"] == [(16, 16), (16, 16), (16, 16), (8, 8), (17, 17)]


@pytest.mark.parametrize("size,kernel,stride,padding,output_padding,dilation",
                         [(5, 3, 2, 1, 1, 1), (7, 4, 3, 2, 2, 1), (4, 3, 1, 0, 0, 3), (6, 2, 2, 1, 1, 2)])
def test_transposed_convolution_is_the_gradient_of_a_convolution(size, kernel, stride, padding, output_padding,
                                                                 dilation):
    # conv_transpose2d(y, w) is how conv2d sends a gradient back to its input: the same settings, the adjoint
    out_side = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    torch.manual_seed(size)
    w, y = torch.randn(2, 3, kernel, kernel), torch.randn(1, 2, size, size)
    x = torch.zeros(1, 3, out_side, out_side, requires_grad=True)
    conv = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    assert conv.shape[-1] == size
    (conv * y).sum().backward()
    transposed = F.conv_transpose2d(y, w, stride=stride, padding=padding, output_padding=output_padding,
                                    dilation=dilation)
    torch.testing.assert_close(transposed, x.grad)


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(9, "zh")
    assert torch.equal(zh.namespace["output"], lesson_run(9).namespace["output"])
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "卷积核是随机初始化的" in sources and "the kernels start random" not in sources
