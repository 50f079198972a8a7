"""Reference solution of exercise 8b (module): layers kept in a list, and a parameter of the model's own — both
registered with nn.Module, so parameters(), the optimiser, .to() and state_dict() see them."""

import torch
import torch.nn.functional as F
from torch import nn


class Stack(nn.Module):
    """count 个 Conv2d(channels, channels, 3, padding=1)，每个后接 ReLU，放在 self.convs（nn.ModuleList）里；
    输出再乘一个可学习的 self.scale（nn.Parameter，初始为 1）。
    count Conv2d(channels, channels, 3, padding=1) layers, each followed by ReLU, kept in self.convs (an
    nn.ModuleList); the output is multiplied by a learnable self.scale (an nn.Parameter, 1 at first)."""

    def __init__(self, channels: int, count: int) -> None:
        ### BEGIN SOLUTION
        super().__init__()
        # nn.ModuleList, not a list: a plain list hides its layers from parameters(), .to() and state_dict()
        self.convs = nn.ModuleList([nn.Conv2d(channels, channels, 3, padding=1) for _ in range(count)])
        self.scale = nn.Parameter(torch.ones(1))  # nn.Parameter: a tensor the model learns
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        for conv in self.convs:
            x = F.relu(conv(x))
        return x * self.scale
        ### END SOLUTION


if __name__ == "__main__":  # python exercises/08_module_b.py: try it before checking
    model = Stack(3, 2)
    print(model(torch.randn(1, 3, 8, 8)).shape, sum(p.numel() for p in model.parameters()))
