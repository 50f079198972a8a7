"""Lesson 21 (speedrun): the ladder's rungs, each trained by torchstart.fit on the embedded sample, from the script."""

from dataclasses import fields

import pytest

from torchstart.config import SPEEDRUN_RECIPE, DataConfig, OptimConfig, TrainConfig, config_value
from torchstart.course import find_chapter
from torchstart.course.literate import cells

NAMES = ["plain", "whitening", "identity", "bias_lr", "smoothing", "altflip", "lookahead", "tta"]
# the config fields each rung changes (identity changes a model option only)
CHANGES = {"whitening": {"whiten_bias_epochs"}, "identity": set(), "bias_lr": {"norm_lr_scale", "decay_all"},
           "smoothing": {"label_smoothing"}, "altflip": {"alternate_flip"},
           "lookahead": {"lookahead_every", "lookahead_decay"}, "tta": {"tta"}}
PARTS = ("data", "optim")  # TrainConfig's sub-configs: their fields are compared one by one
FIELDS = [f.name for cls in (TrainConfig, DataConfig, OptimConfig) for f in fields(cls) if f.name not in PARTS]


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(21).namespace


def test_the_ladder_adds_one_trick_per_rung_and_ends_at_the_recipe(ns):
    configs = ns["configs"]
    assert list(configs) == list(ns["results"]) == NAMES
    assert ns["options"] == {"whitening": True, "identity_init": True}
    top = configs["tta"]
    for name in ("decay_all", "norm_lr_scale", "label_smoothing", "alternate_flip", "lookahead_every",
                 "lookahead_decay", "tta", "whiten_bias_epochs", "momentum", "weight_decay", "crop_padding", "model"):
        assert config_value(top, name) == config_value(SPEEDRUN_RECIPE, name), name  # the top rung = the recipe
    for below, rung in zip(NAMES, NAMES[1:]):
        changed = {k for k in FIELDS if config_value(configs[rung], k) != config_value(configs[below], k)}
        assert changed == CHANGES[rung], rung  # each rung changes its own fields, and they really change


def test_the_plain_rung_is_the_recipe_with_every_trick_off(ns):
    plain = ns["configs"]["plain"]
    assert (plain.optim.norm_lr_scale, plain.optim.label_smoothing, plain.tta, plain.optim.lookahead_every) == (
        1.0, 0.0, 0, 0)
    assert not plain.optim.decay_all and not plain.data.alternate_flip and plain.optim.whiten_bias_epochs == 0


def test_the_sample_scales_the_batch_and_lr_linearly(ns):
    settings = ns["ladder_settings"]
    assert (ns["epochs"], ns["batch_size"], ns["lr"]) == (3, 128, pytest.approx(1.5 * 128 / 1024))
    assert settings(2000) == (3, 128, pytest.approx(0.1875))
    assert settings(50_000) == (2, 1024, 1.5)
    assert settings(50_000, 5) == (5, 1024, 1.5)
    assert all(config_value(ns["configs"][name], "lr") == pytest.approx(0.1875) for name in NAMES)


def test_every_rung_trains_on_the_sample_and_the_tricks_add_up(ns):
    rungs = ns["results"]
    assert all(row["train_images"] == 3 * 2000 for row in rungs.values())
    assert all(0.1 < row["accuracy"] < 1 for row in rungs.values())  # every rung learns (10 classes: 10 % is a guess)
    # What is reliable on 500 test images (one image = 0.2 points, ±2 points of sampling noise): every rung from
    # the whitening layer up beats the plain net (measured: 41.2 % → 46.8 … 52.4 %, the smallest gain +5.6 points);
    # the rungs in between go up and down by a few points, which is noise here.
    plain = rungs["plain"]["accuracy"]
    assert all(rungs[name]["accuracy"] > plain + 0.02 for name in NAMES[1:])
    # TTA adds a test pass, no training: its own seconds are fewer than one rung's training
    tta_pass = rungs["tta"]["seconds"] - rungs["lookahead"]["seconds"]
    assert 0 < tta_pass < rungs["lookahead"]["seconds"]


def test_the_chinese_view_has_the_same_code_with_chinese_comments():
    chapter = find_chapter(21)  # read, not run again: both views execute the same code cells
    zh, en = ("\n".join(c.source for c in cells(chapter, lang) if c.kind == "code") for lang in ("zh", "en"))
    assert "线性缩放" in zh and "linear scaling" not in zh and "linear scaling" in en

    def code(text):
        return [line.split("#")[0].rstrip() for line in text.splitlines() if not line.lstrip().startswith("#")]

    assert code(zh) == code(en)
