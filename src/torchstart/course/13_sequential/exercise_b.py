"""Reference solution of exercise 13b (sequential): a model made from a table of sizes, and the shapes a batch
takes layer by layer — what `torchstart lesson 13` prints for the course's model."""

import torch
from torch import nn


def build_mlp(sizes: list[int]) -> nn.Sequential:
    """sizes = [输入, 隐藏层…, 输出]：相邻两个数之间一个 nn.Linear，两个 Linear 之间一个 nn.ReLU（最后一个之后没有）。
    sizes = [inputs, hidden…, outputs]: an nn.Linear between each two neighbours, an nn.ReLU between two Linear
    layers (none after the last)."""
    ### BEGIN SOLUTION
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no ReLU after the last layer: a score may be negative
    ### END SOLUTION


def layer_shapes(model: nn.Sequential, input_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """一个形状为 input_shape 的批次经过每一层之后的形状（含批次维），按层的顺序。
    The shape a batch of input_shape has after each layer (batch dimension included), in the layers' order."""
    ### BEGIN SOLUTION
    x = torch.zeros(input_shape)
    shapes = []
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape))
    return shapes
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/13_sequential_b.py: try it before checking
    print(build_mlp([3 * 32 * 32, 64, 10]))
    print(layer_shapes(nn.Sequential(nn.Conv2d(3, 8, 3), nn.MaxPool2d(2), nn.Flatten()), (1, 3, 32, 32)))
