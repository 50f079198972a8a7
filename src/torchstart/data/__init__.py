"""Data: where CIFAR-10 comes from, how batches are made, and Dataset classes for lessons."""

from .cifar10 import (
    CIFAR10_CLASSES,
    CIFAR10_MEAN,
    CIFAR10_STD,
    ArraySplit,
    Cifar10Data,
    CifarDataset,
    find_cifar10,
    load_sample,
)
from .loader import TensorLoader, epoch_order

__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "ArraySplit",
    "Cifar10Data",
    "CifarDataset",
    "TensorLoader",
    "epoch_order",
    "find_cifar10",
    "load_sample",
]
