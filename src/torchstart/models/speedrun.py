"""The capstone's network (lesson 21, `--model speedrun`): a whitening layer computed from the data, then three
conv blocks — the design of the CIFAR-10 speed records (Page's "How to train your ResNet", hlb-CIFAR10,
Jordan's airbench94, arXiv 2404.00498), at airbench94's widths. Shapes are in `Speedrun`'s docstring.
"""

from __future__ import annotations

import torch
from torch import nn


class Whitening(nn.Conv2d):
    """A 2×2 convolution whose filters whiten the image's 2×2 patches: its outputs are uncorrelated, variance 1.

    A 2×2 RGB patch is a 12-number vector. Its covariance C over training patches has eigenvectors v_k
    (directions in patch space) and eigenvalues λ_k (the variance along each). The filter v_k / √(λ_k + eps)
    projects a patch on v_k and scales it to variance 1, so the first layer starts from decorrelated inputs:
    plain SGD then learns as if the input were "round" instead of a long thin ellipse. Each filter also comes
    negated (24 channels in all), so the GELU after it keeps both signs of every direction.

    The weights are computed from data (`fit`), never trained (requires_grad=False); the bias trains for the
    first few epochs only (OptimConfig.whiten_bias_epochs).
    """

    def __init__(self, in_channels: int = 3, kernel_size: int = 2) -> None:
        super().__init__(in_channels, 2 * in_channels * kernel_size**2, kernel_size, padding=0, bias=True)
        self.weight.requires_grad = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) → (B, 2·C·k², H-k+1, W-k+1)
        # Computed in float32, also under bf16 autocast: the weakest directions' filters are ~100× larger than the
        # strongest (1/√λ), so their outputs are small differences of large products. In bf16 (8 significant
        # bits) the weakest channel comes out with ~30 % error on CIFAR-10, in float32 exactly; it costs little,
        # as this layer is 0.2 % of the network's multiply-adds. The outputs have variance ≈ 1, so they can be
        # handed on in the autocast dtype (half the activation memory of float32).
        dtype = torch.get_autocast_dtype(x.device.type) if torch.is_autocast_enabled(x.device.type) else None
        with torch.autocast(x.device.type, enabled=False):
            out = super().forward(x.to(self.weight.dtype))
        return out if dtype is None else out.to(dtype)

    @torch.no_grad()
    def fit(self, images: torch.Tensor, eps: float = 5e-4, chunk: int = 500) -> None:
        """Set the filters from standardised images (N, C, H, W) so that the layer's outputs have covariance ≈ I.

        The patch covariance is summed chunk by chunk (5,000 CIFAR images have 4.8 million patches: 230 MB
        at once, 23 MB per chunk). It is the second moment, without subtracting the mean: inputs are
        standardised, so their mean is ≈ 0, and the trainable bias takes up what is left.
        """
        c, k = self.in_channels, self.kernel_size[0]
        dim = c * k * k  # 12 numbers per patch for RGB, 2×2
        second_moment = torch.zeros(dim, dim, dtype=torch.float64)
        count = 0
        for part in images.split(chunk):
            # (n, C, H, W) → unfold → (n, C·k·k, L) patches, L = (H-k+1)·(W-k+1) positions → (n·L, C·k·k)
            patches = nn.functional.unfold(part.float().cpu(), k).transpose(1, 2).reshape(-1, dim).double()
            second_moment += patches.T @ patches
            count += len(patches)
        eigenvalues, eigenvectors = torch.linalg.eigh(second_moment / count)  # ascending λ; columns are v_k
        # (dim, dim): row k = v_k / √(λ_k + eps), the largest λ first
        filters = (eigenvectors / torch.sqrt(eigenvalues + eps)).T.flip(0)
        filters = filters.reshape(dim, c, k, k).to(self.weight)
        self.weight.copy_(torch.cat([filters, -filters]))
        self.bias.zero_()


class SpeedrunNorm(nn.BatchNorm2d):
    """BatchNorm with a fixed scale of 1 (only its bias trains), eps 1e-12 and momentum 0.4 for its running stats.

    With the scale fixed, every layer's output size is set by the normalisation alone, which keeps the
    effective learning rate of the conv weights steady. Momentum 0.4 (PyTorch's convention: weight of the newest
    batch) lets the running mean and variance follow the fast-changing weights of a ten-epoch run.
    """

    def __init__(self, channels: int) -> None:
        super().__init__(channels, eps=1e-12, momentum=0.4)
        self.weight.requires_grad = False


class SpeedrunBlock(nn.Module):
    """conv 3×3 → max-pool 2 → BatchNorm → GELU → conv 3×3 → BatchNorm → GELU; halves the side.

    Both convs start as the identity on their first input-many filters (torch.nn.init.dirac_; the others keep
    PyTorch's random init), so at first a block passes its input on and gradients reach all three blocks from
    step one.
    """

    def __init__(self, in_channels: int, out_channels: int, identity_init: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = SpeedrunNorm(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = SpeedrunNorm(out_channels)
        self.act = nn.GELU()
        for conv in (self.conv1, self.conv2) if identity_init else ():
            weight = conv.weight.data  # (out, in, 3, 3)
            nn.init.dirac_(weight[: weight.shape[1]])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, H, W) → (B, C_out, H/2, W/2)
        x = self.act(self.norm1(self.pool(self.conv1(x))))
        return self.act(self.norm2(self.conv2(x)))


class Speedrun(nn.Module):
    """The capstone's CIFAR-10 network (about 1.97 million parameters, 0.24 GFLOP per 32×32 image forward).

    Shapes for a batch of B images:

        (B, 3, 32, 32) → whitening 2×2, no padding → (B, 24, 31, 31) → GELU
        → block 64  → (B, 64, 15, 15) → block 256 → (B, 256, 7, 7) → block 256 → (B, 256, 3, 3)
        → max-pool 3 → (B, 256) → linear (no bias) → (B, 10) × 1/9

    The final ×1/9 keeps the first logits small (a softer start for the cross-entropy) — one fixed number
    instead of a smaller initialisation of the head. Widths follow airbench94 (64, 256, 256).
    Lesson 21 switches two tricks off to show what they bring: `whitening=False` makes the first layer an
    ordinary trainable 2×2 conv with random weights, `identity_init=False` keeps PyTorch's random init.
    """

    def __init__(self, num_classes: int = 10, widths: tuple[int, int, int] = (64, 256, 256),
                 logit_scale: float = 1 / 9, whitening: bool = True, identity_init: bool = True) -> None:
        super().__init__()
        self.whiten = Whitening(3)
        if not whitening:  # a plain first layer: the same shape, trained like the others
            self.whiten.weight.requires_grad = True
            self.whiten.reset_parameters()
        self.whitening = whitening
        self.act = nn.GELU()
        channels = (self.whiten.out_channels, *widths)
        self.blocks = nn.Sequential(*(SpeedrunBlock(i, o, identity_init) for i, o in zip(channels, channels[1:])))
        self.pool = nn.AdaptiveMaxPool2d(1)  # = MaxPool2d(3) on CIFAR's 3×3 maps; any input size works
        self.head = nn.Linear(widths[-1], num_classes, bias=False)
        self.logit_scale = logit_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) → (B, num_classes)
        x = self.blocks(self.act(self.whiten(x)))
        return self.head(self.pool(x).flatten(1)) * self.logit_scale

    def fit_to_data(self, images: torch.Tensor) -> bool:
        """The data-dependent part of initialisation: the whitening filters from standardised training images."""
        if self.whitening:
            self.whiten.fit(images)
        return self.whitening
