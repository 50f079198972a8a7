# %% [markdown] lang="zh"
# # 第 12 课 其他常用的层：归一化、循环、Transformer、线性、Dropout、嵌入
#
# 课程这一章翻着 `torch.nn` 的文档，按类别介绍了卷积和池化以外的层，真正写代码的只有线性层。
# 这一课把每一类都拿一个出来，在一批真实的 CIFAR-10 图片上跑一遍，看它算了什么、输出什么形状：
# BatchNorm2d 和手算的公式对一对，Dropout 数一数置零了多少；再按课程的写法用 `torch.flatten` 加
# `Linear(196608, 10)`，看看它为什么只在特定的批次大小下才能工作，以及 `nn.Flatten` 怎样解决这个问题。

# %% [markdown] lang="en"
# # Lesson 12 Other common layers: normalisation, recurrent, Transformer, linear, dropout, embedding
#
# This chapter of the course leafs through the `torch.nn` docs and introduces, family by family, the layers
# beyond convolution and pooling; only the linear layer gets code. This lesson takes one layer of each family
# and runs it on a batch of real CIFAR-10 images to see what it computes and what shape comes out:
# BatchNorm2d checked against its formula, Dropout's zeros counted, and the course's `torch.flatten` followed
# by `Linear(196608, 10)` — why it only works for one batch size, and how `nn.Flatten` fixes that.

# %%
import torch
import torchvision
from torch import nn
from torch.nn import Linear
from torch.utils.data import DataLoader

import torchstart

# %% [markdown] lang="zh"
# ## 一批真实的图片
#
# 和课程一样用 CIFAR-10 的测试集，每批 64 张。图片从包里自带的 CIFAR-10 样本读取，不用联网。
# `ToTensor` 之后，每个像素都是 [0, 1] 之间的小数。

# %% [markdown] lang="en"
# ## A batch of real images
#
# As in the course: the CIFAR-10 test set, 64 images per batch. The images come from the CIFAR-10 sample
# inside the package, offline. After `ToTensor` every pixel is a number in [0, 1].

# %%
# zh: 层的权重是随机初始化的，Dropout 也要抽随机数：固定种子，每次运行的数都一样
# en: the layers start with random weights and Dropout draws random numbers: a seed makes every run the same
torch.manual_seed(0)
# zh: 包里自带的真实 CIFAR-10 样本；完整数据集就换成它的文件夹
# en: the real CIFAR-10 sample in the package; for the full set, its folder
root = torchstart.sample("cifar10")
dataset = torchstart.CIFAR10(root, train=False, transform=torchvision.transforms.ToTensor(), download=False)
dataloader = DataLoader(dataset, batch_size=64)
imgs, targets = next(iter(dataloader))  # zh: 只取第一批 | en: the first batch only
print(imgs.shape, targets.shape)  # (64, 3, 32, 32), (64,)
print(imgs.min().item(), imgs.max().item())

# %% [markdown] lang="zh"
# ## 归一化层：BatchNorm2d
#
# 归一化调整的是数据的分布：每个特征减去均值、除以标准差，让不同的特征处在相近的尺度上，训练收敛得更快、更稳。
# （它和正则化不是一回事：正则化作用在模型的参数上，目的是防止过拟合。）
#
# `nn.BatchNorm2d(3)` 对 3 个通道各自归一化。训练模式下，它用的是当前这一批的统计量：在批次、高、宽三个维度
# (0, 2, 3) 上求均值和方差（除以 n 的总体方差），算 (x − mean) / sqrt(var + eps)，eps = 1e-5。
# 刚建好的 BatchNorm 权重是 1、偏置是 0，所以输出就是标准化后的输入：每个通道均值 0、标准差 1。

# %% [markdown] lang="en"
# ## Normalisation: BatchNorm2d
#
# Normalisation reshapes the data's distribution: each feature minus its mean, divided by its standard
# deviation, so that different features sit on similar scales and training converges faster and more
# steadily. (It is not regularisation: regularisation acts on the model's parameters, against overfitting.)
#
# `nn.BatchNorm2d(3)` normalises each of the 3 channels on its own. In train mode it uses the statistics of
# the current batch: mean and variance over batch, height and width, dims (0, 2, 3) (the population variance,
# divided by n), then (x − mean) / sqrt(var + eps) with eps = 1e-5. A new BatchNorm has weight 1 and bias 0,
# so its output is just the standardised input: every channel with mean 0 and std 1.

# %%
bn = nn.BatchNorm2d(3)
bn.train()  # zh: 训练模式：用这一批自己的统计量 | en: train mode: this batch's own statistics
normalized = bn(imgs).detach()  # (64, 3, 32, 32)
channel_means = normalized.mean(dim=(0, 2, 3))
channel_stds = normalized.std(dim=(0, 2, 3), unbiased=False)
print(channel_means)
print(channel_stds)

mean = imgs.mean(dim=(0, 2, 3), keepdim=True)  # (1, 3, 1, 1)
var = imgs.var(dim=(0, 2, 3), unbiased=False, keepdim=True)  # zh: 除以 n，不是 n − 1 | en: divided by n, not n − 1
by_hand = (imgs - mean) / torch.sqrt(var + bn.eps)
bn_difference = (normalized - by_hand).abs().max().item()
print(f"{bn_difference=:.1e}")

# %% [markdown] lang="zh"
# 标准差比 1 略小一点，是 eps 造成的：输出的标准差等于 sqrt(var / (var + eps))。
#
# BatchNorm 还会记下“滑动平均”的均值和方差，供评估模式使用：每看一批，就从原来的值朝这一批的统计量走 10%
# （momentum = 0.1）。起点是均值 0、方差 1，所以看过一批之后 running_mean = 0.1 × 这批的均值，
# running_var = 0.9 + 0.1 × 这批的方差（这里用除以 n − 1 的无偏方差）。
# 评估模式（`bn.eval()`）用的是这些滑动平均，所以同一批数据在两种模式下的输出不一样：测试之前记得 `model.eval()`。

# %% [markdown] lang="en"
# The stds are a little below 1 because of eps: the output's std is sqrt(var / (var + eps)).
#
# BatchNorm also keeps running averages of the mean and variance for eval mode: every batch moves them 10 %
# of the way from where they were towards the batch's statistics (momentum = 0.1). They start at mean 0 and
# variance 1, so after one batch running_mean = 0.1 × the batch mean and running_var = 0.9 + 0.1 × the
# batch variance (the unbiased one, divided by n − 1 here). Eval mode (`bn.eval()`) uses those running
# averages, so the same batch comes out differently in the two modes: call `model.eval()` before testing.

# %%
running_mean = bn.running_mean.clone()
running_var = bn.running_var.clone()
print(running_mean)
print(running_var)
bn.eval()  # zh: 评估模式：用滑动平均 | en: eval mode: the running averages
eval_difference = (bn(imgs).detach() - normalized).abs().max().item()
print(f"{eval_difference=:.4f}")

# %% [markdown] lang="zh"
# ## 循环层：RNN
#
# 循环层处理的是序列，比如时间序列、一句话。为了用上手头的图片，把每张图看成一个序列：32 行像素就是 32 个时间步，
# 每一步是一行的 3·32 = 96 个数。`batch_first=True` 让输入的形状是（批次, 时间, 特征）；不写的话，
# `nn.RNN` 默认把第 0 维当成时间。RNN 返回两样东西：每个时间步的输出，和最后一步的隐藏状态 h_n。

# %% [markdown] lang="en"
# ## Recurrent layers: RNN
#
# Recurrent layers work on sequences — a time series, a sentence. To use the images at hand, read each image
# as a sequence: its 32 pixel rows are 32 time steps of 3·32 = 96 numbers each. `batch_first=True` makes the
# input (batch, time, features); without it `nn.RNN` takes dim 0 as time. The RNN returns two things: the
# output at every step, and the hidden state of the last step, h_n.

# %%
# zh: (64, 3, 32, 32) → (64, 32, 3, 32)：行到前面 → 每行的 3 个通道拼成 96 个数
# en: (64, 3, 32, 32) → (64, 32, 3, 32): rows first → each row's 3 channels joined into 96 numbers
rows = imgs.permute(0, 2, 1, 3).reshape(64, 32, 96)  # (B, T=32, F=96)
rnn = nn.RNN(input_size=96, hidden_size=128, batch_first=True)
rnn_output, h_n = rnn(rows)
print(rnn_output.shape)  # zh: (B, T, 128)：每个时间步 | en: (B, T, 128): every step
print(h_n.shape)  # zh: (层数=1, B, 128)：最后一步 | en: (num_layers=1, B, 128): the last step

# %% [markdown] lang="zh"
# ## Transformer 层
#
# Transformer 层由多头自注意力和一个前馈网络组成。注意力让序列里的每一步都去“看”其他所有步，
# 把它们的信息混合进来，所以输出和输入的形状完全一样。同样要写 `batch_first=True`。

# %% [markdown] lang="en"
# ## Transformer layers
#
# A Transformer layer is multi-head self-attention followed by a feed-forward network. Attention lets every
# step of the sequence look at all the others and mix in what they hold, so the output has exactly the
# input's shape. Here too, `batch_first=True`.

# %%
encoder = nn.TransformerEncoderLayer(d_model=96, nhead=4, dim_feedforward=256, batch_first=True)
encoded = encoder(rows)
print(encoded.shape)  # (B, T, 96)

# %% [markdown] lang="zh"
# ## 线性层：课程的写法
#
# 线性层也叫全连接层：每个输出都是所有输入的加权和，再加一个偏置。课程先用 `torch.flatten` 把一批图片拉平，
# 再接一个 `Linear(196608, 10)`。196608 是怎么来的？`torch.flatten` 会把**所有**维度都摊平，批次维也不例外：
# 64·3·32·32 = 196608。于是整批 64 张图只得到 10 个数——一个预测，光权重矩阵就将近两百万个数。

# %% [markdown] lang="en"
# ## Linear layers: the course's way
#
# A linear layer, also called fully connected, makes every output a weighted sum of all the inputs plus a
# bias. The course flattens a batch with `torch.flatten` and feeds it to `Linear(196608, 10)`. Where does
# 196608 come from? `torch.flatten` flattens *every* dimension, the batch included: 64·3·32·32 = 196608.
# So the whole batch of 64 images gets 10 numbers — a single prediction — and the weight matrix alone holds
# almost two million numbers.


# %%
class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = Linear(196608, 10)

    def forward(self, input):
        output = self.linear1(input)
        return output


tudui = Tudui()
# zh: 课程对每一批都循环一遍，打印的形状每次都一样；这里看第一批就够了
# en: the course loops over every batch and prints the same shapes each time; the first batch shows them
print(imgs.shape)
output = torch.flatten(imgs)
print(output.shape)  # (196608,)
course_output = tudui(output)
print(course_output.shape)  # zh: (10,)：整批只有一个预测 | en: (10,): one prediction for the whole batch
course_parameters = sum(p.numel() for p in tudui.parameters())
print(f"{course_parameters=:,}")  # 196608·10 + 10

# %% [markdown] lang="zh"
# 这个写法还有一个坑：它只认 64 张一批。样本的测试集有 500 张，最后一批只剩 500 − 7·64 = 52 张，
# 拉平后的长度对不上，`Linear` 就报错了。课程因此在 `DataLoader` 里加了 `drop_last=True`，把最后不满的一批扔掉。

# %% [markdown] lang="en"
# The course's way has one more trap: it only fits batches of exactly 64. The sample's test set has 500
# images, so the last batch holds 500 − 7·64 = 52; flattened, its length no longer matches and `Linear`
# fails. That is why the course adds `drop_last=True` to its `DataLoader`, dropping the incomplete last batch.

# %%
*_, (last_imgs, last_targets) = dataloader  # zh: 最后一批 | en: the last batch
print(len(dataloader), last_imgs.shape)  # zh: 8 批，最后一批 (52, 3, 32, 32) | en: 8 batches, the last (52, 3, 32, 32)
try:
    tudui(torch.flatten(last_imgs))
    last_batch_error = ""
except RuntimeError as err:
    last_batch_error = str(err)
print(last_batch_error)
print(len(DataLoader(dataset, batch_size=64, drop_last=True)))  # zh: 只剩 7 个整批 | en: 7 full batches left

# %% [markdown] lang="zh"
# ## 线性层：保留批次维
#
# `nn.Flatten()` 从第 1 维开始展平，保留批次维：(64, 3, 32, 32) → (64, 3072)。后面接 `Linear(3072, 10)`，
# 每张图各得到 10 个数，权重也只有三万多个；最后那批 52 张也照样能用。在模型里请用 `nn.Flatten()`
# （或者 `torch.flatten(x, 1)`）。

# %% [markdown] lang="en"
# ## Linear layers: keeping the batch dimension
#
# `nn.Flatten()` starts at dimension 1 and keeps the batch: (64, 3, 32, 32) → (64, 3072). A `Linear(3072, 10)`
# after it gives 10 numbers per image with only some thirty thousand weights, and the last batch of 52 works
# as well. In models, use `nn.Flatten()` (or `torch.flatten(x, 1)`).

# %%
flatten = nn.Flatten()
per_image = flatten(imgs)
print(per_image.shape)  # (64, 3072)
print(torch.equal(per_image, torch.flatten(imgs, 1)))
linear = Linear(3072, 10)
batch_output = linear(per_image)
print(batch_output.shape)  # zh: (64, 10)：每张图一个预测 | en: (64, 10): one prediction per image
print(linear(flatten(last_imgs)).shape)  # (52, 10)
linear_parameters = sum(p.numel() for p in linear.parameters())
print(f"{linear_parameters=:,}")  # 3072·10 + 10

# %% [markdown] lang="zh"
# ## Dropout 层
#
# Dropout 是一种正则化方法，用来防止过拟合。训练时，它以概率 p 把每个数随机置零，相当于临时“丢掉”一部分神经元，
# 模型就没法过分依赖某几个神经元；留下来的数乘以 1/(1 − p)，这样总和的期望不变。评估模式下 Dropout 什么也不做。
#
# 在一百万个数上数一数：置零的比例应当非常接近 p。输入取 [1, 2) 之间的数，输出里的 0 就只可能来自 Dropout。
# 还有一个细节：PyTorch 是乘以浮点数 1/(1 − p)，而不是除以 (1 − p)。p = 0.5 时两者完全相同（都是乘 2），
# p = 0.2 时在最后一位上可能差一点点。

# %% [markdown] lang="en"
# ## Dropout layers
#
# Dropout is a regularisation method, against overfitting. In training it zeroes each number with
# probability p, as if some neurons were dropped for a moment, so the model cannot lean too hard on a few of
# them; the survivors are multiplied by 1/(1 − p) so that the expected sum stays the same. In eval mode
# Dropout does nothing.
#
# Count it on a million numbers: the zeroed fraction should be very close to p. The inputs lie in [1, 2), so
# a zero in the output can only come from Dropout. One detail: PyTorch multiplies by the float 1/(1 − p)
# rather than dividing by (1 − p). For p = 0.5 that is exactly the same (times 2); for p = 0.2 the two can
# differ in the last bit.

# %%
x = torch.rand(1_000_000) + 1.0  # zh: [1, 2) 之间，不会有 0 | en: in [1, 2): no zeros
dropout_checks = {}
for p in [0.5, 0.2]:
    dropout = nn.Dropout(p)  # zh: 新建的模块处于训练模式 | en: a new module is in train mode
    y = dropout(x)
    kept = y != 0
    zeroed = 1 - kept.float().mean().item()
    survivors, originals = y[kept], x[kept]
    times_scale = torch.equal(survivors, originals * (1 / (1 - p)))
    divided = torch.equal(survivors, originals / (1 - p))
    dropout.eval()
    eval_identity = torch.equal(dropout(x), x)
    dropout_checks[p] = {"zeroed": zeroed, "times_scale": times_scale, "divided": divided,
                         "eval_identity": eval_identity}
    print(f"{p=}: {zeroed=:.4f} {times_scale=} {divided=} {eval_identity=}")

# %% [markdown] lang="zh"
# ## 稀疏层：Embedding
#
# `nn.Embedding` 是一张可以学习的查找表：每个整数编号对应一行向量。推荐系统、自然语言处理里常用它把
# 用户、商品、词这样的编号变成向量。这里把 10 个类别各对应一个 16 维的向量，用这批图片的标签去查表。

# %% [markdown] lang="en"
# ## Sparse layers: Embedding
#
# `nn.Embedding` is a learnable lookup table: each integer id has a row vector. Recommenders and language
# models use it to turn ids — users, items, words — into vectors. Here each of the 10 classes gets a
# 16-number vector, looked up with this batch's labels.

# %%
embedding = nn.Embedding(num_embeddings=10, embedding_dim=16)  # zh: 10 × 16 的表 | en: a 10 × 16 table
embedded = embedding(targets)  # zh: (64,) 个整数标签 → (64, 16) | en: (64,) integer labels → (64, 16)
print(embedded.shape)
print(torch.equal(embedded[0], embedding.weight[targets[0]]))  # zh: 就是查表 | en: just a lookup

# %% [markdown] lang="zh"
# ## 小结：各层的输出形状

# %% [markdown] lang="en"
# ## Summary: the output shapes

# %%
shapes = {"RNN output": rnn_output.shape, "RNN h_n": h_n.shape, "TransformerEncoderLayer": encoded.shape,
          "Embedding": embedded.shape, "torch.flatten": output.shape, "nn.Flatten": per_image.shape,
          "Linear(196608, 10)": course_output.shape, "Linear(3072, 10)": batch_output.shape}
for name, shape in shapes.items():
    print(f"{name:<26}{tuple(shape)}")
