# %% [markdown] lang="zh"
# # 第 10 课 最大池化：缩小特征图，留下最强的响应
#
# 池化也是让一个窗口在输入上滑动，但窗口里没有要学习的权重：最大池化只留下窗口里最大的那个数，
# 平均池化留下窗口里的平均值。特征图因此变小，后面各层的计算量跟着减少；留下的又是每一块里最显著的响应，
# 输入稍微平移一点，结果往往不变。
# 这一课先算课程讲解里 4×4 的例子，再用课程的 5×5 输入看 `ceil_mode` 怎样处理边上不完整的窗口，
# 用几行纯 Python 手写的池化核对每个结果；然后像课程一样把 CIFAR-10 的图片池化后写进 TensorBoard，
# 最后看一个数据类型的坑：课程一开始建的是整数张量。

# %% [markdown] lang="en"
# # Lesson 10 Max pooling: smaller feature maps that keep the strongest responses
#
# Pooling also slides a window over the input, but the window holds no weights to learn: max pooling keeps
# only the largest number in the window, average pooling the mean of the window. The feature map shrinks, and
# with it the work of every later layer; what stays is the strongest response of each patch, so a small shift
# of the input often leaves the result unchanged. This lesson first works the course's 4×4 example, then uses
# the course's 5×5 input to see how `ceil_mode` treats the incomplete windows at the edge, checking every result
# with a pooling written in a few lines of plain Python; then, as in the course, it pools CIFAR-10 images and
# writes them to TensorBoard, and last it shows a dtype pitfall: the course first builds an integer tensor.

# %%
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn import MaxPool2d

# %% [markdown] lang="zh"
# ## 课程讲解里的例子
#
# 4×4 的输入 1…16，用 2×2 的窗口、步长 2 做最大池化：四个窗口互不重叠，各取最大值，得到 [[6, 8], [14, 16]]。
# `nn.MaxPool2d` 的步长默认等于窗口大小，所以只写 `MaxPool2d(2)` 就够了。同一个输入做平均池化（`nn.AvgPool2d`），
# 左上角是 (1 + 2 + 5 + 6) / 4 = 3.5；全局平均池化（`nn.AdaptiveAvgPool2d(1)`）把整张特征图平均成一个数。

# %% [markdown] lang="en"
# ## The course's worked example
#
# The 4×4 input 1…16, max-pooled with a 2×2 window and stride 2: four windows that do not overlap, the largest
# value of each, [[6, 8], [14, 16]]. `nn.MaxPool2d`'s stride defaults to the window size, so `MaxPool2d(2)` is
# enough. Average pooling (`nn.AvgPool2d`) of the same input gives (1 + 2 + 5 + 6) / 4 = 3.5 at the top left;
# global average pooling (`nn.AdaptiveAvgPool2d(1)`) averages the whole feature map into one number.

# %%
grid = torch.tensor([[1, 2, 3, 4],
                     [5, 6, 7, 8],
                     [9, 10, 11, 12],
                     [13, 14, 15, 16]], dtype=torch.float32)
grid = torch.reshape(grid, (1, 1, 4, 4))  # (N, C, H, W)
maxpool_4x4 = nn.MaxPool2d(2)(grid)  # (1, 1, 2, 2)
avgpool_4x4 = nn.AvgPool2d(2)(grid)  # (1, 1, 2, 2)
global_avg = nn.AdaptiveAvgPool2d(1)(grid)  # (1, 1, 1, 1)
print(maxpool_4x4)
print(avgpool_4x4)
print(global_avg)

# %% [markdown] lang="zh"
# ## 课程的 5×5 输入和 ceil_mode
#
# 课程的 `Tudui` 里只有一层 `MaxPool2d(kernel_size=3, ceil_mode=True)`。3×3 的窗口、步长 3，在 5×5 的输入里
# 只放得下一个完整的窗口，右边和下边剩下的都是不完整的窗口。`ceil_mode=True` 把它们留下，取其中现有的数的最大值，
# 输出 2×2；`ceil_mode=False`（默认）把它们丢掉，只剩一个数。

# %% [markdown] lang="en"
# ## The course's 5×5 input and ceil_mode
#
# The course's `Tudui` holds one layer, `MaxPool2d(kernel_size=3, ceil_mode=True)`. With a 3×3 window and stride
# 3 only one full window fits in the 5×5 input; what is left on the right and at the bottom are incomplete
# windows. `ceil_mode=True` keeps them, taking the largest of the values they do hold: a 2×2 output;
# `ceil_mode=False` (the default) drops them, leaving a single number.

# %%
# zh: 课程最初没写 dtype，得到的是 int64 张量；这里写上 float32，原因见本课最后一节
# en: the course first wrote no dtype and got an int64 tensor; float32 here — the last section shows why
input = torch.tensor([[1, 2, 0, 3, 1],
                      [0, 1, 2, 3, 1],
                      [1, 2, 1, 0, 0],
                      [5, 2, 3, 1, 1],
                      [2, 1, 0, 1, 1]], dtype=torch.float32)
input = torch.reshape(input, (-1, 1, 5, 5))  # zh: -1：N 由 torch 算出 | en: -1: torch works out N
print(input.shape)


class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.maxpool1 = MaxPool2d(kernel_size=3, ceil_mode=True)

    def forward(self, input):
        output = self.maxpool1(input)
        return output


tudui = Tudui()
output = tudui(input)
print(output)  # (1, 1, 2, 2)
output_floor = MaxPool2d(kernel_size=3, ceil_mode=False)(input)
print(output_floor)  # (1, 1, 1, 1)

# %% [markdown] lang="zh"
# ## 手写池化，核对每个结果
#
# 每条边上的窗口数 = (边长 − 窗口) / 步长，向下取整（`ceil_mode=True` 时向上取整），再加 1；
# 还有一条规则：每个窗口都必须从输入内部开始，按公式多出来的、从边外开始的那个窗口，PyTorch 不要。
# `pool_by_hand` 对每个窗口里的数调用 `reduce`：`max` 就是最大池化，`mean` 就是平均池化；
# 超出边界的窗口只取里面真有的数。

# %% [markdown] lang="en"
# ## Pooling by hand, to check every result
#
# The number of windows along a side = (side − window) / stride, rounded down (up with `ceil_mode=True`), plus 1;
# with one more rule: a window must start inside the input — PyTorch drops one that would start past the edge.
# `pool_by_hand` calls `reduce` on the values of each window: `max` makes it max pooling, `mean` average pooling;
# a window hanging over the edge uses only the values really inside.


# %%
def pooled_size(size, kernel, stride, ceil_mode):
    steps = (size - kernel) / stride
    count = (math.ceil(steps) if ceil_mode else math.floor(steps)) + 1
    if ceil_mode and (count - 1) * stride >= size:
        count -= 1  # zh: 这个窗口会从边外开始 | en: that window would start past the edge
    return count


def pool_by_hand(grid, kernel, stride=None, ceil_mode=False, reduce=max):
    stride = stride or kernel  # zh: 和 MaxPool2d 一样，默认等于窗口 | en: as in MaxPool2d, the kernel by default
    height, width = len(grid), len(grid[0])
    rows, cols = pooled_size(height, kernel, stride, ceil_mode), pooled_size(width, kernel, stride, ceil_mode)
    return [[reduce([grid[r][c]
                     for r in range(i * stride, min(i * stride + kernel, height))
                     for c in range(j * stride, min(j * stride + kernel, width))])
             for j in range(cols)]
            for i in range(rows)]


def mean(values):
    return sum(values) / len(values)


ceil_true = output[0, 0].tolist()
ceil_false = output_floor[0, 0].tolist()
hand_ceil_true = pool_by_hand(input[0, 0].tolist(), 3, ceil_mode=True)
hand_ceil_false = pool_by_hand(input[0, 0].tolist(), 3, ceil_mode=False)
print(ceil_true, hand_ceil_true)
print(ceil_false, hand_ceil_false)
print(pool_by_hand(grid[0, 0].tolist(), 2), pool_by_hand(grid[0, 0].tolist(), 2, reduce=mean))

# %% [markdown] lang="zh"
# ## 平均池化遇到不完整的窗口
#
# `AvgPool2d(3, ceil_mode=True)` 在不完整的窗口里只除以里面真有的数的个数：右下角那块只有 2×2 = 4 个数，
# 就除以 4，而不是 9。左上角是 (1 + 2 + 0 + 0 + 1 + 2 + 1 + 2 + 1) / 9 = 10/9。

# %% [markdown] lang="en"
# ## Average pooling over incomplete windows
#
# `AvgPool2d(3, ceil_mode=True)` divides an incomplete window by the number of values really in it: the
# bottom-right patch holds only 2×2 = 4 values, so it divides by 4, not 9. The top left is
# (1 + 2 + 0 + 0 + 1 + 2 + 1 + 2 + 1) / 9 = 10/9.

# %%
avg_ceil_true = nn.AvgPool2d(kernel_size=3, ceil_mode=True)(input)[0, 0].tolist()
avg_ceil_true_by_hand = pool_by_hand(input[0, 0].tolist(), 3, ceil_mode=True, reduce=mean)
print(avg_ceil_true)
print(avg_ceil_true_by_hand)

# %% [markdown] lang="zh"
# ## 课程的做法：CIFAR-10 的图片池化后写进 TensorBoard
#
# 从包里自带的 CIFAR-10 样本读测试集（500 张），每批 64 张，池化前后都用 `add_images` 写进 TensorBoard，
# 每一批记作一步（step）。32×32 的图在 `ceil_mode=True` 时变成 11×11：(32 − 3) / 3 = 9.67，向上取整得 10，再加 1；
# 不开 `ceil_mode` 是 10×10。课程之外，我们把同样窗口的平均池化也写进去对比。
# 运行后在同一个文件夹里执行 `tensorboard --logdir logs_maxpool` 就能看到。

# %% [markdown] lang="en"
# ## The course's way: CIFAR-10 images, pooled, in TensorBoard
#
# The test set (500 images) of the CIFAR-10 sample inside the package, 64 images per batch; before and after
# pooling, `add_images` writes them to TensorBoard, one step per batch. With `ceil_mode=True` a 32×32 image
# becomes 11×11: (32 − 3) / 3 = 9.67, rounded up to 10, plus 1; without `ceil_mode` it is 10×10. Beyond the
# course, average pooling with the same window is written too, to compare. After the run,
# `tensorboard --logdir logs_maxpool` in the same folder shows them.

# %%
import matplotlib.pyplot as plt
import torchvision
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

import torchstart

# zh: 包里自带的真实 CIFAR-10 样本；完整数据集就换成它的文件夹
# en: the real CIFAR-10 sample in the package; for the full set, its folder
root = torchstart.sample("cifar10")
# zh: torchvision 的 CIFAR10，只是也认得样本文件自己的校验和（官方文件照常检查）
# en: torchvision's CIFAR10, which also accepts the sample files' own checksums (official files are checked as usual)
dataset = torchstart.CIFAR10(root, train=False, transform=torchvision.transforms.ToTensor(), download=False)
dataloader = DataLoader(dataset, batch_size=64)
avgpool = nn.AvgPool2d(kernel_size=3, ceil_mode=True)  # zh: 课程之外：用来对比 | en: beyond the course: to compare

writer = SummaryWriter("logs_maxpool")
step = 0
for data in dataloader:
    imgs, targets = data
    writer.add_images("input", imgs, step)  # zh: (64, 3, 32, 32)，每行 8 张 | en: (64, 3, 32, 32), 8 per row
    output = tudui(imgs)
    writer.add_images("output", output, step)  # (64, 3, 11, 11)
    writer.add_images("avgpool", avgpool(imgs), step)
    step = step + 1
writer.close()
print(step)

first_imgs, first_targets = next(iter(dataloader))  # (64, 3, 32, 32)
pooled = tudui(first_imgs)
pooled_floor = MaxPool2d(kernel_size=3, ceil_mode=False)(first_imgs)
averaged = avgpool(first_imgs)
cifar_shapes = [first_imgs.shape, pooled.shape, pooled_floor.shape, averaged.shape]
print(cifar_shapes)
print(pooled_size(32, 3, 3, ceil_mode=True), pooled_size(32, 3, 3, ceil_mode=False))

# %% [markdown] lang="zh"
# 下面是第一批的前 16 张图，和 TensorBoard 里看到的一样：最大池化后是一格一格的马赛克，而且偏亮一点
# （取最大值自然偏向亮的像素）；平均池化后是模糊的。每条边只剩三分之一、数据量只剩九分之一，大部分图还认得出是什么。

# %% [markdown] lang="en"
# Below, the first 16 images of the first batch, as TensorBoard shows them: after max pooling a blocky mosaic,
# and a little brighter (the maximum leans to the bright pixels); after average pooling, blurred. A third of each
# side, a ninth of the data — and most pictures are still recognisable.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, batch, title in zip(axes, [first_imgs, pooled, averaged], ["input", "output (MaxPool2d)", "AvgPool2d"]):
    # zh: make_grid 像 add_images 一样把一批图拼成一张；(C, H, W) → (H, W, C) 给 matplotlib
    # en: make_grid tiles a batch as add_images does; (C, H, W) → (H, W, C) for matplotlib
    ax.imshow(torchvision.utils.make_grid(batch[:16], nrow=4, padding=1).permute(1, 2, 0).numpy())
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown] lang="zh"
# ## 数据类型的坑：整数张量
#
# 直接用 Python 整数写 `torch.tensor(...)`，得到的是 int64 张量——课程一开始就是这么建输入的。接下来怎样，
# 要看 torch 的版本：较老的 torch 不支持对它做最大池化，会报 `"max_pool2d" ... not implemented for 'Long'`
# （CUDA 上的整数最大池化到 2023 年还是一个功能请求，pytorch/pytorch#107412）；较新的 torch 在 CPU 上能算，结果也一样。
# 但平均池化在 int64 上会悄悄向下取整：10/9 变成 1；而真实网络的下一层 `Conv2d` 干脆不接受它。
# 所以手动敲数字建张量时，写上 `dtype=torch.float32`；`ToTensor` 得到的图像本来就是 float32。

# %% [markdown] lang="en"
# ## A dtype pitfall: integer tensors
#
# `torch.tensor(...)` written with Python integers gives an int64 tensor — that is how the course first builds
# its input. What happens next depends on the torch version: older ones cannot max-pool it and report
# `"max_pool2d" ... not implemented for 'Long'` (integer max pooling on CUDA was still a feature request in 2023,
# pytorch/pytorch#107412); newer ones compute it on the CPU, with the same result. But average pooling on int64
# quietly rounds down: 10/9 becomes 1; and a real network's next layer, `Conv2d`, refuses it outright. So when
# you type the numbers of a tensor by hand, write `dtype=torch.float32`; images from `ToTensor` already are.

# %%
input_int = input.to(torch.int64)  # zh: 课程最初的 torch.tensor([[1, 2, 0, 3, 1], ...]) | en: the course's first tensor
print(torch.tensor([[1, 2, 0, 3, 1]]).dtype)  # zh: Python 整数 → int64 | en: Python ints → int64
print(torch.__version__)
try:
    maxpool_int = tudui(input_int)[0, 0].tolist()
    print(maxpool_int)
except (RuntimeError, NotImplementedError) as err:  # zh: 较老的 torch | en: older torch
    maxpool_int_error = str(err)
    print("RuntimeError:", maxpool_int_error)
avgpool_int = F.avg_pool2d(input_int, 3)[0, 0, 0, 0].item()
avgpool_float = F.avg_pool2d(input, 3)[0, 0, 0, 0].item()
print(avgpool_int, avgpool_float)  # zh: 向下取整 vs 真正的平均值 | en: rounded down vs the true mean
try:
    nn.Conv2d(1, 1, 3)(input_int)
except RuntimeError as err:
    conv_int_error = str(err)
    print("RuntimeError:", conv_int_error)
