"""Lesson 21 (speedrun): the ladder's rungs, each trained by engine.fit on the embedded sample."""

import pytest

from torchstart.config import SPEEDRUN_RECIPE, config_value
from torchstart.i18n import using
from torchstart.lessons.speedrun import (
    LADDER,
    PLAIN,
    SAMPLE_BATCH,
    SAMPLE_EPOCHS,
    describe,
    ladder_settings,
    rung_configs,
)

NAMES = ["plain", "whitening", "identity", "bias_lr", "smoothing", "altflip", "lookahead", "tta"]


def test_the_ladder_adds_one_trick_per_rung_and_ends_at_the_recipe():
    assert [rung.name for rung in LADDER] == NAMES
    steps = rung_configs(PLAIN)
    top, options = steps[-1][1], steps[-1][2]
    assert options == {"whitening": True, "identity_init": True}
    for name in ("decay_all", "norm_lr_scale", "label_smoothing", "alternate_flip", "lookahead_every",
                 "lookahead_decay", "tta", "whiten_bias_epochs", "lr", "momentum", "weight_decay", "crop_padding"):
        assert config_value(top, name) == config_value(SPEEDRUN_RECIPE, name), name  # the top rung = the recipe
    for (rung, config, _options), (_below, config_below, _) in zip(steps[1:], steps):
        changed = {k for k in rung.changes if config_value(config, k) != config_value(config_below, k)}
        assert changed == set(rung.changes), rung.name  # each rung's changes really change something


def test_the_sample_scales_the_batch_and_lr_linearly():
    assert ladder_settings(2000) == (SAMPLE_EPOCHS, SAMPLE_BATCH, pytest.approx(1.5 * 128 / 1024))
    assert ladder_settings(50_000) == (2, 1024, 1.5)
    assert ladder_settings(50_000, 5) == (5, 1024, 1.5)


def test_every_rung_trains_on_the_sample_and_the_tricks_add_up(lesson_result):
    result = lesson_result("speedrun")
    rungs = {row.name: row for row in result.rungs}
    assert list(rungs) == NAMES
    assert (result.epochs, result.batch_size) == (SAMPLE_EPOCHS, SAMPLE_BATCH)
    assert all(row.train_images == SAMPLE_EPOCHS * 2000 for row in result.rungs)
    assert all(0.1 < row.accuracy < 1 for row in result.rungs)  # every rung learns (10 classes: 10 % is a guess)
    # What is reliable on 500 test images (one image = 0.2 points, ±2 points of sampling noise): every rung from
    # the whitening layer up beats the plain net (measured: 41.2 % → 46.8 … 52.4 %, the smallest gain +5.6 points);
    # the rungs in between go up and down by a few points, which is noise here. TTA adds a test pass, no training.
    plain = rungs["plain"].accuracy
    assert all(row.accuracy > plain + 0.02 for row in result.rungs[1:])
    assert rungs["lookahead"].seconds < rungs["tta"].seconds < rungs["lookahead"].seconds + 10


def test_the_table_reads_in_both_languages(lesson_result):
    result = lesson_result("speedrun")
    english = describe(result)
    assert "+ whitening layer" in english and "why each rung helps:" in english
    with using("zh"):
        chinese = describe(result)
    assert "+ 白化层" in chinese and "每一级为什么有用：" in chinese
