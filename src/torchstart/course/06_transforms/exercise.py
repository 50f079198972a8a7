"""Reference solution of exercise 6 (transforms): ToTensor and Normalize written by hand."""

import numpy as np
import torch
from PIL import Image


def to_tensor(image: Image.Image) -> torch.Tensor:
    """像 transforms.ToTensor()：(H, W, C) 的 0–255 图像 → (C, H, W)、取值 [0, 1] 的 float32 张量。
    Like transforms.ToTensor(): an (H, W, C) 0–255 image → a (C, H, W) float32 tensor in [0, 1]."""
    ### BEGIN SOLUTION
    array = np.asarray(image, dtype=np.float32) / 255  # (H, W, C), values 0…1
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()  # channels first: (C, H, W)
    ### END SOLUTION


def normalize(x: torch.Tensor, mean: list[float], std: list[float]) -> torch.Tensor:
    """像 transforms.Normalize(mean, std)：每个通道 (x − mean) / std。
    Like transforms.Normalize(mean, std): (x − mean) / std for each channel."""
    ### BEGIN SOLUTION
    m = torch.tensor(mean).reshape(-1, 1, 1)  # (C, 1, 1): one value per channel, the same at every pixel
    s = torch.tensor(std).reshape(-1, 1, 1)
    return (x - m) / s
    ### END SOLUTION
