"""Lesson 17 (save_load): state_dict vs whole model, a refused malicious pickle, torchstart checkpoints."""

import builtins
import pickle

import pytest
import torch

from torchstart.data import CIFAR10_CLASSES
from torchstart.lessons.save_load import (
    CHECKPOINT_FILE,
    STATE_DICT_FILE,
    UNTRUSTED_FILE,
    WHOLE_MODEL_FILE,
    MarkerPayload,
)
from torchstart.models import Tudui
from torchstart.training.checkpoint import load_checkpoint, model_from_checkpoint

WEIGHT_BYTES = 145_578 * 4  # the course model's float32 parameters: 582,312 bytes


def test_state_dict_round_trip_gives_identical_logits(lesson_result):
    r = lesson_result("save_load")
    assert r.params == 145_578
    assert r.state_dict_logits_equal is True
    state = torch.load(r.out / STATE_DICT_FILE, weights_only=True)
    assert list(state) == r.state_dict_keys == ["model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias",
                                                "model.4.weight", "model.4.bias", "model.7.weight", "model.7.bias",
                                                "model.8.weight", "model.8.bias"]
    assert sum(t.numel() for t in state.values()) == 145_578


def test_whole_model_file_is_refused_by_default_and_names_its_classes(lesson_result):
    r = lesson_result("save_load")
    assert r.whole_model_refusal.startswith("Weights only load failed.")
    assert "\x1b" not in r.whole_model_refusal  # terminal colour codes stripped
    assert "Unsupported global" in r.whole_model_reason and "torchstart.models.Tudui" in r.whole_model_reason
    assert {"torchstart.models.Tudui", "torch.nn.modules.conv.Conv2d",
            "torch.nn.modules.linear.Linear"} <= set(r.whole_model_needs)
    assert r.whole_model_logits_equal is True
    with pytest.raises(pickle.UnpicklingError):
        torch.load(r.out / WHOLE_MODEL_FILE)


def test_untrusted_file_is_refused_and_its_code_never_ran(lesson_result):
    r = lesson_result("save_load")
    assert r.untrusted_needs == [f"{builtins.open.__module__}.open"]  # io.open, or _io.open on newer Pythons
    assert f"Unsupported global: GLOBAL {builtins.open.__module__}.open" in r.untrusted_refusal
    assert r.marker_created is False
    assert not r.marker_path.exists()
    assert r.marker_path.parent == r.out


def test_the_payload_is_live_so_only_weights_only_stopped_it(tmp_path):
    # The same kind of file, in a temp folder: refused with weights_only=True, and it really does run
    # code under weights_only=False (the payload only creates an empty file; the lesson never does this).
    marker = tmp_path / "marker.txt"
    torch.save(MarkerPayload(marker), tmp_path / "untrusted.pth")
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / "untrusted.pth", weights_only=True)
    assert not marker.exists()
    with torch.load(tmp_path / "untrusted.pth", weights_only=False):  # the call returns an open file
        pass
    assert marker.exists()


def test_torchstart_checkpoint_round_trip(lesson_result):
    r = lesson_result("save_load")
    assert r.checkpoint_logits_equal is True
    assert r.checkpoint_metadata["model_name"] == "tudui"
    assert r.checkpoint_metadata["classes"] == list(CIFAR10_CLASSES)
    assert "model_state" not in r.checkpoint_metadata
    assert "import-course-model" in r.checkpoint_on_whole_model
    # the checkpoint and the plain state_dict hold the same weights: same logits from both
    from_checkpoint = model_from_checkpoint(load_checkpoint(r.out / CHECKPOINT_FILE))
    from_state_dict = Tudui().eval()
    from_state_dict.load_state_dict(torch.load(r.out / STATE_DICT_FILE, weights_only=True))
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(from_checkpoint(x), from_state_dict(x))


def test_files_written_under_out_and_their_sizes(lesson_result):
    r = lesson_result("save_load")
    assert {p.name for p in r.out.iterdir()} == {STATE_DICT_FILE, WHOLE_MODEL_FILE, CHECKPOINT_FILE, UNTRUSTED_FILE}
    for name in (STATE_DICT_FILE, WHOLE_MODEL_FILE, CHECKPOINT_FILE):
        # every weight file holds all 582,312 bytes of weights plus a few KB of zip records and pickle
        assert WEIGHT_BYTES <= r.sizes[name] < WEIGHT_BYTES + 16_384, name
        assert r.sizes[name] == (r.out / name).stat().st_size
    assert r.sizes[STATE_DICT_FILE] < r.sizes[WHOLE_MODEL_FILE]  # the whole model adds its pickled modules
    assert r.sizes[UNTRUSTED_FILE] < 4096  # no tensors at all
