"""Reference solution of exercise 9 (conv): the output-size formula and a convolution written with loops."""

import torch
import torch.nn.functional as F


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """输出的高（或宽）。 / The output height (or width) of a convolution."""
    ### BEGIN SOLUTION
    return (size + 2 * padding - kernel) // stride + 1
    ### END SOLUTION


def conv2d_by_hand(image: torch.Tensor, kernel: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """image (H, W) 与 kernel (kH, kW) 的卷积，用循环写。 / image (H, W) convolved with kernel (kH, kW), with loops."""
    ### BEGIN SOLUTION
    if padding:
        image = F.pad(image, (padding, padding, padding, padding))  # a border of zeros on all four sides
    kh, kw = kernel.shape
    out_h = (image.shape[0] - kh) // stride + 1
    out_w = (image.shape[1] - kw) // stride + 1
    out = torch.zeros(out_h, out_w)
    for i in range(out_h):
        for j in range(out_w):
            window = image[i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[i, j] = (window * kernel).sum()
    return out
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/09_conv.py: try it before checking
    course_input = torch.tensor([[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1],
                                 [2, 1, 0, 1, 1]], dtype=torch.float32)
    course_kernel = torch.tensor([[1, 2, 1], [0, 1, 0], [2, 1, 0]], dtype=torch.float32)
    print(conv_output_size(5, 3))
    print(conv2d_by_hand(course_input, course_kernel))
