# %% [markdown] lang="zh"
# # 第 11 课 非线性激活：ReLU、Sigmoid 和 Softmax
#
# 线性层只会做乘法和加法。两层线性层叠在一起，展开后还是一个线性层：叠得再多，也只抵得上一层。
# 要让网络学到弯弯曲曲的规律，层与层之间就得夹一个非线性函数，这就是激活函数。课程提到三种最常见的：
#
# | 激活函数 | 公式 | 常用在哪里 |
# |---|---|---|
# | `nn.ReLU()` | max(0, x) | 隐藏层 |
# | `nn.Sigmoid()` | 1 / (1 + e^−x) | 二分类的输出，把数压到 0～1 之间 |
# | `nn.Softmax(dim=1)` | 一行里的 e^x_i / Σ_j e^x_j | 多分类的输出，每一行变成加起来等于 1 的概率 |
#
# 这一课先在课程的 2×2 小输入上把三种函数各用一遍，再看 `inplace=True` 的两个坑，
# 最后把 CIFAR-10 的图片送进 ReLU 和 Sigmoid，写进 TensorBoard 看看图片变成了什么样。

# %% [markdown] lang="en"
# # Lesson 11 Non-linear activations: ReLU, Sigmoid and Softmax
#
# A linear layer only multiplies and adds. Two linear layers in a row, multiplied out, are again one linear
# layer: however many you stack, they are worth one. For a network to learn anything curved, a non-linear
# function has to sit between the layers — the activation function. The course names the three most common:
#
# | activation | formula | typical place |
# |---|---|---|
# | `nn.ReLU()` | max(0, x) | hidden layers |
# | `nn.Sigmoid()` | 1 / (1 + e^−x) | a yes/no output, squeezed into (0, 1) |
# | `nn.Softmax(dim=1)` | e^x_i / Σ_j e^x_j over a row | a multi-class output: rows of probabilities that sum to 1 |
#
# The lesson applies each to the course's small 2×2 input, then looks at the two traps of `inplace=True`, and
# last sends CIFAR-10 images through ReLU and Sigmoid into TensorBoard to see what becomes of the pictures.

# %%
import matplotlib.pyplot as plt
import torch
import torchvision
from torch import nn
from torch.nn import ReLU, Sigmoid
from torch.utils.data import DataLoader, Subset
from torch.utils.tensorboard import SummaryWriter

import torchstart

# %% [markdown] lang="zh"
# ## 课程的输入和课程的 Tudui
#
# 课程把 2×2 的输入 reshape 成 (N, C, H, W) 的样子，也就是一批 1 张、1 个通道。其实激活函数是逐个元素计算的，
# 任何形状都可以直接用，这一步只是让它看起来像一批图片。课程的 `Tudui` 里放了一个 ReLU 和一个 Sigmoid，
# `forward` 用的是 Sigmoid；ReLU 也可以单独拿出来调用。

# %% [markdown] lang="en"
# ## The course's input, and the course's Tudui
#
# The course reshapes its 2×2 input to look like (N, C, H, W): a batch of one image with one channel.
# Activations work element by element on any shape, so this only makes it look like a batch of images.
# The course's `Tudui` holds a ReLU and a Sigmoid and its `forward` uses the Sigmoid; the ReLU can be called
# on its own too.

# %%
input = torch.tensor([[1, -0.5],
                      [-1, 3]])
input = torch.reshape(input, (-1, 1, 2, 2))  # (N, C, H, W) = (1, 1, 2, 2)
print(input.shape)


class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        # zh: inplace=False（默认）：结果写进一个新张量，输入保持不变，后面会看到为什么
        # en: inplace=False (the default): the result goes to a new tensor and the input stays — see below why
        self.relu1 = ReLU()
        self.sigmoid1 = Sigmoid()

    def forward(self, input):
        output = self.sigmoid1(input)
        return output


tudui = Tudui()
output_relu = tudui.relu1(input)
print(output_relu)  # zh: 负数变成 0，正数不变 | en: negatives become 0, the rest stay
output_sigmoid = tudui(input)
print(output_sigmoid)  # zh: 每个数都被压到 0 和 1 之间 | en: every number squeezed into (0, 1)

# %% [markdown] lang="zh"
# 验算一个：σ(1) = 1 / (1 + e^−1) ≈ 0.7311，σ(0) 正好是 0.5，负数得到小于 0.5 的值。

# %% [markdown] lang="en"
# Check one: σ(1) = 1 / (1 + e^−1) ≈ 0.7311; σ(0) is exactly 0.5, and negative numbers give less than 0.5.

# %% [markdown] lang="zh"
# ## Softmax：一定要写 dim
#
# 把同样四个数看成 2 个样本、每个样本 2 个类别的分数，形状 (N, 类别数) = (2, 2)。`dim=1` 在每一行里归一化：
# 每个样本得到一组概率，加起来是 1。写成 `dim=0`，就变成在整批样本之间、按列归一化，每一行不再是概率。

# %% [markdown] lang="en"
# ## Softmax: always give dim
#
# Read the same four numbers as the scores of 2 samples over 2 classes, shape (N, classes) = (2, 2).
# `dim=1` normalises within each row: every sample gets probabilities that add up to 1. With `dim=0` it
# normalises down the columns, across the batch, and the rows stop being probabilities.

# %%
scores = torch.tensor([[1, -0.5],
                       [-1, 3]])  # (N=2, classes=2)
softmax = nn.Softmax(dim=1)  # zh: dim=1：一行是一个样本在各类别上的分数 | en: dim=1: a row is one sample's scores
probabilities = softmax(scores)
row_sums = probabilities.sum(dim=1)
print(probabilities)
print(row_sums)
dim0_row_sums = nn.Softmax(dim=0)(scores).sum(dim=1)
print(dim0_row_sums)  # zh: 按列归一化了，行和不再是 1 | en: the columns were normalised; the rows no longer sum to 1

# %% [markdown] lang="zh"
# ## inplace=True 的两个坑
#
# `nn.ReLU(inplace=True)` 为了省一点内存，把结果直接写回输入。第一个坑：你传进去的张量被改掉了，
# 原来的值再也找不回来。

# %% [markdown] lang="en"
# ## Two traps of inplace=True
#
# `nn.ReLU(inplace=True)` saves a little memory by writing the result into its input. Trap one: the tensor
# you passed in is changed, and its old values are gone.

# %%
inplace_input = scores.clone()
nn.ReLU(inplace=True)(inplace_input)
print(inplace_input)  # zh: 被改写了 | en: overwritten
copy_input = scores.clone()
nn.ReLU()(copy_input)
print(copy_input)  # zh: 原样保留 | en: kept

# %% [markdown] lang="zh"
# 第二个坑更隐蔽：如果被改写的正好是自动求导还要用的中间结果，`backward()` 就会报错。
# Sigmoid 的导数是 σ(x)·(1 − σ(x))，反向传播时要用到它自己的输出；原地 ReLU 把这个输出改了，求导就失败。
# 改回默认的 `inplace=False`，同样的计算就能正常求导，梯度正好是 σ(x)·(1 − σ(x))。
# 除非确定别处不会再读这个张量，否则保持默认的 `inplace=False`。

# %% [markdown] lang="en"
# Trap two is subtler: when what gets overwritten is an intermediate result autograd still needs,
# `backward()` fails. Sigmoid's derivative is σ(x)·(1 − σ(x)), so its backward reuses its own output; an
# in-place ReLU changes that output and the gradient cannot be computed. With the default `inplace=False`
# the same computation differentiates, and the gradient is exactly σ(x)·(1 − σ(x)). Keep `inplace=False`
# unless you know nothing else reads the tensor.

# %%
x = torch.tensor([[1, -0.5],
                  [-1, 3]], requires_grad=True)
y = torch.sigmoid(x)
nn.ReLU(inplace=True)(y)  # zh: 改写了 Sigmoid 的输出 | en: overwrites Sigmoid's output
try:
    y.sum().backward()
    inplace_error = ""
except RuntimeError as err:
    inplace_error = str(err)
print(inplace_error)

x = torch.tensor([[1, -0.5],
                  [-1, 3]], requires_grad=True)
torch.relu(torch.sigmoid(x)).sum().backward()
s = torch.sigmoid(x.detach())
print(x.grad)
print(s * (1 - s))  # zh: 和上面一样 | en: the same as above

# %% [markdown] lang="zh"
# ## 图片过一遍激活函数，写进 TensorBoard
#
# 和课程一样，把 CIFAR-10 测试集一批一批地送进 `tudui`（也就是 Sigmoid），输入和输出都用 `add_images`
# 写进 TensorBoard；这里顺便把 ReLU 的结果也写进去。图片从包里自带的 CIFAR-10 样本读取，不用联网；
# 为了跑得快，只取前两批。`ToTensor` 之后像素都在 [0, 1] 之间，没有负数，所以 ReLU 一个像素也不改；
# Sigmoid 把 [0, 1] 压到 [0.5, 0.731]，图片就变得灰蒙蒙的。

# %% [markdown] lang="en"
# ## Images through the activations, into TensorBoard
#
# As in the course, the CIFAR-10 test set goes through `tudui` (that is, Sigmoid) one batch at a time, and
# both input and output are written to TensorBoard with `add_images`; the ReLU's result goes in as well.
# The images come from the CIFAR-10 sample inside the package, offline; two batches keep it quick.
# After `ToTensor` the pixels lie in [0, 1] and none is negative, so ReLU changes no pixel at all; Sigmoid
# squeezes [0, 1] into [0.5, 0.731] and the pictures turn a flat grey.

# %%
# zh: 包里自带的真实 CIFAR-10 样本；完整数据集就换成它的文件夹
# en: the real CIFAR-10 sample in the package; for the full set, its folder
root = torchstart.sample("cifar10")
dataset = torchstart.CIFAR10(root, train=False, transform=torchvision.transforms.ToTensor(), download=False)
# zh: 课程用整个测试集、每批 64 张；这里只取前 16 张、每批 8 张：每批写进 TensorBoard 都要编码一张 PNG，
# zh: 这样很快就能跑完，8 张排成一行也正好看得清
# en: the course takes the whole test set, 64 at a time; here the first 16 images, 8 at a time: every batch
# en: written to TensorBoard is a PNG to encode, so this stays quick, and a row of 8 is easy to look at
dataset = Subset(dataset, range(16))
dataloader = DataLoader(dataset, batch_size=8)

writer = SummaryWriter("logs_relu")  # zh: 课程写在 ../logs_relu；这里写在当前文件夹 | en: the course: ../logs_relu
step = 0
relu_changed = 0
sigmoid_min, sigmoid_max = 1.0, 0.0
for data in dataloader:
    imgs, targets = data  # zh: (8, 3, 32, 32)，像素在 [0, 1] 之间 | en: (8, 3, 32, 32), pixels in [0, 1]
    writer.add_images("input", imgs, global_step=step)
    output = tudui(imgs)
    # zh: 课程只写 input 和 output 两组；这里把 Sigmoid 的输出叫 sigmoid，再加一组 relu
    # en: the course writes "input" and "output"; here the Sigmoid's output is "sigmoid", plus a "relu" group
    writer.add_images("sigmoid", output, step)
    relu_output = tudui.relu1(imgs)
    writer.add_images("relu", relu_output, step)
    relu_changed += (relu_output != imgs).sum().item()
    sigmoid_min = min(sigmoid_min, output.min().item())
    sigmoid_max = max(sigmoid_max, output.max().item())
    step += 1
writer.close()
print(f"{step=} {relu_changed=}")
print(f"{sigmoid_min=:.4f} {sigmoid_max=:.4f}")

# %% [markdown] lang="zh"
# 在终端运行 `tensorboard --logdir logs_relu`，打开 http://localhost:6006 的 IMAGES 页，就能看到每一批的三组图。
# 下面直接把第一批的 8 张画出来：上面一行是原图，中间是 ReLU（一模一样），下面是 Sigmoid（发灰、发淡）。

# %% [markdown] lang="en"
# Run `tensorboard --logdir logs_relu` in a terminal and open the IMAGES tab at http://localhost:6006 to see
# the three groups of every batch. Below, the 8 images of the first batch drawn directly: the
# originals on top, ReLU in the middle (identical), Sigmoid at the bottom (grey and faded).

# %%
imgs, targets = next(iter(dataloader))
rows = torch.cat([imgs, tudui.relu1(imgs), tudui(imgs)])  # (24, 3, 32, 32)
# zh: Sigmoid 的输出仍在 [0, 1] 之内，直接当图片画，不做任何缩放
# en: Sigmoid's output is still inside [0, 1]: drawn as it is, no rescaling
grid = torchvision.utils.make_grid(rows, nrow=8)  # (3, H, W)
plt.figure(figsize=(8, 3.2))
plt.imshow(grid.permute(1, 2, 0).numpy())  # zh: matplotlib 要通道在最后 | en: matplotlib wants channels last
plt.axis("off")
plt.show()
