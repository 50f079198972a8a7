"""The fast recipe is better than the course recipe for the same number of epochs (embedded sample)."""

from torchstart.config import recipe, with_overrides
from torchstart.training.job import train


def test_fast_recipe_beats_the_course_recipe_in_the_same_epochs(tmp_path):
    results = {}
    for name in ("seed", "fast"):
        config = with_overrides(recipe(name), epochs=3, out=tmp_path / name, quiet=True)
        results[name] = train(config).history
    fast, seed = results["fast"], results["seed"]
    assert len(fast.epochs) == len(seed.epochs) == 3
    assert fast.epochs[-1].train_images == seed.epochs[-1].train_images == 2000  # same data, same epochs
    assert fast.best_test_accuracy > seed.best_test_accuracy + 0.05
