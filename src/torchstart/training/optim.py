"""Optimisers and learning-rate schedules, built from an OptimConfig.

The schedule is a pure function of the step number (nanoGPT style), wrapped in a LambdaLR so
it is saved and restored with checkpoints.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import OptimConfig


def lr_factor(step: int, total_steps: int, warmup_steps: int, start_factor: float) -> float:
    """One-cycle multiplier of the peak lr at optimiser step `step` (0-based).

    Linear warm-up from `start_factor` to 1 over `warmup_steps`, then linear decay to 0 at
    `total_steps`. Warm-up matters for this model: it has no normalisation layers, and a
    full-size first step from random weights can blow the loss up.
    """
    if step < warmup_steps:
        return start_factor + (1.0 - start_factor) * step / warmup_steps
    remaining = max(total_steps - warmup_steps, 1)
    return max(0.0, 1.0 - (step - warmup_steps) / remaining)


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on weight matrices/kernels only; biases (1-D tensors) are not decayed."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def build_optimizer(model: nn.Module, config: OptimConfig) -> torch.optim.Optimizer:
    groups = parameter_groups(model, config.weight_decay)
    if config.name == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum,
                               nesterov=config.nesterov and config.momentum > 0)
    if config.name == "adam":
        return torch.optim.Adam(groups, lr=config.lr)
    return torch.optim.AdamW(groups, lr=config.lr)


def build_scheduler(optimizer: torch.optim.Optimizer, config: OptimConfig,
                    total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step scheduler: constant, or one-cycle over `total_steps`."""
    if config.schedule == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    warmup = round(config.warmup_fraction * total_steps)

    def factor(step: int) -> float:
        return lr_factor(step, total_steps, warmup, config.start_factor)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
