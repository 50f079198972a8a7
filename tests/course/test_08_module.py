"""Lesson 8 (module): the course's Tudui and the nn.Module docs' Model — shapes, parameters, forward by hand,
hooks and the missing super().__init__(), read from the executed script's variables."""

import pytest
import torch
import torch.nn.functional as F


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(8).namespace


def test_the_smallest_module_adds_one(ns, lesson_run):
    assert ns["tudui"](torch.tensor(1.0)).item() == 2.0
    assert ns["tudui"](torch.tensor([3.0, -1.0])).tolist() == [4.0, 0.0]
    assert lesson_run(8).cells[1].output == "tensor(2.)\n"  # what the course prints


def test_shapes_through_the_model(ns):
    assert [tuple(shape) for shape in ns["shapes"]] == [(1, 1, 28, 28), (1, 20, 24, 24), (1, 20, 20, 20)]
    assert "(conv1): Conv2d(1, 20, kernel_size=(5, 5)" in str(ns["model"])


def test_parameters_are_registered_by_attribute_assignment(ns):
    assert ns["parameters"] == [("conv1.weight", (20, 1, 5, 5)), ("conv1.bias", (20,)),
                                ("conv2.weight", (20, 20, 5, 5)), ("conv2.bias", (20,))]
    assert ns["parameter_count"] == (20 * 1 * 5 * 5 + 20) + (20 * 20 * 5 * 5 + 20) == 10540
    assert list(ns["model"].state_dict()) == [name for name, _shape in ns["parameters"]]


def test_forward_equals_relu_conv_relu_conv_by_hand(ns):
    assert ns["output"].min().item() >= 0.0 and ns["output"].max().item() > 0.0  # ReLU last
    assert ns["by_hand_max_diff"] == pytest.approx(0.0, abs=1e-6)
    assert ns["hidden"][0, ns["c"], 0, 0].item() == pytest.approx(ns["by_sum"].item(), abs=1e-5)

    # the same on another model and a batch of two, against torch directly
    torch.manual_seed(1)
    model = ns["Model"]()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        expected = F.relu(F.conv2d(F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias)),
                                   model.conv2.weight, model.conv2.bias))
        torch.testing.assert_close(model(x), expected)
        c = 3  # one value of conv1 from its definition: the 5×5 window times the kernel, summed, plus the bias
        by_sum = (x[1, 0, 2:7, 4:9] * model.conv1.weight[c, 0]).sum() + model.conv1.bias[c]
        assert model.conv1(x)[1, c, 2, 4].item() == pytest.approx(by_sum.item(), abs=1e-5)


def test_calling_the_module_runs_hooks_and_forward_does_not(ns):
    assert ns["hook_calls"] == [(1, 20, 20, 20)]
    assert not ns["model"]._forward_hooks  # the lesson removed its hook


def test_forgetting_super_init_is_an_attribute_error(ns):
    assert "cannot assign module before Module.__init__() call" in ns["missing_super_error"]
    with pytest.raises(AttributeError, match="before Module.__init__"):
        ns["ModelWithoutSuper"]()


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(8, "zh")
    assert zh.namespace["parameter_count"] == 10540 and zh.namespace["hook_calls"] == [(1, 20, 20, 20)]
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "# 前向传播，x 是输入" in sources and "the forward pass; x is the input" not in sources
