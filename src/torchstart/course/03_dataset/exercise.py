"""Reference solution of exercise 3 (dataset): the course's own Dataset, where the folder name is the label."""

import os

from PIL import Image
from torch.utils.data import Dataset


class MyData(Dataset):
    """root_dir/label_dir 里的图片；标签就是文件夹名。
    The images in root_dir/label_dir; the label is the folder name."""

    def __init__(self, root_dir: str, label_dir: str) -> None:
        ### BEGIN SOLUTION
        self.root_dir = root_dir
        self.label_dir = label_dir
        self.path = os.path.join(root_dir, label_dir)
        self.img_names = sorted(os.listdir(self.path))
        ### END SOLUTION

    def __getitem__(self, index: int):
        """(RGB 的 PIL 图片, 标签) / (the image as an RGB PIL image, its label)"""
        ### BEGIN SOLUTION
        image = Image.open(os.path.join(self.path, self.img_names[index]))
        return image.convert("RGB"), self.label_dir  # one of the files is a palette GIF: make every image RGB
        ### END SOLUTION

    def __len__(self) -> int:
        ### BEGIN SOLUTION
        return len(self.img_names)
        ### END SOLUTION


def train_set(root_dir: str) -> Dataset:
    """蚂蚁在前、蜜蜂在后的训练集（ants + bees）。 / The training set: the ants, then the bees (ants + bees)."""
    ### BEGIN SOLUTION
    return MyData(root_dir, "ants") + MyData(root_dir, "bees")
    ### END SOLUTION
