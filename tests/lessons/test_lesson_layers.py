"""Lesson 12 (layers): BatchNorm against its formula, Dropout's rate and scale, and the layers' shapes."""

import math

import torch
from torch import nn

from torchstart.i18n import using
from torchstart.lessons.layers import cifar_batch, describe, dropout_check


def test_batchnorm_standardises_every_channel(lesson_result):
    bn = lesson_result("layers").batchnorm
    assert len(bn.channel_means) == len(bn.channel_stds) == 3
    assert all(abs(m) < 1e-4 for m in bn.channel_means)
    # population std of (x − mean) / sqrt(var + eps) is sqrt(var / (var + eps)): just under 1
    assert all(0.999 < s <= 1.0 for s in bn.channel_stds)
    assert bn.max_diff_vs_hand < 1e-5


def test_batchnorm_equals_the_formula_and_updates_running_stats():
    x, _ = cifar_batch()
    assert x.shape == (64, 3, 32, 32) and 0.0 <= x.min() and x.max() <= 1.0
    bn = nn.BatchNorm2d(3).train()
    y = bn(x).detach()
    mean = x.mean(dim=(0, 2, 3)).view(1, 3, 1, 1)
    var = ((x - mean) ** 2).mean(dim=(0, 2, 3)).view(1, 3, 1, 1)
    torch.testing.assert_close(y, (x - mean) / torch.sqrt(var + 1e-5), atol=1e-5, rtol=1e-5)
    # running stats move 10 % of the way from their start (mean 0, var 1) to the batch's (unbiased) stats
    n = x.numel() // 3
    torch.testing.assert_close(bn.running_mean, 0.1 * mean.flatten())
    torch.testing.assert_close(bn.running_var, 0.9 + 0.1 * var.flatten() * n / (n - 1))
    # eval mode uses those running stats, so the same batch comes out differently
    assert not torch.allclose(bn.eval()(x), y, atol=1e-3)


def test_dropout_rate_scale_and_eval_identity(lesson_result):
    do = lesson_result("layers").dropout
    assert do.p == 0.5 and do.values == 1_000_000
    tolerance = 5 * math.sqrt(do.p * (1 - do.p) / do.values)  # 5 binomial standard deviations
    assert abs(do.zeroed_fraction - do.p) < tolerance
    assert do.kept_scaled_exactly and do.eval_is_identity
    # with p = 0.5 the kept values are exactly x / (1 − p) = 2x
    torch.manual_seed(1)
    x = torch.rand(10_000) + 1.0
    y = nn.Dropout(0.5)(x)
    kept = y != 0
    assert torch.equal(y[kept], x[kept] / (1 - 0.5))


def test_dropout_with_another_p_multiplies_by_its_scale():
    p = 0.2
    check = dropout_check(p=p, size=200_000, seed=3)
    assert abs(check.zeroed_fraction - p) < 5 * math.sqrt(p * (1 - p) / 200_000)
    assert check.kept_scaled_exactly and check.eval_is_identity
    # torch multiplies by the float 1/(1 − p) rather than dividing by (1 − p): equal up to one rounding step
    torch.manual_seed(0)
    x = torch.rand(10_000) + 1.0
    y = nn.Dropout(p)(x)
    kept = y != 0
    assert torch.equal(y[kept], x[kept] * (1 / (1 - p)))
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))


def test_layer_output_shapes(lesson_result):
    result = lesson_result("layers")
    assert result.input_shape == (64, 3, 32, 32)
    assert result.shapes == {
        "RNN output": (64, 32, 128),
        "RNN h_n": (1, 64, 128),
        "TransformerEncoderLayer": (64, 32, 96),
        "Embedding": (64, 16),
        "torch.flatten": (196608,),
        "nn.Flatten": (64, 3072),
        "Linear(196608, 10) on one row": (1, 10),
        "Linear(3072, 10) on nn.Flatten": (64, 10),
    }


def test_describe_in_chinese(lesson_result):
    result = lesson_result("layers")
    with using("zh"):
        text = describe(result)
    assert "训练模式" in text and "RNN 输出" in text and "(196608,)" in text
    assert "RNN output" in result.shapes  # the result's keys (and its JSON) stay English
