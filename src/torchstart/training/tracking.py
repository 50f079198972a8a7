"""Where training numbers go: TensorBoard (or nowhere), and the two plots of a finished run.

The engine only knows the small `Tracker` protocol, so a lesson can pass `NullTracker()` and a
test can pass a list-backed fake.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import torch

from ..files import atomic_write
from ..i18n import _, language, using

# Fonts with Chinese glyphs that macOS, Windows and Linux desktops ship; the first one installed draws the labels.
CJK_FONTS = ("PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "SimHei", "Noto Sans CJK SC", "Noto Sans SC",
             "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")


class Tracker(Protocol):
    def log_scalar(self, tag: str, value: float, step: int) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class NullTracker:
    """Drops everything (lessons, tests, non-zero DDP ranks)."""

    def log_scalar(self, tag: str, value: float, step: int) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def _wait_for_a_later_file_name(log_dir: Path) -> None:
    """Make sure a new event file sorts after the ones in `log_dir`.

    TensorBoard reads a folder's event files in name order, and a name starts with the second it was
    created (events.out.tfevents.<seconds>.<host>.<pid>…): a run resumed within the same second as it
    was started could otherwise be read before the run it continues. Waits at most one second.
    """
    newest = max((int(p.name.split(".")[3]) for p in log_dir.glob("events.out.tfevents.*")
                  if p.name.split(".")[3].isdigit()), default=0)
    while time.time() < newest + 1:
        time.sleep(0.05)


class TensorBoardTracker:
    """Writes TensorBoard event files under `log_dir` (view with `tensorboard --logdir …`).

    `purge_step` (resuming a run in the same `log_dir`): TensorBoard hides the points of earlier
    event files at steps ≥ purge_step, i.e. what a killed run logged after its last checkpoint.
    """

    def __init__(self, log_dir: Path, purge_step: int | None = None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        if purge_step is not None:
            _wait_for_a_later_file_name(Path(log_dir))
        self.writer = SummaryWriter(log_dir=str(log_dir), purge_step=purge_step)

    def log_scalar(self, tag: str, value: float, step: int) -> None:
        self.writer.add_scalar(tag, value, step)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: works with no screen (servers, CI, SSH)
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def _labels_in_language(plt) -> Iterator[None]:
    """Plot labels in the learner's language: Chinese with a font that has its glyphs, English when none is
    installed (matplotlib would draw an empty box for every character and warn about each one)."""
    if language() != "zh":
        yield
        return
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    fonts = [name for name in CJK_FONTS if name in installed]
    if not fonts:
        with using("en"):
            yield
        return
    with plt.rc_context({"font.sans-serif": [*fonts, *plt.rcParams["font.sans-serif"]],
                         "axes.unicode_minus": False}):  # CJK fonts often lack U+2212, the minus sign
        yield


def save_png(plt, fig, path: Path) -> None:
    """`fig` as a PNG at `path`, written atomically (a full disk leaves the last picture, not half of one)."""
    try:
        atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100))
    finally:
        plt.close(fig)


def plot_curves(epochs: list[dict], path: Path) -> None:
    """Loss (train and test) and test accuracy per epoch, side by side, as a PNG."""
    plt = _pyplot()
    x = [e["epoch"] for e in epochs]
    with _labels_in_language(plt):
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
        ax_loss.plot(x, [e["train_loss"] for e in epochs], marker="o", label=_("train (mean per image)"))
        ax_loss.plot(x, [e["test_loss"] for e in epochs], marker="o", label=_("test (mean per image)"))
        ax_loss.set(xlabel=_("epoch"), ylabel=_("cross-entropy loss"), title=_("loss"))
        ax_loss.legend()
        ax_acc.plot(x, [100 * e["test_accuracy"] for e in epochs], marker="o", color="tab:green")
        ax_acc.set(xlabel=_("epoch"), ylabel=_("test accuracy (%)"), title=_("test accuracy"))
        for ax in (ax_loss, ax_acc):
            ax.grid(alpha=0.3)
        fig.tight_layout()
    save_png(plt, fig, path)


def plot_confusion(confusion: torch.Tensor, classes: list[str] | tuple[str, ...], path: Path) -> None:
    """Confusion matrix (rows = true class, columns = predicted), each row as % of that class."""
    plt = _pyplot()
    counts = confusion.double().cpu()
    percent = (100 * counts / counts.sum(dim=1, keepdim=True).clamp(min=1)).numpy()
    k = len(classes)
    with _labels_in_language(plt):
        fig, ax = plt.subplots(figsize=(1.0 + 0.6 * k, 0.8 + 0.6 * k))
        ax.imshow(percent, cmap="Blues", vmin=0, vmax=100)
        ax.set_xticks(range(k), classes, rotation=45, ha="right")
        ax.set_yticks(range(k), classes)
        ax.set(xlabel=_("predicted"), ylabel=_("true"), title=_("confusion matrix (% of each true class)"))
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{percent[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if percent[i, j] > 50 else "black")
        fig.tight_layout()
    save_png(plt, fig, path)
