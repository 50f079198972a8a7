from pathlib import Path

import pytest

from torchstart.config import RECIPES, from_dict, recipe, to_dict, with_overrides
from torchstart.errors import ConfigError


def test_seed_recipe_is_the_course():
    c = recipe("seed")
    assert (c.optim.name, c.optim.lr, c.batch_size, c.epochs) == ("sgd", 0.01, 64, 10)
    assert c.optim.momentum == 0 and c.optim.weight_decay == 0 and c.optim.schedule == "constant"
    assert c.data.crop_padding == 0 and not c.data.flip and not c.data.normalize  # ToTensor only


def test_fast_recipe_takes_bigger_steps_on_accelerators():
    cpu, gpu = recipe("fast"), recipe("fast", "cuda")
    assert (cpu.batch_size, gpu.batch_size) == (128, 512) and gpu.optim.lr == 2 * cpu.optim.lr
    assert recipe("fast", "mps").batch_size == 512
    assert recipe("seed", "cuda") == recipe("seed")  # the course is the course everywhere


def test_overrides_replace_only_given_fields():
    c = with_overrides(recipe("seed"), epochs=3, lr=None, data_dir=Path("x"), crop_padding=4)
    assert c.epochs == 3 and c.optim.lr == 0.01 and c.data.data_dir == Path("x") and c.data.crop_padding == 4
    assert recipe("seed").epochs == 10  # presets are frozen and untouched


@pytest.mark.parametrize("field,value", [("epochs", 0), ("batch_size", -1), ("lr", 0.0), ("max_train_images", 0)])
def test_impossible_values_are_config_errors(field, value):
    with pytest.raises(ConfigError, match="must be"):
        with_overrides(recipe("fast"), **{field: value}).validate()


def test_unknown_names():
    with pytest.raises(ConfigError, match="unknown recipe"):
        recipe("slow")
    with pytest.raises(ConfigError, match="unknown config field"):
        with_overrides(recipe("fast"), learning_rate=1)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_dict_round_trip(name):
    c = with_overrides(RECIPES[name], out=Path("runs/x"), data_dir=Path("/d"))
    assert from_dict(to_dict(c)) == c
