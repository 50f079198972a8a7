"""Data: one in-memory data type (`ImageData`), where CIFAR-10 and image folders come from, and the loader.

    imagedata.py   ArraySplit and ImageData: what every source becomes
    cifar10.py     CIFAR-10 from a folder, the cache, a download or the embedded sample
    torchvision_files.py  any CIFAR-10 written once in torchvision's own cifar-10-batches-py/ layout
    scan.py        what a folder of images holds: layout, class folders, usable files
    folders.py     your own class folders decoded into an ImageData
    find.py        what --data-dir holds: CIFAR-10 or image folders
    hymenoptera.py the course's ants/bees set and its Dataset (LabelFolder)
    images.py      open any image as RGB; turn it into a model input
    loader.py      TensorLoader: batches built from uint8 tensors on the device
"""

from .cifar10 import CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD, CifarDataset, find_cifar10, load_sample
from .find import find_data
from .imagedata import ArraySplit, ImageData
from .loader import TensorLoader, epoch_order

__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "ArraySplit",
    "CifarDataset",
    "ImageData",
    "TensorLoader",
    "epoch_order",
    "find_cifar10",
    "find_data",
    "load_sample",
]
