# %% [markdown] lang="zh"
# # 第 14 课 损失函数与反向传播
#
# 损失函数（loss function）把"模型错得有多离谱"变成一个数，训练要做的就是把这个数压低。
# 这一课先在课程的小例子上算三种常用的损失：`nn.L1Loss`、`nn.MSELoss` 和 `nn.CrossEntropyLoss`，
# 每一种都用 `math` 照公式手算一遍，和 PyTorch 的结果对上；再看三个常见的坑：先做 softmax、形状不对、整数张量。
# 最后照课程的做法，让课程模型在一批 CIFAR-10 图片上算交叉熵，调用 `backward()`，
# 看每个参数怎样得到自己的梯度——下一课的优化器就靠这些梯度更新参数。

# %% [markdown] lang="en"
# # Lesson 14 Loss functions and backpropagation
#
# A loss function turns "how wrong is the model?" into one number, and training is about pushing that number
# down. This lesson computes three common losses on the course's small examples — `nn.L1Loss`, `nn.MSELoss`
# and `nn.CrossEntropyLoss` — each next to its formula worked out by hand with `math`, and the two agree. Then
# three common mistakes: softmax first, wrong shapes, integer tensors. Last, as in the course, the course model's
# cross-entropy on one batch of CIFAR-10 images is `backward()`-ed, and every parameter gets a gradient of its
# own — the gradients the optimiser of the next lesson uses.

# %%
import math
import warnings

import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader

import torchstart

# %% [markdown] lang="zh"
# ## L1Loss 和 MSELoss
#
# 课程的例子：预测值 x = [1, 2, 3]，真实值 y = [1, 2, 5]，只有最后一个差了 2。
# L1 损失是差的绝对值的平均：(0 + 0 + 2) / 3 ≈ 0.6667；`reduction="sum"` 不求平均，直接相加，得 2。
# 均方误差（MSE）是差的平方的平均：(0 + 0 + 4) / 3 ≈ 1.3333。
# 课程把两个张量都 reshape 成 (1, 1, 1, 3)，像一张 1×3 的单通道图：这两种损失逐个元素比较，只要两边形状一样就行。
# 注意 `dtype=torch.float32`：损失要求平均，只能在浮点数上算（后面会看到整数张量的报错）。

# %% [markdown] lang="en"
# ## L1Loss and MSELoss
#
# The course's example: predictions x = [1, 2, 3], targets y = [1, 2, 5]; only the last one is off, by 2.
# The L1 loss is the mean absolute difference: (0 + 0 + 2) / 3 ≈ 0.6667; `reduction="sum"` adds instead of
# averaging: 2. The mean squared error (MSE) is the mean of the squared differences: (0 + 0 + 4) / 3 ≈ 1.3333.
# The course reshapes both tensors to (1, 1, 1, 3), like a 1×3 single-channel image: these two losses compare
# element by element, so any shape works as long as both sides have the same one. Note `dtype=torch.float32`:
# a loss takes a mean, which needs floating point (the error for integer tensors comes below).

# %%
inputs = torch.tensor([1, 2, 3], dtype=torch.float32)
targets = torch.tensor([1, 2, 5], dtype=torch.float32)
inputs = torch.reshape(inputs, (1, 1, 1, 3))  # (N, C, H, W)
targets = torch.reshape(targets, (1, 1, 1, 3))

loss = nn.L1Loss()
result = loss(inputs, targets)
loss_sum = nn.L1Loss(reduction="sum")
result_sum = loss_sum(inputs, targets)
loss_mse = nn.MSELoss()
result_mse = loss_mse(inputs, targets)
print(result, result_sum, result_mse)

# %% [markdown] lang="zh"
# 同样的数用 Python 的循环算一遍，公式就写在代码里：

# %% [markdown] lang="en"
# The same numbers with a plain Python loop, the formula written out in the code:


# %%
def l1_by_hand(pred, target, reduction="mean"):
    total = sum(abs(p - t) for p, t in zip(pred, target))  # Σ|x − y|
    return total / len(pred) if reduction == "mean" else total


def mse_by_hand(pred, target):
    return sum((p - t) ** 2 for p, t in zip(pred, target)) / len(pred)  # Σ(x − y)² / n


x_list, y_list = [1.0, 2.0, 3.0], [1.0, 2.0, 5.0]
l1_checks = {
    "L1Loss()": (result.item(), l1_by_hand(x_list, y_list)),
    "L1Loss(reduction='sum')": (result_sum.item(), l1_by_hand(x_list, y_list, "sum")),
    "MSELoss()": (result_mse.item(), mse_by_hand(x_list, y_list)),
}
for name, (torch_value, by_hand) in l1_checks.items():
    print(f"{name:<24} {torch_value:.4f}   by hand {by_hand:.4f}")

# %% [markdown] lang="zh"
# ## CrossEntropyLoss：分类用的损失
#
# 分类模型最后一层输出的是每个类别一个分数（logits，没有经过 softmax）。课程的例子有 3 个类别，分数
# x = [0.1, 0.2, 0.3]，正确类别是 1。交叉熵是"正确类别的 softmax 概率取对数再取负"：
#
# loss(x, class) = −log( exp(x[class]) / Σ_j exp(x[j]) ) = −x[class] + log Σ_j exp(x[j])
#
# 模型有把握又猜对时，这个数接近 0；有把握却猜错时，它很大。
# `CrossEntropyLoss` 要的形状是：分数 (N, C)——N 个样本、每个 C 个分数；目标 (N,)——每个样本一个类别编号。
# 所以一个样本的 3 个分数要 reshape 成 (1, 3)，目标写成 `torch.tensor([1])`。

# %% [markdown] lang="en"
# ## CrossEntropyLoss: the loss for classification
#
# A classifier's last layer gives one score per class (logits, no softmax). The course's example has 3
# classes, scores x = [0.1, 0.2, 0.3], and the right class is 1. Cross-entropy is minus the log of the right
# class's softmax probability:
#
# loss(x, class) = −log( exp(x[class]) / Σ_j exp(x[j]) ) = −x[class] + log Σ_j exp(x[j])
#
# It is near 0 when the model is sure and right, and large when it is sure and wrong. `CrossEntropyLoss` wants
# the scores as (N, C) — N samples with C scores each — and the targets as (N,), one class index per sample.
# So one sample's 3 scores are reshaped to (1, 3), and the target is `torch.tensor([1])`.


# %%
def cross_entropy_by_hand(scores, target):
    return -scores[target] + math.log(sum(math.exp(s) for s in scores))


x = torch.tensor([0.1, 0.2, 0.3])
y = torch.tensor([1])  # (N,) = (1,)
x = torch.reshape(x, (1, 3))  # (N, C) = (1, 3)
loss_cross = nn.CrossEntropyLoss()
result_cross = loss_cross(x, y)
cross_by_hand = cross_entropy_by_hand([0.1, 0.2, 0.3], 1)
print(result_cross, f"by hand {cross_by_hand:.4f}")

# %% [markdown] lang="zh"
# ## 坑一：先做 softmax 再交给 CrossEntropyLoss
#
# `CrossEntropyLoss` 自己会先做 log-softmax。要是再把 softmax 之后的概率喂给它，就等于 softmax 做了两次。
# 下面的分数 [0, 10, 0] 表示模型非常有把握、而且猜对了（类别 1）：正确的损失几乎是 0；
# 做了两次 softmax 的损失却停在 0.55 附近——3 个类别时它永远不会低于 −1 + log(e + 2)，
# 模型再有把握也一样，于是训练一直被推着走，停不下来。应该直接传最后一个 `Linear` 输出的原始分数。

# %% [markdown] lang="en"
# ## Mistake 1: softmax before CrossEntropyLoss
#
# `CrossEntropyLoss` applies log-softmax itself. Give it probabilities that went through softmax already and it
# softmaxes twice. The scores [0, 10, 0] below are a model that is very sure, and right (class 1): the right
# loss is almost 0, while the twice-softmaxed one stays near 0.55 — with 3 classes it can never go below
# −1 + log(e + 2), however sure the model is, so training keeps pushing and never settles. Pass the raw scores
# from the last `Linear`.

# %%
# zh: (1, 3)：非常有把握，而且判对了——类别 1
# en: (1, 3): very sure, and right, that the class is 1
confident = torch.tensor([[0.0, 10.0, 0.0]])
confident_ce = loss_cross(confident, y).item()
confident_ce_after_softmax = loss_cross(torch.softmax(confident, dim=1), y).item()  # zh: 错误写法 | en: wrong
print(f"{confident_ce=:.4f}")
print(f"{confident_ce_after_softmax=:.4f}  (floor: {-1 + math.log(math.e + 2):.4f})")

# %% [markdown] lang="zh"
# ## 坑二和坑三：形状和整数张量
#
# 形状不对时，要么直接报错，要么更糟：悄悄算出一个别的数。下面把预测写成一列 (3, 1)、目标还是 (3,)，
# `MSELoss` 只给一个警告，却把两者广播成 3×3 的表，9 个差全都算进去，得到 4 而不是 1.3333。
# 回归时两边的形状要完全一样；分类时记住"分数 (N, C)、目标 (N,)"。
# 另一个常见的错是整数张量：`torch.tensor([1, 2, 3])` 的类型是 int64，L1 和 MSE 都要求平均，整数算不了，
# 会报 "could not infer output dtype"。加上 `dtype=torch.float32`，或者直接写小数 `[1.0, 2.0, 3.0]`。

# %% [markdown] lang="en"
# ## Mistakes 2 and 3: shapes and integer tensors
#
# A wrong shape gives an error or, worse, quietly another number. Below, the predictions are a column (3, 1) and
# the targets still (3,): `MSELoss` only warns, broadcasts the two into a 3×3 table and averages all 9
# differences: 4 instead of 1.3333. For regression the two shapes must be the same; for classification, remember
# "scores (N, C), targets (N,)". The other common mistake is integer tensors: `torch.tensor([1, 2, 3])` is int64,
# and L1 and MSE take a mean, which integers cannot hold, so they fail with "could not infer output dtype". Write
# `dtype=torch.float32`, or write floats: `[1.0, 2.0, 3.0]`.

# %%
# zh: (3, 1) 和 (3,)：MSELoss 只给一个警告，把两者广播成 (3, 3) 再比较，得到一个错的数
# en: (3, 1) against (3,): MSELoss only warns, broadcasts both to (3, 3) and compares those: a wrong number
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wrong_shape = nn.MSELoss()(torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([1.0, 2.0, 5.0]))
print(wrong_shape, "instead of", result_mse)
print("UserWarning:", caught[0].message)

try:
    nn.L1Loss()(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 5]))  # int64
except RuntimeError as err:
    integer_error = str(err)
print("RuntimeError:", integer_error)

# %% [markdown] lang="zh"
# ## 课程模型的损失和 backward()
#
# 现在用上第 13 课的课程模型 `Tudui`：取一批 64 张 CIFAR-10 测试图片（包里自带的真实样本，离线可用），
# 算出 (64, 10) 的分数和交叉熵，再调用 `result_loss.backward()`。
# 调用之前，第一层卷积权重的 `.grad` 是 `None`；调用之后，每个参数的 `.grad` 里都是损失对它的梯度 ∂loss/∂p，
# 形状和参数本身一样：第一层卷积是 (32, 3, 5, 5)。
# 还没训练的 10 分类模型对每一类都差不多给 1/10 的概率，所以损失在 −log(1/10) = ln 10 ≈ 2.30 附近。

# %% [markdown] lang="en"
# ## The course model's loss and backward()
#
# Now the course model `Tudui` of lesson 13: one batch of 64 CIFAR-10 test images (the real sample inside the
# package, offline), its (64, 10) scores and their cross-entropy, then `result_loss.backward()`. Before the call
# the first convolution's weight has `.grad` `None`; after it, every parameter's `.grad` holds the gradient of
# the loss with respect to it, ∂loss/∂p, in the parameter's own shape: (32, 3, 5, 5) for the first convolution.
# An untrained 10-class model gives every class about 1/10, so the loss is near −log(1/10) = ln 10 ≈ 2.30.

# %%
root = torchstart.sample("cifar10")
dataset = torchstart.CIFAR10(root, train=False, transform=torchvision.transforms.ToTensor(), download=False)
# zh: 改动：一批 64 张，只算一次；课程是 batch_size=1，对每张图都 backward 一次
# en: changed: one batch of 64, once; the course has batch_size=1 and a backward() for every image
dataloader = DataLoader(dataset, batch_size=64)


class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2),  # (64, 32, 32, 32)
            nn.MaxPool2d(2),  # (64, 32, 16, 16)
            nn.Conv2d(32, 32, 5, padding=2),
            nn.MaxPool2d(2),  # (64, 32, 8, 8)
            nn.Conv2d(32, 64, 5, padding=2),
            nn.MaxPool2d(2),  # (64, 64, 4, 4)
            nn.Flatten(),  # (64, 1024)
            nn.Linear(1024, 64),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.model(x)


torch.manual_seed(0)  # zh: 每次运行的初始权重一样 | en: the same starting weights every run
tudui = Tudui()
loss = nn.CrossEntropyLoss()

imgs, targets = next(iter(dataloader))
outputs = tudui(imgs)  # (64, 10)
result_loss = loss(outputs, targets)  # zh: 一批的平均损失，一个数 | en: the batch's mean loss, one number
print(imgs.shape, outputs.shape, result_loss)
print(f"ln 10 = {math.log(10):.4f}")

conv1 = tudui.model[0].weight  # (32, 3, 5, 5)
grad_before_backward = conv1.grad
print("before backward():", grad_before_backward)
result_loss.backward()  # zh: 给每个参数 p 填上 p.grad = ∂loss/∂p | en: fills p.grad = ∂loss/∂p for every parameter p
print("after backward():", conv1.grad.shape, f"norm {conv1.grad.norm():.4f}")

params = list(tudui.parameters())
params_with_grad = sum(1 for p in params if p.grad is not None and p.grad.abs().sum() > 0)
print(f"{params_with_grad} of {len(params)} parameter tensors have a non-zero gradient")
