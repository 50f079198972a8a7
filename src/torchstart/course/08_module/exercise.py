"""Reference solution of exercise 8 (module): the nn.Module example of chapter 8."""

import torch
import torch.nn.functional as F
from torch import nn


class Model(nn.Module):
    """两层 5×5 卷积（1 → 20 → 20 个通道），每层后接 ReLU。 / Two 5×5 convolutions (1 → 20 → 20 channels), each
    followed by ReLU."""

    def __init__(self) -> None:
        ### BEGIN SOLUTION
        super().__init__()  # first: it sets up what records the layers below as parts of the model
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 20, 5)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        x = F.relu(self.conv1(x))
        return F.relu(self.conv2(x))
        ### END SOLUTION


if __name__ == "__main__":  # python exercises/08_module.py: try it before checking
    print(Model()(torch.randn(1, 1, 28, 28)).shape)
