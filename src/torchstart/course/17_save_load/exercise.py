"""Reference solution of exercise 17 (save_load): save a state_dict, load it into a fresh model."""

import torch
from torch import nn


def save_weights(model: nn.Module, path: str) -> None:
    """只把参数（state_dict）保存到 path。 / Save only the parameters (the state_dict) to path."""
    ### BEGIN SOLUTION
    torch.save(model.state_dict(), path)
    ### END SOLUTION


def load_weights(model: nn.Module, path: str) -> nn.Module:
    """把 path 里的参数装进 model（同样结构的新模型），返回它。 / Load the parameters in path into model (a fresh
    model of the same kind) and return it."""
    ### BEGIN SOLUTION
    model.load_state_dict(torch.load(path, weights_only=True))
    return model
    ### END SOLUTION
