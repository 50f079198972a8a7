"""Exercise 12 (layers): BatchNorm by hand against nn.BatchNorm2d, and a flatten that keeps the batch."""

from __future__ import annotations

from types import ModuleType

import torch
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, by_hand, cifar_sample, close, seeded, shape, tensor_of
from torchstart.i18n import N_, _


def _batch() -> torch.Tensor:
    """64 real CIFAR-10 test images as ToTensor gives them: (64, 3, 32, 32) in [0, 1]."""
    return cifar_sample().test.images[:64].permute(0, 3, 1, 2).float() / 255


def _norm(x: torch.Tensor, dims: tuple[int, ...], unbiased: bool) -> torch.Tensor:
    mean = x.mean(dim=dims, keepdim=True)
    return (x - mean) / torch.sqrt(x.var(dim=dims, keepdim=True, unbiased=unbiased) + 1e-5)


def check_batch_norm(ex: ModuleType) -> None:
    with seeded(12):
        small = torch.randn(4, 3, 2, 2) * 2 + 1  # few values per channel: n − 1 and n differ clearly
    for x in (small, _batch()):
        want = nn.BatchNorm2d(x.shape[1]).train()(x).detach()
        got = tensor_of(ex.batch_norm_by_hand(x.clone()), "batch_norm_by_hand")
        if tuple(got.shape) != tuple(want.shape):
            raise Wrong(_("your result is {got}, expected {want} (the same as the input)").format(
                got=shape(got), want=shape(want)))
        if close(got, want, atol=1e-4):
            continue
        if close(got, _norm(x, (0, 2, 3), unbiased=True), atol=1e-4):
            raise Wrong(_("close, but BatchNorm divides the variance by n, not n − 1: x.var(…, unbiased=False)"))
        if close(got, _norm(x, (1, 2, 3), unbiased=False), atol=1e-4):
            raise Wrong(_("you normalised each image: BatchNorm normalises each channel over the whole batch and "
                          "all pixels, dims (0, 2, 3)"))
        raise Wrong(_("your values differ from nn.BatchNorm2d's by up to {diff:.3g}").format(
            diff=float((got - want).abs().max())))


def check_flatten(ex: ModuleType) -> None:
    x = _batch()
    got = tensor_of(ex.flatten_images(x.clone()), "flatten_images")
    want = nn.Flatten()(x)
    if tuple(got.shape) == (x.numel(),):
        raise Wrong(_("your result is {got}: the 64 images became one long row — keep the batch dimension, "
                      "torch.flatten(x, start_dim=1)").format(got=shape(got)))
    if not close(got, want, atol=0):
        raise Wrong(_("your result is {got}, expected {want}, the same as nn.Flatten()").format(
            got=shape(got), want=shape(want)))


CHECKS = (
    Check(N_("batch_norm_by_hand equals nn.BatchNorm2d in train mode (a small batch and 64 CIFAR images)"),
          check_batch_norm, ("batch_norm_by_hand",)),
    Check(N_("flatten_images turns (64, 3, 32, 32) into (64, 3072), like nn.Flatten()"), check_flatten,
          ("flatten_images",)),
    Check(N_("batch_norm_by_hand is written by hand: no nn.BatchNorm2d or F.batch_norm"),
          by_hand({"BatchNorm2d", "batch_norm", "BatchNorm1d", "instance_norm", "layer_norm"}, N_("the normalisation"),
          lambda ex: ex.batch_norm_by_hand(torch.ones(2, 2, 2, 2))),
          ("batch_norm_by_hand",)),
)

MISTAKES = (
    Mistake(N_("F.batch_norm called instead of the formula"), "    return (x - mean) / torch.sqrt(var + eps)",
            "    return torch.nn.functional.batch_norm(x, None, None, training=True, eps=eps)", "by hand"),
    Mistake(N_("the unbiased variance (n − 1)"), "unbiased=False", "unbiased=True", "not n − 1"),
    Mistake(N_("each image normalised on its own"), "dim=(0, 2, 3)", "dim=(1, 2, 3)", "each channel over the whole"),
    Mistake(N_("the batch flattened too"), "torch.flatten(x, start_dim=1)", "torch.flatten(x)", "one long row"),
)
