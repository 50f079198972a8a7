"""Show and share a trained model: demo (a local web page) and export (.safetensors / .onnx).

`add_commands(sub)` adds their parsers; each `cmd_*` imports what it runs when it runs (gradio and onnx are
heavy and optional) and returns the exit code. `predict --explain` lives with predict in commands.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import _
from .commands import RESIZE_CHOICES


def add_commands(sub) -> None:
    demo = sub.add_parser("demo", help=_("a web page on this machine: upload a photo, see the prediction, a "
                                         "Grad-CAM heat map and the feature maps"),
                          description=_("Start a local Gradio page for a checkpoint (.pt or .safetensors) and print "
                                        "its URL; Ctrl-C stops it. Needs pip install \"torchstart[demo]\"."))
    demo.add_argument("checkpoint", type=Path, metavar="CKPT", help=_("a checkpoint or exported .safetensors file"))
    demo.add_argument("--host", default="127.0.0.1",
                      help=_("where to listen (default 127.0.0.1: this machine only; 0.0.0.0: your network)"))
    demo.add_argument("--port", type=int, help=_("default: 7860, or the next free port after it"))
    demo.add_argument("--share", action="store_true", help=_("also ask Gradio for a temporary public link"))
    demo.add_argument("--resize", choices=RESIZE_CHOICES, help=_("instead of what the checkpoint records"))

    export = sub.add_parser("export", help=_("write a checkpoint as .safetensors (weights + metadata, no pickle) "
                                             "or .onnx (runs without PyTorch)"),
                            description=_("The format follows OUT's suffix. The written file is read back and its "
                                          "outputs compared with the checkpoint's on the same batch."))
    export.add_argument("checkpoint", type=Path, metavar="CKPT", help=_("a checkpoint (runs/<run>/checkpoints/"
                                                                        "best.pt)"))
    export.add_argument("out", type=Path, metavar="OUT.safetensors|OUT.onnx")
    export.add_argument("--force", action="store_true",
                        help=_("replace OUT if it exists (the old one is kept aside)"))


def cmd_demo(args: argparse.Namespace) -> int:
    from ..tools.demo import start_demo
    from ..tools.serving import serve_until_interrupted

    app, url = start_demo(args.checkpoint, host=args.host, port=args.port, share=args.share, resize=args.resize)
    print(_("demo of {checkpoint} at {url} — open it in a browser; Ctrl-C stops it").format(
        checkpoint=args.checkpoint, url=url), flush=True)
    serve_until_interrupted(_("demo stopped"), close=app.close)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ..export import export_checkpoint

    result = export_checkpoint(args.checkpoint, args.out, force=args.force)
    print(_("wrote {path} ({format}, {size:,} bytes); read back, its outputs differ from the checkpoint's by at "
            "most {diff:.1e}").format(path=result.path, format=result.format, size=result.bytes,
                                      diff=result.max_abs_diff))
    if result.kept_aside is not None:
        print(_("the file that was there is kept as {old}").format(old=result.kept_aside))
    return 0


COMMANDS = {"demo": cmd_demo, "export": cmd_export}
