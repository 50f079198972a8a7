# %% [markdown] lang="zh"
# # 第 15 课 优化器：让损失降下来
#
# 上一课的 `backward()` 给每个参数算出了梯度；优化器（optimizer）的工作是把梯度变成参数的更新。
# 这一课先原样跑课程第十五章的训练循环：`zero_grad` → `backward` → `step`，优化器是 `torch.optim.SGD`，学习率 0.001；
# 再看课程里 `running_loss = running_loss + result_loss` 这一行加的是张量，会让计算图一直留在内存里；
# 接着让 SGD、带动量的 SGD 和 Adam 从同一组权重、按同样的批次出发，比一比谁降得快；
# 最后亲手写一步 SGD 更新（含动量和权重衰减），和 `torch.optim.SGD` 逐位对照。

# %% [markdown] lang="en"
# # Lesson 15 Optimisers: making the loss fall
#
# Last lesson's `backward()` gave every parameter a gradient; an optimiser turns the gradients into updates of
# the parameters. This lesson first runs the training loop of the course's chapter 十五 as it is: `zero_grad` →
# `backward` → `step`, with `torch.optim.SGD` at learning rate 0.001. Then it looks at the course's line
# `running_loss = running_loss + result_loss`, which adds a tensor and keeps the graphs alive in memory. Then
# SGD, SGD with momentum and Adam start from the same weights on the same batches, to see which falls fastest.
# Last, one SGD update written by hand (momentum and weight decay included) is checked against `torch.optim.SGD`.

# %%
import copy
import itertools

import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset

import torchstart

# %% [markdown] lang="zh"
# ## 数据和模型
#
# 课程在 CIFAR-10 的 10,000 张测试图片上训练 20 轮（157 批 × 20 = 3,140 步）。为了让这一课几秒钟就跑完，
# 这里用包里自带样本的前 384 张训练图片（6 批，每批 64 张），训练 3 轮，一共 18 步。
# 图片只做 `ToTensor`，像素在 0 到 1 之间，和课程一样；DataLoader 也和课程一样不打乱。
# 模型是第 13 课的 `Tudui`。

# %% [markdown] lang="en"
# ## Data and model
#
# The course trains 20 epochs over CIFAR-10's 10,000 test images (157 batches × 20 = 3,140 steps). So that this
# lesson takes seconds, it uses the first 384 training images of the sample inside the package (6 batches of
# 64) for 3 epochs: 18 steps. The images go through `ToTensor` only, pixels between 0 and 1, as in the course,
# and the DataLoader does not shuffle, as in the course. The model is lesson 13's `Tudui`.

# %%
root = torchstart.sample("cifar10")
train_data = torchstart.CIFAR10(root, train=True, transform=torchvision.transforms.ToTensor(), download=False)
# zh: 改动：384 张训练图片；课程用的是 10,000 张测试图片
# en: changed: 384 training images; the course uses the 10,000 test images
dataset = Subset(train_data, range(384))
dataloader = DataLoader(dataset, batch_size=64)
print(len(dataset), len(dataloader))  # zh: 图片数，每轮的批数 | en: images, batches per epoch


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


# %% [markdown] lang="zh"
# ## 第十五章的训练循环
#
# 每一批做五件事：前向算出 `outputs` → 算损失 `result_loss` → `optim.zero_grad()` 把上一步的梯度清零 →
# `result_loss.backward()` 算出新的梯度 → `optim.step()` 按 p ← p − lr · p.grad 更新每个参数。
# 为什么要先清零？`backward()` 是把梯度**加**到 `.grad` 上，不是覆盖；不清零，每一步用的就是之前所有梯度的总和。
# 下面先用一个小张量看看这件事，再跑课程的循环。
#
# 每一轮和课程一样打印 `running_loss`：这一轮各批平均损失的**和**，批次越多它越大；除以批数才是每张图的平均损失，
# 不同规模的训练之间才能比较。和课程唯一的不同：加的是 `result_loss.item()`，一个 Python 数（原因见下一节）。

# %% [markdown] lang="en"
# ## Chapter 十五's training loop
#
# Every batch does five things: the forward pass gives `outputs` → the loss `result_loss` → `optim.zero_grad()`
# clears the last step's gradients → `result_loss.backward()` computes the new ones → `optim.step()` updates every
# parameter by p ← p − lr · p.grad. Why clear first? `backward()` **adds** to `.grad` rather than overwriting it;
# without clearing, every step would use the sum of all the gradients so far. A small tensor shows this first,
# then the course's loop runs.
#
# As in the course, every epoch prints `running_loss`: the **sum** of the epoch's batch-mean losses, which grows
# with the number of batches; divided by the batches it is the mean loss per image, comparable between runs of
# any size. The one change from the course: it adds `result_loss.item()`, a Python number (why: next section).

# %%
w = torch.ones(3, requires_grad=True)
(2 * w).sum().backward()
(2 * w).sum().backward()
print(w.grad)  # zh: 两次 backward：2 + 2 = 4，梯度累加了 | en: two backward() calls: 2 + 2 = 4, the gradients added up

torch.manual_seed(0)  # zh: 每次运行的初始权重一样 | en: the same starting weights every run
tudui = Tudui()
# zh: 记下初始权重，下面三种优化器都从这里出发
# en: keep the starting weights: the three optimisers below start from them
start = copy.deepcopy(tudui.state_dict())
loss = nn.CrossEntropyLoss()
optim = torch.optim.SGD(tudui.parameters(), lr=0.001)
running_losses = []
for epoch in range(3):  # zh: 改动：3 轮；课程是 20 轮 | en: changed: 3 epochs; the course has 20
    running_loss = 0.0
    for data in dataloader:
        imgs, targets = data  # (64, 3, 32, 32), (64,)
        outputs = tudui(imgs)  # (64, 10)
        result_loss = loss(outputs, targets)  # zh: 这一批 64 张图的平均损失 | en: the mean over the batch's 64 images
        optim.zero_grad()
        result_loss.backward()
        optim.step()
        # zh: 改动：加 .item()，一个 Python 数；课程是 running_loss = running_loss + result_loss
        # en: changed: .item(), a Python number; the course has running_loss = running_loss + result_loss
        running_loss = running_loss + result_loss.item()
    print(f"epoch {epoch + 1}: {running_loss=:.4f}, per image {running_loss / len(dataloader):.4f}")
    running_losses.append(running_loss)

mean_loss_drop = (running_losses[0] - running_losses[-1]) / len(dataloader)
print(f"{mean_loss_drop=:.4f}")

# %% [markdown] lang="zh"
# 损失在降，但降得非常慢：学习率 0.001、像素在 [0, 1] 之间时，18 步里每张图的平均损失降得还不到千分之一，
# 一直停在 ln 10 ≈ 2.30（10 个类别随便猜）附近。课程要跑满 3,140 步才看得出明显的下降。

# %% [markdown] lang="en"
# The loss falls, but very slowly: at learning rate 0.001 with pixels in [0, 1], 18 steps lower the mean loss
# per image by less than a thousandth, and it stays near ln 10 ≈ 2.30 (a blind guess over 10 classes). The course
# needs its 3,140 steps to show a clear fall.

# %% [markdown] lang="zh"
# ## running_loss 加的是张量，会留下什么
#
# 课程写的是 `running_loss = running_loss + result_loss`：加的是损失**张量**，于是和也是一个张量，带着
# `grad_fn=<AddBackward0>`（课程打印出来的就是这样）。这个和的计算图一直连到加进来的每一批：`backward()`
# 已经释放了每批保存的中间结果，可计算图的节点还被引用着，要等 `running_loss` 清零才能释放。
# 下面照课程的写法跑 3 批，每批之后数一数从 `running_loss` 能走到多少个 autograd 节点：每多一批就多出同样多个。
# 同样的和用 `.item()` 加，只是一个浮点数，没有计算图。在 GPU 上 `.item()` 要等这一步算完；
# 想避免等待，可以加 `result_loss.detach()`，每轮只读一次总和（torchstart 的训练循环就是这么做的）。

# %% [markdown] lang="en"
# ## What a tensor running_loss keeps
#
# The course writes `running_loss = running_loss + result_loss`: it adds the loss **tensor**, so the sum is a
# tensor too, with `grad_fn=<AddBackward0>` (which is what the course prints). The sum's graph reaches back into
# every batch added: `backward()` has freed each batch's saved activations, but the graph's nodes stay
# referenced until `running_loss` is reset. Below, 3 batches run the course's way, and after each we count the
# autograd nodes reachable from `running_loss`: every batch adds the same number. The same sum with `.item()` is
# a float, with no graph. On a GPU, `.item()` waits for the step to finish; to avoid the wait, add
# `result_loss.detach()` and read the total once per epoch (torchstart's training loop does that).


# %%
def graph_nodes(tensor):
    # zh: 从 tensor.grad_fn 出发能走到的所有 autograd 节点（没有计算图的张量：空集合）
    # en: every autograd node reachable from tensor.grad_fn (a tensor without a graph: an empty set)
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack += [parent for parent, _index in node.next_functions]
    return seen


torch.manual_seed(0)
tudui_course = Tudui()
optim = torch.optim.SGD(tudui_course.parameters(), lr=0.001)
running_loss = 0.0
running_float = 0.0
node_counts = []
for imgs, targets in itertools.islice(dataloader, 3):
    result_loss = loss(tudui_course(imgs), targets)
    optim.zero_grad()
    result_loss.backward()
    optim.step()
    running_loss = running_loss + result_loss  # zh: 课程的写法 | en: the course's line
    running_float = running_float + result_loss.item()
    node_counts.append(len(graph_nodes(running_loss)))
print(running_loss)
print(running_float)
# zh: 每一批的损失都以 NllLossBackward0 结尾：数一数还有几批的计算图留着
# en: every batch's loss ends in NllLossBackward0: count how many batches' graphs are still there
batch_graphs = sum(type(node).__name__ == "NllLossBackward0" for node in graph_nodes(running_loss))
print(f"{node_counts=} {batch_graphs=}")

# %% [markdown] lang="zh"
# ## 比较三种优化器
#
# | 优化器 | 设置 | 多了什么 |
# |---|---|---|
# | SGD | lr 0.01 | p ← p − lr · grad |
# | SGD + 动量 | lr 0.01，momentum 0.9 | 沿着历史梯度的累积方向走，像有了惯性 |
# | Adam | lr 0.001 | 动量之外，每个参数还按梯度大小的滑动估计调整自己的步长 |
#
# SGD 的学习率 0.01 是课程完整训练脚本（第十九章）用的；Adam 按梯度大小缩放每一步，它的 lr 和 SGD 的不在一个尺度上，
# 0.001 是它常用的值。三次训练都从上面记下的**同一组初始权重** `start` 出发，DataLoader 用同一个种子打乱，
# **按同样的顺序看到同样的批次**，所以各行的差别只来自优化器本身：三者第一批的损失完全相同，就是证明。
# 这里的图片按 CIFAR-10 的均值和标准差做了 `Normalize`，普通 SGD 在几轮里也能动起来；
# 像素留在 [0, 1] 的话，它几乎离不开起点 ln 10。每轮之后在 200 张测试图片上算正确率。

# %% [markdown] lang="en"
# ## Three optimisers compared
#
# | optimiser | settings | what it adds |
# |---|---|---|
# | SGD | lr 0.01 | p ← p − lr · grad |
# | SGD + momentum | lr 0.01, momentum 0.9 | moves along the accumulated direction of past gradients: inertia |
# | Adam | lr 0.001 | besides momentum, each parameter scales its step by a running estimate of its gradient's size |
#
# SGD's learning rate 0.01 is the one of the course's full training script (chapter 十九); Adam scales every step
# by the gradient's size, so its lr is on another scale than SGD's, and 0.001 is its usual value. All three runs
# start from **the same weights** `start` kept above, and their DataLoaders shuffle with the same seed, so they
# **see the same batches in the same order**: the differences between the rows come from the optimiser alone —
# the proof is that the first batch's loss is exactly the same for all three. The images are normalised with
# CIFAR-10's mean and standard deviation, so that plain SGD moves in a few epochs too; on pixels in [0, 1] it
# barely leaves its starting loss of ln 10. After every epoch the accuracy is measured on 200 test images.

# %%
transform = torchvision.transforms.Compose([
    torchvision.transforms.ToTensor(),
    # zh: CIFAR-10 训练集每个通道的均值和标准差
    # en: CIFAR-10's per-channel mean and standard deviation (training set)
    torchvision.transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
])
train_set = Subset(torchstart.CIFAR10(root, train=True, transform=transform, download=False), range(384))
test_set = Subset(torchstart.CIFAR10(root, train=False, transform=transform, download=False), range(200))


# zh: 每张图只转换一次，结果整个放在内存里（几 MB），之后每一轮不用再逐张做 ToTensor 和 Normalize
# en: each image is transformed once and the result kept in memory (a few MB): no ToTensor and Normalize per
# en: image in every epoch
def in_memory(dataset):
    imgs = torch.stack([img for img, _target in dataset])  # (N, 3, 32, 32)
    targets = torch.tensor([target for _img, target in dataset])  # (N,)
    return TensorDataset(imgs, targets)


train_set = in_memory(train_set)
test_set = in_memory(test_set)
test_loader = DataLoader(test_set, batch_size=200)

optimizers = {
    "SGD": (torch.optim.SGD, {"lr": 0.01}),
    "SGD + momentum": (torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
    "Adam": (torch.optim.Adam, {"lr": 0.001}),
}
histories = {}
for name, (optimizer_class, settings) in optimizers.items():
    model = Tudui()
    model.load_state_dict(start)
    optimizer = optimizer_class(model.parameters(), **settings)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    history = {"step_losses": [], "train_losses": [], "test_accuracies": []}
    for epoch in range(3):
        model.train()
        total = 0.0
        for imgs, targets in train_loader:
            result_loss = loss(model(imgs), targets)
            optimizer.zero_grad()
            result_loss.backward()
            optimizer.step()
            total = total + result_loss.item()
            history["step_losses"].append(result_loss.item())
        history["train_losses"].append(total / len(train_loader))  # zh: 每张图的平均损失 | en: mean per image
        model.eval()
        with torch.no_grad():
            correct = sum((model(imgs).argmax(1) == targets).sum().item() for imgs, targets in test_loader)
        history["test_accuracies"].append(correct / len(test_set))
        print(f"{name:<15} epoch {epoch + 1}: train loss {history['train_losses'][-1]:.3f}, "
              f"test accuracy {history['test_accuracies'][-1]:.0%}")
    histories[name] = history

first_losses = {name: history["step_losses"][0] for name, history in histories.items()}
print(first_losses)

# %% [markdown] lang="zh"
# 三种优化器第一批的损失相同，之后的损失都在下降；步数这么少时，动量领先普通 SGD，Adam 又领先两者。
# 正确率只在 200 张图上算，每多猜对一张就是半个百分点，所以只看大致的趋势。

# %% [markdown] lang="en"
# The three optimisers' first batch loss is the same, and then all three fall; in so few steps momentum is ahead
# of plain SGD, and Adam ahead of both. The accuracy counts only 200 images, half a percentage point each, so
# read only its trend.

# %% [markdown] lang="zh"
# ## 亲手写一步 SGD
#
# `torch.optim.SGD` 的文档写明了它的更新规则，照着写出来，几个参数的含义就摆在了明面上：
#
# - d = grad + weight_decay · p：权重衰减就是往梯度里加上 `weight_decay · p`（L2 惩罚项的梯度）；
# - 有动量时，每个参数要保存一个缓冲区：第一步 buf = d，之后 buf = momentum · buf + d，再用 d = buf。
#   这个缓冲区就是优化器的"状态"，会存进优化器的 `state_dict`；
# - p ← p − lr · d。
#
# 更新本身要放在 `torch.no_grad()` 里：它不能被记进下一步的计算图。下面在同一个模型的两份拷贝、同一批数据上，
# 一份用手写的更新，一份用 `torch.optim.SGD`：先是最朴素的一步，再是带 momentum 0.9、weight decay 5e-4 的两步
# （第一步时缓冲区就等于梯度本身，要到第二步才看得出动量的作用）。两边只差浮点舍入误差。

# %% [markdown] lang="en"
# ## One SGD step by hand
#
# The documentation of `torch.optim.SGD` states its update rule; written out, it shows what each setting means:
#
# - d = grad + weight_decay · p: weight decay adds `weight_decay · p` to the gradient (the gradient of an L2
#   penalty);
# - with momentum, every parameter keeps a buffer: buf = d on the first step, then buf = momentum · buf + d, and
#   d = buf. That buffer is the optimiser's "state", saved in the optimiser's `state_dict`;
# - p ← p − lr · d.
#
# The update itself runs under `torch.no_grad()`: it must not become part of the next step's graph. Below, two
# copies of one model take the same batch, one updated by hand and one by `torch.optim.SGD`: first one plain
# step, then two steps with momentum 0.9 and weight decay 5e-4 (on the first step the buffer is just the
# gradient; momentum shows on the second). The two differ by floating-point rounding only.


# %%
def sgd_step_by_hand(model, buffers, lr, momentum=0.0, weight_decay=0.0):
    with torch.no_grad():
        for name, p in model.named_parameters():
            d = p.grad + weight_decay * p
            if momentum:
                buffers[name] = d.clone() if name not in buffers else momentum * buffers[name] + d
                d = buffers[name]
            p -= lr * d  # zh: 原地修改参数 | en: the parameter itself, in place


def largest_difference(lr, momentum=0.0, weight_decay=0.0, steps=1):
    torch.manual_seed(0)
    by_hand = Tudui()
    by_torch = copy.deepcopy(by_hand)
    optimizer = torch.optim.SGD(by_torch.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    buffers = {}
    for _step in range(steps):
        for model in (by_hand, by_torch):
            model.zero_grad()
            loss(model(imgs), targets).backward()
        optimizer.step()
        sgd_step_by_hand(by_hand, buffers, lr, momentum, weight_decay)
    return max((a - b).abs().max().item() for a, b in zip(by_hand.parameters(), by_torch.parameters()))


imgs, targets = next(iter(DataLoader(train_set, batch_size=64)))  # (64, 3, 32, 32), (64,)
sgd_step_diff = largest_difference(lr=0.01)
momentum_step_diff = largest_difference(lr=0.01, momentum=0.9, weight_decay=5e-4, steps=2)
print(f"{sgd_step_diff=:.1e}")
print(f"{momentum_step_diff=:.1e}")

# %% [markdown] lang="zh"
# ## 和 torchstart 的训练循环是同一个计算
#
# `torchstart train` 用的训练循环是 `torchstart.fit`，但每一步做的就是第十五章循环里的那几行。
# `tests/course/test_15_optim.py` 从同一组初始权重 `start` 出发、用同一个 `dataloader`，
# 让 `torchstart.fit` 也训练 3 轮，再核对它的权重和上面 `tudui` 的权重逐个相同。

# %% [markdown] lang="en"
# ## The same computation as torchstart's training loop
#
# The loop `torchstart train` runs is `torchstart.fit`, but every step does what the lines of chapter 十五's loop
# do. `tests/course/test_15_optim.py` starts `torchstart.fit` from the same weights `start` on the same
# `dataloader` for 3 epochs, and checks its weights against those of `tudui` above, tensor by tensor.
