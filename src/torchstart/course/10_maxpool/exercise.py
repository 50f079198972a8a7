"""Reference solution of exercise 10 (maxpool): max pooling with ceil_mode, written with loops."""

import math

import torch


def max_pool_by_hand(x: torch.Tensor, kernel: int, ceil_mode: bool = False) -> torch.Tensor:
    """x (H, W) 的最大池化，窗口 kernel×kernel，步长 = kernel。 / Max pooling of x (H, W): kernel×kernel
    windows, stride = kernel."""
    ### BEGIN SOLUTION
    h, w = x.shape
    rounding = math.ceil if ceil_mode else math.floor  # ceil_mode keeps the windows that hang over the edge
    out_h = rounding((h - kernel) / kernel) + 1
    out_w = rounding((w - kernel) / kernel) + 1
    out = torch.empty(out_h, out_w, dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = x[i * kernel:(i + 1) * kernel, j * kernel:(j + 1) * kernel].max()
    return out
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/10_maxpool.py: try it before checking
    course_input = torch.tensor([[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1],
                                 [2, 1, 0, 1, 1]], dtype=torch.float32)
    print(max_pool_by_hand(course_input, 3, ceil_mode=True))
