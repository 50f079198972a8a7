"""Share a trained model the way the ecosystem does: `torchstart export CKPT OUT.safetensors|OUT.onnx`.

- .safetensors: the weights plus our metadata (classes, normalisation, input size, resize, model name) in the
  header; no pickle, readable from any language; `load_checkpoint`, so `evaluate`/`predict`/`demo`, take it
  directly (training/portable.py).
- .onnx: the model as an ONNX graph with a dynamic batch size — input "image" (N, 3, H, W) float32, normalised as
  the metadata says, output "logits" (N, classes) — runnable without PyTorch (ONNX Runtime, browsers, phones).
  The same metadata travels in the model's metadata_props.

Every export is checked before it is reported: the written file is read back and its logits on a seeded batch are
compared with the checkpoint's own model (`max_abs_diff`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import ConfigError
from .files import atomic_write, new_output
from .i18n import N_, _
from .training.checkpoint import load_checkpoint, model_from_checkpoint
from .training.portable import checkpoint_header, write_safetensors

FORMATS = {".safetensors": "safetensors", ".onnx": "onnx"}
ONNX_OPSET = 18  # the opset torch.onnx's exporter targets by default; ONNX Runtime ≥ 1.14 runs it
CHECK_BATCH = 4  # images in the batch the export is verified on


@dataclass
class ExportResult:
    format: str  # "safetensors" | "onnx"
    path: Path
    bytes: int
    max_abs_diff: float  # largest |logit difference| between the written file and the checkpoint's model
    kept_aside: Path | None  # the file that was at `path` before (--force)


def check_batch(checkpoint: dict) -> torch.Tensor:
    """A seeded batch shaped like the model's input: (CHECK_BATCH, 3, H, W)."""
    height, width = checkpoint["input_size"]
    return torch.randn(CHECK_BATCH, 3, height, width, generator=torch.Generator().manual_seed(0))


def export_checkpoint(source: Path | str, out: Path | str, *, force: bool = False) -> ExportResult:
    """Write the model of `source` to `out` in the format its suffix names, verified by reading it back."""
    out = Path(out)
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise ConfigError(_("cannot export to {name}: unknown format").format(name=out.name),
                          _("name the output .safetensors or .onnx"))
    checkpoint = load_checkpoint(source)
    model = model_from_checkpoint(checkpoint, source)
    batch = check_batch(checkpoint)
    with torch.inference_mode():
        expected = model(batch)  # (CHECK_BATCH, classes)
    kept = new_output(out, force=force, what=N_("export file"))
    if kind == "safetensors":
        write_safetensors(checkpoint, out)
        with torch.inference_mode():
            got = model_from_checkpoint(load_checkpoint(out), out)(batch)
    else:
        write_onnx(model, checkpoint, batch, out)
        got = torch.from_numpy(run_onnx(out, batch.numpy()))
    return ExportResult(kind, out, out.stat().st_size, float((got - expected).abs().max()), kept)


def write_onnx(model: torch.nn.Module, checkpoint: dict, batch: torch.Tensor, out: Path) -> None:
    """torch.onnx's exporter (torch.export based) with a dynamic batch axis, plus our metadata."""
    try:
        import onnx
    except ImportError:
        raise ConfigError(_("exporting to ONNX needs the onnx and onnxscript packages"),
                          _('pip install "torchstart[export]" (or: pip install onnx onnxscript onnxruntime)')) from None
    program = torch.onnx.export(model, (batch,), dynamo=True, input_names=["image"], output_names=["logits"],
                                dynamic_shapes=({0: torch.export.Dim("batch")},), opset_version=ONNX_OPSET,
                                verbose=False)
    proto = program.model_proto
    for key, value in checkpoint_header(checkpoint).items():
        proto.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    atomic_write(out, lambda f: f.write(proto.SerializeToString()))


def run_onnx(path: Path, images):
    """Logits (N, classes) from ONNX Runtime for a float32 batch (N, 3, H, W): no PyTorch involved."""
    try:
        import onnxruntime
    except ImportError:
        raise ConfigError(_("running an ONNX model needs the onnxruntime package"),
                          _("pip install onnxruntime")) from None
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["logits"], {"image": images})[0]


__all__ = ["ExportResult", "export_checkpoint", "run_onnx"]
