"""Reference solution of exercise 9b (conv): what nn.Conv2d computes for several channels in and out, with a bias —
written with loops."""

import torch


def conv2d_channels(image: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """image (C_in, H, W)，weight (C_out, C_in, kH, kW)，bias (C_out,) → (C_out, H − kH + 1, W − kW + 1)：
    nn.Conv2d（步长 1，不填充）的计算，用循环写。
    nn.Conv2d's computation (stride 1, no padding), written with loops."""
    ### BEGIN SOLUTION
    c_out, _c_in, kh, kw = weight.shape
    out_h, out_w = image.shape[1] - kh + 1, image.shape[2] - kw + 1
    out = torch.zeros(c_out, out_h, out_w)
    for o in range(c_out):  # one output channel per kernel stack weight[o]: (C_in, kH, kW)
        for i in range(out_h):
            for j in range(out_w):
                window = image[:, i:i + kh, j:j + kw]  # every input channel at once: (C_in, kH, kW)
                out[o, i, j] = (window * weight[o]).sum() + bias[o]
    return out
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/09_conv_b.py: try it before checking
    print(conv2d_channels(torch.ones(2, 4, 4), torch.ones(3, 2, 3, 3), torch.tensor([0.0, 1.0, -1.0])))
