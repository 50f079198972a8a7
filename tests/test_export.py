"""`torchstart export`: .safetensors round-trips to the same logits; ONNX Runtime's logits equal torch's (issue #17)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import CIFAR10_CLASSES as CLASSES
from torchstart.data import CIFAR10_MEAN, CIFAR10_STD, find_cifar10
from torchstart.errors import CheckpointError, ConfigError
from torchstart.export import export_checkpoint, run_onnx
from torchstart.training.checkpoint import load_checkpoint, model_from_checkpoint


@pytest.fixture(scope="module")
def real_batch():
    """12 embedded CIFAR-10 test images, normalised as the checkpoint says: (12, 3, 32, 32) float32."""
    images = find_cifar10(None).test.images[:12].permute(0, 3, 1, 2).float() / 255  # stored (N, 32, 32, 3) uint8
    return (images - torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)) / torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)


def _logits(checkpoint: dict, batch: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model_from_checkpoint(checkpoint)(batch)


def test_safetensors_round_trips_weights_metadata_and_logits(course_checkpoint, real_batch, tmp_path):
    result = export_checkpoint(course_checkpoint, tmp_path / "model.safetensors")
    assert result.format == "safetensors" and result.max_abs_diff == 0.0 and result.kept_aside is None
    original, exported = load_checkpoint(course_checkpoint), load_checkpoint(result.path)
    for key in ("model_name", "classes", "normalization", "input_size", "epoch", "test_accuracy"):
        assert exported[key] == original[key], key
    assert exported["classes"] == list(CLASSES)
    torch.testing.assert_close(_logits(exported, real_batch), _logits(original, real_batch), rtol=0, atol=0)
    # no pickle anywhere: the safetensors library reads it, and the header is plain JSON strings
    from safetensors import safe_open
    with safe_open(str(result.path), framework="np") as f:
        assert json.loads(f.metadata()["classes"]) == list(CLASSES)
        assert f.get_tensor("model.0.weight").shape == (32, 3, 5, 5)


def test_onnx_runtime_gives_torchs_logits_for_any_batch_size(course_checkpoint, real_batch, tmp_path):
    pytest.importorskip("onnxruntime")
    result = export_checkpoint(course_checkpoint, tmp_path / "model.onnx")
    assert result.format == "onnx" and result.max_abs_diff < 1e-4
    expected = _logits(load_checkpoint(course_checkpoint), real_batch).numpy()
    for n in (1, 12):  # the batch axis is dynamic
        got = run_onnx(result.path, real_batch[:n].numpy())
        np.testing.assert_allclose(got, expected[:n], rtol=1e-4, atol=1e-5)
        assert (got.argmax(1) == expected[:n].argmax(1)).all()
    import onnx
    metadata = {p.key: p.value for p in onnx.load(str(result.path)).metadata_props}
    assert json.loads(metadata["classes"]) == list(CLASSES) and json.loads(metadata["input_size"]) == [32, 32]


def test_an_existing_file_is_kept_unless_forced(course_checkpoint, tmp_path):
    out = tmp_path / "model.safetensors"
    out.write_bytes(b"the learner's own file")
    with pytest.raises(ConfigError, match="--force"):
        export_checkpoint(course_checkpoint, out)
    result = export_checkpoint(course_checkpoint, out, force=True)
    assert result.kept_aside.read_bytes() == b"the learner's own file"


def test_an_unknown_format_is_refused_before_any_work(course_checkpoint, tmp_path):
    with pytest.raises(ConfigError, match=r"\.safetensors or \.onnx"):
        export_checkpoint(course_checkpoint, tmp_path / "model.zip")
    assert not (tmp_path / "model.zip").exists()


def test_damaged_or_foreign_safetensors_are_one_clear_error_from_load_checkpoint(course_checkpoint, tmp_path):
    good = export_checkpoint(course_checkpoint, tmp_path / "good.safetensors").path
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="not a readable .safetensors file"):
        load_checkpoint(damaged)
    from safetensors.torch import save_file
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(CheckpointError, match="no torchstart metadata"):
        load_checkpoint(foreign)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_onnx_snippet_in_the_docs_runs(course_checkpoint, tmp_path, monkeypatch, capsys, lang):
    pytest.importorskip("onnxruntime")
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / lang / "share.md").read_text(encoding="utf-8")
    snippet = page.split("```python\n")[1].split("```")[0]
    export_checkpoint(course_checkpoint, tmp_path / "model.onnx")
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, f"docs/{lang}/share.md", "exec"), {})
    assert capsys.readouterr().out.strip() in CLASSES


def test_the_export_command_prints_what_it_checked(course_checkpoint, tmp_path, capsys):
    from torchstart.cli import main

    assert main(["export", str(course_checkpoint), str(tmp_path / "m.safetensors")]) == 0
    assert "differ from the checkpoint's by at most 0.0e+00" in capsys.readouterr().out
    assert main(["evaluate", str(tmp_path / "m.safetensors"), "--json"]) == 0  # evaluate takes the file directly
    assert '"accuracy"' in capsys.readouterr().out
    assert main(["export", str(course_checkpoint), str(tmp_path / "m.safetensors")]) == 2  # kept: no --force
