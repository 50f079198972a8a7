"""Reference solution of exercise 12 (layers): BatchNorm by hand, and flattening that keeps the batch."""

import torch


def batch_norm_by_hand(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """像训练模式下刚建好的 nn.BatchNorm2d：x (N, C, H, W) 的每个通道减去均值、除以标准差。
    Like a new nn.BatchNorm2d in train mode: each channel of x (N, C, H, W) minus its mean, over its std."""
    ### BEGIN SOLUTION
    mean = x.mean(dim=(0, 2, 3), keepdim=True)  # (1, C, 1, 1): one mean per channel, over the batch and pixels
    var = x.var(dim=(0, 2, 3), keepdim=True, unbiased=False)  # BatchNorm divides by n, not n − 1
    return (x - mean) / torch.sqrt(var + eps)
    ### END SOLUTION


def flatten_images(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) → (N, C·H·W)：保留批次维，像 nn.Flatten()。 / (N, C, H, W) → (N, C·H·W), keeping the batch
    dimension, like nn.Flatten()."""
    ### BEGIN SOLUTION
    return torch.flatten(x, start_dim=1)
    ### END SOLUTION
