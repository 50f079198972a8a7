"""What the network sees: Grad-CAM heat maps and the feature maps after each conv and pool layer (issue #17).

`explain_image` classifies one image like `predict` and adds two pictures' worth of numbers:
- a Grad-CAM heat map for one class (Selvaraju et al., 2017): the last conv layer's activations weighted by how
  much the class score depends on each channel (the mean of its gradient), ReLU, scaled to 0..1. It is computed
  by the maintained `grad-cam` package (pytorch-grad-cam), then placed over the part of the photo the model saw
  (all of it when inputs are squashed, the centre square when they are cropped);
- the feature maps of the first conv and pool layers (for the course model: all six), with their shapes.
`explanation_figure` draws both; `torchstart predict CKPT IMG --explain OUT.png` and the demo page use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from .data.images import open_rgb
from .errors import ConfigError
from .i18n import _
from .inference import model_input, resize_mode
from .training.checkpoint import model_from_checkpoint

MAX_LAYERS = 6  # feature-map layers shown: the course model has 3 conv + 3 pool
MAX_CHANNELS = 8  # channels shown per layer


@dataclass
class FeatureMap:
    name: str  # "conv1", "pool1", …
    shape: tuple[int, ...]  # (1, C, H, W), as the layer returned it
    maps: np.ndarray  # (min(C, MAX_CHANNELS), H, W) float32


@dataclass
class Explanation:
    top: list[tuple[str, float]]  # (class, probability 0..1), most likely first
    target: str  # the class the heat map explains
    heatmap: np.ndarray  # (H_image, W_image) float32 in 0..1, over the original image
    feature_maps: list[FeatureMap]


def last_conv(model: nn.Module) -> nn.Module:
    """Grad-CAM's usual layer: the last Conv2d, whose maps still have space in them."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ConfigError(_("this model has no convolution layer to explain"), _("use a CNN checkpoint"))
    return convs[-1]


def grad_cam(model: nn.Module, batch: torch.Tensor, class_index: int) -> np.ndarray:
    """The Grad-CAM map (H, W) in 0..1 of `class_index` for a (1, 3, H, W) input, at the input's size."""
    try:
        from pytorch_grad_cam import GradCAM
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    except ImportError:
        raise ConfigError(_("Grad-CAM needs the grad-cam package"), _('pip install "torchstart[demo]"')) from None

    with GradCAM(model=model, target_layers=[last_conv(model)]) as cam:
        return cam(input_tensor=batch, targets=[ClassifierOutputTarget(class_index)])[0].astype(np.float32)


def feature_maps(model: nn.Module, batch: torch.Tensor) -> list[FeatureMap]:
    """What the first MAX_LAYERS conv/pool layers output for `batch` (1, 3, H, W), recorded by forward hooks."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d))][:MAX_LAYERS]
    names, counts = {}, {"conv": 0, "pool": 0}
    for layer in layers:
        kind = "conv" if isinstance(layer, nn.Conv2d) else "pool"
        counts[kind] += 1
        names[layer] = f"{kind}{counts[kind]}"
    found: list[FeatureMap] = []

    def record(layer, _inputs, output):
        found.append(FeatureMap(names[layer], tuple(output.shape), output[0, :MAX_CHANNELS].float().cpu().numpy()))

    hooks = [layer.register_forward_hook(record) for layer in layers]
    try:
        with torch.inference_mode():
            model(batch)
    finally:
        for hook in hooks:
            hook.remove()
    return found


def place_on_image(cam: np.ndarray, image_size: tuple[int, int], resize: str) -> np.ndarray:
    """The input-sized map over the whole photo (W, H): stretched back (squash) or into the centre square (crop)."""
    width, height = image_size
    if resize == "squash":
        box, side = (0, 0, width, height), None
    else:
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        box = (left, top, left + side, top + side)
    region = Image.fromarray(cam).resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.BILINEAR)
    full = np.zeros((height, width), dtype=np.float32)
    full[box[1]:box[3], box[0]:box[2]] = np.asarray(region, dtype=np.float32)
    return full


def explain_image(checkpoint: dict, image_path: Path | str, *, target: str | None = None, topk: int = 3,
                  resize: str | None = None, device: torch.device | str = "cpu") -> tuple[Explanation, Image.Image]:
    """Classify one image with `checkpoint` and explain it, preparing it as predict does (resize: "squash" or
    "crop" instead of what the checkpoint records); also returns the decoded image for drawing."""
    classes = list(checkpoint["classes"])
    if target is not None and target not in classes:
        raise ConfigError(_("{target!r} is not one of the model's classes").format(target=target),
                          _("pick one of: {classes}").format(classes=", ".join(classes)))
    resize = resize_mode(checkpoint, resize)
    image = open_rgb(image_path)
    model = model_from_checkpoint(checkpoint).to(device)
    batch = model_input(image, checkpoint, resize).to(device)  # (1, 3, H, W), exactly as predict prepares it
    with torch.inference_mode():
        probs = torch.softmax(model(batch).float(), dim=1)[0].cpu()  # (classes,)
    order = probs.argsort(descending=True).tolist()
    index = classes.index(target) if target is not None else order[0]
    cam = grad_cam(model, batch.clone(), index)  # Grad-CAM needs gradients: outside inference_mode
    explanation = Explanation([(classes[i], float(probs[i])) for i in order[:max(1, topk)]], classes[index],
                              place_on_image(cam, image.size, resize), feature_maps(model, batch))
    return explanation, image


def explanation_figure(explanation: Explanation, image: Image.Image):
    """A matplotlib figure: the photo, the heat map over it, the top classes, then one row per feature-map layer.

    Its few labels stay English, like the curves of a run: matplotlib's bundled font has no Chinese glyphs, and
    many machines have no CJK font it would find, so Chinese titles would draw as empty boxes.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    from matplotlib import pyplot as plt

    rows = len(explanation.feature_maps)
    figure = plt.figure(figsize=(MAX_CHANNELS * 1.2, 3.2 + rows * 1.25))
    grid = figure.add_gridspec(1 + rows, MAX_CHANNELS, height_ratios=[2.6] + [1] * rows)
    photo, heat, bars = (figure.add_subplot(grid[0, a:b]) for a, b in ((0, 3), (3, 6), (6, MAX_CHANNELS)))
    for axis, title in ((photo, "image"), (heat, f"Grad-CAM: {explanation.target}")):
        axis.imshow(image)
        axis.set_title(title, fontsize=9)
        axis.axis("off")
    heat.imshow(explanation.heatmap, cmap="jet", alpha=0.45, vmin=0, vmax=1)
    names = [name for name, _p in explanation.top][::-1]
    bars.barh(names, [100 * p for _n, p in explanation.top][::-1], color="#4c72b0")
    bars.set_xlim(0, 100)
    bars.tick_params(labelsize=7)
    bars.set_title("probability (%)", fontsize=9)
    for row, layer in enumerate(explanation.feature_maps, start=1):
        draw_feature_row([figure.add_subplot(grid[row, col]) for col in range(MAX_CHANNELS)], layer)
    figure.tight_layout()
    return figure


def draw_feature_row(axes, layer: FeatureMap) -> None:
    """One layer's channels, one per axis (an axis past its last channel stays blank), titled with its shape."""
    for col, axis in enumerate(axes):
        axis.axis("off")
        if col < len(layer.maps):
            axis.imshow(layer.maps[col], cmap="viridis")
    axes[0].set_title(f"{layer.name} {layer.shape}", fontsize=7, loc="left")


def save_explanation(explanation: Explanation, image: Image.Image, out: Path) -> Path:
    """explanation_figure as a PNG at `out` (written atomically)."""
    import io

    from matplotlib import pyplot as plt

    from .files import atomic_write

    figure = explanation_figure(explanation, image)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72)
    plt.close(figure)
    atomic_write(Path(out), lambda f: f.write(buffer.getvalue()))
    return Path(out)


__all__ = ["Explanation", "FeatureMap", "explain_image", "explanation_figure", "feature_maps", "grad_cam",
           "last_conv", "place_on_image", "save_explanation"]
