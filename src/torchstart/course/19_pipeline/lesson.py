# %% [markdown] lang="zh"
# # 第 19 课 完整的训练套路：训练 → 测试 → TensorBoard → 保存
#
# 这一课就是课程的 train.py，整个脚本从上往下读：准备数据集 → 用 DataLoader 分批 → 搭模型 → 损失函数 → 优化器 →
# 每一轮先训练（`zero_grad` / `backward` / `step`，每 100 步打印并记录一次损失），再在测试集上算损失和正确率，
# 写进 TensorBoard，最后保存模型。超参数都是课程的：SGD、学习率 0.01、不加动量、批大小 64、训练 10 轮。
#
# 和课程不一样的地方都是有意改的，每一处在代码里都有注释：
#
# - 训练集的 DataLoader 加了 `shuffle=True`，用固定种子的生成器；
# - 测试损失除了课程的“各批次平均损失之和”，还算出每张图的平均损失；
# - 保存的是 `state_dict`（只有权重），不是整个模型；
# - 模型和每一批数据都 `.to(device)`（第 18 课），有 GPU 就用 GPU；
# - 数据用包里自带的 CIFAR-10 样本（2,000 张训练图、500 张测试图），离线就能跑，10 轮在 CPU 上也只要几秒。

# %% [markdown] lang="en"
# # Lesson 19 The whole training routine: train → test → TensorBoard → save
#
# This lesson is the course's train.py, one script to read top to bottom: the datasets → batches from a
# DataLoader → the model → the loss → the optimiser → every epoch, training (`zero_grad` / `backward` / `step`,
# the loss printed and logged every 100 steps), then the loss and accuracy on the test set, written to
# TensorBoard, then the model saved. The hyperparameters are the course's: SGD, learning rate 0.01, no momentum,
# batch 64, 10 epochs.
#
# What differs from the course differs on purpose, and each place has a comment in the code:
#
# - the training DataLoader has `shuffle=True`, with a seeded generator;
# - besides the course's "sum of the batches' mean losses", the test loss is also taken per image;
# - the save is a `state_dict` (the weights alone), not the whole model;
# - the model and every batch go `.to(device)` (lesson 18): a GPU when there is one;
# - the data is the CIFAR-10 sample inside the package (2,000 training and 500 test images): it runs offline, and
#   10 epochs take seconds even on a CPU.

# %%
import matplotlib.pyplot as plt
import torch
import torchvision
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

import torchstart
from torchstart.device import keep_freed_memory

# %% [markdown] lang="zh"
# ## 模型：课程的 model.py
#
# 课程把模型单独放在 model.py 里，train.py 用 `from model import *` 导入。这里直接写在脚本里，复制出去一个文件就能跑。
# 三层卷积 + 池化，再展平接两层全连接：(64, 3, 32, 32) → (64, 10)。
# 课程在 model.py 末尾用一批全 1 的“假图片”检查输出形状，我们也做一遍。

# %% [markdown] lang="en"
# ## The model: the course's model.py
#
# The course keeps the model in model.py and train.py imports it with `from model import *`. Here it is written in
# the script itself, so one copied file runs. Three convolutions with pooling, then a flatten and two linear
# layers: (64, 3, 32, 32) → (64, 10). The course ends model.py by checking the output shape on a batch of all-ones
# "images"; so do we.


# %%
class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, 1, 2),  # (64, 32, 32, 32)
            nn.MaxPool2d(2),  # (64, 32, 16, 16)
            nn.Conv2d(32, 32, 5, 1, 2),
            nn.MaxPool2d(2),  # (64, 32, 8, 8)
            nn.Conv2d(32, 64, 5, 1, 2),
            nn.MaxPool2d(2),  # (64, 64, 4, 4)
            nn.Flatten(),  # (64, 1024)
            nn.Linear(64 * 4 * 4, 64),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        x = self.model(x)
        return x


input = torch.ones((64, 3, 32, 32))
output = Tudui()(input)
print(output.shape)  # (64, 10)

# %% [markdown] lang="zh"
# ## 准备数据集
#
# 课程用 `torchvision.datasets.CIFAR10(root="../data", ..., download=True)` 下载 5 万张训练图。这里换成包里自带的
# 真实样本：`torchstart.CIFAR10` 就是 torchvision 的 `CIFAR10`，只是也认得样本文件自己的校验和。
# 要用完整数据集，把 `root` 换成它所在的文件夹。图片只做 `ToTensor`：(3, 32, 32)，像素值在 0 到 1 之间。

# %% [markdown] lang="en"
# ## The datasets
#
# The course downloads the 50,000 training images with `torchvision.datasets.CIFAR10(root="../data", ...,
# download=True)`. Here it is the real sample inside the package: `torchstart.CIFAR10` is torchvision's `CIFAR10`
# that also accepts the sample files' own checksums. For the full set, set `root` to its folder. The images go
# through `ToTensor` only: (3, 32, 32), pixels between 0 and 1.

# %%
# zh: 改动：包里自带的样本，离线可用；课程是 root="../data", download=True
# en: changed: the sample inside the package, offline; the course has root="../data", download=True
root = torchstart.sample("cifar10")
train_data = torchstart.CIFAR10(root, train=True, transform=torchvision.transforms.ToTensor(), download=False)
test_data = torchstart.CIFAR10(root, train=False, transform=torchvision.transforms.ToTensor(), download=False)

train_data_size = len(train_data)
test_data_size = len(test_data)
print(f"{train_data_size=}")
print(f"{test_data_size=}")

# %% [markdown] lang="zh"
# ## 用 DataLoader 分批
#
# 课程的训练集 DataLoader 没有打乱，每一轮都按同样的顺序给出同样的 64 张一批。这里加上 `shuffle=True`，
# 每一轮重新分批；再给它一个固定种子的生成器，每次运行的结果都一样。测试集不用打乱：顺序不影响测出的数。

# %% [markdown] lang="en"
# ## Batches from a DataLoader
#
# The course's training DataLoader does not shuffle: every epoch gives the same batches of 64 in the same order.
# Here `shuffle=True` mixes them anew every epoch, and a generator with a fixed seed makes every run repeat. The
# test set needs no shuffling: the order does not change what is measured.

# %%
# zh: 改动：shuffle=True 加固定种子的生成器；课程是 DataLoader(train_data, batch_size=64)
# en: changed: shuffle=True with a seeded generator; the course has DataLoader(train_data, batch_size=64)
train_dataloader = DataLoader(train_data, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
test_dataloader = DataLoader(test_data, batch_size=64)
print(len(train_dataloader), len(test_dataloader))  # zh: 每轮的批数 | en: batches per epoch

# %% [markdown] lang="zh"
# ## 模型、损失函数、优化器
#
# 课程的设置：`CrossEntropyLoss`，SGD，学习率 1e-2，不加动量。模型和损失函数都搬到 `device` 上（第 18 课）；
# 优化器拿的是模型参数本身，参数搬过去了，它也就跟着在那里，不用另外搬。固定随机种子，让每次初始化的权重都一样。

# %% [markdown] lang="en"
# ## Model, loss, optimiser
#
# The course's settings: `CrossEntropyLoss`, SGD, learning rate 1e-2, no momentum. The model and the loss go to
# `device` (lesson 18); the optimiser holds the model's parameters themselves, so it follows them there without a
# move of its own. A fixed seed makes the starting weights the same on every run.

# %%
# zh: 改动（第 18 课）：有 GPU 就用 GPU
# en: changed (lesson 18): a GPU when there is one
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
# zh: 课程里没有：让 glibc 把每一步释放的内存留在进程里，下一步直接再用，不用每一步都向系统重新要
# zh: （Linux 上快约 15%，算出的数不变；torchstart train 也这样做）
# en: not in the course: glibc keeps each step's freed memory in the process for the next step instead of asking
# en: the OS for it again every step (about 15 % faster on Linux, the same numbers; torchstart train does it too)
keep_freed_memory()

torch.manual_seed(0)  # zh: 改动：每次运行的初始权重一样 | en: changed: the same starting weights every run
tudui = Tudui()
tudui = tudui.to(device)

loss_fn = nn.CrossEntropyLoss()
loss_fn = loss_fn.to(device)

learning_rate = 1e-2
optimizer = torch.optim.SGD(tudui.parameters(), lr=learning_rate)

# %% [markdown] lang="zh"
# ## 训练和测试
#
# 这是课程的主循环，每一轮做三件事：
#
# 1. **训练**：`tudui.train()`，对每一批：前向 → 算损失 → `optimizer.zero_grad()` 清掉上一步的梯度 →
#    `loss.backward()` 算梯度 → `optimizer.step()` 更新参数。`total_train_step` 每到 100 的倍数就打印这一批的损失，
#    并 `writer.add_scalar("train_loss", ...)`。用 `loss.item()` 取出一个 Python 数：要是把张量 `loss` 存起来
#    或累加，每一步的计算图都会留在内存里（第 15 课）。
# 2. **测试**：`tudui.eval()`，在 `torch.no_grad()` 下跑一遍测试集：不记录计算图，省内存也快。
#    `outputs.argmax(1)` 是每张图得分最高的类别，和 `targets` 相等的个数加起来就是猜对的张数，除以测试集张数就是正确率。
#    课程的模型没有 Dropout 和 BatchNorm，`eval()` 对它不改变结果；换成有这些层的模型，漏掉它会悄悄改变测出的数。
# 3. **记录和保存**：测试损失和正确率写进 TensorBoard（横轴 `total_test_step` 和课程一样从 0 开始），
#    再保存这一轮的权重。
#
# 测试损失：课程把每一批的**平均**损失加起来（`total_test_loss`），这个和差不多是“每张图的平均损失 × 批数”，
# 换个批大小或者数据量就没法比了。所以这里另外算出每张图的平均损失 `test_loss`，写进 TensorBoard 的是它；
# 课程的和也照样打印出来，两个数可以对照着看。正确率是按图片算的，本来就对，原样保留。
#
# 保存：课程写 `torch.save(tudui, "tudui_{}.pth".format(i))`，存的是整个模型对象，加载时要完整的 pickle，
# 可能执行文件里的任意代码，PyTorch 2.6 起默认拒绝（第 17 课）。这里存 `state_dict`，文件名里的数和打印的轮数一致。

# %% [markdown] lang="en"
# ## Train and test
#
# This is the course's main loop. Every epoch does three things:
#
# 1. **Train**: `tudui.train()`, then for every batch: forward → loss → `optimizer.zero_grad()` clears the last
#    step's gradients → `loss.backward()` computes the new ones → `optimizer.step()` updates the parameters.
#    Whenever `total_train_step` reaches a multiple of 100, that batch's loss is printed and
#    `writer.add_scalar("train_loss", ...)` logs it. `loss.item()` takes out a Python number: keeping or adding up
#    the tensor `loss` would keep every step's graph alive in memory (lesson 15).
# 2. **Test**: `tudui.eval()` and one pass over the test set under `torch.no_grad()`: no graph is recorded, which
#    saves memory and time. `outputs.argmax(1)` is each image's highest-scoring class; the number equal to
#    `targets` is the images it got right, and divided by the test images, the accuracy. The course's model has no
#    Dropout or BatchNorm, so `eval()` changes nothing for it; with such layers, forgetting it silently changes
#    what is measured.
# 3. **Log and save**: the test loss and accuracy go to TensorBoard (on the axis `total_test_step`, from 0 as in
#    the course), then this epoch's weights are saved.
#
# The test loss: the course adds up every batch's **mean** loss (`total_test_loss`), which is roughly "the mean per
# image × the number of batches", a number that changes with the batch size or the amount of data. So here the
# mean per image, `test_loss`, is computed too, and that is what TensorBoard gets; the course's sum is still
# printed, to compare the two. The accuracy counts images, right as it is, and is kept.
#
# The save: the course writes `torch.save(tudui, "tudui_{}.pth".format(i))`, the whole model object, which needs
# full pickle to load — it may run any code in the file, and PyTorch ≥ 2.6 refuses it by default (lesson 17).
# Here it is the `state_dict`, and the number in the file name is the epoch as printed.

# %%
total_train_step = 0
total_test_step = 0
epoch = 10

# zh: 改动：日志写在当前文件夹；课程是 "../logs_train"
# en: changed: the log goes in the current folder; the course has "../logs_train"
writer = SummaryWriter("logs_train")
printed_losses = []  # (epoch, total_train_step, loss)
history = []  # zh: 每轮一行，画图和检查用 | en: one row per epoch, for the plot and the checks

for i in range(epoch):
    print(f"-------epoch {i + 1}-------")

    tudui.train()
    for data in train_dataloader:
        imgs, targets = data
        imgs = imgs.to(device)  # (64, 3, 32, 32)
        targets = targets.to(device)  # (64,)
        outputs = tudui(imgs)  # (64, 10)
        loss = loss_fn(outputs, targets)  # zh: 这一批的平均损失 | en: the mean over this batch

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        total_train_step = total_train_step + 1
        if total_train_step % 100 == 0:
            print(f"{total_train_step=} {loss.item()=:.4f}")
            writer.add_scalar("train_loss", loss.item(), total_train_step)
            printed_losses.append((i + 1, total_train_step, loss.item()))

    tudui.eval()
    total_test_loss = 0
    test_loss_sum = 0  # zh: 改动：每张图损失的和，用来求每张图的平均 | en: changed: Σ per-image losses, for the mean
    total_accuracy = 0
    with torch.no_grad():
        for data in test_dataloader:
            imgs, targets = data
            imgs = imgs.to(device)
            targets = targets.to(device)
            outputs = tudui(imgs)
            loss = loss_fn(outputs, targets)
            total_test_loss = total_test_loss + loss.item()
            test_loss_sum = test_loss_sum + loss.item() * len(targets)
            accuracy = (outputs.argmax(1) == targets).sum()  # zh: 这一批猜对的张数 | en: right in this batch
            total_accuracy = total_accuracy + accuracy

    test_loss = test_loss_sum / test_data_size
    test_accuracy = total_accuracy.item() / test_data_size
    print(f"{total_test_loss=:.2f} {test_loss=:.4f}")
    print(f"{total_accuracy.item()=} {test_accuracy=:.3f}")
    # zh: 改动：记录每张图的平均损失；课程记录的是 total_test_loss
    # en: changed: the mean per image is logged; the course logs total_test_loss
    writer.add_scalar("test_loss", test_loss, total_test_step)
    writer.add_scalar("test_accuracy", test_accuracy, total_test_step)
    total_test_step = total_test_step + 1
    history.append({"epoch": i + 1, "total_test_loss": total_test_loss, "test_loss": test_loss,
                    "correct": total_accuracy.item(), "test_accuracy": test_accuracy})

    # zh: 改动：保存 state_dict，轮数从 1 数；课程是 torch.save(tudui, "tudui_{}.pth".format(i))
    # en: changed: the state_dict, epochs counted from 1; the course has torch.save(tudui, "tudui_{}.pth".format(i))
    torch.save(tudui.state_dict(), f"tudui_{i + 1}.pth")
    print("saved", f"tudui_{i + 1}.pth")

writer.close()

# %% [markdown] lang="zh"
# 在这么小的样本上，课程的设置学得很慢：前几轮模型往往把所有图片都猜成同一类。测试集每类 50 张，所以这时
# 正好猜对 50 张（10%），损失只是一点点往下走；到后几轮正确率才开始上升。想看同一个模型能学到多好，
# 用 `torchstart train`（调好的配方），或者把 `root` 换成完整数据集（每轮的图片是样本的 25 倍）。

# %% [markdown] lang="en"
# On so small a sample the course's settings learn slowly: in the first epochs the model often gives every image
# the same class. The test set has 50 images per class, so it then gets exactly 50 right (10 %), while the loss
# creeps down; only in the later epochs does the accuracy start to rise. To see how far the same model gets, run
# `torchstart train` (a tuned recipe), or point `root` at the full data set (25 times the sample's images per
# epoch).

# %% [markdown] lang="zh"
# ## TensorBoard 里有什么
#
# 在终端里运行 `tensorboard --logdir logs_train`，浏览器里就能看到这三条曲线。这里不开浏览器，直接用 TensorBoard 自己的
# `EventAccumulator` 把日志文件读回来画出来：读回的数就是上面打印的那些。

# %% [markdown] lang="en"
# ## What TensorBoard holds
#
# `tensorboard --logdir logs_train` in a terminal shows these three curves in the browser. Here, with no browser,
# TensorBoard's own `EventAccumulator` reads the log back and we draw it: the numbers read back are the ones
# printed above.

# %%
events = EventAccumulator("logs_train")
events.Reload()
logged = {tag: [(s.step, s.value) for s in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
print(sorted(logged))
print(logged["train_loss"])

fig, axes = plt.subplots(1, 3, figsize=(11, 2.8))
for ax, tag in zip(axes, ["train_loss", "test_loss", "test_accuracy"]):
    steps, values = zip(*logged[tag])
    ax.plot(steps, values, marker="o")
    ax.set_title(tag)
axes[0].set_xlabel("total_train_step")
axes[1].set_xlabel("total_test_step")
axes[2].set_xlabel("total_test_step")
plt.tight_layout()
plt.show()

# %% [markdown] lang="zh"
# ## 用保存下来的权重
#
# `state_dict` 只有权重，加载时要先建一个同样结构的 `Tudui()`，再 `load_state_dict`；`weights_only=True`
# 保证加载时只读张量，不执行文件里的代码。载入最后一轮的文件，它在测试集上的输出和训练完的 `tudui` 一模一样。
# 命令行里还可以用 `torchstart import-course-model tudui_10.pth model.pt` 把它变成 torchstart 的检查点，
# 再用 `torchstart predict model.pt 图片.jpg` 给自己的照片分类（第 20 课）。

# %% [markdown] lang="en"
# ## Using the saved weights
#
# A `state_dict` holds weights only: build a `Tudui()` of the same shape first, then `load_state_dict`;
# `weights_only=True` makes loading read tensors and never run code from the file. Loaded from the last epoch's
# file, it gives exactly the trained `tudui`'s outputs on the test set. On the command line,
# `torchstart import-course-model tudui_10.pth model.pt` turns it into a torchstart checkpoint, and
# `torchstart predict model.pt photo.jpg` then classifies your own photos (lesson 20).

# %%
loaded = Tudui()
loaded.load_state_dict(torch.load(f"tudui_{epoch}.pth", weights_only=True))
loaded = loaded.to(device)
loaded.eval()
imgs, targets = next(iter(test_dataloader))
with torch.no_grad():
    same_outputs = torch.equal(loaded(imgs.to(device)), tudui(imgs.to(device)))
print(same_outputs)

# %% [markdown] lang="zh"
# ## 和 torchstart 的训练循环是同一个计算
#
# `torchstart train` 用的训练循环是 `torchstart.fit`（`training/engine.py`），多了进度条、断点续训、混合精度、
# NaN 检查……但每一步做的就是上面这几行。`tests/course/test_19_pipeline.py` 用同样的数据、种子和设置让两者
# 各训练一轮，逐个比较权重（误差不超过 1e-6），再核对两边在测试集上数出的正确率相同。
# 读懂了这个循环，也就知道生产循环每一步在做什么。

# %% [markdown] lang="en"
# ## The same computation as torchstart's training loop
#
# The loop `torchstart train` runs is `torchstart.fit` (`training/engine.py`), with a progress bar, resuming,
# mixed precision, NaN checks, … on top, but every step does what the lines above do.
# `tests/course/test_19_pipeline.py` trains one epoch with each on the same data, seed and settings, compares the
# weights tensor by tensor (within 1e-6), and checks that both count the same test accuracy. Once you can read
# this loop, you know what every step of the production loop does.
