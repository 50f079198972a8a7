# %% [markdown] lang="zh"
# # 第 4 课 TensorBoard：把训练过程画出来
#
# 训练时我们想看损失怎么下降、输入的图长什么样、权重怎么分布。`torch.utils.tensorboard` 里的
# `SummaryWriter` 把这些记录写进一个文件夹里的事件文件，TensorBoard 网页再把它们画出来。
# 这一课把课程这一章提到的每种记录都写一遍：标量（课程的 y = 2x）、图像（用 OpenCV 读的蚂蚁照片，
# 以及一批 CIFAR-10 小图）、直方图、嵌入向量，再加上课程模型的计算图。
# 最后不开浏览器，用 TensorBoard 自己的读取器把事件文件读回来，核对写进去的东西都在。
#
# 先装好它：`pip install tensorboard`（PyTorch 本身不带）。

# %% [markdown] lang="en"
# # Lesson 4 TensorBoard: drawing what training does
#
# While training we want to see the loss go down, what the input images look like, how the weights are spread.
# `SummaryWriter` from `torch.utils.tensorboard` writes such records into event files in a folder, and the
# TensorBoard web page draws them. This lesson writes every kind of record the chapter mentions: a scalar (the
# course's y = 2x), images (an ant photo read with OpenCV, and a batch of CIFAR-10 images), a histogram, an
# embedding, and on top of that the graph of the course's model. At the end, without a browser, it reads the
# event files back with TensorBoard's own reader to check that everything written is there.
#
# Install it first: `pip install tensorboard` (PyTorch does not bring it along).

# %%
import shutil
import warnings
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

import torchstart

# %% [markdown] lang="zh"
# ## 日志文件夹：每次运行前先清掉上一次的
#
# 课程把日志写在当前文件夹的 `logs` 里。TensorBoard 会把一个文件夹里的**所有**事件文件一起画出来，
# 而每次运行都会新建一个事件文件：同一个脚本跑两次，y = 2x 就叠着画两遍。
# 所以这里先删掉上一次运行在 `logs` 里留下的事件文件和嵌入文件夹（别的东西不动）。
# 想比较自己的几次实验，就给每次实验一个单独的文件夹，比如 `logs/lr0.01`、`logs/lr0.1`。

# %% [markdown] lang="en"
# ## The log folder: clear the last run's records first
#
# The course writes its log into `logs` in the current folder. TensorBoard draws **every** event file in a
# folder together, and every run adds a new one: run the same script twice and y = 2x is drawn twice, one over
# the other. So first we delete the event files and the embedding folder an earlier run left in `logs` (nothing
# else). To compare experiments of your own, give each one a folder, such as `logs/lr0.01` and `logs/lr0.1`.

# %%
log_dir = Path("logs")
for old in log_dir.glob("events.out.tfevents.*"):
    old.unlink()
shutil.rmtree(log_dir / "00000", ignore_errors=True)  # zh: 上次的嵌入 | en: last run's embedding

# %% [markdown] lang="zh"
# ## 标量：课程的 y = 2x
#
# `add_scalar(tag, scalar_value, global_step)`：`tag` 是这条曲线的名字，`scalar_value` 是纵坐标，
# `global_step` 是横坐标（通常是第几步、第几轮）。训练时把 `"y=2x"` 换成 `"train_loss"`，就是一条损失曲线。

# %% [markdown] lang="en"
# ## Scalars: the course's y = 2x
#
# `add_scalar(tag, scalar_value, global_step)`: `tag` names the curve, `scalar_value` is the height and
# `global_step` the position along the x axis (usually the step or the epoch). In training, write
# `"train_loss"` instead of `"y=2x"` and you have a loss curve.

# %%
writer = SummaryWriter("logs")

for i in range(100):
    writer.add_scalar("y=2x", 2 * i, i)

# %% [markdown] lang="zh"
# ## 图像：OpenCV 读的照片，先把 BGR 换成 RGB
#
# `add_image` 默认要 (C, H, W) 的图。OpenCV 读出来的是 (H, W, C) 的 NumPy 数组，所以课程加了
# `dataformats='HWC'`。但还有一个课程没提的坑：OpenCV 的通道顺序是 B、G、R，TensorBoard 当它是 R、G、B，
# 原样写进去，红和蓝就对调了——蓝色的背景变成橙色，棕色的蚂蚁发蓝。下面三种写法都写一遍，最后在图里对比。
#
# 照片是课程用的 `train/ants/0013035.jpg`，来自包里自带的蚂蚁/蜜蜂样本，不用联网。

# %% [markdown] lang="en"
# ## Images: a photo read with OpenCV, BGR turned into RGB first
#
# `add_image` wants (C, H, W) by default. OpenCV gives an (H, W, C) NumPy array, hence the course's
# `dataformats='HWC'`. There is one more trap the course does not mention: OpenCV's channel order is B, G, R,
# TensorBoard reads R, G, B, and written as it comes red and blue swap places — the blue background turns orange,
# the brown ant blue. All three spellings below are written, and compared in the picture at the end.
#
# The photo is the course's `train/ants/0013035.jpg`, from the ants/bees sample inside the package, offline.

# %%
# zh: 包里自带的蚂蚁/蜜蜂样本；用完整数据集就换成它的文件夹，比如 root = Path("hymenoptera_data")
# en: the ants/bees sample in the package; for the full set, its folder, e.g. root = Path("hymenoptera_data")
root = torchstart.sample("hymenoptera")
img_path = root / "train" / "ants" / "0013035.jpg"
# zh: 课程写的是 cv2.imread(img_path)；这样写效果相同，而且 Windows 上路径含中文也能读（见第 5 课）
# en: the course writes cv2.imread(img_path); this does the same and also reads paths with Chinese characters on Windows
# en: (lesson 5)
image = cv2.imdecode(np.fromfile(img_path, dtype=np.uint8), cv2.IMREAD_COLOR)
print(image.shape, image.dtype)  # zh: (H, W, C) uint8，通道顺序 B、G、R | en: (H, W, C) uint8, channels B, G, R

# zh: 课程的写法：红蓝对调
# en: the course's call: red and blue swapped
writer.add_image("ant/opencv_as_bgr", image, 1, dataformats="HWC")
image_rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)  # zh: 和 image[..., ::-1] 相同 | en: the same as image[..., ::-1]
writer.add_image("ant/opencv_rgb_hwc", image_rgb, 1, dataformats="HWC")
# zh: (H, W, C) → (C, H, W)，0–255 → [0, 1]：就是第 6 课 ToTensor 做的事。CHW 是默认格式，不用写 dataformats
# en: (H, W, C) → (C, H, W), 0–255 → [0, 1]: what ToTensor does (lesson 6). CHW is the default: no dataformats
img_tensor = torch.from_numpy(image_rgb).permute(2, 0, 1).float() / 255
writer.add_image("ant/tensor_chw", img_tensor, 1)
print(img_tensor.shape, img_tensor.dtype)

# %% [markdown] lang="zh"
# 取值范围也要注意：uint8 的图原样写入；浮点的图会先乘 255，所以它必须在 [0, 1] 里——
# 一张 0–255 的浮点图写进去会是一片白。
#
# 一次写一批图用 `add_images`，TensorBoard 把它们拼成一张每行 8 张的网格。`dataset.data` 是 CIFAR-10
# 原始的 uint8 图像，形状 (N, H, W, C)，所以写 `dataformats="NHWC"`。

# %% [markdown] lang="en"
# Mind the value range too: a uint8 image goes in unchanged; a float image is multiplied by 255 first, so it
# must be in [0, 1] — a float image in 0–255 shows up white.
#
# `add_images` writes a whole batch, which TensorBoard lays out as one grid, 8 per row. `dataset.data` holds
# CIFAR-10's raw uint8 images shaped (N, H, W, C), hence `dataformats="NHWC"`.

# %%
# zh: torchvision 的 CIFAR10，读包里自带的真实样本（2,000 + 500 张），不用联网
# en: torchvision's CIFAR10 reading the real sample inside the package (2,000 + 500 images), offline
dataset = torchstart.CIFAR10(torchstart.sample("cifar10"), train=False,
                             transform=torchvision.transforms.ToTensor())
batch = dataset.data[:16]
print(batch.shape, batch.dtype)  # (16, 32, 32, 3) uint8
writer.add_images("cifar/batch", batch, 0, dataformats="NHWC")

# %% [markdown] lang="zh"
# ## 直方图：一层权重的分布
#
# `add_histogram` 记录一个张量里所有数的分布，常用来看权重和梯度在训练中怎么变。这里用课程的模型 `Tudui`
# （第 13 课会一层一层讲它），看第一层卷积的 32·3·5·5 = 2,400 个权重。它们还没训练过，
# PyTorch 的默认初始化让它们均匀地落在 ±1/√(3·5·5) ≈ ±0.115 之间。

# %% [markdown] lang="en"
# ## Histograms: how one layer's weights are spread
#
# `add_histogram` records the distribution of all the numbers in a tensor, the usual way to watch weights and
# gradients during training. Here we take the course's model `Tudui` (lesson 13 goes through it layer by
# layer) and look at the 32·3·5·5 = 2,400 weights of its first convolution. They are untrained: PyTorch's
# default initialisation spreads them evenly within ±1/√(3·5·5) ≈ ±0.115.


# %%
class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 64),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.model(x)


torch.manual_seed(0)  # zh: 初始权重是随机的，固定种子让每次一样 | en: random initial weights: a seed repeats them
tudui = Tudui()
conv1_weight = tudui.model[0].weight.detach()
print(conv1_weight.shape, f"{conv1_weight.min():.3f} {conv1_weight.max():.3f}")  # (32, 3, 5, 5)
writer.add_histogram("tudui/conv1.weight", conv1_weight, 0)

# %% [markdown] lang="zh"
# ## 嵌入向量：把每张图变成一个点
#
# `add_embedding` 把一组向量交给 TensorBoard 的 PROJECTOR 页，它用 PCA 或 t-SNE 把它们降到三维画成点，
# `metadata` 是每个点的标签（这里是类别名），`label_img` 是每个点上显示的小图。
# 这里取测试集的前 64 张图，每张先做 4×4 的平均池化，剩 3·8·8 = 192 个数，存下来的 `tensors.tsv` 就不会太大。

# %% [markdown] lang="en"
# ## Embeddings: every image as one point
#
# `add_embedding` hands a set of vectors to TensorBoard's PROJECTOR page, which brings them down to three
# dimensions with PCA or t-SNE and draws them as points; `metadata` labels each point (here with its class
# name) and `label_img` is the thumbnail shown on it. We take the first 64 test images, each averaged over 4×4
# patches down to 3·8·8 = 192 numbers, so the `tensors.tsv` it writes stays small.

# %%
dataloader = DataLoader(dataset, batch_size=64)
imgs, targets = next(iter(dataloader))
print(imgs.shape, targets.shape)  # (64, 3, 32, 32) (64,)
features = F.avg_pool2d(imgs, 4).flatten(1)  # (64, 3, 8, 8) → (64, 192)
labels = [dataset.classes[target] for target in targets]
writer.add_embedding(features, metadata=labels, label_img=imgs, global_step=0, tag="cifar_pixels")
embedding_shape = tuple(features.shape)
print(embedding_shape, labels[:5])

# %% [markdown] lang="zh"
# ## 计算图：模型的结构
#
# `add_graph` 用一个输入把模型跑一遍（`torch.jit.trace`），记下数据经过了哪些层，GRAPHS 页就能画出模型的结构。
# 新版 PyTorch 会提示 `torch.jit.trace` 已经弃用，但图照样写进去了，这里把这条提示关掉。
#
# 最后一定要 `writer.close()`：记录先放在缓冲区里，关闭时才全部写到磁盘上；不关的话，最后几条可能读不到。

# %% [markdown] lang="en"
# ## The graph: the model's structure
#
# `add_graph` runs the model once on an input (`torch.jit.trace`) and records which layers the data went
# through, so the GRAPHS page can draw the model. Recent PyTorch warns that `torch.jit.trace` is deprecated;
# the graph is written all the same, so that one warning is silenced here.
#
# Finally, always `writer.close()`: records wait in a buffer and reach the disk when the writer closes; without
# it the last ones can be missing.

# %%
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.trace", category=FutureWarning)
    writer.add_graph(tudui, torch.zeros(1, 3, 32, 32))  # zh: 用一个输入跟踪 | en: traced with one input
writer.close()

# %% [markdown] lang="zh"
# ## 读回来核对
#
# 平时在终端里运行 `tensorboard --logdir logs`，再用浏览器打开 http://localhost:6006 。
# 如果是在远程服务器上，要么加 `--bind_all`，要么先做端口转发：`ssh -L 6006:localhost:6006 你的用户名@服务器`。
#
# 这里我们用 TensorBoard 自己的 `EventAccumulator` 把事件文件读回来（`size_guidance` 设成 0 表示每条记录都留下，
# 不抽样），看看里面到底有什么。

# %% [markdown] lang="en"
# ## Reading it back
#
# Normally you run `tensorboard --logdir logs` in a terminal and open http://localhost:6006 in a browser. On a
# remote server either add `--bind_all` or forward the port first: `ssh -L 6006:localhost:6006 you@server`.
#
# Here we read the event file back with TensorBoard's own `EventAccumulator` (`size_guidance` 0 keeps every
# record instead of a sample) and see what is really in it.

# %%
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

events = EventAccumulator("logs", size_guidance={"scalars": 0, "images": 0, "histograms": 0})
events.Reload()
tags = {kind: sorted(events.Tags()[kind]) for kind in ("scalars", "images", "histograms")}
print(tags)

points = events.Scalars("y=2x")
scalar_steps = len(points)
scalar_max_error = max(abs(point.value - 2 * point.step) for point in points)
print(f"{scalar_steps=} {scalar_max_error=}")

histogram = events.Histograms("tudui/conv1.weight")[0].histogram_value
histogram_values = int(histogram.num)
print(f"{histogram_values=} min={histogram.min:.3f} max={histogram.max:.3f}")

graph_written = events.Tags()["graph"]
print(f"{graph_written=}")

# %% [markdown] lang="zh"
# 嵌入向量不在事件文件里：PROJECTOR 读的是 `projector_config.pbtxt`，以及按 `global_step` 命名的文件夹
# `00000/cifar_pixels/` 里的 `tensors.tsv`（向量）、`metadata.tsv`（标签）和 `sprite.png`（64 张小图拼成的 8×8 大图）。

# %% [markdown] lang="en"
# The embedding is not in the event file: PROJECTOR reads `projector_config.pbtxt` and, in the folder
# `00000/cifar_pixels/` named after the `global_step`, `tensors.tsv` (the vectors), `metadata.tsv` (the labels)
# and `sprite.png` (the 64 thumbnails as one 8×8 picture).

# %%
embedding_files = sorted(path.relative_to(log_dir).as_posix() for path in log_dir.rglob("*")
                         if path.suffix in (".pbtxt", ".tsv", ".png"))
print(embedding_files)

# %% [markdown] lang="zh"
# 最后把读回来的 y = 2x 和图像画出来，就是 TensorBoard 的 SCALARS 和 IMAGES 页会显示的样子：
# 第一张蚂蚁红蓝对调，后两张颜色正常而且一模一样，CIFAR-10 的 16 张图拼成了两行。

# %% [markdown] lang="en"
# Last, the y = 2x and the images read back, drawn the way TensorBoard's SCALARS and IMAGES pages show them:
# the first ant has red and blue swapped, the other two look right and alike, and the 16 CIFAR-10 images form
# two rows.

# %%
import io

import matplotlib.pyplot as plt
from PIL import Image

# zh: TensorBoard 把每张图存成 PNG；解码回来是 (H, W, C) 的 RGB 数组
# en: TensorBoard stores each image as a PNG; decoded, it is an (H, W, C) RGB array
read_back = {tag: np.asarray(Image.open(io.BytesIO(events.Images(tag)[0].encoded_image_string)))
             for tag in tags["images"]}
print({tag: picture.shape for tag, picture in read_back.items()})

fig, axes = plt.subplots(1, 5, figsize=(14, 2.4), gridspec_kw={"width_ratios": [1.2, 1, 1, 1, 1.6]})
axes[0].plot([point.step for point in points], [point.value for point in points])
axes[0].set_title("y=2x")
for ax, tag in zip(axes[1:], tags["images"]):
    ax.imshow(read_back[tag])
    ax.set_title(tag, fontsize=9)
    ax.axis("off")
plt.show()
