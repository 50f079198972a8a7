# %% [markdown] lang="zh"
# # 第 16 课 预训练模型：拿来别人训练好的网络，换上自己的分类头
#
# 在 ImageNet（120 万张图、1000 个类别）上训练过的网络，前面那些层已经学会了找边缘、纹理和物体的局部。
# 迁移学习就是把这些层留下来，只把最后输出类别的那一层换成适合自己任务的。
# 这一课照课程的做法建一个 VGG16，把它的 1000 类改成 CIFAR-10 的 10 类，并比较两种改法的参数量；
# 再看没有网络时权重文件从哪里来；最后在蚂蚁/蜜蜂的小数据集上真正微调一个小模型 MobileNetV3-Small。

# %% [markdown] lang="en"
# # Lesson 16 Pretrained models: borrow a trained network, give it your own head
#
# A network trained on ImageNet (1.2 million images, 1000 classes) has layers that already find edges, textures
# and parts of objects. Transfer learning keeps those layers and replaces only the last one, the layer that
# outputs the classes, with one made for your task. This lesson builds VGG16 as the course does, turns its 1000
# classes into CIFAR-10's 10 and compares two ways of doing that; looks at where the weights file comes from
# when there is no internet; and finally fine-tunes a small model, MobileNetV3-Small, on the ants/bees sample.

# %% [markdown] lang="zh"
# ## weights 接口：权重枚举里记着什么
#
# 老教程写 `vgg16(pretrained=True)`，这个参数已经废弃了，现在写 `vgg16(weights=VGG16_Weights.DEFAULT)`。
# `DEFAULT` 指向目前最好的那份权重；这个枚举值里记着权重文件的下载地址、1000 个类别的名字，
# 还有这份权重要求的预处理（`weights.transforms()`），不用再自己抄 ImageNet 的均值和标准差。

# %% [markdown] lang="en"
# ## The weights API: what a weights enum knows
#
# Older tutorials write `vgg16(pretrained=True)`; that argument is deprecated, and today one writes
# `vgg16(weights=VGG16_Weights.DEFAULT)`. `DEFAULT` names the best weights available; the enum value holds
# the file's URL, the names of the 1000 classes and the preprocessing the weights expect
# (`weights.transforms()`), so the ImageNet mean and std need not be copied by hand.

# %%
from pathlib import Path

import torch
import torchvision
from torch import nn
from torchvision.models import VGG16_Weights

weights = VGG16_Weights.DEFAULT
print(weights)
print(weights.url)
print(len(weights.meta["categories"]), weights.meta["categories"][:3])
print(weights.transforms())

# %% [markdown] lang="zh"
# ## 权重文件在哪里：没有网络时怎么办
#
# `weights=VGG16_Weights.DEFAULT` 第一次用时会下载 528 MB 的文件，放进 torch 的缓存目录
# `torch.hub.get_dir()/checkpoints/`（这个目录跟着环境变量 `$TORCH_HOME` 走），文件名就是网址的最后一段；
# 以后就直接从缓存读。没有网络的机器上，下载会以一长串 `urllib` 报错收场。
# 所以先看看文件在不在缓存里：在就用；不在就说清楚缺哪个文件、放到哪里、从哪个网址下载
# （在任何能上网的机器上下载好，拷过来放进那个目录，效果和自动下载完全一样）。

# %% [markdown] lang="en"
# ## Where the weights file lives, and what to do offline
#
# The first time `weights=VGG16_Weights.DEFAULT` is used it downloads a 528 MB file into torch's cache,
# `torch.hub.get_dir()/checkpoints/` (the folder moves with `$TORCH_HOME`), named after the last part of the
# URL; later runs read it from there. On a machine without internet the download ends in a long `urllib`
# traceback. So look first: if the file is cached, use it; if not, say which file is missing, where it goes and
# where to download it (fetched on any machine with internet and copied into that folder, it works exactly as
# if torchvision had downloaded it).


# %%
def weights_file(weights):
    # zh: torchvision 把下载的权重放在这里，文件名是网址的最后一段
    # en: where torchvision keeps downloaded weights, under the last part of the URL
    return Path(torch.hub.get_dir()) / "checkpoints" / weights.url.split("/")[-1]


vgg16_file = weights_file(weights)
vgg16_cached = vgg16_file.exists()
print(f"{vgg16_cached=}")
if not vgg16_cached:
    print(f"missing: {vgg16_file.name}")
    print(f"download: {weights.url}")
    print(f"put it in: {vgg16_file.parent}")

# %% [markdown] lang="zh"
# ## 课程的 VGG16
#
# 有权重文件就照课程那样加载 ImageNet 权重。没有的话就用 `weights=None`：这时没有任何东西要加载，
# 而这一课只想数参数、看结构，所以把模型建在 **meta 设备**上——每个张量只有形状和类型，不占内存，
# 也不用花时间去随机初始化 1.38 亿个数。参数量和真正建在 CPU 上的完全一样
# （权重枚举里也记着这个数：`weights.meta["num_params"]`）。

# %% [markdown] lang="en"
# ## The course's VGG16
#
# With the file at hand, load the ImageNet weights as the course does. Without it, use `weights=None`: then
# there is nothing to load, and this lesson only counts parameters and looks at the structure, so the model is
# built on the **meta device** — every tensor has a shape and a dtype but no memory, and no time goes into
# initialising 138 million random numbers. The count is exactly that of a real build on the CPU (the weights
# enum records it too: `weights.meta["num_params"]`).

# %%
# zh: 课程：vgg16(weights=VGG16_Weights.DEFAULT)；这里只有文件已在缓存里才加载它
# en: the course: vgg16(weights=VGG16_Weights.DEFAULT); here only when the file is already cached
device = torch.device("cpu" if vgg16_cached else "meta")
with device:
    vgg16 = torchvision.models.vgg16(weights=weights if vgg16_cached else None)
print(vgg16)
parameters = sum(p.numel() for p in vgg16.parameters())
print(f"{parameters=:,}", parameters == weights.meta["num_params"])

# %% [markdown] lang="zh"
# ## 课程的改法：在分类器后面再加一层
#
# CIFAR-10 只有 10 个类别，VGG16 却输出 1000 个分数。课程的办法是在 `classifier` 这个 `nn.Sequential`
# 的末尾用 `add_module` 再接一层 `Linear(1000, 10)`。打印出来，最后多了一行 `(add_linear)`。

# %% [markdown] lang="en"
# ## The course's change: one more layer after the classifier
#
# CIFAR-10 has 10 classes, but VGG16 outputs 1000 scores. The course appends a `Linear(1000, 10)` to the end of
# `classifier`, an `nn.Sequential`, with `add_module`. Printed, it ends with a new line, `(add_linear)`.

# %%
import torchstart

# zh: 课程在这里加载 CIFAR-10 的训练集：它有 10 个类别。数据来自包里自带的样本，不用联网
# en: the course loads CIFAR-10's training set here: 10 classes. The data is the package's sample, offline
train_data = torchstart.CIFAR10(torchstart.sample("cifar10"), train=True,
                                transform=torchvision.transforms.ToTensor(), download=False)
print(train_data.classes)

vgg16.classifier.add_module("add_linear", nn.Linear(1000, 10))
print(vgg16.classifier)
parameters_add_linear = sum(p.numel() for p in vgg16.parameters())
print(f"{parameters_add_linear=:,}")

# %% [markdown] lang="zh"
# ## 另一种改法：直接替换最后一层
#
# 也可以不加层，而是把 `classifier[6]`（4096 → 1000）整个换成 4096 → 10。追加一层时，1000 类那层还在，
# 参数多出 1000·10 + 10 个；替换时，那层的 4096·1000 + 1000 个参数换成了 4096·10 + 10 个，
# 模型也不再计算用不上的 1000 个 ImageNet 分数。两种都能用，PyTorch 官方的迁移学习教程用的是替换。
# 课程视频里这一步用的是一个不加载权重的 `vgg16_false`。

# %% [markdown] lang="en"
# ## The other change: replace the last layer
#
# Instead of appending, replace `classifier[6]` (4096 → 1000) with a 4096 → 10 layer. Appending keeps the
# 1000-way layer and adds 1000·10 + 10 parameters; replacing swaps that layer's 4096·1000 + 1000 for 4096·10 + 10,
# and the model no longer computes 1000 ImageNet scores it does not need. Both work; PyTorch's transfer-learning
# tutorial replaces. The course's video does this step on `vgg16_false`, a VGG16 without weights.

# %%
with torch.device("meta"):
    vgg16_false = torchvision.models.vgg16(weights=None)
    vgg16_false.classifier[6] = nn.Linear(4096, 10)
print(vgg16_false.classifier[6])
parameters_replace_last = sum(p.numel() for p in vgg16_false.parameters())
print(f"{parameters_replace_last=:,}")
print(f"{parameters_add_linear - parameters = :,}")
print(f"{parameters - parameters_replace_last = :,}")

# %% [markdown] lang="zh"
# ## 真正微调一次：蚂蚁和蜜蜂
#
# VGG16 太大，在 CPU 上训练不动。下面换一个小巧的 ImageNet 模型 MobileNetV3-Small，在包里自带的蚂蚁/蜜蜂样本上
# 微调：训练文件夹里有 80 个文件，验证文件夹里有 40 张图。
#
# 数据用 torchvision 的 `ImageFolder` 读：它把每个子文件夹当作一个类别，按名字排序编号，`ants` → 0、`bees` → 1。
# 第 3 课自己写的数据集返回的标签是文件夹名（字符串），而 `CrossEntropyLoss` 要的是整数类别编号，
# `ImageFolder` 一次就把名字换成了编号。预处理直接用权重声明的那一套 `weights.transforms()`：缩放、中心裁剪、
# 按 ImageNet 的均值和标准差归一化；只是把尺寸从 256 → 224 缩小到 128 → 112，像素少了四分之三，CPU 上快得多。
#
# 训练集只有 79 张，不是 80 张：原数据集里混着一张 `imageNotFound.gif`（网页上“图片不存在”的占位图），
# 样本特意留下了它。`ImageFolder` 不认 `.gif` 这个扩展名，一声不响地跳过了它——这次正好跳得对，
# 但换成你自己的数据时，记得核对一下读到的图片数和文件数对不对得上。

# %% [markdown] lang="en"
# ## A real fine-tune: ants and bees
#
# VGG16 is too big to train on a CPU. Below, a small ImageNet model, MobileNetV3-Small, is fine-tuned on the
# ants/bees sample inside the package: 80 files in the training folder, 40 validation images.
#
# torchvision's `ImageFolder` reads them: each subfolder is a class, numbered in name order, `ants` → 0,
# `bees` → 1. The dataset written by hand in lesson 3 returns the folder name (a string) as the label, while
# `CrossEntropyLoss` needs an integer class index; `ImageFolder` maps names to indices once. The preprocessing
# is the one the weights declare, `weights.transforms()`: resize, centre crop, ImageNet mean and std — only the
# sizes shrink from 256 → 224 to 128 → 112, a quarter of the pixels, much quicker on a CPU.
#
# The training set holds 79 images, not 80: the original data set contains an `imageNotFound.gif` (a web page's
# "image not found" placeholder), and the sample keeps it on purpose. `ImageFolder` does not know the `.gif`
# extension and skips it silently — the right call this time, but with your own data, check that the number of
# images read matches the number of files.

# %%
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.models import MobileNet_V3_Small_Weights

root = torchstart.sample("hymenoptera")  # zh: 换成完整数据集的文件夹即可 | en: or the full data set's folder
mobilenet_weights = MobileNet_V3_Small_Weights.DEFAULT
transform = mobilenet_weights.transforms(crop_size=112, resize_size=128)
train_dataset = ImageFolder(Path(root) / "train", transform=transform)
val_dataset = ImageFolder(Path(root) / "val", transform=transform)
print(train_dataset.class_to_idx)
print(f"{len(train_dataset)=} {len(val_dataset)=}")
# zh: ImageFolder 只读它认得的图片扩展名（.jpg、.png 等），不认得的文件直接跳过，不报错
# en: ImageFolder reads only the image extensions it knows (.jpg, .png, …) and skips other files without a word
train_files = [p for p in sorted((Path(root) / "train").rglob("*")) if p.is_file()]
skipped = [p.name for p in train_files if str(p) not in {path for path, _ in train_dataset.samples}]
print(len(train_files), skipped)
img, target = train_dataset[0]
print(img.shape, target)  # (3, 112, 112) 0

# %% [markdown] lang="zh"
# ## 冻结主干，换上两类的分类头
#
# 同样先看权重文件在不在缓存里，不在就用随机初始化的主干（下面会看到这意味着什么）。
# MobileNetV3-Small 的分类器是 `Linear(576, 1024)` → Hardswish → Dropout → `Linear(1024, 1000)`，
# 把最后一层换成 1024 → 2。`model.features.requires_grad_(False)` 冻结特征层：它们不再求梯度，
# 优化器也只拿到仍然需要梯度的那些参数。

# %% [markdown] lang="en"
# ## Freeze the backbone, put on a two-class head
#
# Again, use the weights only if their file is cached; otherwise the backbone is random (what that means shows
# below). MobileNetV3-Small's classifier is `Linear(576, 1024)` → Hardswish → Dropout → `Linear(1024, 1000)`;
# the last layer becomes 1024 → 2. `model.features.requires_grad_(False)` freezes the feature layers: they get
# no gradients, and the optimizer gets only the parameters that still require them.

# %%
mobilenet_cached = weights_file(mobilenet_weights).exists()
print(f"{mobilenet_cached=}")
torch.manual_seed(0)  # zh: 新的分类头是随机初始化的 | en: the new head starts random
model = torchvision.models.mobilenet_v3_small(weights=mobilenet_weights if mobilenet_cached else None)
model.features.requires_grad_(False)
model.classifier[3] = nn.Linear(1024, 2)
print(model.classifier)
trainable = [p for p in model.parameters() if p.requires_grad]
trainable_parameters = sum(p.numel() for p in trainable)
total_parameters = sum(p.numel() for p in model.parameters())
print(f"{trainable_parameters=:,} {total_parameters=:,}")

# %% [markdown] lang="zh"
# ## 训练两轮
#
# 和第 19 课同样的循环：训练、在验证集上评估，每轮打印一行。优化器用 Adam，学习率 1e-3，只交给分类头的参数。

# %% [markdown] lang="en"
# ## Two epochs of training
#
# The same loop as lesson 19: train, evaluate on the validation set, one line per epoch. The optimizer is Adam
# at lr 1e-3, given the head's parameters only.

# %%
train_dataloader = DataLoader(train_dataset, batch_size=16, shuffle=True)  # imgs (16, 3, 112, 112), targets (16,)
val_dataloader = DataLoader(val_dataset, batch_size=16)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(trainable, lr=1e-3)

history = []
for epoch in range(1, 3):
    model.train()
    train_loss = 0.0
    for imgs, targets in train_dataloader:
        outputs = model(imgs)  # (16, 2)
        loss = loss_fn(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        train_loss += loss.item() * len(targets)

    model.eval()
    val_loss, correct = 0.0, 0
    with torch.no_grad():
        for imgs, targets in val_dataloader:
            outputs = model(imgs)
            val_loss += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(1) == targets).sum().item()
    history.append({"epoch": epoch, "train_loss": train_loss / len(train_dataset),
                    "val_loss": val_loss / len(val_dataset), "val_accuracy": correct / len(val_dataset)})
    print(f"epoch {epoch}: train loss {history[-1]['train_loss']:.4f}, val loss {history[-1]['val_loss']:.4f}, "
          f"val accuracy {history[-1]['val_accuracy']:.1%}")

# %% [markdown] lang="zh"
# ## 没有预训练权重时学到了什么
#
# 主干是**随机**权重时（`mobilenet_cached=False`），验证准确率停在瞎猜的 50%，验证损失停在 ln 2 ≈ 0.693 附近，
# 也就是五五开乱猜的损失。原因是：没训练过的 MobileNet 在评估模式下输出的特征几乎全是 0，
# 新的分类头对每张图看到的几乎是同一个输入。下面把验证图片的特征拿出来看一眼。
# 这正说明了预训练的意义——分类头再好，也只能在下面那些特征的基础上工作。
# 把 `mobilenet_v3_small-047dcff4.pth` 放进上面说的缓存目录再运行一次，就是在真正的 ImageNet 特征上微调了。
#
# 还有一点要留意：`requires_grad_(False)` 冻结的只是权重。`model.train()` 模式下，主干里 BatchNorm
# 的滑动均值和方差照样会随数据更新；主干是预训练权重时，想让它完全不变，就要让主干保持 `eval()`。

# %% [markdown] lang="en"
# ## What a backbone without pretrained weights learns
#
# With a **random** backbone (`mobilenet_cached=False`) the validation accuracy stays at chance, 50 %, and the
# validation loss near ln 2 ≈ 0.693, the loss of a 50/50 guess. The reason: an untrained MobileNet's features
# shrink to almost nothing in evaluation mode, so the new head sees nearly the same input for every image. The
# cell below looks at the validation images' features. That is the point of pretraining — the head can only be as
# good as the features under it. Put `mobilenet_v3_small-047dcff4.pth` in the cache folder above and run again
# to fine-tune on real ImageNet features.
#
# One more detail: `requires_grad_(False)` freezes the weights only. In `model.train()` mode the running mean
# and variance of the backbone's BatchNorm layers still follow the data; with a pretrained backbone, keep it in
# `eval()` to leave it exactly as it was.

# %%
import math

# zh: imgs 还是上面验证集的最后一批：40 = 16 + 16 + 8 张
# en: imgs is still the validation set's last batch: 40 = 16 + 16 + 8 images
with torch.no_grad():
    # zh: 分类头看到的输入
    # en: what the head sees
    features = model.avgpool(model.features(imgs)).flatten(1)  # (8, 576)
print(features.shape)
feature_size = features.abs().max().item()
print(f"{feature_size=:.2e} ln2={math.log(2):.4f}")
