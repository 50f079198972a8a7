"""What every chapter's checks are made of: a check, a planted mistake, a wrong answer, and a few helpers.

A chapter's check module (exercises/checks/<lesson name>.py) defines

    CHECKS = (Check(N_("conv_output_size agrees with nn.Conv2d"), check_formula, ("conv_output_size",)), …)
    MISTAKES = (Mistake(N_("padding added once, not on both sides"), "2 * padding", "padding", "both sides"), …)

A check function gets the learner's module and returns when the answer is right; when it is wrong it raises
`Wrong(hint)`, the hint already in the learner's language and naming the likely mistake. The runner
(exercises/runner.py) turns an error the learner's code raises into a hint too.

These modules run in the checker's child process only; the CLI never imports them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

import torch
from hypothesis import HealthCheck, Phase, given, settings
from torch.optim.optimizer import register_optimizer_step_pre_hook

from ..data import CIFAR10_MEAN, CIFAR10_STD, load_sample
from ..data.hymenoptera import hymenoptera_sample_root
from ..i18n import _


def ant_photo() -> Path:
    """The first ant photo of the embedded ants/bees sample (a JPEG, not square): what image checks work on."""
    return sorted((hymenoptera_sample_root() / "train" / "ants").glob("*.jpg"))[0]


@cache
def cifar_sample():
    """The embedded CIFAR-10 sample (2,000 train / 500 test images), read once per check process."""
    return load_sample()


def standardised(split) -> torch.Tensor:
    """A CIFAR-10 split's uint8 images (N, 32, 32, 3) as float (N, 3, 32, 32), standardised: (x / 255 − mean) / std."""
    mean, std = torch.tensor(CIFAR10_MEAN).reshape(1, 3, 1, 1), torch.tensor(CIFAR10_STD).reshape(1, 3, 1, 1)
    return (split.images.permute(0, 3, 1, 2).float() / 255 - mean) / std


class Wrong(Exception):
    """The learner's answer is wrong; `str(err)` is the hint, in the learner's language."""


# The course's 5×5 "image" and 3×3 kernel (chapters 九 and 十): plain integers, so the sums can be done by hand.
COURSE_INPUT = [[1, 2, 0, 3, 1],
                [0, 1, 2, 3, 1],
                [1, 2, 1, 0, 0],
                [5, 2, 3, 1, 1],
                [2, 1, 0, 1, 1]]
COURSE_KERNEL = [[1, 2, 1],
                 [0, 1, 0],
                 [2, 1, 0]]
# What a by-hand convolution must not call (exercises 9 and 9b): torch's, and NumPy's / SciPy's ways round the loops.
CONVOLUTIONS = {"conv2d", "Conv2d", "conv1d", "convolution", "unfold", "Unfold", "conv_transpose2d",
                "correlate", "convolve", "correlate2d", "convolve2d"}

@dataclass(frozen=True)
class Check:
    title: str  # N_(): what is checked, shown after ✓ or ✗
    run: Callable[[ModuleType], None]  # raises Wrong(hint) when the answer is wrong
    needs: tuple[str, ...] = ()  # names the learner's file must define for this check to run


@dataclass(frozen=True)
class Mistake:
    """A typical wrong solution, planted in the reference solution by a text replacement (tests/exercises).

    The tests apply `solution.replace(old, new)`, run the checks and expect a ✗ whose hint holds `expect`
    (English, as the tests read it); the docs page lists `name` as a mistake the checks recognise.
    """

    name: str  # N_(): the mistake in a few words
    old: str  # text in the reference solution (must occur in it)
    new: str  # what the learner wrote instead
    expect: str  # a part of the hint the check gives for it (English)


def shape(value: object) -> str:
    """A tensor's (or array's) shape as "(1, 1, 3, 3)"; other values as their type name."""
    if hasattr(value, "shape"):
        return str(tuple(value.shape))
    return type(value).__name__


def tensor_of(value: object, what: str) -> torch.Tensor:
    """`value` when it is a tensor; otherwise Wrong saying what came back instead."""
    if not isinstance(value, torch.Tensor):
        raise Wrong(_("{what} returned {kind}, not a torch.Tensor").format(what=what, kind=type(value).__name__))
    return value


def item_pair(dataset, index: int) -> tuple[object, object]:
    """dataset[index] when it is a pair (image, label); otherwise Wrong saying what came back instead."""
    item = dataset[index]
    if not isinstance(item, tuple) or len(item) != 2:
        raise Wrong(_("item {index} is {kind}: return a pair (image, label)").format(
            index=index, kind=type(item).__name__))
    return item


def same_shape(got: torch.Tensor, want: torch.Tensor, what: str, advice: str = "") -> None:
    """Wrong("your output is (…), expected (…)" + advice) when the shapes differ."""
    if tuple(got.shape) != tuple(want.shape):
        hint = _("{what} has shape {got}, expected {want}").format(what=what, got=shape(got), want=shape(want))
        raise Wrong(_("{hint}: {advice}").format(hint=hint, advice=advice) if advice else hint)


def close(got: torch.Tensor, want: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Equal shapes and values within the tolerances (float64 comparison, NaN never equal)."""
    return tuple(got.shape) == tuple(want.shape) and torch.allclose(
        got.detach().double().cpu(), want.detach().double().cpu(), atol=atol, rtol=rtol)


def values(t: torch.Tensor, digits: int = 4) -> str:
    """A small tensor's values as a compact list: [[10.0, 12.0], [13.0, 3.0]]."""
    rounded = t.detach().double().cpu().round(decimals=digits).tolist()
    return str(rounded).replace(".0,", ",").replace(".0]", "]")


@dataclass
class Calls:
    zero_grads: int = 0  # optimizer.zero_grad() or model.zero_grad()
    steps: int = 0  # optimizer.step()


@contextmanager
def counting_calls() -> Iterator[Calls]:
    """Count zero_grad() and step() calls on every optimiser and module inside the block, whichever the learner made."""
    calls = Calls()
    optimizer_zero, module_zero = torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad

    def counted(original):
        def zero_grad(self, *args, **kwargs):
            calls.zero_grads += 1
            return original(self, *args, **kwargs)
        return zero_grad

    def count_step(optimizer, args, kwargs) -> None:
        calls.steps += 1

    torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad = counted(optimizer_zero), counted(module_zero)
    hook = register_optimizer_step_pre_hook(count_step)
    try:
        yield calls
    finally:
        torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad = optimizer_zero, module_zero
        hook.remove()


def once_per_batch(calls: Calls, batches: int) -> None:
    """Wrong unless step() ran once per batch and zero_grad() at least as often (the course's training step)."""
    if calls.steps != batches:
        raise Wrong(_("optimizer.step() ran {steps} times for {batches} batches: call it once per batch").format(
            steps=calls.steps, batches=batches))
    if calls.zero_grads < calls.steps:
        raise Wrong(_("optimizer.zero_grad() ran {zero} times for {steps} steps: call it every step, or the "
                      "gradients of earlier batches add up").format(zero=calls.zero_grads, steps=calls.steps))


def evaluation_mode(forwards: Forwards, what: str) -> None:
    """Wrong unless every forward call of `what` ran in eval mode with autograd off."""
    if forwards.in_train_mode:
        raise Wrong(_("{what} ran the model in training mode: call model.eval() first — Dropout drops values at "
                      "random and BatchNorm uses the batch's statistics until you do").format(what=what))
    if forwards.with_grad:
        raise Wrong(_("{what} ran the model with autograd recording: wrap it in `with torch.no_grad():` — nothing "
                      "is learnt there, and the graphs only cost memory").format(what=what))


@contextmanager
def seeded(seed: int = 0) -> Iterator[None]:
    """torch's random state fixed inside the block and restored after it, so checks do not disturb each other."""
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)


@dataclass
class Forwards:
    """How the model ran: one (model.training, gradients recorded) pair per forward call."""

    calls: list[tuple[bool, bool]] = field(default_factory=list)

    @property
    def in_train_mode(self) -> int:
        return sum(training for training, _grad in self.calls)

    @property
    def with_grad(self) -> int:
        return sum(grad for _training, grad in self.calls)


@contextmanager
def watching(model: torch.nn.Module) -> Iterator[Forwards]:
    """Record the mode (train/eval) and whether autograd recorded, for every forward call of `model` in the block."""
    forwards = Forwards()
    handle = model.register_forward_pre_hook(
        lambda module, args: forwards.calls.append((module.training, torch.is_grad_enabled())))
    try:
        yield forwards
    finally:
        handle.remove()


def dropout_batchnorm_model(seed: int) -> torch.nn.Module:
    """A small CIFAR-10 CNN with BatchNorm and Dropout, whose outputs depend on train() / eval() — so a loop that
    forgets the switch gets other numbers, not the same ones by luck. (B, 3, 32, 32) → (B, 10)."""
    from torch import nn

    with seeded(seed):
        return nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.3), nn.Linear(16 * 8 * 8, 10))


def learner_tree(module: ModuleType) -> ast.Module:
    """The learner's file as a syntax tree, without its `if __name__ == "__main__":` block (trying things there is
    fine)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    tree.body = [node for node in tree.body if not (isinstance(node, ast.If) and "__main__" in ast.unparse(node.test))]
    return tree


def torch_calls(module: ModuleType, forbidden: set[str]) -> list[tuple[str, int]]:
    """(name, line) of every use of a forbidden torch function or class in the learner's file: `F.conv2d`,
    `nn.Conv2d`, `torch.relu`, or a name imported from a module (`from torch.nn.functional import conv2d`)."""
    found = []
    for node in ast.walk(learner_tree(module)):
        if isinstance(node, ast.Attribute) and node.attr in forbidden:
            found.append((ast.unparse(node), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names if alias.name in forbidden]
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name in forbidden]
    return sorted(found, key=lambda item: item[1])


def by_hand(forbidden: set[str], what: str, probe: Callable[[ModuleType], object]) -> Callable[[ModuleType], None]:
    """A check that the learner wrote `what` (N_()) by hand: no forbidden call anywhere in the file (AST, not text).
    `probe` calls the learner's functions once on a tiny input first, so a TODO still there fails this check too."""
    def check(ex: ModuleType) -> None:
        probe(ex)
        used = torch_calls(ex, forbidden)
        if used:
            name, line = used[0]
            raise Wrong(_("line {line} uses {name}: this exercise is to write {what} by hand — the check compares "
                          "yours with torch's own").format(line=line, name=name, what=_(what)))
    return check


def generated(strategy, compare: Callable[..., None], examples: int = 30) -> None:
    """Run `compare(*case)` on `examples` inputs Hypothesis draws from `strategy` (the same ones every run). A
    failing input is shrunk to the smallest one that still fails, whose Wrong (naming it) is what the learner reads."""
    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, report_multiple_bugs=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(strategy)
    def run(case) -> None:
        compare(*case)

    try:
        run()
    except BaseException as err:  # Hypothesis notes the falsifying example on the error: the hint names it already
        if hasattr(err, "__notes__"):
            del err.__notes__
        raise
