"""Reference solution of exercise 7 (datasets): a Dataset used like torchvision's CIFAR10, and its DataLoader."""

import numpy as np
from PIL import Image
from torch.utils.data import DataLoader, Dataset


class Cifar(Dataset):
    """images (N, 32, 32, 3) uint8 与 labels (N,)，用法像 torchvision 的 CIFAR10。
    images (N, 32, 32, 3) uint8 and labels (N,), used like torchvision's CIFAR10."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform=None) -> None:
        self.images = images
        self.labels = labels
        self.transform = transform

    def __getitem__(self, index: int):
        """(transform(PIL 图像)，没有 transform 时就是 PIL 图像, 类别编号)
        (transform(the PIL image), or the PIL image when there is no transform, the class index)"""
        ### BEGIN SOLUTION
        image = Image.fromarray(self.images[index])
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])
        ### END SOLUTION

    def __len__(self) -> int:
        ### BEGIN SOLUTION
        return len(self.labels)
        ### END SOLUTION


def make_loader(dataset: Dataset, batch_size: int = 64) -> DataLoader:
    """每轮打乱顺序的 DataLoader。 / A DataLoader that shuffles every epoch."""
    ### BEGIN SOLUTION
    return DataLoader(dataset, batch_size=batch_size, shuffle=True)
    ### END SOLUTION
