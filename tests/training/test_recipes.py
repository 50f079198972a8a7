"""The fast recipe is better than the course recipe for the same number of epochs (embedded sample)."""

import pytest

from torchstart.config import recipe, with_overrides
from torchstart.training.job import train


@pytest.mark.slow
def test_fast_recipe_beats_the_course_recipe_in_the_same_epochs(tmp_path):
    results = {}
    for name in ("seed", "fast"):
        config = with_overrides(recipe(name), epochs=3, out=tmp_path / name, quiet=True)
        results[name] = train(config).history
    fast, seed = results["fast"], results["seed"]
    assert len(fast.epochs) == len(seed.epochs) == 3
    assert fast.epochs[-1].train_images == seed.epochs[-1].train_images == 2000  # same data, same epochs
    assert fast.best_test_accuracy > seed.best_test_accuracy + 0.05


@pytest.mark.slow
def test_bf16_autocast_learns_as_well_as_fp32_on_the_sample(tmp_path):
    """bf16 is what precision=auto picks on CPUs with native bf16; it must not cost accuracy (measured: 0.2 points)."""
    runs = {}
    for precision in ("fp32", "bf16"):
        config = with_overrides(recipe("fast"), epochs=3, precision=precision, out=tmp_path / precision, quiet=True)
        runs[precision] = train(config).history
    fp32, bf16 = runs["fp32"], runs["bf16"]
    assert fp32.best_test_accuracy > 0.3 and bf16.best_test_accuracy > 0.3  # both learned (guessing: 10 %)
    assert abs(bf16.best_test_accuracy - fp32.best_test_accuracy) <= 0.02  # 10 of the 500 test images
    assert abs(bf16.epochs[-1].train_loss - fp32.epochs[-1].train_loss) < 0.05
