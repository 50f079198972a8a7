# %% [markdown] lang="zh"
# # 第 21 课 速通：从普通的卷积/BatchNorm 网络到 CIFAR-10 上 94 %，一次加一个技巧
#
# 毕业项目：课程里没有这一章，它接着课程最后几课往前走。课程的模型在 CIFAR-10 上练得再久，也只能到 75 % 左右。
# 而 CIFAR-10 的速度纪录——David Page 的 “How to train your ResNet”、hlb-CIFAR10、Keller Jordan 的 airbench94——
# 在 GPU 上几秒钟就到 94 %，用的都是学过的零件：卷积（第 9 课）、最大池化（第 10 课）、BatchNorm（第 12 课）、
# 交叉熵（第 14 课）、带动量的 SGD（第 15 课）。让它们快起来的不是某一个绝招，而是一把小技巧。
#
# 这一课把这些技巧排成一架**梯子**：最底下一级是一个像样的普通网络，往上每一级只加一个技巧，并保留下面各级的技巧。
# 每一级打印测试准确率、比下面一级多了多少（百分点）和用了几秒。最上面一级就是 torchstart 的速通配方：
# `torchstart train --recipe speedrun`。
#
# 这一课讲的就是 torchstart 自己的配方，所以代码直接用包里的零件：网络 `Speedrun`（`models/speedrun.py`）、
# 配方 `recipe("speedrun")`（`config.py`），每一级都用 `torchstart train` 的同一个训练循环 `torchstart.fit`
# （`training/engine.py`）。一级台阶就是几个模型选项加几个配置字段。

# %% [markdown] lang="en"
# # Lesson 21 The speedrun: from a plain conv/BatchNorm net to 94 % on CIFAR-10, one trick at a time
#
# The capstone: no chapter of the course, but where its last lessons lead. However long you train it, the
# course's model stops at about 75 % on CIFAR-10. The CIFAR-10 speed records — David Page's "How to train your
# ResNet", hlb-CIFAR10, Keller Jordan's airbench94 — reach 94 % in seconds on a GPU, with parts you already know:
# convolutions (lesson 9), max-pooling (lesson 10), BatchNorm (lesson 12), cross-entropy (lesson 14), SGD with
# momentum (lesson 15). No single trick makes them fast; a handful of small ones do.
#
# This lesson sets them out as a **ladder**: the bottom rung is a good ordinary network, and each rung above adds
# exactly one trick and keeps all the tricks below it. Every rung prints its test accuracy, the change from the
# rung below (in percentage points) and its seconds. The top rung is torchstart's speedrun recipe:
# `torchstart train --recipe speedrun`.
#
# The lesson is about torchstart's own recipe, so the code uses the package's parts: the network `Speedrun`
# (`models/speedrun.py`), the recipe `recipe("speedrun")` (`config.py`), and for every rung the one loop
# `torchstart train` runs, `torchstart.fit` (`training/engine.py`). A rung is a few model options and a few
# config fields.

# %%
import time

import matplotlib.pyplot as plt

import torchstart
from torchstart.data import find_cifar10
from torchstart.device import configure_backends
from torchstart.models import Speedrun
from torchstart.training.build import build_state, fit_to_data, make_loaders, normalization
from torchstart.training.transfer import StartingPoint

# zh: 包里自带的真实 CIFAR-10 样本；完整数据集就换成它的文件夹
# en: the real CIFAR-10 sample in the package; for the full set, its folder
root = torchstart.sample("cifar10")
data = find_cifar10(root)  # zh: 整个数据集以 uint8 张量放在内存里 | en: the whole set as uint8 tensors in memory
print(len(data.train), len(data.test))
device = torchstart.pick_device("auto")
configure_backends(device)  # zh: 和 torchstart train 一样的速度设置 | en: the speed settings torchstart train uses
print(device)

# %% [markdown] lang="zh"
# ## 每一级怎么训练
#
# 在内置样本上（2,000 张训练图）每一级训练 3 个 epoch，批大小 128：配方的批大小 1024 一个 epoch 只有 2 步，
# 学习率的日程表根本排不开。学习率随批大小线性缩放：1.5 × 128 / 1024 = 0.1875——每一步平均的图片少了 8 倍，
# 步子也缩小 8 倍，一个 epoch 里权重走的距离和批大小 1024 时差不多。换成完整数据集（50,000 张训练图）时，
# 用配方的批大小 1024 和学习率 1.5，每级训练 2 个 epoch：两核 CPU 上大约一刻钟。
#
# 最底下一级 `plain` 就是速通配方把所有技巧都关掉：Nesterov SGD（动量 0.85），one-cycle 学习率
# （前 23 % 的步数从 0.2 × lr 升到 lr，之后降到 0.07 × lr），只对权重做权重衰减，输入标准化，
# 随机翻转和最多 2 个像素的随机平移，每张测试图只看一次。

# %% [markdown] lang="en"
# ## How each rung trains
#
# On the embedded sample (2,000 training images) every rung trains 3 epochs at batch 128: the recipe's batch of
# 1,024 would give 2 steps per epoch, far too few for a schedule. The learning rate is scaled linearly with the
# batch, 1.5 × 128 / 1024 = 0.1875: each step averages 8× fewer images, so it is made 8× smaller, and an epoch
# moves the weights about as far as at batch 1,024. On the full set (50,000 training images) the ladder uses the
# recipe's batch 1,024 and lr 1.5 and trains 2 epochs per rung: about a quarter of an hour on two CPU cores.
#
# The bottom rung, `plain`, is the speedrun recipe with every trick switched off: Nesterov SGD with momentum 0.85,
# a one-cycle learning rate (up from 0.2 × lr over the first 23 % of the steps, then down to 0.07 × lr), weight
# decay on the weights only, inputs standardised, random flips and random shifts of up to 2 pixels, one view per
# test image.

# %%
SAMPLE_EPOCHS = 3  # zh: 样本上每级的 epoch 数 | en: epochs per rung on the sample
FULL_EPOCHS = 2  # zh: 完整数据上每级的：7 次训练约 15 分钟 | en: per rung on the full set: 7 trainings ≈ 15 min
SAMPLE_BATCH = 128  # zh: 样本上每个 epoch 16 步 | en: 16 steps per epoch on the sample
SMALL_SET = 20_000  # zh: 训练图比这少就用样本的设置 | en: fewer training images than this: the sample's settings
speedrun = torchstart.recipe("speedrun")


def ladder_settings(train_images, epochs=None):
    """(epochs per rung, batch size, lr) for a training set of `train_images` images."""
    small = train_images < SMALL_SET
    batch_size = SAMPLE_BATCH if small else speedrun.batch_size
    # zh: 线性缩放：配方的 lr 属于批大小 1024；批小 8 倍，步子也小 8 倍
    # en: linear scaling: the recipe's lr belongs to batch 1024; an 8× smaller batch takes 8× smaller steps
    lr = speedrun.optim.lr * batch_size / speedrun.batch_size
    return epochs or (SAMPLE_EPOCHS if small else FULL_EPOCHS), batch_size, lr


epochs, batch_size, lr = ladder_settings(len(data.train))
print(f"{epochs=} {batch_size=} {lr=}")

# zh: 最底下一级：速通配方，所有技巧都关掉
# en: the bottom rung: the speedrun recipe with every trick switched off
plain = torchstart.with_overrides(speedrun, decay_all=False, norm_lr_scale=1.0, label_smoothing=0.0,
                                  alternate_flip=False, lookahead_every=0, lookahead_decay=0.0, tta=0,
                                  whiten_bias_epochs=0, epochs=epochs, batch_size=batch_size, lr=lr)

# %% [markdown] lang="zh"
# ## 一级台阶 = 一次 `torchstart train`
#
# `train_rung` 对每一级做的事，和 `torchstart train` 做的一样：`seed_everything`，让每一级都从同样的随机数开始
# （两级之间的差别于是只是那个技巧加上训练本身的噪声，不是谁的初始权重运气更好）；建数据加载器；
# 建模型；`fit_to_data` 从训练图片算出白化层的滤波器（只有带白化层的台阶才算）；`build_state` 按配置建优化器的
# 参数组、学习率日程和 Lookahead；最后 `torchstart.fit` 训练并在每个 epoch 后测试。这一课没有第二个训练循环。

# %% [markdown] lang="en"
# ## One rung = one `torchstart train`
#
# `train_rung` does for each rung what `torchstart train` does: `seed_everything`, so every rung starts from the
# same random numbers (two rungs then differ by their trick plus the noise of training, not by luckier starting
# weights); the loaders; the model; `fit_to_data`, which computes the whitening filters from the training images
# (rungs with whitening only); `build_state`, which makes the optimiser's parameter groups, the schedule and the
# Lookahead state from the config; and `torchstart.fit`, which trains and tests after every epoch. There is no
# second training loop in this lesson.

# %%
configs = {}  # zh: 台阶名 → 它的配置 | en: rung name → its config
results = {}  # zh: 台阶名 → 准确率、秒数、训练过的图片数 | en: rung name → accuracy, seconds, images trained on


def record(name, config, accuracy, seconds, train_images):
    below = list(results.values())[-1]["accuracy"] if results else None
    change = "" if below is None else f"{100 * (accuracy - below):+.1f}"  # zh: 百分点 | en: percentage points
    configs[name] = config
    results[name] = {"accuracy": accuracy, "seconds": seconds, "train_images": train_images}
    print(f"{name:<10} {accuracy:6.1%} {change:>6} {seconds:6.1f} s")


def train_rung(name, config, options):
    torchstart.seed_everything(config.seed)
    train_loader, test_loader = make_loaders(data, config, normalization(config, data), device)
    start = time.perf_counter()
    model = Speedrun(len(data.classes), **options)
    fit_to_data(model, train_loader)  # zh: 白化层的滤波器（有白化层时） | en: the whitening filters (with whitening)
    steps = len(train_loader)
    # zh: 用上面建好的模型，而不是 build_state 按配置新建一个
    # en: the model built above, not a fresh one build_state would make from the config
    state = build_state(config, len(data.classes), device, config.epochs * steps,
                        start=StartingPoint(model, name, (), fresh=True), steps_per_epoch=steps)
    history = torchstart.fit(state, train_loader, test_loader, device, epochs=config.epochs,
                             num_classes=len(data.classes))
    record(name, config, history.epochs[-1].test_accuracy, time.perf_counter() - start,
           config.epochs * train_loader.num_images)
    return state, test_loader


# %% [markdown] lang="zh"
# ## 第 0 级：普通的卷积/BatchNorm 网络
#
# 速通网络关掉自带的两个技巧：先是一个 24 个滤波器的 2×2 卷积，随机初始化，和别的层一样参加训练；接 GELU；
# 然后三个块，每块是“3×3 卷积 → 2×2 最大池化 → BatchNorm → GELU → 3×3 卷积 → BatchNorm → GELU”
# （通道数依次为 64、256、256）；最后全局最大池化，再接一个全连接层。这已经是一个不错的网络，后面每个技巧都和它比。

# %% [markdown] lang="en"
# ## Rung 0: a plain conv/BatchNorm net
#
# The speedrun network with its two built-in tricks switched off: a 2×2 convolution with 24 filters, randomly
# initialised and trained like any layer, then GELU, then three blocks of conv 3×3 → max-pool 2 → BatchNorm → GELU
# → conv 3×3 → BatchNorm → GELU (64, 256 and 256 channels), a global max-pool and one linear layer. Already a good
# network: the baseline every trick is measured against.

# %%
config = plain
options = {"whitening": False, "identity_init": False}
state, test_loader = train_rung("plain", config, options)

# %% [markdown] lang="zh"
# ## 第 1 级：白化层
#
# 训练开始之前，先用训练图片把那 24 个 2×2 滤波器算出来：每个 2×2 的 RGB 小块是 12 个数组成的向量；取训练图的全部
# 小块（最多 5,000 张图，480 万个小块），算出它们的协方差矩阵、特征向量 *v* 和特征值 λ，用 *v* / √(λ + 5e-4)
# 作 12 个滤波器，再加上它们的相反数，一共 24 个通道（这样经过 GELU，正负两个方向都能保留）。这些滤波器从不训练；
# 它们的偏置只在前 3 个 epoch 训练。
#
# **为什么有用：** 原始像素里，相邻像素、三个颜色通道之间高度相关：小块空间里有的方向（整体亮度）变化很大，
# 有的方向（细微的颜色差）几乎不变，同一个学习率对前者太大、对后者太小。白化之后每个方向的方差都是 1，
# SGD 的一个步长就对所有方向都合适了。（练习 21 就是亲手写出这些滤波器。）

# %% [markdown] lang="en"
# ## Rung 1: a whitening layer
#
# Before step one, the 2×2 filters are computed from the training images: every 2×2 RGB patch is a vector of 12
# numbers; from the patches of up to 5,000 training images (4.8 million patches) the lesson takes their
# covariance, its eigenvectors *v* and eigenvalues λ, and uses *v* / √(λ + 5e-4) as 12 filters, plus the same 12
# negated (24 channels, so that GELU keeps both signs). The filters are never trained; their bias trains for the
# first 3 epochs and then stops.
#
# **Why it helps:** in raw pixels, neighbours and colours are strongly correlated, so some directions of patch
# space (overall brightness) vary far more than others (fine colour differences), and one learning rate is too big
# for some and too small for others. After whitening every direction has variance 1, and SGD's single step size
# fits them all. (Exercise 21 is writing these filters yourself.)

# %%
config = torchstart.with_overrides(config, whiten_bias_epochs=3)
options = {**options, "whitening": True}
state, test_loader = train_rung("whitening", config, options)

# %% [markdown] lang="zh"
# ## 第 2 级：恒等初始化
#
# 每个 3×3 卷积的前几个输出通道一开始都是恒等映射（`torch.nn.init.dirac_`）：第 *k* 个输出通道就是第 *k* 个输入通道
# 的拷贝，其余输出通道仍是 PyTorch 的随机初始化。
#
# **为什么有用：** 第一步时每个块都把输入（经过池化和归一化）原样往下传，白化后的信号能到达最后一层，梯度也能传回
# 第一层——效果像残差连接，却不用真的加一条。

# %% [markdown] lang="en"
# ## Rung 2: identity initialisation
#
# Each 3×3 conv starts as the identity on its first channels (`torch.nn.init.dirac_`): output channel *k* is a
# copy of input channel *k*; the remaining output channels keep PyTorch's random initialisation.
#
# **Why it helps:** at step one every block passes its input on (pooled and normalised), so the whitened signal
# reaches the last layer and the gradients reach the first — what a residual connection does, without adding one.

# %%
options = {**options, "identity_init": True}
state, test_loader = train_rung("identity", config, options)

# %% [markdown] lang="zh"
# ## 第 3 级：BatchNorm 的偏置用 64 倍学习率
#
# 这个网络的 BatchNorm 缩放系数固定为 1，所以归一化层里参加训练的只有 1,152 个偏置，而卷积权重有将近两百万个。
# 现在偏置的步长放大 64 倍，权重衰减同时除以 64，这样每个参数的“学习率 × 衰减”（每一步被衰减掉的比例）都一样；
# 另外权重衰减现在作用于所有参数，偏置也算在内。这一级改了两个字段，因为 airbench94 是把它们放在一起调的。
#
# **为什么有用：** BatchNorm 后面的偏置决定 GELU 在哪里拐弯；和权重用同一个学习率，这么少的几个平移参数动得太慢，
# 跟不上它们所服务的那些权重。

# %% [markdown] lang="en"
# ## Rung 3: BatchNorm biases at 64× the learning rate
#
# The network's BatchNorm scales are fixed at 1, so its 1,152 BatchNorm biases are the only trained normalisation
# parameters — against almost two million conv weights. They now take 64× larger steps, with their weight decay
# divided by 64, so lr × decay (the share of a parameter removed per step) is the same for every parameter; and
# weight decay now applies to every parameter, biases included. This rung changes two fields because airbench94
# tuned them together.
#
# **Why it helps:** a bias after BatchNorm shifts where its GELU bends; at the weights' learning rate these few
# shift parameters move too slowly to keep up with the weights they follow.

# %%
config = torchstart.with_overrides(config, norm_lr_scale=64.0, decay_all=True)
state, test_loader = train_rung("bias_lr", config, options)

# %% [markdown] lang="zh"
# ## 第 4 级：标签平滑 0.2
#
# 目标不再是“100 % 是正确类别”：其中 20 % 平均分给全部 10 个类，于是正确类别得 0.82，其他每类得 0.02
# （`CrossEntropyLoss(label_smoothing=0.2)`）。
#
# **为什么有用：** 用硬标签时，只有 logit 之间的差距无穷大，损失才会降到 0，所以模型已经判对了还会继续把 logit
# 往两边推。平滑后的目标让损失在一个有限的差距处最小，梯度于是花在还判错的图片上，泛化也更好。

# %% [markdown] lang="en"
# ## Rung 4: label smoothing 0.2
#
# The target is no longer "100 % the true class": 20 % of it is spread evenly over all 10 classes, so the true
# class gets 0.82 and each other class 0.02 (`CrossEntropyLoss(label_smoothing=0.2)`).
#
# **Why it helps:** with a hard target the loss only reaches 0 when the logits are infinitely far apart, so a model
# that is already right keeps pushing them apart. With the smoothed target the loss has its minimum at a finite
# gap; the gradient goes to the images the model still gets wrong, and the model generalises better.

# %%
config = torchstart.with_overrides(config, label_smoothing=0.2)
state, test_loader = train_rung("smoothing", config, options)

# %% [markdown] lang="zh"
# ## 第 5 级：交替翻转
#
# 随机翻转是每个 epoch 给每张图掷一次硬币：两个 epoch 下来，有四分之一的图片一次都没被镜像过，另有四分之一一次都
# 没以原样出现过。交替翻转按固定种子选出一半图片从镜像开始，之后每张图每个 epoch 换一次方向，于是任意相邻两个
# epoch 里，每张图正反两面各出现一次（Jordan 2024，arXiv 2404.00498，§3.6）。
#
# **为什么有用：** 只训练几个 epoch 时，模型已经见过的视图，教给它的东西不如一个新视图多。

# %% [markdown] lang="en"
# ## Rung 5: alternating flips
#
# Random flipping tosses a coin per image per epoch: over two epochs a quarter of the images are never seen
# mirrored, and a quarter never the right way round. With alternating flips a seeded half of the images starts
# mirrored and every image changes side each epoch, so in any two epochs in a row each image is seen both ways,
# exactly once each (Jordan 2024, arXiv 2404.00498, §3.6).
#
# **Why it helps:** in a run of a few epochs, a view the model has already seen teaches it less than a new one.

# %%
config = torchstart.with_overrides(config, alternate_flip=True)
state, test_loader = train_rung("altflip", config, options)

# %% [markdown] lang="zh"
# ## 第 6 级：Lookahead
#
# 另外保存一份“慢权重”（BatchNorm 的 running mean、running var 也在内）。每 5 步做一次：
# 慢权重 ← *d* · 慢权重 + (1 − *d*) · 当前权重，然后把当前权重设成慢权重。旧平均的比重 *d* 按
# 0.95⁵ · (当前步数 / 总步数)³ 增长：刚开始约为 0（权重还在大步移动）；走到一半约为 0.774 / 8 ≈ 0.10；
# 到最后是 0.774；最后一步之后，权重就等于这个平均值。
#
# **为什么有用：** 训练后期 SGD 在山谷底部来回抖动；最近一段权重的平均更靠近谷底中央，测试时通常更好。
# 代价是每 5 步把两百万个数混合一次。

# %% [markdown] lang="en"
# ## Rung 6: Lookahead
#
# A slow copy of the weights (and of BatchNorm's running mean and variance) is kept. Every 5 steps:
# slow ← *d* · slow + (1 − *d*) · weights, then the weights are set to slow. The weight *d* of the old average grows
# as 0.95⁵ · (step / total steps)³: about 0 at the start, when the weights still travel far; 0.774 / 8 ≈ 0.10
# halfway; 0.774 at the end; after the last step the weights *are* the average.
#
# **Why it helps:** late in training SGD jitters around the bottom of the valley it is in; an average of recent
# weights sits nearer its centre and usually tests better. The cost: one blend of two million numbers every 5 steps.

# %%
config = torchstart.with_overrides(config, lookahead_every=5, lookahead_decay=0.95**5)
state, test_loader = train_rung("lookahead", config, options)

# %% [markdown] lang="zh"
# ## 第 7 级：测试时增强（TTA）
#
# 不重新训练：还是第 6 级的模型，只是换一种测法。每张测试图做 6 次前向计算——原图、它的镜像，以及这两张分别往左上、
# 往右下平移 1 个像素（和训练时一样用 reflect 填充）。原图和镜像的 logit 平均占一半，四个平移视图的平均占另一半。
#
# **为什么有用：** 模型是在翻转、平移过的图片上学出来的，把它在这些视图上的 logit 平均起来，可以抵消它在单个视图上
# 犯的一部分错误。不增加训练，只是测试时间变成 6 倍；这一级的秒数是第 6 级的秒数加上这一遍 6 视图测试。

# %% [markdown] lang="en"
# ## Rung 7: test-time augmentation
#
# Not trained again: the model of rung 6, tested differently. Each test image is scored by six forward passes —
# the image, its mirror, and both of them shifted by one pixel up-left and by one pixel down-right (reflect
# padding, as in training). The image and its mirror count for half of the averaged logits, the four shifted views
# for the other half.
#
# **Why it helps:** the model has learned from flipped and shifted images, and averaging its logits over such
# views cancels part of the error it makes on each one. It costs no training, only 6× the test time; this rung's
# seconds are rung 6's plus its own 6-view test pass.

# %%
config = torchstart.with_overrides(config, tta=2)
start = time.perf_counter()
tested = torchstart.evaluate(state.model, test_loader, device, len(data.classes), state.amp_dtype, tta=config.tta)
below = results["lookahead"]
record("tta", config, tested.accuracy, below["seconds"] + time.perf_counter() - start, below["train_images"])

# %% [markdown] lang="zh"
# ## 整架梯子
#
# 最上面一级的配置就是速通配方本身（只有 epoch 数、批大小和学习率是这一课按数据量定的）：
# `torchstart train --recipe speedrun` 用它在完整数据上训练 10 个 epoch，两核 CPU 上大约十分钟到 94 %。
#
# **这些数字要当作噪声来读。** 在样本上每一级只训练 3 个 epoch，测试集只有 500 张图：一张图就是 0.2 个百分点；
# 准确率在 50 % 附近时，光是抽样误差就有大约 ±2 个百分点。所以相邻两级之间的小差别说明不了什么，某一级甚至可能比
# 下面那一级还低一点。可靠的是：从白化层往上，每一级都明显好过普通网络。样本上的这次运行让你看到每一级都跑得通、
# 每个技巧在代码里改了什么；每个技巧到底值多少，要看下面完整数据上的表。

# %% [markdown] lang="en"
# ## The whole ladder
#
# The top rung's config is the speedrun recipe itself (only the epochs, batch size and lr are this lesson's, set by
# the size of the data): `torchstart train --recipe speedrun` trains it for 10 epochs on the full set, about ten
# minutes to 94 % on two CPU cores.
#
# **Read these numbers as noise.** On the sample each rung trains only 3 epochs, and the test set is 500 images:
# one image is 0.2 points, and sampling alone makes an accuracy near 50 % uncertain by about ±2 points. So the
# small differences between neighbouring rungs say little, and a rung may even come out a little below the one
# under it. What holds: every rung from the whitening layer up clearly beats the plain net. The sample shows that
# every rung runs and what each trick changes in the code; the table below shows what each trick is worth.

# %%
names = list(results)
accuracies = [results[name]["accuracy"] for name in names]
fig, ax = plt.subplots(figsize=(8, 3))
ax.bar(names, [100 * a for a in accuracies])
ax.set_ylabel("test accuracy (%)")
ax.set_ylim(0, 100)
for k, accuracy in enumerate(accuracies):
    ax.text(k, 100 * accuracy + 2, f"{accuracy:.1%}", ha="center")
plt.show()

# %% [markdown] lang="zh"
# ## 在完整数据集上
#
# 同一架梯子在全部 50,000 张训练图上训练、在全部 10,000 张测试图上测试（一张图 = 0.01 个百分点），批大小 1024、
# 学习率 1.5，每级 2 个 epoch——把上面的 `root` 换成完整数据集的文件夹，这个脚本跑的就是这一遍。这里的差别才是每个
# 技巧的真实效果（都是加在下面各级之上的）。2 个 epoch 只是配方预算的五分之一，所以最上面一级达不到
# `torchstart train --recipe speedrun` 训练 10 个 epoch 的水平。
#
# | 台阶 | 测试准确率 | 比下面一级 | 秒数 |
# |---|---|---|---|
# | plain | 65.82 % |  | 117 |
# | whitening | 68.09 % | +2.27 | 117 |
# | identity | 79.95 % | +11.86 | 118 |
# | bias_lr | 80.11 % | +0.16 | 121 |
# | smoothing | 81.25 % | +1.14 | 119 |
# | altflip | 81.72 % | +0.47 | 116 |
# | lookahead | 80.45 % | -1.27 | 113 |
# | tta | 81.12 % | +0.67 | 131 |
#
# 由 `python benchmarks/speedrun.py --ladder 2 --save cpu` 在 AMD EPYC（2 核，AVX512，bf16）上测得
# （2026-12-01，torch 2.14.1），数据在 `docs/results/speedrun-cpu.json`。换一台 CPU，秒数会不同，准确率应该相差不大。
#
# ## 要注意的地方
#
# - **一个技巧值多少，要看训练预算。** 在完整数据上，大的台阶是白化层，尤其是恒等初始化：只训练 2 个 epoch 时，
#   各块从恒等映射开始的网络能走得远得多。2 个 epoch 时 Lookahead 反而比下面一级低：它的平均值还落在移动很快的权重
#   后面，强力的平均要到训练快结束时才开始——它在配方的 10 个 epoch 里才有回报。测试时增强花的是一次测试的时间，
#   不是一次训练。
# - **一个技巧值多少，要看它之前已经有什么。** 梯子测的是每个技巧加在下面各级之上的效果；同一个技巧单独加到普通
#   网络上，或者换个顺序加，收益可能更大也可能更小。按什么顺序爬是一种选择，这一课把它摆在明处。
# - **技巧是配置，不是新的代码分支。** 每一级都是对配置几个字段的 `with_overrides(...)`，`plain` 就是关掉各个技巧的
#   速通配方。想试自己的技巧，照着上面的样子再加一个单元格：改配置或模型选项，调用 `train_rung`。
# - **改批大小，就要跟着改学习率。** 只改批大小不改学习率，一个 epoch 里权重走的距离就变了。线性缩放（1024 时的 1.5
#   变成 128 时的 0.1875）是通常的第一个猜测；BatchNorm 偏置的 64 倍、每一步的权重衰减也会跟着变，因为它们都是
#   学习率的倍数。
# - **有的初始化需要数据。** 白化滤波器没法在 `__init__` 里定下来：它们要在建优化器之前，从训练图片里算出来
#   （`fit_to_data`）。`torchstart train` 做这一步时会打印一行；断点续训不会重新算，因为滤波器已经存在 `last.pt` 里。
# - **每一级用同一个种子。** 每一级都从 `seed_everything(config.seed)` 开始，所以两级之间的差别是那个技巧加上训练
#   本身的噪声，而不是谁的初始权重运气更好。

# %% [markdown] lang="en"
# ## On the full data set
#
# The same ladder trained on all 50,000 training images and tested on all 10,000 (one image = 0.01 points), with
# the recipe's batch 1,024 and lr 1.5 and 2 epochs per rung — what this script runs with `root` set to the full
# set's folder. These differences are the real effect of each trick, each on top of the tricks below it. Two
# epochs are a fifth of the recipe's budget, so the top rung here is short of what `torchstart train --recipe
# speedrun` reaches in its 10 epochs.
#
# | rung | test accuracy | vs. below | seconds |
# |---|---|---|---|
# | plain | 65.82 % |  | 117 |
# | whitening | 68.09 % | +2.27 | 117 |
# | identity | 79.95 % | +11.86 | 118 |
# | bias_lr | 80.11 % | +0.16 | 121 |
# | smoothing | 81.25 % | +1.14 | 119 |
# | altflip | 81.72 % | +0.47 | 116 |
# | lookahead | 80.45 % | -1.27 | 113 |
# | tta | 81.12 % | +0.67 | 131 |
#
# Measured by `python benchmarks/speedrun.py --ladder 2 --save cpu` on AMD EPYC (2 cores, AVX512, bf16; 2026-12-01,
# torch 2.14.1); the data is in `docs/results/speedrun-cpu.json`. On another CPU the seconds differ; the accuracies
# should stay close.
#
# ## What to notice
#
# - **A trick's worth depends on the budget.** On the full data the big steps are the whitening layer and, above
#   all, identity initialisation: in 2 epochs a network whose blocks start as the identity gets much further. At
#   2 epochs Lookahead comes out *below* the rung under it: its average still trails weights that move far, and its
#   strong averaging only starts near the end of a run — it pays in the recipe's 10 epochs, not in 2. Test-time
#   augmentation costs a test pass, not a training.
# - **A trick's gain depends on what is already there.** The ladder measures each trick *on top of* the rungs
#   below; the same trick added alone to the plain net, or in another order, can be worth more or less. Which order
#   to climb in is a choice, and this lesson makes it visible.
# - **The tricks are configuration, not new code paths.** Every rung is `with_overrides(...)` of a few config
#   fields, and `plain` is the speedrun recipe with the tricks switched off. To try a trick of your own, add a cell
#   like the ones above: change the config or the model options, and call `train_rung`.
# - **Scale the learning rate with the batch.** Changing the batch size without the lr changes how far an epoch
#   moves the weights. Linear scaling (1.5 at 1,024 → 0.1875 at 128) is the usual first guess, and the 64× of the
#   BatchNorm biases and the weight decay per step follow along, because they are multiples of the lr.
# - **Some initialisation needs data.** The whitening filters cannot be set in `__init__`: they come from the
#   training images (`fit_to_data`), before the optimiser is built. `torchstart train` prints a line when it does
#   this; a resumed run does not redo it, because the filters are in `last.pt`.
# - **Same seed on every rung.** Each rung starts from `seed_everything(config.seed)`, so two rungs differ by their
#   trick plus the noise of training — not by luckier random weights.
