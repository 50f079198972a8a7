"""Optimisers and learning-rate schedules, built from an OptimConfig.

The schedule is a pure function of the step number (nanoGPT style), wrapped in a LambdaLR so
it is saved and restored with checkpoints.

Parameters fall into named groups, each with its own lr and weight decay:
  weights    conv kernels and linear matrices (ndim > 1)       lr,                 weight_decay
  norm       BatchNorm/LayerNorm/GroupNorm scales and biases   lr × norm_lr_scale, weight_decay / norm_lr_scale
  biases     every other 1-D parameter                         lr,                 weight_decay
  whitening  the speedrun model's whitening bias               lr, then 0 after whiten_bias_epochs
Without `decay_all` only the weights are decayed (the usual choice: decaying a bias or a norm scale
regularises nothing useful). Scaling the decay by 1 / norm_lr_scale keeps lr × decay — the fraction of a
parameter removed each step — the same for every group.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import OptimConfig
from ..models.speedrun import Whitening

NORM_LAYERS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


def lr_factor(step: int, total_steps: int, warmup_steps: int, start_factor: float, end_factor: float = 0.0) -> float:
    """One-cycle multiplier of the peak lr at optimiser step `step` (0-based).

    Linear warm-up from `start_factor` to 1 over `warmup_steps`, then linear decay to `end_factor` at
    `total_steps`. Warm-up matters for the course model: it has no normalisation layers, and a
    full-size first step from random weights can blow the loss up.
    """
    if step < warmup_steps:
        return start_factor + (1.0 - start_factor) * step / warmup_steps
    remaining = max(total_steps - warmup_steps, 1)
    done = min(1.0, (step - warmup_steps) / remaining)
    return 1.0 + (end_factor - 1.0) * done


def parameter_groups(model: nn.Module, config: OptimConfig) -> list[dict]:
    """The trainable parameters in named groups (see the module docstring); empty groups are left out."""
    named: dict[str, list[nn.Parameter]] = {"weights": [], "norm": [], "biases": [], "whitening": []}
    for module in model.modules():
        for param in module.parameters(recurse=False):
            if not param.requires_grad:
                continue
            if isinstance(module, Whitening) and param.ndim == 1:
                named["whitening"].append(param)
            elif isinstance(module, NORM_LAYERS):
                named["norm"].append(param)
            else:
                named["weights" if param.ndim > 1 else "biases"].append(param)
    others = config.weight_decay if config.decay_all else 0.0
    scale = config.norm_lr_scale
    settings = {"weights": (1.0, config.weight_decay), "norm": (scale, others / scale), "biases": (1.0, others),
                "whitening": (1.0, others)}  # name → (lr multiplier, weight decay)
    return [{"params": params, "name": name, "lr": config.lr * settings[name][0], "weight_decay": settings[name][1]}
            for name, params in named.items() if params]


def build_optimizer(model: nn.Module, config: OptimConfig) -> torch.optim.Optimizer:
    groups = parameter_groups(model, config)
    if config.name == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum,
                               nesterov=config.nesterov and config.momentum > 0)
    if config.name == "adam":
        return torch.optim.Adam(groups, lr=config.lr)
    return torch.optim.AdamW(groups, lr=config.lr)


def build_scheduler(optimizer: torch.optim.Optimizer, config: OptimConfig, total_steps: int,
                    steps_per_epoch: int = 1) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step scheduler: constant, or one-cycle over `total_steps`; the whitening group stops after its epochs."""
    warmup = round(config.warmup_fraction * total_steps)
    whiten_steps = config.whiten_bias_epochs * steps_per_epoch if config.whiten_bias_epochs else None

    def factor(step: int) -> float:
        if config.schedule == "constant":
            return 1.0
        return lr_factor(step, total_steps, warmup, config.start_factor, config.end_factor)

    def whitening_factor(step: int) -> float:  # lr 0 = frozen: SGD then leaves the bias as it is
        return 0.0 if whiten_steps is not None and step >= whiten_steps else factor(step)

    lambdas = [whitening_factor if group.get("name") == "whitening" else factor for group in optimizer.param_groups]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambdas)
