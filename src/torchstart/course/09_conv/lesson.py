# %% [markdown] lang="zh"
# # 第 9 课 卷积：先用手算，再交给 PyTorch
#
# 卷积核在输入上滑动，每到一个位置，就把重叠的数逐个相乘再加起来，得到输出的一个数。
# 这一课先用课程里的 5×5 输入和 3×3 卷积核，看步长（stride）和填充（padding）怎样改变输出；
# 再用输出尺寸公式预测 `nn.Conv2d` 的输出形状；最后把 `Conv2d` 其余的参数逐个试一遍：
# bias、padding_mode、dilation、groups，以及转置卷积。

# %% [markdown] lang="en"
# # Lesson 9 Convolution: by hand first, then with PyTorch
#
# A kernel slides over the input; at each position the overlapping numbers are multiplied pairwise and
# summed into one number of the output. This lesson takes the course's 5×5 input and 3×3 kernel and shows
# how stride and padding change the output, predicts `nn.Conv2d`'s output shape with the output-size
# formula, and then tries the rest of `Conv2d`'s arguments one at a time: bias, padding_mode, dilation,
# groups, and the transposed convolution.

# %%
import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown] lang="zh"
# ## 课程里的输入和卷积核
#
# `F.conv2d` 要的输入形状是 (N, C, H, W)：一批 N 张图、每张 C 个通道；卷积核的形状是
# (C_out, C_in, kH, kW)。课程的数据只有一张单通道的 5×5 图，所以用 `reshape` 在前面补两个 1。

# %% [markdown] lang="en"
# ## The course's input and kernel
#
# `F.conv2d` wants its input as (N, C, H, W) — a batch of N images with C channels each — and its kernel as
# (C_out, C_in, kH, kW). The course's data is one single-channel 5×5 image, so `reshape` adds two leading 1s.

# %%
input = torch.tensor([[1, 2, 0, 3, 1],
                      [0, 1, 2, 3, 1],
                      [1, 2, 1, 0, 0],
                      [5, 2, 3, 1, 1],
                      [2, 1, 0, 1, 1]], dtype=torch.float32)
kernel = torch.tensor([[1, 2, 1],
                       [0, 1, 0],
                       [2, 1, 0]], dtype=torch.float32)
input = torch.reshape(input, (1, 1, 5, 5))  # (N, C, H, W)
kernel = torch.reshape(kernel, (1, 1, 3, 3))  # (C_out, C_in, kH, kW)
print(input.shape, kernel.shape)

# %% [markdown] lang="zh"
# ## 步长：每次滑动几格
#
# 左上角的第一个输出是 1·1 + 2·2 + 0·1 + 0·0 + 1·1 + 2·0 + 1·2 + 2·1 + 1·0 = 10，可以先在纸上算一遍。
# 步长 1 时卷积核在每个方向能放 3 次，输出 3×3；步长 2 时只能放 2 次，输出 2×2。

# %% [markdown] lang="en"
# ## Stride: how far the kernel moves each time
#
# The first output, top left, is 1·1 + 2·2 + 0·1 + 0·0 + 1·1 + 2·0 + 1·2 + 2·1 + 1·0 = 10 — do it on paper once.
# With stride 1 the kernel fits 3 times each way, so the output is 3×3; with stride 2 it fits twice: 2×2.

# %%
output = F.conv2d(input, kernel, stride=1)
print(output)  # (1, 1, 3, 3)
output2 = F.conv2d(input, kernel, stride=2)
print(output2)  # (1, 1, 2, 2)
# zh: 左上角的窗口逐个相乘再相加，就是第一个输出
# en: the top-left window, multiplied pairwise and summed, is the first output
first = (input[0, 0, :3, :3] * kernel[0, 0]).sum()
print(first)

# %% [markdown] lang="zh"
# ## 填充：在四周补一圈 0
#
# `padding=1` 在输入四周各补一行（列）0，输入变成 7×7，卷积核每个方向能放 5 次，输出又是 5×5，和输入一样大。

# %% [markdown] lang="en"
# ## Padding: a ring of zeros around the input
#
# `padding=1` adds one row (column) of zeros on every side, so the input becomes 7×7, the kernel fits 5 times
# each way, and the output is 5×5 again — the size of the input.

# %%
output3 = F.conv2d(input, kernel, stride=1, padding=1)
print(output3)  # (1, 1, 5, 5)

# %% [markdown] lang="zh"
# ## 输出尺寸公式
#
# 输出的高（宽）= ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1。
# 在一批 CIFAR-10 大小的图（64, 3, 32, 32）上，用几种设置的 `nn.Conv2d` 检查这个公式。

# %% [markdown] lang="en"
# ## The output-size formula
#
# Output height (width) = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1.
# Check it against `nn.Conv2d` with several settings on a batch of CIFAR-10-sized images (64, 3, 32, 32).


# %%
def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


images = torch.zeros(64, 3, 32, 32)  # zh: 这里只关心形状 | en: only the shapes matter here
shape_checks = []
for kernel_size, stride, padding, dilation in [(5, 1, 2, 1), (3, 1, 0, 1), (3, 2, 1, 1), (5, 2, 0, 1),
                                               (7, 3, 3, 1), (3, 1, 0, 2), (3, 1, 2, 2)]:
    conv = nn.Conv2d(3, 32, kernel_size, stride=stride, padding=padding, dilation=dilation)
    side = output_size(32, kernel_size, stride, padding, dilation)
    actual = tuple(conv(images).shape)
    shape_checks.append((side, actual[-1]))
    print(f"{kernel_size=} {stride=} {padding=} {dilation=}: formula {side}, Conv2d {actual}")

# %% [markdown] lang="zh"
# ## 课程的卷积层：CIFAR-10 的图片过一层 Conv2d
#
# 课程里的 `Tudui` 只有一层 `Conv2d(3, 6, 3)`：3 个输入通道（RGB），6 个输出通道，3×3 的卷积核。
# 图片从包里自带的 CIFAR-10 样本读取，不用联网。6 个输出通道没法直接当图片看，下面把第一张图的 6 张特征图画出来。

# %% [markdown] lang="en"
# ## The course's conv layer: CIFAR-10 images through one Conv2d
#
# The course's `Tudui` here is a single `Conv2d(3, 6, 3)`: 3 input channels (RGB), 6 output channels, a 3×3
# kernel. The images come from the CIFAR-10 sample inside the package, offline. Six channels are no picture,
# so the six feature maps of the first image are drawn below.

# %%
import matplotlib.pyplot as plt
import torchvision
from torch.utils.data import DataLoader

import torchstart

# zh: 包里自带的真实 CIFAR-10 样本；完整数据集就换成它的文件夹
# en: the real CIFAR-10 sample in the package; for the full set, its folder
root = torchstart.sample("cifar10")
# zh: torchvision 的 CIFAR10，只是也认得样本文件自己的校验和（官方文件照常检查）
# en: torchvision's CIFAR10, which also accepts the sample files' own checksums (official files are checked as usual)
dataset = torchstart.CIFAR10(root, train=False, transform=torchvision.transforms.ToTensor(), download=False)
dataloader = DataLoader(dataset, batch_size=64)


class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=3, out_channels=6, kernel_size=3, stride=1, padding=0)

    def forward(self, x):
        return self.conv1(x)


# zh: 卷积核是随机初始化的，固定种子让每次画出的图一样
# en: the kernels start random; a seed makes the picture repeatable
torch.manual_seed(0)
tudui = Tudui()
imgs, targets = next(iter(dataloader))
feature_maps = tudui(imgs)
print(imgs.shape)  # (64, 3, 32, 32)
print(feature_maps.shape)  # (64, 6, 30, 30): 32 − 3 + 1 = 30

fig, axes = plt.subplots(1, 7, figsize=(10, 1.8))
# zh: (C, H, W) → (H, W, C)，matplotlib 要通道在最后
# en: (C, H, W) → (H, W, C): matplotlib wants channels last
axes[0].imshow(imgs[0].permute(1, 2, 0).numpy())
for i in range(6):
    axes[i + 1].imshow(feature_maps[0, i].detach().numpy(), cmap="gray")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown] lang="zh"
# ## bias：每个输出通道加一个数
#
# 偏置是每个输出通道一个数，加到这个通道的每个输出上。`Conv2d(1, 1, 3)` 有 9 个权重加 1 个偏置；
# `bias=False` 时只有 9 个。

# %% [markdown] lang="en"
# ## bias: one number added per output channel
#
# The bias is one number per output channel, added to every output of that channel. `Conv2d(1, 1, 3)` has
# 9 weights plus 1 bias; with `bias=False`, 9.

# %%
with_bias = F.conv2d(input, kernel, bias=torch.tensor([1.0]))
print(with_bias)  # zh: 每个数都比步长 1 的输出大 1 | en: every number is the stride-1 output + 1
parameters_with_bias = sum(p.numel() for p in nn.Conv2d(1, 1, 3).parameters())
parameters_without_bias = sum(p.numel() for p in nn.Conv2d(1, 1, 3, bias=False).parameters())
print(parameters_with_bias, parameters_without_bias)

# %% [markdown] lang="zh"
# ## padding_mode：边上补什么
#
# 除了补 0（zeros），还可以镜像（reflect，不重复边上那一行）、复制边上的值（replicate）或者从另一边绕回来
# （circular）。`F.pad` 把补好的 7×7 网格显示出来；`Conv2d(padding_mode=...)` 的输出就是在这个网格上做普通卷积。

# %% [markdown] lang="en"
# ## padding_mode: what fills the border
#
# Besides zeros, the border can mirror the input (reflect, without repeating the edge row), repeat the edge
# (replicate) or wrap around from the other side (circular). `F.pad` shows the padded 7×7 grid;
# `Conv2d(padding_mode=...)` is an ordinary convolution over that grid.

# %%
padded = {}
for mode in ["zeros", "reflect", "replicate", "circular"]:
    grid = F.pad(input, (1, 1, 1, 1), mode="constant" if mode == "zeros" else mode)  # (1, 1, 7, 7)
    conv = nn.Conv2d(1, 1, 3, padding=1, padding_mode=mode, bias=False)
    with torch.no_grad():
        conv.weight.copy_(kernel)
        same = torch.equal(conv(input), F.conv2d(grid, kernel))
    padded[mode] = grid[0, 0]
    print(mode, "first row", grid[0, 0, 0].tolist(), "Conv2d = conv2d of the grid:", same)

# %% [markdown] lang="zh"
# ## dilation：空洞卷积
#
# `dilation=2` 在卷积核的相邻权重之间空一格，3×3 的核覆盖 2·(3 − 1) + 1 = 5 个像素宽。5×5 的输入里只放得下一个窗口，
# 所以输出是 1×1；它等于把卷积核"撑开"（中间补 0）后的普通卷积。

# %% [markdown] lang="en"
# ## dilation: a kernel with gaps
#
# `dilation=2` leaves one gap between neighbouring weights, so the 3×3 kernel spans 2·(3 − 1) + 1 = 5 pixels.
# Only one window fits in the 5×5 input, so the output is 1×1 — the same as an ordinary convolution with the
# kernel spread out (zeros in between).

# %%
dilated = F.conv2d(input, kernel, dilation=2)
spread = torch.zeros(1, 1, 5, 5)
spread[0, 0, ::2, ::2] = kernel[0, 0]  # zh: 权重之间插入 0 | en: zeros between the weights
dilated_by_hand = F.conv2d(input, spread)
print(dilated, dilated_by_hand)
dilated_padding2 = F.conv2d(input, kernel, dilation=2, padding=2)
print(dilated_padding2)  # (1, 1, 5, 5)

# %% [markdown] lang="zh"
# ## groups：分组卷积
#
# `groups=g` 把输入通道和输出通道各分成 g 组，每组只和自己那组做卷积，参数量是
# out · (in / groups) · 3 · 3（有偏置再加 out）。groups = in = out 就是逐通道（depthwise）卷积。

# %% [markdown] lang="en"
# ## groups: grouped convolution
#
# `groups=g` splits the input and output channels into g groups, each convolved only with its own group, so
# the parameter count is out · (in / groups) · 3 · 3 (plus out for the bias). groups = in = out is a depthwise
# convolution.

# %%
group_parameters = []
for c_in, c_out, groups, bias in [(3, 6, 1, True), (3, 6, 3, True), (3, 3, 3, True), (3, 3, 3, False)]:
    count = sum(p.numel() for p in nn.Conv2d(c_in, c_out, 3, groups=groups, bias=bias).parameters())
    formula = c_out * (c_in // groups) * 3 * 3 + (c_out if bias else 0)
    group_parameters.append((groups, count, formula))
    print(f"{c_in=} {c_out=} {groups=} {bias=}: {count} parameters, formula {formula}")

torch.manual_seed(0)
x = torch.rand(4, 3, 32, 32)
grouped = nn.Conv2d(3, 6, 3, groups=3)
with torch.no_grad():
    # zh: groups=3：每个输入通道有自己的 2 个卷积核，等于三个单通道卷积并排
    # en: groups=3: each input channel has its own 2 filters — three 1-channel convolutions side by side
    pieces = [F.conv2d(x[:, c:c + 1], grouped.weight[2 * c:2 * c + 2], grouped.bias[2 * c:2 * c + 2])
              for c in range(3)]
    groups_difference = (grouped(x) - torch.cat(pieces, dim=1)).abs().max().item()
print(groups_difference)

# %% [markdown] lang="zh"
# ## 转置卷积：把尺寸变回去
#
# 转置卷积让每个输入值乘上卷积核，按步长"盖章"到输出上再相加。对步长 2 的 2×2 输出做转置卷积，得到 5×5：
# 形状回来了，数值并没有回来。输出尺寸 = (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1。

# %% [markdown] lang="en"
# ## Transposed convolution: back to the larger size
#
# A transposed convolution stamps every input value times the kernel onto the output, stride apart, and adds
# them up. Applied to the 2×2 stride-2 output it gives 5×5: the shape comes back, the values do not.
# Output size = (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.

# %%
transposed = F.conv_transpose2d(output2, kernel, stride=2)
print(transposed)  # (1, 1, 5, 5)
by_hand = torch.zeros(5, 5)
for i in range(2):
    for j in range(2):
        by_hand[2 * i:2 * i + 3, 2 * j:2 * j + 3] += output2[0, 0, i, j] * kernel[0, 0]
print(torch.equal(transposed[0, 0], by_hand))

transposed_sizes = []
for size, k, stride, padding, output_padding, dilation in [(8, 2, 2, 0, 0, 1), (8, 3, 2, 1, 1, 1), (8, 4, 2, 1, 0, 1),
                                                           (8, 3, 1, 1, 0, 1), (8, 3, 2, 1, 0, 2)]:
    layer = nn.ConvTranspose2d(32, 16, k, stride, padding, output_padding, dilation=dilation)
    actual = layer(torch.zeros(64, 32, size, size)).shape[-1]
    formula = (size - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    transposed_sizes.append((formula, actual))
    print(f"{k=} {stride=} {padding=} {output_padding=} {dilation=}: formula {formula}, ConvTranspose2d {actual}")
