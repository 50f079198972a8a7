"""A checkpoint as a .safetensors file: the weights, and our metadata in the file's header — no pickle at all.

safetensors (Hugging Face's format) stores raw tensors plus a JSON header of strings, so any language can read it
and reading it can never run code. We keep a checkpoint's model name, classes, normalisation, input size and how
inputs are resized in that header (values JSON-encoded), so `evaluate`, `predict` and `demo` take the file as it is.
Optimiser and training state stay in the .pt checkpoints: a .safetensors file is for using a model, not resuming.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import CheckpointError
from ..files import atomic_write, check_input
from ..i18n import _

HEADER_KEYS = ("format", "format_version", "model_name", "num_classes", "classes", "normalization", "input_size",
               "resize", "epoch", "test_accuracy", "torch_version", "torchstart_version", "created")


def checkpoint_header(checkpoint: dict[str, Any]) -> dict[str, str]:
    """The metadata a .safetensors header carries: each value as JSON text (the header holds only strings)."""
    return {key: json.dumps(checkpoint[key]) for key in HEADER_KEYS if checkpoint.get(key) is not None}


def write_safetensors(checkpoint: dict[str, Any], path: Path) -> None:
    """The checkpoint's weights and metadata as one .safetensors file, written atomically."""
    from safetensors.torch import save

    # safetensors refuses tensors that share memory or are not contiguous; a state_dict may hold views
    state = {name: tensor.detach().cpu().contiguous().clone() for name, tensor in checkpoint["model_state"].items()}
    data = save(state, metadata=checkpoint_header(checkpoint))
    atomic_write(Path(path), lambda f: f.write(data))


def read_safetensors(path: Path | str) -> dict[str, Any]:
    """A checkpoint dict (weights + metadata) from a .safetensors file that torchstart wrote."""
    from safetensors import SafetensorError, safe_open

    path = check_input(path, expect="file", what=_("model file"), error=CheckpointError,
                       fix=_("check the path; `torchstart export CKPT OUT.safetensors` writes one"))
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            header = f.metadata() or {}
            state = {name: f.get_tensor(name) for name in f.keys()}
        metadata = {key: json.loads(value) for key, value in header.items() if key in HEADER_KEYS}
    except (SafetensorError, ValueError, OSError) as err:
        raise CheckpointError(_("{path} is not a readable .safetensors file ({detail})").format(
            path=path, detail=str(err).splitlines()[0][:120] if str(err) else type(err).__name__),
            _("the file is damaged or truncated: export it again from its checkpoint")) from None
    if metadata.get("format") != "torchstart.checkpoint":
        raise CheckpointError(_("{path} holds weights but no torchstart metadata (classes, normalisation)").format(
            path=path), _("use a .safetensors file written by `torchstart export`"))
    return {**metadata, "model_state": state}


def is_safetensors(path: Path | str) -> bool:
    return Path(path).suffix.lower() == ".safetensors"


__all__ = ["checkpoint_header", "is_safetensors", "read_safetensors", "write_safetensors"]
