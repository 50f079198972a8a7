# %% [markdown] lang="zh"
# # 第 7 课 torchvision 自带的数据集：CIFAR-10、transform 和 DataLoader
#
# 第 3 课我们自己写了一个 `Dataset`。常用的数据集 torchvision 已经替我们写好了，都在 `torchvision.datasets` 里，
# CIFAR-10 就是其中之一：10 个类别的 32×32 彩色小图，训练集 50,000 张，测试集 10,000 张。
# 这一课照课程的写法，用 `transforms.Compose` 把 `ToTensor` 和 `Normalize` 串起来交给 `CIFAR10`，
# 看看课程在调试器里查看的那些属性，再用 `DataLoader` 一批一批地取数据，
# 顺便弄清 `drop_last`、`num_workers` 和 `if __name__ == "__main__":` 各管什么。
#
# 课程写的是 `download=True`，第一次运行要从多伦多大学的服务器下载 170 MB 的压缩包。
# 这里改成读包里自带的一份真实样本（训练集 2,000 张、测试集 500 张），不用联网；想用完整数据集，只要改 `root` 那一行。

# %% [markdown] lang="en"
# # Lesson 7 torchvision's own data sets: CIFAR-10, transforms and the DataLoader
#
# In lesson 3 we wrote a `Dataset` ourselves. torchvision already has the common data sets written for us, in
# `torchvision.datasets`; CIFAR-10 is one of them: 32×32 colour images of 10 classes, 50,000 for training and
# 10,000 for testing. Following the course, this lesson chains `ToTensor` and `Normalize` with
# `transforms.Compose`, hands them to `CIFAR10`, looks at the attributes the course inspects in the debugger,
# and then takes the data batch by batch with a `DataLoader` — and on the way sorts out what `drop_last`,
# `num_workers` and `if __name__ == "__main__":` are for.
#
# The course writes `download=True`, which on the first run fetches a 170 MB archive from a server at the
# University of Toronto. Here we read a real sample inside the package instead (2,000 training and 500 test
# images), offline; for the full data set only the `root` line changes.

# %%
import multiprocessing
import pickle

import matplotlib.pyplot as plt
import torch
import torchvision
import torchvision.transforms as transforms
from torch.utils.data import DataLoader

import torchstart

# %% [markdown] lang="zh"
# ## 数据放在哪里
#
# `CIFAR10(root)` 要找的是 `root` 下面的 `cifar-10-batches-py/` 文件夹，也就是官方压缩包解开后的样子：
# 训练集分成 `data_batch_1` 到 `data_batch_5` 五个文件，测试集是 `test_batch`，类别名在 `batches.meta` 里。

# %% [markdown] lang="en"
# ## Where the data lives
#
# `CIFAR10(root)` looks for the folder `cifar-10-batches-py/` under `root` — the official archive, unpacked: the
# training set in five files `data_batch_1` to `data_batch_5`, the test set in `test_batch`, and the class
# names in `batches.meta`.

# %%
# zh: 课程：root='./dataSet/CIFAR10', download=True。这里换成包里自带的真实样本，离线可用；
# zh: 用完整数据集时写 root = "./dataSet/CIFAR10"（里面是解压好的 cifar-10-batches-py/）
# en: the course: root='./dataSet/CIFAR10', download=True. Here the real sample inside the package, offline;
# en: for the full set write root = "./dataSet/CIFAR10" (holding the unpacked cifar-10-batches-py/)
root = torchstart.sample("cifar10")
print(sorted(path.name for path in (root / "cifar-10-batches-py").iterdir()))

# %% [markdown] lang="zh"
# 这些文件并不神秘：每个都是用 `pickle` 存下来的一个字典，图像在 `"data"` 里，每张图占一行 3072 个字节——
# 先是整张图的红色通道（32×32 = 1024 个数），然后是绿色、蓝色。可以直接打开一个看看。

# %% [markdown] lang="en"
# These files hold no mystery: each is one dictionary saved with `pickle`; the images are in `"data"`, one row
# of 3072 bytes per image — first the whole red channel (32×32 = 1024 numbers), then green, then blue. We can
# open one ourselves.

# %%
with open(root / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
    # zh: 官方文件是 Python 2 写的，字符串要按 latin1 读
    # en: the official files come from Python 2: read their strings as latin1
    batch = pickle.load(f, encoding="latin1")
print(list(batch))
print(batch["data"].shape, batch["data"].dtype)  # (N, 3 · 32 · 32)
print(batch["labels"][:10])

# %% [markdown] lang="zh"
# ## 校验和：“Dataset not found or corrupted”不一定是没有文件
#
# `torchvision.datasets.CIFAR10` 读之前会拿每个文件的 MD5 和官方压缩包里的比对。包里的样本格式完全相同，
# 但图像少、字节不同，所以 torchvision 自带的这个类不认它，报的错和“找不到文件”一模一样。
# 拿到别人转存、重新打包的数据集时，你也会遇到这句报错。

# %% [markdown] lang="en"
# ## Checksums: "Dataset not found or corrupted" does not always mean missing files
#
# Before reading, `torchvision.datasets.CIFAR10` compares each file's MD5 with the official archive's. The
# sample has exactly the same format but fewer images, so other bytes, and torchvision's class as it is refuses
# it — with the very message it gives for missing files. You meet the same message with a data set someone
# converted or re-packed.

# %%
try:
    # zh: 课程写 download=True；校验和对不上时它会去联网下载，这里必须是 False
    # en: the course writes download=True; with checksums that differ it would go online, so False here
    torchvision.datasets.CIFAR10(root, train=True, download=False)
except RuntimeError as err:
    plain_class_error = str(err)
    print("RuntimeError:", plain_class_error)

# %% [markdown] lang="zh"
# ## 课程的代码：transform 和 CIFAR10
#
# `Compose` 把几个变换按顺序串起来：`ToTensor` 把 (高, 宽, 通道) 的 uint8 图片变成 (通道, 高, 宽)、取值在 [0, 1] 的
# float32 张量；`Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))` 再对每个通道算 (x − 0.5) / 0.5，把取值挪到 [−1, 1]。
# `train=True` 读训练集，`train=False` 读测试集。`torchstart.CIFAR10` 就是 torchvision 的 `CIFAR10`，
# 只是也认得样本文件自己的校验和（官方文件照常检查）。

# %% [markdown] lang="en"
# ## The course's code: a transform and CIFAR10
#
# `Compose` chains transforms in order: `ToTensor` turns a (height, width, channel) uint8 image into a float32
# (channel, height, width) tensor in [0, 1]; `Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))` then computes
# (x − 0.5) / 0.5 per channel, which moves the values to [−1, 1]. `train=True` reads the training set,
# `train=False` the test set. `torchstart.CIFAR10` is torchvision's `CIFAR10`, which also accepts the sample
# files' own checksums (official files are checked as usual).

# %%
transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
])

# zh: 课程：torchvision.datasets.CIFAR10(root=..., train=True, download=True, transform=transform)
# en: the course: torchvision.datasets.CIFAR10(root=..., train=True, download=True, transform=transform)
trainset = torchstart.CIFAR10(root=root, train=True, download=False, transform=transform)
testset = torchstart.CIFAR10(root=root, train=False, download=False, transform=transform)
train_data_size = len(trainset)
test_data_size = len(testset)
print(f"{train_data_size=} {test_data_size=}")

# %% [markdown] lang="zh"
# ## 调试器里看到的属性
#
# 课程在调试器里展开 `trainset`，看了这几个属性：`data` 是全部图像，还是存储时的样子——(张数, 高, 宽, 通道) 的
# uint8 数组，transform 要到取出某一项时才做；`classes` 是 10 个类别名，下标就是标签；`targets` 是每张图的标签；
# `class_to_idx` 是“类别名 → 标签”的字典。官方文件里 `targets[0]` 是 6，也就是青蛙（frog）；
# 包里的样本让各类别轮流出现，所以前 10 个标签正好是 0 到 9。

# %% [markdown] lang="en"
# ## The attributes the debugger shows
#
# The course unfolds `trainset` in the debugger and looks at these: `data` is all the images, still as stored —
# a uint8 array of (images, height, width, channel); the transform runs only when an item is taken. `classes`
# holds the 10 class names, indexed by label; `targets` the label of each image; `class_to_idx` maps a class
# name to its label. In the official files `targets[0]` is 6, a frog; the sample takes the classes in turn, so
# its first 10 labels are exactly 0 to 9.

# %%
print(trainset.data.shape, trainset.data.dtype)  # zh: (N, H, W, C)，存储时的样子 | en: (N, H, W, C), as stored
print(trainset.classes)
print(trainset.targets[:10])
print(trainset.class_to_idx)
# zh: 文件里的一行是红、绿、蓝三个平面，换成 (高, 宽, 通道) 就是 .data 的第一张图
# en: a row of the file is the red, green and blue planes; as (height, width, channel) it is .data's first image
first_row = batch["data"][0].reshape(3, 32, 32).transpose(1, 2, 0)  # (3, 32, 32) → (32, 32, 3)
file_matches_data = bool((first_row == trainset.data[0]).all())
print(file_matches_data)

# %%
fig, axes = plt.subplots(1, 10, figsize=(12, 1.8))
for i, ax in enumerate(axes):
    ax.imshow(trainset.data[i])  # zh: (高, 宽, 通道) 的 uint8 可以直接画 | en: (H, W, C) uint8 draws as it is
    ax.set_title(trainset.classes[trainset.targets[i]], fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown] lang="zh"
# ## 取出一项：transform 在这时才做
#
# `trainset[0]` 返回（图像张量, 标签）。为了看清 `Normalize` 做了什么，再对同一张图只做 `ToTensor`：
# 前者的取值在 [0, 1]，后者在 [−1, 1]，而且逐个等于 (x − 0.5) / 0.5。

# %% [markdown] lang="en"
# ## Taking an item: this is when the transform runs
#
# `trainset[0]` returns (image tensor, label). To see what `Normalize` did, the same image also goes through
# `ToTensor` alone: that one lies in [0, 1], the normalised one in [−1, 1], and each value is (x − 0.5) / 0.5.

# %%
img, target = trainset[0]
print(img.shape, img.dtype, target, trainset.classes[target])  # zh: 通道在前 | en: channels first
raw = transforms.ToTensor()(trainset.data[0])  # (3, 32, 32), [0, 1]
image_range = (raw.min().item(), raw.max().item())
normalized_range = (img.min().item(), img.max().item())
print(image_range, normalized_range)
print(torch.allclose(img, (raw - 0.5) / 0.5))

# %% [markdown] lang="zh"
# ## DataLoader：一次取一批
#
# 课程给训练集和测试集各建一个 `DataLoader`：每批 64 张；训练集 `shuffle=True`，每一轮（epoch）都打乱顺序；
# `num_workers=2` 让两个子进程在后台读数据、做 transform，主进程只管用。

# %% [markdown] lang="en"
# ## DataLoader: a batch at a time
#
# The course makes one `DataLoader` for the training set and one for the test set: 64 images per batch;
# `shuffle=True` on the training set, a new order every epoch; `num_workers=2` has two worker processes read the
# data and apply the transform in the background while the main process only uses it.

# %%
trainloader = DataLoader(trainset, batch_size=64, shuffle=True, num_workers=2)
testloader = DataLoader(testset, batch_size=64, shuffle=False, num_workers=2)
print(len(trainloader), len(testloader))  # zh: 批次数 = ⌈张数 / 64⌉ | en: batches = ⌈images / 64⌉

# %% [markdown] lang="zh"
# ## 为什么要写 `if __name__ == "__main__":`
#
# worker 子进程有两种启动方式。Linux 上默认用 fork，直接复制一份主进程；Windows 和 macOS 用 spawn，
# 每个 worker 都是一个全新的 Python，会把你的脚本重新导入一遍。如果遍历 DataLoader 的代码写在脚本最外层，
# 每个 worker 导入时又要去启动自己的 worker，Python 就会停下来报错：“An attempt has been made to start a new
# process before the current process has finished its bootstrapping phase”。
# 把这部分代码放进 `if __name__ == "__main__":` 下面就好：直接运行脚本时 `__name__` 是 `"__main__"`，
# 被 worker 导入时不是。最外层的其余代码在每个 worker 里仍会再运行一遍（用 spawn 时，前面的输出会多打印几次），
# 但不会出错。下面先打印这台机器用的是哪种方式。

# %% [markdown] lang="en"
# ## Why `if __name__ == "__main__":`
#
# Worker processes start in one of two ways. On Linux the default is fork, a copy of the main process; Windows
# and macOS use spawn: every worker is a brand-new Python that imports your script again. If the code that loops
# over the DataLoader sits at the top level of the script, each worker, while importing it, tries to start
# workers of its own, and Python stops with "An attempt has been made to start a new process before the current
# process has finished its bootstrapping phase". Putting that code under `if __name__ == "__main__":` fixes it:
# `__name__` is `"__main__"` when you run the script, and something else when a worker imports it. The rest of
# the top level still runs again in every worker (with spawn, the earlier output is printed a few more times),
# but without an error. First, the way this machine starts them.

# %%
print(multiprocessing.get_start_method())

if __name__ == "__main__":
    batch_sizes = []
    for data in testloader:
        imgs, targets = data
        batch_sizes.append(len(targets))
    print(batch_sizes)  # zh: 500 = 7 · 64 + 52，最后一批不满 | en: 500 = 7 · 64 + 52: the last batch is short

# %% [markdown] lang="zh"
# ## drop_last：最后那一批不满怎么办
#
# 测试集的 500 张不是 64 的整数倍，最后一批只有 52 张。`drop_last=True` 把这不满的一批丢掉：
# 训练时有时想让每一批一样大（例如 BatchNorm 在很小的批次上不稳定），但测试时一般不丢，否则有些图永远测不到。

# %% [markdown] lang="en"
# ## drop_last: what happens to the short last batch
#
# The test set's 500 images are no multiple of 64, so the last batch has only 52. `drop_last=True` drops that
# short batch: in training you sometimes want every batch the same size (BatchNorm, for one, is unsteady on a
# tiny batch), but in testing you normally keep it, or some images are never tested.

# %%
if __name__ == "__main__":
    # zh: drop_last 与 worker 无关，这里在主进程里读（num_workers 默认是 0）
    # en: drop_last has nothing to do with workers: this one loads in the main process (num_workers defaults to 0)
    testloader_drop_last = DataLoader(testset, batch_size=64, shuffle=False, drop_last=True)
    batch_sizes_drop_last = [len(targets) for imgs, targets in testloader_drop_last]
    print(batch_sizes_drop_last)

# %% [markdown] lang="zh"
# ## worker 只管“谁来读”，不管“读出什么”
#
# 打乱的顺序由主进程用 torch 的随机数生成器决定，worker 只按顺序去读。所以同一个随机种子下，
# `num_workers=2` 和 `num_workers=0`（全在主进程里读）给出的批次完全相同，图像和标签都一样。

# %% [markdown] lang="en"
# ## Workers change who loads, not what is loaded
#
# The main process draws the shuffled order from torch's random generator; the workers only read in that order.
# So with the same seed, `num_workers=2` and `num_workers=0` (all loading in the main process) give exactly the
# same batches, images and labels alike.

# %%
if __name__ == "__main__":
    torch.manual_seed(0)
    with_workers = list(DataLoader(testset, batch_size=64, shuffle=True, num_workers=2))
    torch.manual_seed(0)
    without_workers = list(DataLoader(testset, batch_size=64, shuffle=True, num_workers=0))
    same_as_no_workers = all(torch.equal(a_imgs, b_imgs) and torch.equal(a_targets, b_targets)
                             for (a_imgs, a_targets), (b_imgs, b_targets) in zip(with_workers, without_workers))
    # zh: 第一批的形状 (64, 3, 32, 32)，和打乱后的前 10 个标签
    # en: the first batch's shape (64, 3, 32, 32), and its first 10 shuffled labels
    print(with_workers[0][0].shape, with_workers[0][1][:10])
    print(same_as_no_workers)
