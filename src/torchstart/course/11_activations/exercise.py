"""Reference solution of exercise 11 (activations): ReLU, Sigmoid and Softmax written with tensor operations."""

import torch


def relu(x: torch.Tensor) -> torch.Tensor:
    """负数变成 0，其余不变。 / Negative numbers become 0, the rest stay."""
    ### BEGIN SOLUTION
    return x.clamp(min=0)
    ### END SOLUTION


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + e^(−x))：把任何数压到 0 和 1 之间。 / 1 / (1 + e^(−x)): squeezes any number into (0, 1)."""
    ### BEGIN SOLUTION
    return 1 / (1 + torch.exp(-x))
    ### END SOLUTION


def softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    """沿 dim 的 softmax：每一行（dim=1）变成加起来等于 1 的概率。 / Softmax along dim: with dim=1 every row
    becomes probabilities that add up to 1."""
    ### BEGIN SOLUTION
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))  # minus the max: the same result, and exp cannot overflow
    return e / e.sum(dim=dim, keepdim=True)
    ### END SOLUTION
