"""Exercise 21 (speedrun): `whitening_filters` against what the filters must do and against torchstart's Whitening.

An eigenvector has no sign of its own (v and −v are both right), so no check compares a row with its sign:
the first checks look at what the filters do (W C Wᵀ is diagonal, the rows go from the largest λ down), the
last two turn each row to the reference row's side before comparing. Those first checks use patches made
with a known spread (12 eigenvalues from 8.6 down to 0.0002, each well apart from the next, so every
eigenvector is clearly defined; their mean is not 0, so the covariance around the mean is a different
matrix); the last one uses the real 2×2 patches of embedded CIFAR-10 images, the data the lesson's layer
is fitted on.
"""

from __future__ import annotations

import math
from functools import cache
from types import ModuleType

import torch
import torch.nn.functional as F

from torchstart.course.kit import (
    Check,
    Mistake,
    Wrong,
    by_hand,
    cifar_sample,
    same_shape,
    shape,
    standardised,
    tensor_of,
)
from torchstart.i18n import N_, _
from torchstart.models.speedrun import Whitening

EPS = 5e-4  # the default eps of whitening_filters, as of Whitening.fit
SPREAD = 2_000  # made-up patches for the first checks
IMAGES = 500  # CIFAR-10 images for the last check: 500 × 31 × 31 = 480,500 patches of 12 numbers
PROBE = 32  # patches of a first small call: an (N, N) answer for 480,500 patches would not fit in memory
TOLERANCE = 2e-2  # on the made-up patches float32 answers land within 0.05 % of float64, the mistakes far outside
# On the CIFAR-10 patches the two smallest λ (0.00018, 0.00011) lie close together, and float32 sums over 480,500
# patches turn their filters by up to 1.2 % (measured for six ways of writing C): the last check allows 5 %.
CIFAR_TOLERANCE = 5e-2


@cache
def _spread_patches() -> torch.Tensor:
    """(2000, 12) float32 patches whose second moment has 12 eigenvalues from about 8.6 to 0.0002."""
    generator = torch.Generator().manual_seed(21)
    directions, _triangle = torch.linalg.qr(torch.randn(12, 12, generator=generator, dtype=torch.float64))
    sizes = torch.logspace(math.log10(3.0), math.log10(0.015), 12, dtype=torch.float64)  # std along each
    noise = torch.randn(SPREAD, 12, generator=generator, dtype=torch.float64)
    mean = 0.3 * directions[:, -3]  # a mean along a small direction: covariance ≠ second moment there
    return ((noise * sizes) @ directions.T + mean).float()


@cache
def _cifar_patches() -> tuple[torch.Tensor, torch.Tensor]:
    """(480500, 12) patches of 500 standardised CIFAR-10 images, and the filters Whitening.fit makes of them."""
    images = standardised(cifar_sample().train.subset(IMAGES, seed=21))  # (500, 3, 32, 32)
    layer = Whitening()
    layer.fit(images, eps=EPS)
    patches = F.unfold(images, 2).transpose(1, 2).reshape(-1, 12)  # the layer's order: channel, row, col
    return patches, layer.weight[:12].reshape(12, 12).double()  # its first 12 filters; the other 12 are their negatives


def _moment(patches: torch.Tensor) -> torch.Tensor:
    patches = patches.double()
    return patches.T @ patches / len(patches)


def _reference(patches: torch.Tensor, eps: float) -> torch.Tensor:
    """torchstart's own filters: a 2×2 image of D/4 channels has exactly one patch, the image itself."""
    layer = Whitening(in_channels=patches.shape[1] // 4)
    layer.fit(patches.reshape(len(patches), -1, 2, 2), eps=eps)
    return layer.weight[:patches.shape[1]].flatten(1).double()


def _answer(ex: ModuleType, patches: torch.Tensor, *eps: float) -> torch.Tensor:
    """The learner's filters for `patches`, after a small first call that checks their shape."""
    dim = patches.shape[1]
    for rows in (patches[:PROBE], patches):
        got = tensor_of(ex.whitening_filters(rows.clone(), *eps), "whitening_filters")
        if got.is_complex():
            raise Wrong(_("whitening_filters returned complex numbers: C is symmetric, so use torch.linalg.eigh "
                          "(real eigenvalues and eigenvectors), not torch.linalg.eig"))
        if tuple(got.shape) == (len(rows), len(rows)):
            raise Wrong(_("for {n} patches of {dim} numbers whitening_filters returned {got}: the second moment "
                          "is patches.T @ patches, (D, N) @ (N, D) → (D, D)").format(n=len(rows), dim=dim,
                                                                                     got=shape(got)))
        same_shape(got, torch.empty(dim, dim), _("for {n} patches of {dim} numbers the result").format(
            n=len(rows), dim=dim), _("one filter of {dim} numbers per eigenvector").format(dim=dim))
    return got.detach()


def _filters(ex: ModuleType, patches: torch.Tensor, *eps: float) -> torch.Tensor:
    return _answer(ex, patches, *eps).double()


def _eigenvalue_of_rows(filters: torch.Tensor, second_moment: torch.Tensor) -> torch.Tensor:
    """(D,) the λ each row belongs to: w C wᵀ / w wᵀ, the same whatever the row's length and sign."""
    return ((filters @ second_moment) * filters).sum(1) / (filters * filters).sum(1)


def _correlation(moment: torch.Tensor) -> float:
    """The largest correlation between two outputs, from their (D, D) second moment: 0 when whitened."""
    size = moment.diagonal().abs().sqrt()
    correlation = moment / (size[:, None] * size[None, :])
    return float((correlation - torch.diag(correlation.diagonal())).abs().max())


def _unsigned_gap(got: torch.Tensor, want: torch.Tensor) -> tuple[int, float, float]:
    """The row of `got` farthest from `want`'s once turned to its side: (row, its largest difference, its size =
    the largest value in `want`'s row)."""
    sign = torch.where((got * want).sum(1, keepdim=True) < 0, -1.0, 1.0)
    diffs, sizes = (got * sign - want).abs().amax(1), want.abs().amax(1)
    row = int((diffs / sizes).argmax())
    return row, float(diffs[row]), float(sizes[row])


def check_shape(ex: ModuleType) -> None:
    for dim in (12, 4):  # RGB 2×2 patches, and gray ones: D comes from the patches, not a fixed 12
        patches = _spread_patches()[:300, :dim]
        got = _answer(ex, patches)
        if got.dtype != patches.dtype:
            raise Wrong(_("the filters are {got}, the patches {want}: return the patches' dtype (a layer's "
                          "weights are float32), e.g. .to(patches.dtype)").format(got=got.dtype, want=patches.dtype))
        if not torch.isfinite(got).all():
            raise Wrong(_("the filters hold NaN or inf: √(λ + eps) is never 0, as long as eps is added inside"))


def check_whitened(ex: ModuleType) -> None:
    patches = _spread_patches()
    second_moment, filters = _moment(patches), _filters(ex, patches)
    outputs = filters @ second_moment @ filters.T  # (D, D): the second moment of the layer's outputs
    if _correlation(outputs) > TOLERANCE:
        if _correlation(filters @ torch.cov(patches.T.double()) @ filters.T) <= TOLERANCE:
            raise Wrong(_("your filters whiten the covariance around the mean (what torch.cov gives, divided by "
                          "N − 1): use the second moment patches.T @ patches / N, as the layer does"))
        raise Wrong(_("the outputs are correlated (up to {correlation:.2f}), so the rows are not eigenvectors of C: "
                      "torch.linalg.eigh returns them as the columns, eigenvectors[:, k]").format(
                          correlation=_correlation(outputs)))
    eigenvalue = _eigenvalue_of_rows(filters, second_moment)
    got, want = outputs.diagonal(), eigenvalue / (eigenvalue + EPS)
    worst = int((got - want).abs().argmax())
    if float((got[worst] - want[worst]).abs()) <= TOLERANCE:
        return
    advice = _("row k is v_k / √(λ_k + eps)")
    if torch.allclose(got, want / (eigenvalue + EPS), rtol=TOLERANCE):
        advice = _("divide by the square root, √(λ + eps), not by λ + eps")
    elif torch.allclose(got, torch.ones_like(got), atol=TOLERANCE):
        advice = _("add eps before the square root: √(λ + eps) keeps a tiny λ from blowing its filter up")
    elif torch.allclose(got, eigenvalue / (len(patches) * eigenvalue + EPS), rtol=TOLERANCE):
        advice = _("the second moment is the mean over the patches, patches.T @ patches / N, not their sum")
    raise Wrong(_("output {k} has W C Wᵀ = {got:.4g}, expected λ / (λ + eps) = {want:.4g} (λ = {eigenvalue:.3g}): "
                  "{advice}").format(k=worst, got=float(got[worst]), want=float(want[worst]),
                                     eigenvalue=float(eigenvalue[worst]), advice=advice))


def check_order(ex: ModuleType) -> None:
    patches = _spread_patches()
    eigenvalue = _eigenvalue_of_rows(_filters(ex, patches), _moment(patches))
    if bool((eigenvalue[1:] < eigenvalue[:-1]).all()):
        return
    if bool((eigenvalue[1:] > eigenvalue[:-1]).all()):
        raise Wrong(_("your rows go from the smallest λ to the largest: torch.linalg.eigh sorts ascending, so "
                      "flip them, .flip(0)"))
    raise Wrong(_("the rows belong to λ = {got}, not sorted from the largest down: order them by eigenvalue, "
                  "largest first").format(got=", ".join(f"{float(v):.3g}" for v in eigenvalue)))


def check_reference(ex: ModuleType) -> None:
    patches = _spread_patches()
    for eps in (EPS, 0.1):
        args = () if eps == EPS else (eps,)  # the first call leaves eps at its default
        row, diff, size = _unsigned_gap(_filters(ex, patches, *args), _reference(patches, eps))
        if diff <= TOLERANCE * size:
            continue
        advice = (_("row k is v_k / √(λ_k + eps), for the eigenvectors of patches.T @ patches / N, largest λ first")
                  if eps == EPS else _("use the eps argument, not a fixed number"))
        raise Wrong(_("with eps = {eps:g}, row {row} differs from Whitening's filter by up to {diff:.3g} (its largest "
                      "value is {size:.3g}; signs aside): {advice}").format(eps=eps, row=row, diff=diff, size=size,
                                                                            advice=advice))


def check_cifar(ex: ModuleType) -> None:
    patches, want = _cifar_patches()
    row, diff, size = _unsigned_gap(_filters(ex, patches), want)
    if diff > CIFAR_TOLERANCE * size:
        eigenvalue = float(_eigenvalue_of_rows(want[row:row + 1], _moment(patches))[0])
        raise Wrong(_("on the CIFAR-10 patches row {row} (λ = {eigenvalue:.2g}) differs from the whitening layer's "
                      "filter by up to {diff:.3g} (its largest value is {size:.3g}; signs aside)").format(
                          row=row, eigenvalue=eigenvalue, diff=diff, size=size))


CHECKS = (
    Check(N_("whitening_filters returns a (D, D) tensor of the patches' dtype, for D = 12 and D = 4"), check_shape,
          ("whitening_filters",)),
    Check(N_("the outputs are uncorrelated: W C Wᵀ is diagonal, λ / (λ + eps) on it (2,000 patches, λ from 8.6 to "
             "0.0002)"), check_whitened, ("whitening_filters",)),
    Check(N_("the rows go from the largest eigenvalue to the smallest"), check_order, ("whitening_filters",)),
    Check(N_("the rows equal torchstart's Whitening filters up to sign, with eps 5e-4 (the default) and 0.1"),
          check_reference, ("whitening_filters",)),
    Check(N_("on 480,500 patches of 500 embedded CIFAR-10 images (λ from 9.95 to 0.00011): the filters of lesson "
             "21's whitening layer, up to sign"), check_cifar, ("whitening_filters",)),
    Check(N_("written by hand: no torchstart Whitening"),
          by_hand({"Whitening"}, N_("the whitening filters"), lambda ex: _answer(ex, _spread_patches()[:300])),
          ("whitening_filters",)),
)

MISTAKES = (
    Mistake(N_("patches @ patches.T, an (N, N) matrix, instead of patches.T @ patches"),
            "patches.T @ patches / len(patches)", "patches @ patches.T / len(patches)", "patches.T @ patches, (D, N)"),
    Mistake(N_("the sum over the patches instead of their mean"), "patches.T @ patches / len(patches)",
            "patches.T @ patches", "not their sum"),
    Mistake(N_("the covariance around the mean (torch.cov) instead of the second moment"),
            "patches.T @ patches / len(patches)", "torch.cov(patches.T)", "covariance around the mean"),
    Mistake(N_("the rows of eigh's eigenvector matrix taken as the eigenvectors"), "eigenvectors.T / ",
            "eigenvectors / ", "as the columns"),
    Mistake(N_("divided by λ + eps, without the square root"), "torch.sqrt(eigenvalues + eps)", "(eigenvalues + eps)",
            "divide by the square root"),
    Mistake(N_("eps left out"), "torch.sqrt(eigenvalues + eps)", "torch.sqrt(eigenvalues)", "add eps before"),
    Mistake(N_("the smallest eigenvalue first"), "return filters.flip(0)", "return filters", ".flip(0)"),
    Mistake(N_("the lesson's Whitening layer asked for its filters"), "    return filters.flip(0)",
            "    from torchstart.models.speedrun import Whitening\n"
            "    layer = Whitening(in_channels=patches.shape[1] // 4)\n"
            "    layer.fit(patches.reshape(len(patches), -1, 2, 2), eps=eps)\n"
            "    return layer.weight[:patches.shape[1]].flatten(1)", "by hand"),
)
