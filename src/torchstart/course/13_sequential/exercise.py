"""Reference solution of exercise 13 (sequential): the course's CIFAR-10 model as one nn.Sequential."""

import torch
from torch import nn


def build_model() -> nn.Module:
    """课程第十三章的 CIFAR-10 网络。 / The course's CIFAR-10 network of chapter 13."""
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2),  # (N, 32, 32, 32): padding 2 keeps 32×32 with a 5×5 kernel
        nn.MaxPool2d(2),  # (N, 32, 16, 16)
        nn.Conv2d(32, 32, 5, padding=2),
        nn.MaxPool2d(2),  # (N, 32, 8, 8)
        nn.Conv2d(32, 64, 5, padding=2),
        nn.MaxPool2d(2),  # (N, 64, 4, 4)
        nn.Flatten(),  # (N, 1024)
        nn.Linear(1024, 64),
        nn.Linear(64, 10),  # (N, 10): one score per class
    )
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/13_sequential.py: try it before checking
    print(build_model()(torch.ones(64, 3, 32, 32)).shape)
