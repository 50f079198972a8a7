"""Reference solution of exercise 5 (opencv): OpenCV's channel order, by hand."""

import numpy as np


def bgr_to_rgb(image: np.ndarray) -> np.ndarray:
    """OpenCV 的 BGR 图像 (H, W, 3) 变成 RGB，不用 cv2。 / An OpenCV BGR image (H, W, 3) as RGB, without cv2."""
    ### BEGIN SOLUTION
    return image[:, :, ::-1]  # reverse the last axis, the channels: B, G, R → R, G, B
    ### END SOLUTION


def to_gray(image: np.ndarray) -> np.ndarray:
    """BGR 图像的灰度图 (H, W)，uint8：0.299·R + 0.587·G + 0.114·B。 / The (H, W) uint8 grayscale of a BGR image."""
    ### BEGIN SOLUTION
    b, g, r = image[:, :, 0], image[:, :, 1], image[:, :, 2]  # OpenCV stores blue first
    gray = 0.299 * r + 0.587 * g + 0.114 * b
    return np.round(gray).astype(np.uint8)
    ### END SOLUTION
