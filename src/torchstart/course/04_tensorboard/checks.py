"""Exercise 4 (tensorboard): `write_line` read back with TensorBoard's own reader — the tag, 100 steps, y = 2x."""

from __future__ import annotations

import os
import tempfile
from types import ModuleType

from torchstart.course.kit import Check, Mistake, Wrong
from torchstart.i18n import N_, _

TAG = "y=2x"


def _scalars(ex: ModuleType) -> list:
    """The learner's log folder read back: the (step, value) pairs of TAG."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    log_dir = tempfile.mkdtemp(prefix="logs-", dir=".")
    closed = []
    original = SummaryWriter.close
    SummaryWriter.close = lambda self: closed.append(self) or original(self)  # `with SummaryWriter(…)` closes too
    try:
        ex.write_line(log_dir)
    finally:
        SummaryWriter.close = original
    if not closed:
        raise Wrong(_("the writer was never closed, so points it still holds in memory may never reach the file: "
                      "writer.close() at the end"))
    if not any(name.startswith("events.out.tfevents") for name in os.listdir(log_dir)):
        raise Wrong(_("there is no event file in log_dir: create the writer with SummaryWriter(log_dir)"))
    events = EventAccumulator(log_dir)
    events.Reload()
    tags = events.Tags()["scalars"]
    if TAG not in tags:
        raise Wrong(_("the scalars' tags are {tags}, expected \"y=2x\"").format(tags=tags or "[]"))
    return [(event.step, event.value) for event in events.Scalars(TAG)]


def check_tag(ex: ModuleType) -> None:
    _scalars(ex)


def check_points(ex: ModuleType) -> None:
    points = _scalars(ex)
    if len(points) != 100:
        raise Wrong(_("{count} points under \"y=2x\", expected 100 (x = 0…99)").format(count=len(points)))
    if all(value == step / 2 for step, value in points):
        raise Wrong(_("the steps go 0, 2, 4, … and the values 0, 1, 2, …: add_scalar takes (tag, value, step) — "
                      "are value and step swapped?"))
    wrong = [(step, value) for step, value in points if value != 2 * step]
    if wrong:
        raise Wrong(_("at step {step} the value is {value:g}, expected {want}").format(
            step=wrong[0][0], value=wrong[0][1], want=2 * wrong[0][0]))


CHECKS = (
    Check(N_("write_line(log_dir) writes an event file with the tag y=2x"), check_tag, ("write_line",)),
    Check(N_("it holds 100 points, the value at step x being 2x"), check_points, ("write_line",)),
)

MISTAKES = (
    Mistake(N_("value and step swapped in add_scalar"), '"y=2x", 2 * i, i)', '"y=2x", i, 2 * i)', "swapped"),
    Mistake(N_("another tag than y=2x"), 'add_scalar("y=2x"', 'add_scalar("y"', "expected \"y=2x\""),
    Mistake(N_("the writer never closed"), "    writer.close()\n", "", "never closed"),
)
