"""`torchstart demo CKPT`: a web page on this machine — drop in a photo, see what the model thinks and why.

The page (Gradio, the field's usual tool for model demos) shows the top classes with their probabilities, a
Grad-CAM heat map over the photo for the class you pick, and for conv nets the feature maps after each conv and
pool layer with their shapes (torchstart.explain does the work; `predict --explain` draws the same). It listens on
127.0.0.1 only — this machine — unless `--host` or `--share` says otherwise. A file that is not an image, a huge
or broken upload: the page says what is wrong in one line, and the next upload works.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ConfigError, TorchstartError
from ..explain import Explanation, draw_feature_row, explain_image
from ..i18n import _
from ..inference import resize_mode
from .serving import check_port

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
TOPK = 5


@dataclass
class DemoAnswer:
    """What the page shows for one upload; `message` is empty when everything worked."""

    probabilities: dict[str, float]  # class → 0..1, for gr.Label
    heatmap: np.ndarray | None  # (H, W, 3) uint8: the photo with the heat map over it
    feature_maps: np.ndarray | None  # the feature-map grid as an RGB picture
    message: str


def overlay(image: Image.Image, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The photo (W, H) with the 0..1 map (H, W) drawn over it in the jet colours: (H, W, 3) uint8."""
    from matplotlib import colormaps

    colours = colormaps["jet"](heatmap)[..., :3]  # (H, W, 3) in 0..1
    photo = np.asarray(image.convert("RGB"), dtype=np.float32) / 255
    return (255 * ((1 - alpha) * photo + alpha * colours)).clip(0, 255).astype(np.uint8)


def feature_grid(explanation: Explanation) -> np.ndarray | None:
    """The feature maps as one RGB picture, a row per layer with its name and shape (None: no conv layers)."""
    if not explanation.feature_maps:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    layers = explanation.feature_maps
    columns = max(len(layer.maps) for layer in layers)
    figure, axes = plt.subplots(len(layers), columns, figsize=(columns * 1.1, len(layers) * 1.2), squeeze=False)
    for row, layer in enumerate(layers):
        draw_feature_row(axes[row], layer)
    figure.tight_layout()
    figure.canvas.draw()
    picture = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return picture


def answer(checkpoint: dict, upload: str | None, target: str | None, resize: str) -> DemoAnswer:
    """The page's answer for one uploaded file: never raises, a learner's mistake becomes `message`."""
    if not upload:
        return DemoAnswer({}, None, None, _("Upload an image, or click one of the examples below."))
    try:
        explanation, image = explain_image(checkpoint, upload, target=target or None, topk=TOPK, resize=resize)
    except TorchstartError as err:
        return DemoAnswer({}, None, None, _("Could not use this file: {error}").format(error=err))
    return DemoAnswer(dict(explanation.top), overlay(image, explanation.heatmap), feature_grid(explanation), "")


def examples(classes: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Photos shipped with the package, one click away in the page: an ant and a bee, and for a model of CIFAR-10's
    classes four real CIFAR-10 test images of the embedded sample (written once as PNGs into the cache)."""
    folder = SAMPLES / "hymenoptera" / "val"
    found = [str(sorted((folder / name).iterdir())[0]) for name in ("ants", "bees") if (folder / name).is_dir()]
    from ..data.cifar10 import CIFAR10_CLASSES, cache_dir, load_sample

    if tuple(classes) != tuple(CIFAR10_CLASSES):
        return found
    sample, where = load_sample(), cache_dir() / "demo-examples"
    where.mkdir(parents=True, exist_ok=True)
    for index in (0, 3, 6, 9):  # four classes; 32×32, like the images the model trained on
        name = f"cifar10-test-{index}-{sample.classes[int(sample.test.labels[index])]}.png"
        if not (where / name).is_file():
            Image.fromarray(sample.test.images[index].numpy()).save(where / name)
        found.append(str(where / name))
    return found


def build_app(checkpoint: dict, title: str, resize: str):
    """The Gradio Blocks page for one checkpoint."""
    import gradio as gr

    classes = list(checkpoint["classes"])
    with gr.Blocks(title=_("torchstart demo"), analytics_enabled=False) as app:
        gr.Markdown(_("## {title}\nClasses: {classes}. Inputs are resized by {resize}.").format(
            title=title, classes=", ".join(classes), resize=resize))
        with gr.Row():
            with gr.Column():
                upload = gr.File(label=_("image (any format Pillow reads)"), type="filepath", elem_id="upload")
                target = gr.Dropdown([""] + classes, value="", label=_("explain which class (empty: the top one)"))
                gr.Examples(examples(classes), inputs=upload, label=_("examples"))
            with gr.Column():
                message = gr.Markdown(elem_id="message")
                label = gr.Label(num_top_classes=TOPK, label=_("prediction"), elem_id="prediction")
                heat = gr.Image(label=_("Grad-CAM heat map"), type="numpy", interactive=False)
        maps = gr.Image(label=_("feature maps after each conv and pool layer"), type="numpy", interactive=False)

        def show(path, chosen):
            result = answer(checkpoint, path, chosen, resize)
            return result.message, result.probabilities or None, result.heatmap, result.feature_maps

        for event in (upload.change, target.change):
            event(show, inputs=[upload, target], outputs=[message, label, heat, maps])
    return app


def start_demo(checkpoint_path: Path, *, host: str = "127.0.0.1", port: int | None = None, share: bool = False,
               resize: str | None = None):
    """Build and start the page without blocking; returns (app, local URL). `app.block_thread()` waits."""
    from ..training.checkpoint import load_checkpoint

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home: learners are often offline
    check_port(host, port, example=7861)  # before the model loads: Gradio's own words name neither flag nor fix
    checkpoint = load_checkpoint(checkpoint_path)
    mode = resize_mode(checkpoint, resize)
    if mode not in ("squash", "crop"):
        raise ConfigError(_("--resize must be squash or crop, not {value!r}").format(value=mode),
                          _("use --resize squash or --resize crop"))
    try:
        app = build_app(checkpoint, Path(checkpoint_path).name, mode)
    except ImportError:
        raise ConfigError(_("the demo needs the gradio and grad-cam packages"),
                          _('pip install "torchstart[demo]"')) from None
    from ..data.cifar10 import cache_dir

    # Gradio serves only files under the current folder unless told: the examples live in the package and the cache
    allowed = [str(SAMPLES), str(cache_dir() / "demo-examples")]
    _app, url, _share_url = app.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True,
                                       quiet=True, ssr_mode=False, footer_links=[], allowed_paths=allowed)
    return app, url


__all__ = ["DemoAnswer", "answer", "build_app", "examples", "feature_grid", "overlay", "start_demo"]
