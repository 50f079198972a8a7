"""Lesson 17 — saving and loading models (课程第十七章：模型保存与加载).

中文：课程介绍了两种保存方式。`torch.save(model.state_dict())` 只存参数：新建同样的模型再
`load_state_dict`，输出与原模型逐位相同。`torch.save(model)` 存整个模型，靠 pickle 记下“去哪个模块找哪个类”；
PyTorch ≥ 2.6 的 `torch.load` 默认 `weights_only=True`，会拒绝这种文件，而改成 `weights_only=False`
就等于允许文件在加载时执行任意代码。本课用一个无害的“恶意”文件演示：它一旦被完整 unpickle 就会写出一个
标记文件；`weights_only=True` 拒绝了它，标记文件没有出现。推荐做法是 torchstart 的检查点：state_dict 加
元数据，原子写入，只用 `weights_only=True` 读取。所有文件都写在 `out` 下。

English: the course shows two ways to save. `torch.save(model.state_dict())` stores only the parameters: build
the same model, `load_state_dict`, and the outputs are bit-for-bit the same. `torch.save(model)` stores the whole
model as a pickle that names the module and class to import; since PyTorch 2.6 `torch.load` defaults to
`weights_only=True` and refuses such a file, and `weights_only=False` lets the file run any code while it loads.
A harmless "malicious" file shows this: fully unpickled, it would write a marker file; `weights_only=True`
refuses it and no marker appears. The recommended way is a torchstart checkpoint: a state_dict plus metadata,
written atomically and read with `weights_only=True` only. Everything is written under `out`.
"""

from __future__ import annotations

import builtins
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.serialization import get_unsafe_globals_in_checkpoint

from ..data import CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD
from ..device import seed_everything
from ..errors import CheckpointError
from ..files import writable_dir
from ..i18n import _
from ..models import Tudui, count_parameters
from ..training.checkpoint import load_checkpoint, make_checkpoint, model_from_checkpoint, save_checkpoint
from ._shared import error_text
from .runner import lesson_main

STATE_DICT_FILE = "tudui_state_dict.pth"  # torch.save(model.state_dict(), …): the course's second way
WHOLE_MODEL_FILE = "tudui_whole_model.pth"  # torch.save(model, …): the course's first way
UNTRUSTED_FILE = "untrusted_download.pth"  # stands in for a file from a stranger
MARKER_FILE = "marker_written_by_pickle.txt"  # appears only if the untrusted file's code ever runs
CHECKPOINT_FILE = "tudui_checkpoint.pt"  # torchstart's format


class MarkerPayload:
    """A harmless stand-in for a malicious object: full unpickling would call open(marker, "w").

    pickle stores an object as "call this function with these arguments" (`__reduce__`), and full
    unpickling makes the call. Here it only creates an empty file; an attacker would call os.system.
    """

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return builtins.open, (str(self.marker), "w")  # builtins.open: in Jupyter, open is IPython's wrapper


@dataclass
class Result:
    out: Path
    params: int  # 145,578 float32 numbers ≈ 582 KB
    state_dict_keys: list[str]  # model.0.weight, model.0.bias, … (the names load_state_dict matches)
    state_dict_logits_equal: bool  # torch.equal(original(x), fresh model + load_state_dict(x))
    whole_model_refusal: str  # first line of the UnpicklingError torch.load(path) raises
    whole_model_reason: str  # the WeightsUnpickler line: the first class it would not import
    whole_model_needs: list[str]  # every class the file names: all must be importable to load it
    whole_model_logits_equal: bool  # our own file, loaded with weights_only=False, gives the same logits
    untrusted_needs: list[str]  # what the untrusted file would call (read without running it)
    untrusted_refusal: str  # the WeightsUnpickler line of the refusal: the call it would not make
    marker_path: Path
    marker_created: bool  # False: the payload never ran
    checkpoint_logits_equal: bool  # save_checkpoint → load_checkpoint → model_from_checkpoint
    checkpoint_metadata: dict[str, object]  # everything in the checkpoint besides the weights
    checkpoint_on_whole_model: str  # load_checkpoint's message for the whole-model file
    sizes: dict[str, int]  # file name → bytes


def _refusal(err: pickle.UnpicklingError) -> tuple[str, str]:
    """(first line, WeightsUnpickler line) of torch.load's refusal, without terminal colour codes."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(err).splitlines()]
    reason = next((line for line in lines if line.startswith("WeightsUnpickler error")), "")
    return lines[0], reason.split(" Please use")[0]


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    out = writable_dir(out)
    seed_everything(0)
    model = Tudui().eval()
    x = torch.rand(8, 3, 32, 32)  # 8 images' worth of pixels in [0, 1]
    with torch.no_grad():
        logits = model(x)  # (8, 10)

        # 1. The recommended way: only the parameters. Loading needs the model built by code first.
        torch.save(model.state_dict(), out / STATE_DICT_FILE)
        fresh = Tudui().eval()  # different random weights until the next line
        fresh.load_state_dict(torch.load(out / STATE_DICT_FILE, map_location="cpu", weights_only=True))
        state_dict_equal = torch.equal(fresh(x), logits)

        # 2. The whole model: a pickle of the objects, which refers to their classes by import path.
        torch.save(model, out / WHOLE_MODEL_FILE)
        try:
            torch.load(out / WHOLE_MODEL_FILE)  # default weights_only=True since PyTorch 2.6
            refusal, reason = _("loaded (PyTorch older than 2.6 has no weights_only default)"), ""
        except pickle.UnpicklingError as err:
            refusal, reason = _refusal(err)
        needs = sorted(get_unsafe_globals_in_checkpoint(out / WHOLE_MODEL_FILE))  # reads opcodes, runs nothing
        # Safe ONLY because this lesson wrote the file two lines above. Never do this with a downloaded file.
        whole = torch.load(out / WHOLE_MODEL_FILE, weights_only=False)
        whole_equal = torch.equal(whole.eval()(x), logits)

    # 3. Why weights_only=False is dangerous: a file whose unpickling calls a function of the author's choice.
    marker = out / MARKER_FILE
    torch.save(MarkerPayload(marker), out / UNTRUSTED_FILE)
    untrusted_needs = sorted(get_unsafe_globals_in_checkpoint(out / UNTRUSTED_FILE))
    try:
        torch.load(out / UNTRUSTED_FILE, weights_only=True)  # refuses before any call is made
        untrusted_refusal = _("loaded")
    except pickle.UnpicklingError as err:
        untrusted_refusal = _refusal(err)[1]

    # 4. What torchstart does instead: weights + metadata in plain types, atomic save, weights_only load.
    checkpoint = make_checkpoint(model, model_name="tudui", classes=CIFAR10_CLASSES, mean=CIFAR10_MEAN,
                                 std=CIFAR10_STD)
    save_checkpoint(checkpoint, out / CHECKPOINT_FILE)
    loaded = load_checkpoint(out / CHECKPOINT_FILE)
    with torch.no_grad():
        checkpoint_equal = torch.equal(model_from_checkpoint(loaded)(x), logits)
    on_whole = error_text(lambda: load_checkpoint(out / WHOLE_MODEL_FILE), CheckpointError) or _("loaded")

    files = (STATE_DICT_FILE, WHOLE_MODEL_FILE, CHECKPOINT_FILE, UNTRUSTED_FILE)
    return Result(
        out=out, params=count_parameters(model), state_dict_keys=list(model.state_dict()),
        state_dict_logits_equal=state_dict_equal, whole_model_refusal=refusal, whole_model_reason=reason,
        whole_model_needs=needs, whole_model_logits_equal=whole_equal, untrusted_needs=untrusted_needs,
        untrusted_refusal=untrusted_refusal, marker_path=marker, marker_created=marker.exists(),
        checkpoint_logits_equal=checkpoint_equal,
        checkpoint_metadata={k: v for k, v in loaded.items() if k != "model_state"},
        checkpoint_on_whole_model=on_whole, sizes={name: (out / name).stat().st_size for name in files})


def describe(result: Result) -> str:
    r, pad = result, "   "
    sizes = [f"    {name:<26} " + _("{size:>9,} bytes").format(size=size) for name, size in r.sizes.items()]
    return "\n".join([
        _("files in {out}  ({params:,} float32 parameters = {bytes:,} bytes of weights):").format(
            out=r.out, params=r.params, bytes=r.params * 4), *sizes,
        _("1. state_dict ({count} tensors: {first}, …) → new Tudui() → load_state_dict: logits identical: "
          "{same}").format(count=len(r.state_dict_keys), first=", ".join(r.state_dict_keys[:2]),
                           same=r.state_dict_logits_equal),
        _("2. torch.load(whole model) refuses: {refusal}").format(refusal=r.whole_model_refusal),
        f"{pad}{r.whole_model_reason}",
        pad + _("the file needs these classes importable: {classes}").format(classes=", ".join(r.whole_model_needs)),
        pad + _("weights_only=False on our own file: logits identical: {same}").format(same=r.whole_model_logits_equal),
        _("3. untrusted file would call: {calls}").format(calls=", ".join(r.untrusted_needs)),
        pad + _("torch.load(weights_only=True) refuses: {refusal}").format(refusal=r.untrusted_refusal),
        pad + _("marker {name} created: {created}").format(name=r.marker_path.name, created=r.marker_created),
        _("4. torchstart checkpoint round trip: logits identical: {same}; metadata keys: {keys}").format(
            same=r.checkpoint_logits_equal, keys=", ".join(r.checkpoint_metadata)),
        pad + _("load_checkpoint on the whole-model file: {message}").format(message=r.checkpoint_on_whole_model),
        pad + _("(convert an old whole-model file once, on a machine where you trust it: "
                "torchstart import-course-model)"),
    ])


def main(argv: list[str] | None = None) -> int:
    return lesson_main("save_load", argv)


if __name__ == "__main__":
    raise SystemExit(main())
