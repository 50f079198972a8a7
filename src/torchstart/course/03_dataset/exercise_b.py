"""Reference solution of exercise 3b (dataset): the course's second layout — the images in one folder, each
image's label in a text file of the same name in another (ants_image/ and ants_label/)."""

import os

from PIL import Image
from torch.utils.data import Dataset


class LabelledImages(Dataset):
    """root_dir/image_dir 里的图片；每张图片的标签写在 root_dir/label_dir 里同名的 .txt 文件中。
    The images in root_dir/image_dir; each image's label is in the .txt file of the same name in root_dir/label_dir."""

    def __init__(self, root_dir: str, image_dir: str, label_dir: str) -> None:
        ### BEGIN SOLUTION
        self.image_path = os.path.join(root_dir, image_dir)
        self.label_path = os.path.join(root_dir, label_dir)
        self.img_names = sorted(os.listdir(self.image_path))
        ### END SOLUTION

    def __getitem__(self, index: int):
        """(RGB 的 PIL 图片, 标签文字) / (the image as an RGB PIL image, the text of its label file)"""
        ### BEGIN SOLUTION
        name = self.img_names[index]
        image = Image.open(os.path.join(self.image_path, name)).convert("RGB")
        stem = os.path.splitext(name)[0]  # "0013035.jpg" → its label is in "0013035.txt"
        with open(os.path.join(self.label_path, stem + ".txt"), encoding="utf-8") as file:
            label = file.read().strip()  # an editor ends the file with a newline: it is not part of the label
        return image, label
        ### END SOLUTION

    def __len__(self) -> int:
        ### BEGIN SOLUTION
        return len(self.img_names)
        ### END SOLUTION
