"""Lesson 12 (layers): BatchNorm against its formula, Dropout's rate and scale, the course's Linear(196608, 10)
and its last-batch trap, and the layers' shapes — read from the executed script's variables."""

import math

import pytest
import torch


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(12).namespace


def test_a_batch_of_real_images(ns):
    imgs = ns["imgs"]
    assert imgs.shape == (64, 3, 32, 32) and 0.0 <= imgs.min() and imgs.max() <= 1.0
    assert len(ns["dataset"]) == 500 and ns["dataset"].classes[0] == "airplane"  # the real test sample, offline


def test_batchnorm_standardises_every_channel(ns):
    assert ns["channel_means"].shape == ns["channel_stds"].shape == (3,)
    assert ns["channel_means"].abs().max() < 1e-4
    # population std of (x − mean) / sqrt(var + eps) is sqrt(var / (var + eps)): just under 1
    assert all(0.999 < s <= 1.0 for s in ns["channel_stds"].tolist())
    assert ns["bn_difference"] < 1e-5


def test_batchnorm_equals_the_formula_and_updates_running_stats(ns):
    x = ns["imgs"]
    mean = x.mean(dim=(0, 2, 3)).view(1, 3, 1, 1)
    var = ((x - mean) ** 2).mean(dim=(0, 2, 3)).view(1, 3, 1, 1)
    torch.testing.assert_close(ns["normalized"], (x - mean) / torch.sqrt(var + 1e-5), atol=1e-5, rtol=1e-5)
    # running stats move 10 % of the way from their start (mean 0, var 1) to the batch's (unbiased) stats
    n = x.numel() // 3
    torch.testing.assert_close(ns["running_mean"], 0.1 * mean.flatten())
    torch.testing.assert_close(ns["running_var"], 0.9 + 0.1 * var.flatten() * n / (n - 1))
    # eval mode uses those running stats, so the same batch comes out differently
    assert ns["eval_difference"] > 1e-3 and not ns["bn"].training


def test_dropout_rate_scale_and_eval_identity(ns):
    checks = ns["dropout_checks"]
    assert list(checks) == [0.5, 0.2] and ns["x"].numel() == 1_000_000
    for p, check in checks.items():
        tolerance = 5 * math.sqrt(p * (1 - p) / 1_000_000)  # 5 binomial standard deviations
        assert abs(check["zeroed"] - p) < tolerance
        assert check["times_scale"] and check["eval_identity"]
    # with p = 0.5 the kept values are exactly x / (1 − p) = 2x; with p = 0.2 only up to the last bit
    assert checks[0.5]["divided"] and not checks[0.2]["divided"]
    y, x = ns["y"], ns["x"]  # the p = 0.2 run
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] / (1 - 0.2))


def test_dropout_with_another_p_multiplies_by_its_scale():
    # torch itself, beyond the lesson's two p: a survivor is x times the float 1/(1 − p)
    torch.manual_seed(3)
    p = 0.3
    x = torch.rand(200_000) + 1.0
    y = torch.nn.Dropout(p)(x)
    kept = y != 0
    assert abs(1 - kept.float().mean().item() - p) < 5 * math.sqrt(p * (1 - p) / 200_000)
    assert torch.equal(y[kept], x[kept] * (1 / (1 - p)))


def test_the_course_linear_layer_takes_the_whole_batch_as_one_sample(ns):
    assert ns["output"].shape == (196608,) == (64 * 3 * 32 * 32,)
    assert ns["course_output"].shape == (10,)
    assert ns["course_parameters"] == 196608 * 10 + 10 == 1_966_090
    assert ns["last_imgs"].shape == (52, 3, 32, 32)  # 500 − 7·64
    assert ns["last_batch_error"] == "mat1 and mat2 shapes cannot be multiplied (1x159744 and 196608x10)"


def test_nn_flatten_keeps_the_batch(ns):
    assert ns["per_image"].shape == (64, 3072) and ns["batch_output"].shape == (64, 10)
    assert torch.equal(ns["per_image"], ns["imgs"].reshape(64, -1))
    assert ns["linear_parameters"] == 3072 * 10 + 10


def test_layer_output_shapes(ns):
    assert {name: tuple(shape) for name, shape in ns["shapes"].items()} == {
        "RNN output": (64, 32, 128),
        "RNN h_n": (1, 64, 128),
        "TransformerEncoderLayer": (64, 32, 96),
        "Embedding": (64, 16),
        "torch.flatten": (196608,),
        "nn.Flatten": (64, 3072),
        "Linear(196608, 10)": (10,),
        "Linear(3072, 10)": (64, 10),
    }
    # each RNN step's input is one pixel row: 3 channels × 32 columns
    torch.testing.assert_close(ns["rows"][5, 7], ns["imgs"][5, :, 7, :].reshape(96))
    assert torch.equal(ns["rnn_output"][:, -1], ns["h_n"][0])  # h_n is the last step's output
    assert torch.equal(ns["embedded"], ns["embedding"].weight[ns["targets"]])


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(12, "zh")
    assert zh.namespace["last_batch_error"] == lesson_run(12).namespace["last_batch_error"]
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "只剩 7 个整批" in sources and "7 full batches left" not in sources
