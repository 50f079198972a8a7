"""Lesson 20 (predict): the course's test.py on a photo that is not square, any image mode, and predict agreeing."""

from pathlib import Path

import pytest
import torch
from PIL import Image

from torchstart.course import find_chapter
from torchstart.course.execute import run_cells


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(20).namespace


@pytest.fixture(scope="module")
def again(ns, tmp_path_factory):
    """The Chinese view run again in the same folder: the checkpoint is there now, so nothing is trained."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCHSTART_CACHE", str(tmp_path_factory.mktemp("cache")))
        mp.delenv("TORCHSTART_DATA", raising=False)
        mp.setenv("TORCHSTART_LANG", "zh")
        return run_cells(find_chapter(20), "zh", Path(ns["__file__"]).parent)


def test_the_course_test_py_on_a_photo_that_is_not_square(ns):
    assert Image.open(ns["image_path"]).size == (224, 150)  # Resize((32, 32)) squashes it
    assert ns["image"].shape == (1, 3, 32, 32) and ns["output"].shape == (1, 10)
    assert ns["answer"] == ns["classes"][ns["output"].argmax(1).item()]
    assert 0.1 <= ns["probability"] <= 1  # the most likely of 10 classes
    assert ns["probabilities"].sum().item() == pytest.approx(1)
    assert not ns["model"].training


def test_predict_is_test_py_and_crop_is_another_input(ns):
    assert ns["checkpoint"]["resize"] == "squash"  # the checkpoint records the course's resize
    assert ns["predict_difference"] < 1e-6  # predict is test.py, probability for probability
    assert ns["predict_crop_difference"] > 1e-4  # the centre square is another input: other probabilities
    assert ns["crop_difference"] > 1e-4 and ns["cropped"].shape == (1, 3, 32, 32)


def test_rgba_and_gray_need_convert_rgb(ns):
    folder = Path(ns["__file__"]).parent
    assert {name: Image.open(folder / name).mode for name in ns["paths"]} == {
        "cifar_rgb.png": "RGB", "cifar_rgba.png": "RGBA", "cifar_gray.png": "L"}
    modes_and_channels = {name: found[:2] for name, found in ns["without_convert"].items()}
    assert modes_and_channels == {"cifar_rgb.png": ("RGB", 3), "cifar_rgba.png": ("RGBA", 4),
                                  "cifar_gray.png": ("L", 1)}
    assert ns["without_convert"]["cifar_rgb.png"][2] == "works"
    for name, channels in (("cifar_rgba.png", 4), ("cifar_gray.png", 1)):
        outcome = ns["without_convert"][name][2]
        assert outcome.startswith("RuntimeError") and f"expected input[1, {channels}, 32, 32]" in outcome


def test_rgba_gives_the_same_answer_as_rgb_and_gray_still_works(ns):
    guesses = ns["guesses"]
    assert list(guesses) == ["cifar_rgb.png", "cifar_rgba.png", "cifar_gray.png", "1124525276_816a07c17f.jpg"]
    assert guesses["cifar_rgba.png"] == guesses["cifar_rgb.png"]  # opaque alpha changes nothing
    assert guesses["1124525276_816a07c17f.jpg"][0] == (ns["answer"], pytest.approx(ns["probability"], abs=1e-6))
    for top in guesses.values():
        probs = [p for _, p in top]
        assert len(top) == 3 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6


def test_predict_preprocessing_equals_the_training_tensor(ns, monkeypatch):
    assert ns["true_class"] == "airplane"  # test image 0 of the embedded sample
    assert ns["direct_class"] == ns["guesses"]["cifar_rgb.png"][0][0]
    assert ns["max_prob_difference"] < 1e-6
    monkeypatch.chdir(Path(ns["__file__"]).parent)  # the lesson's paths are relative to its folder
    torch.testing.assert_close(ns["predict_probabilities"]("cifar_rgb.png"), ns["direct"], rtol=0, atol=1e-6)


def test_the_lesson_trains_on_totensor_inputs(ns):
    assert ns["trained_here"] and ns["checkpoint_path"] == Path("run/checkpoints/best.pt")
    assert ns["checkpoint"]["normalization"] == {"mean": [0.0] * 3, "std": [1.0] * 3}
    assert ns["checkpoint"]["input_size"] == [32, 32] and len(ns["classes"]) == 10


def test_a_checkpoint_already_there_is_used_and_the_chinese_view_agrees(ns, again):
    zh = again.namespace
    assert not zh["trained_here"]  # nothing to train: the answers are those of the same model
    for name in ("answer", "probability", "crop_answer", "guesses", "direct_class"):
        assert zh[name] == ns[name], name
    assert "epoch" not in again.cells[0].output
    sources = "\n".join(run.cell.source for run in again.cells)
    assert "PIL 图片和它的类别编号" in sources and "a PIL image and its class index" not in sources
