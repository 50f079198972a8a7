"""Lesson 17 (save_load): state_dict vs whole model, a refused malicious pickle, torchstart checkpoints."""

import builtins
import pickle
from pathlib import Path

import pytest
import torch

from torchstart.data import CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD
from torchstart.training.checkpoint import load_checkpoint, model_from_checkpoint

WEIGHT_BYTES = 145_578 * 4  # the course model's float32 parameters: 582,312 bytes
FILES = {"tudui_method2.pth", "tudui_method1.pth", "tudui_checkpoint.pt", "untrusted_download.pth"}


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(17).namespace


@pytest.fixture(scope="module")
def folder(ns):
    return Path(ns["__file__"]).parent  # where the script ran, and wrote its files


def test_state_dict_round_trip_gives_identical_logits(ns, folder):
    assert ns["params"] == 145_578
    assert ns["state_dict_logits_equal"] is True
    state = torch.load(folder / "tudui_method2.pth", weights_only=True)
    assert list(state) == ns["state_dict_keys"] == ["model.0.weight", "model.0.bias", "model.2.weight",
                                                    "model.2.bias", "model.4.weight", "model.4.bias",
                                                    "model.7.weight", "model.7.bias", "model.8.weight", "model.8.bias"]
    assert sum(t.numel() for t in state.values()) == 145_578
    with torch.no_grad():  # without load_state_dict, a new Tudui() gives other logits: the check can fail
        assert not torch.equal(ns["Tudui"]()(ns["x"]), ns["logits"])


def test_whole_model_file_is_refused_by_default_and_names_its_classes(ns, folder):
    assert ns["whole_model_refusal"].startswith("Weights only load failed.")
    assert "\x1b" not in ns["whole_model_refusal"]  # terminal colour codes stripped
    assert "Unsupported global: GLOBAL __main__.Tudui" in ns["whole_model_reason"]
    assert "Please use" not in ns["whole_model_reason"]
    assert {"__main__.Tudui", "torch.nn.modules.conv.Conv2d",
            "torch.nn.modules.linear.Linear"} <= set(ns["whole_model_needs"])
    assert ns["whole_model_logits_equal"] is True and type(ns["whole"]) is ns["Tudui"]
    with pytest.raises(pickle.UnpicklingError):
        torch.load(folder / "tudui_method1.pth")


def test_untrusted_file_is_refused_and_its_code_never_ran(ns, folder):
    assert ns["untrusted_needs"] == [f"{builtins.open.__module__}.open"]  # io.open, or _io.open on newer Pythons
    assert f"Unsupported global: GLOBAL {builtins.open.__module__}.open" in ns["untrusted_refusal"]
    assert ns["marker_created"] is False
    assert not (folder / ns["marker"]).exists()


def test_the_payload_is_live_so_only_weights_only_stopped_it(ns, tmp_path):
    # The same kind of file, in a temp folder: refused with weights_only=True, and it really does run
    # code under weights_only=False (the payload only creates an empty file; the lesson never does this).
    marker = tmp_path / "marker.txt"
    torch.save(ns["MarkerPayload"](str(marker)), tmp_path / "untrusted.pth")
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / "untrusted.pth", weights_only=True)
    assert not marker.exists()
    with torch.load(tmp_path / "untrusted.pth", weights_only=False):  # the call returns an open file
        pass
    assert marker.exists()


def test_torchstart_checkpoint_round_trip(ns, folder):
    assert ns["checkpoint_logits_equal"] is True
    metadata = ns["checkpoint_metadata"]
    assert metadata["model_name"] == "tudui"
    assert metadata["classes"] == list(CIFAR10_CLASSES)
    assert metadata["normalization"] == {"mean": list(CIFAR10_MEAN), "std": list(CIFAR10_STD)}
    assert "model_state" not in metadata
    assert "import-course-model" in ns["checkpoint_on_whole_model"]
    # the checkpoint and the plain state_dict hold the same weights: same logits from both
    from_checkpoint = model_from_checkpoint(load_checkpoint(folder / "tudui_checkpoint.pt"))
    from_state_dict = ns["Tudui"]().eval()
    from_state_dict.load_state_dict(torch.load(folder / "tudui_method2.pth", weights_only=True))
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(from_checkpoint(x), from_state_dict(x))


def test_files_written_in_the_current_folder_and_their_sizes(ns, folder):
    written = {p.name for p in folder.iterdir() if p.is_file()} - {"lesson.py"}  # the code that ran, kept beside
    assert written == FILES == set(ns["sizes"])
    for name in ("tudui_method2.pth", "tudui_method1.pth", "tudui_checkpoint.pt"):
        # every weight file holds all 582,312 bytes of weights plus a few KB of zip records and pickle
        assert WEIGHT_BYTES <= ns["sizes"][name] < WEIGHT_BYTES + 16_384, name
    for name in FILES:
        assert ns["sizes"][name] == (folder / name).stat().st_size
    assert ns["sizes"]["tudui_method2.pth"] < ns["sizes"]["tudui_method1.pth"]  # + the pickled modules
    assert ns["sizes"]["untrusted_download.pth"] < 4096  # no tensors at all


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(17, "zh")
    assert zh.namespace["sizes"]["tudui_method2.pth"] == lesson_run(17).namespace["sizes"]["tudui_method2.pth"]
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "另一组随机权重" in sources and "other random weights" not in sources
