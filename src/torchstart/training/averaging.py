"""Lookahead: every k steps, pull the weights toward a slow running average of them (Zhang et al. 2019).

SGD's weights jitter around the bottom of the valley they are in; an average of recent weights sits
closer to its centre and usually tests better. Every `every` optimiser steps:

    slow ← decay · slow + (1 - decay) · weights        (a running average of the weights)
    weights ← slow                                     (training continues from the average)

The decay ramps up as `peak_decay · (step / total_steps)³`: early on, when the weights still move far,
the average follows them at once (decay ≈ 0); near the end it averages strongly. After the last step the
weights are set to the average. This is airbench94's schedule (decay 0.95⁵ every 5 steps — an EMA with
0.95 per step, applied 5 steps at a time so it costs a fifth).

The average covers every floating-point tensor of the state_dict — BatchNorm's running mean and
variance too, so the statistics stay those of the averaged weights. It is saved in last.pt
(`state_dict`), so a resumed run continues with the same average.
"""

from __future__ import annotations

import torch
from torch import nn

from .checkpoint import unwrap


class Lookahead:
    """The slow weights of `model` and the rule that blends them in (see the module docstring)."""

    def __init__(self, model: nn.Module, *, every: int, peak_decay: float, total_steps: int) -> None:
        self.every, self.peak_decay, self.total_steps = every, peak_decay, total_steps
        self.slow = {name: t.detach().clone() for name, t in self._tensors(model).items()}

    @staticmethod
    def _tensors(model: nn.Module) -> dict[str, torch.Tensor]:
        """The model's floating-point state (parameters and buffers), sharing memory with it."""
        return {name: t for name, t in unwrap(model).state_dict().items() if t.is_floating_point()}

    def decay(self, step: int) -> float:
        """Weight of the slow average after optimiser step `step` (1-based count of steps taken)."""
        return self.peak_decay * (step / self.total_steps) ** 3

    @torch.no_grad()
    def after_step(self, model: nn.Module, step: int) -> None:
        """Blend after optimiser step `step`: every `every` steps, and at the end (weights = average)."""
        last = step >= self.total_steps
        if step % self.every and not last:
            return
        decay = 1.0 if last else self.decay(step)
        for name, tensor in self._tensors(model).items():
            slow = self.slow[name]
            slow.lerp_(tensor, 1.0 - decay)  # slow + (1 - decay)·(tensor - slow)
            tensor.copy_(slow)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: t.detach().cpu() for name, t in self.slow.items()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        for name, slow in self.slow.items():
            slow.copy_(state[name])
