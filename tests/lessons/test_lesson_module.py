"""Lesson 8 (module): the nn.Module docs' Model — shapes, parameters, and forward recomputed by hand."""

import pytest
import torch
import torch.nn.functional as F

from torchstart.i18n import using
from torchstart.lessons.module import Model, NoSuperInit, describe


def test_shapes_through_the_model(lesson_result):
    result = lesson_result("module")
    assert result.input_shape == (1, 1, 28, 28)
    assert result.after_conv1 == (1, 20, 24, 24)  # 28 − 5 + 1
    assert result.output_shape == (1, 20, 20, 20)  # 24 − 5 + 1


def test_parameters_are_registered_by_attribute_assignment(lesson_result):
    result = lesson_result("module")
    assert result.parameters == [("conv1.weight", (20, 1, 5, 5)), ("conv1.bias", (20,)),
                                 ("conv2.weight", (20, 20, 5, 5)), ("conv2.bias", (20,))]
    assert result.parameter_count == (20 * 1 * 5 * 5 + 20) + (20 * 20 * 5 * 5 + 20) == 10540
    assert "(conv1): Conv2d(1, 20, kernel_size=(5, 5)" in result.printed


def test_forward_equals_relu_conv_relu_conv_by_hand(lesson_result):
    result = lesson_result("module")
    assert result.output_min >= 0.0
    assert result.by_hand_max_diff == pytest.approx(0.0, abs=1e-6)

    torch.manual_seed(1)
    model = Model()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        expected = F.relu(F.conv2d(F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias)),
                                   model.conv2.weight, model.conv2.bias))
        torch.testing.assert_close(model(x), expected)
        # one value of conv1 from its definition: the 5×5 window times the kernel, summed, plus the bias
        c = 7
        by_sum = (x[0, 0, :5, :5] * model.conv1.weight[c, 0]).sum() + model.conv1.bias[c]
        assert model.conv1(x)[0, c, 0, 0].item() == pytest.approx(by_sum.item(), abs=1e-5)


def test_forgetting_super_init_is_an_attribute_error(lesson_result):
    assert "before Module.__init__() call" in lesson_result("module").missing_super_error
    with pytest.raises(AttributeError, match="before Module.__init__"):
        NoSuperInit()


def test_describe_in_chinese(lesson_result):
    with using("zh"):
        text = describe(lesson_result("module"))
    assert "参数（共 10540 个）" in text and "输入 (1, 1, 28, 28)" in text
