# %% [markdown] lang="zh"
# # 第 3 课 自己写 Dataset：文件夹名就是标签
#
# PyTorch 读数据靠两个类：`Dataset` 说清楚“一共有多少个样本、第 i 个是什么”，`DataLoader` 把样本打乱、分批、
# 交给模型。这一课先用课程里只有 8 个数的小例子看 `DataLoader` 怎样分批，再照着课程给蚂蚁/蜜蜂数据集写一个 Dataset：
# 图片放在哪个文件夹，标签就是那个文件夹的名字。最后看真实数据里的几个坑：非 RGB 的图片、PIL 图片组不成批次、
# 以及 `num_workers > 0` 需要的 `if __name__ == "__main__":`。

# %% [markdown] lang="en"
# # Lesson 3 Your own Dataset: the folder name is the label
#
# PyTorch reads data through two classes: a `Dataset` says how many samples there are and what sample i is; a
# `DataLoader` shuffles them, cuts them into batches and hands them to the model. This lesson first watches a
# `DataLoader` batch the course's 8 numbers, then writes the course's Dataset for the ants/bees data, where the
# label of an image is the name of its folder. Last come a few pitfalls of real data: images that are not RGB,
# PIL images that cannot be batched, and the `if __name__ == "__main__":` that `num_workers > 0` needs.

# %%
import os
from collections import Counter

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms

import torchstart

# %% [markdown] lang="zh"
# ## 课程的小例子：8 个数，每批 3 个
#
# `CustomDataset` 只包着一个列表：`__len__` 返回列表长度，`__getitem__(index)` 返回第 index 个数。
# 8 不能被 3 整除，所以前两批各 3 个数，最后一批只剩 2 个；加上 `drop_last=True`，最后那个不满的批次就被丢掉。
# 每一批都是一个张量（`DataLoader` 把几个整数叠成了一维张量），用 `.tolist()` 变回列表打印。
#
# 课程写的是 `shuffle=True, num_workers=2`。这里先用 `shuffle=False`，每次运行看到的批次都一样，一眼就能看出是怎么切的；
# 再单独用 `shuffle=True` 跑一次（固定了随机种子）：批的大小不变，只是数字的顺序被打乱了——训练时每一轮都会重新打乱一次。
# 8 个数用不着子进程，`num_workers` 留到下面读图片时再用。

# %% [markdown] lang="en"
# ## The course's toy example: 8 numbers, 3 per batch
#
# `CustomDataset` wraps a list: `__len__` returns its length and `__getitem__(index)` its index-th number.
# 8 is not a multiple of 3, so the first two batches hold 3 numbers and the last one only 2; with
# `drop_last=True` that short last batch is dropped. Each batch is a tensor (the `DataLoader` stacks the
# integers into a 1-D tensor); `.tolist()` turns it back into a list to print.
#
# The course writes `shuffle=True, num_workers=2`. Here `shuffle=False` comes first, so every run shows the same
# batches and you see at a glance how they are cut; then one run with `shuffle=True` (seeded): the batch sizes
# stay, only the order of the numbers is mixed — in training that happens anew every epoch. Eight numbers need
# no worker processes; `num_workers` comes below, where images are decoded.


# %%
class CustomDataset(Dataset):
    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self.data[index]


data = [1, 2, 3, 4, 5, 6, 7, 8]
dataset = CustomDataset(data)
toy_length = len(dataset)
# zh: 课程：shuffle=True, num_workers=2；这里先不打乱，好看清楚怎么分批
# en: the course: shuffle=True, num_workers=2; no shuffle first, to see how the batches are cut
dataloader = DataLoader(dataset, batch_size=3, shuffle=False)
toy_batches = [batch.tolist() for batch in dataloader]
toy_batches_drop_last = [batch.tolist() for batch in DataLoader(dataset, batch_size=3, drop_last=True)]
# zh: 固定种子的生成器：打乱的顺序每次运行都一样
# en: a seeded generator: the shuffled order is the same on every run
generator = torch.Generator().manual_seed(0)
shuffled = DataLoader(dataset, batch_size=3, shuffle=True, generator=generator)
toy_batches_shuffled = [batch.tolist() for batch in shuffled]
print(f"{toy_length=}")
print(f"{toy_batches=}")
print(f"{toy_batches_drop_last=}")
print(f"{toy_batches_shuffled=}")

# %% [markdown] lang="zh"
# ## 蚂蚁和蜜蜂：文件夹名就是标签
#
# 课程的蚂蚁/蜜蜂数据集（hymenoptera_data）把每一类放在单独的文件夹里：`train/ants` 里都是蚂蚁，
# `train/bees` 里都是蜜蜂。所以 `MyData(root_dir, label_dir)` 只要列出 `root_dir/label_dir` 里的文件：
# 第 index 个样本就是第 index 张图片，标签就是 `label_dir`。数据来自包里自带的样本（训练集 40 + 40 张），不用联网；
# 换成完整数据集，只要把 `root` 那一行改成它的文件夹（124 + 121 = 245 张）。
#
# 和课程的代码比，有三处改动，都在注释里写明了：`os.listdir` 返回的顺序在不同机器上可能不一样，所以排个序；
# 文件夹里有一张调色板模式（P）的 GIF，所以每张图都转成 RGB；多了一个 `transform` 参数，下面组批时要用。

# %% [markdown] lang="en"
# ## Ants and bees: the label is the folder name
#
# The course's ants/bees data (hymenoptera_data) keeps each class in its own folder: `train/ants` holds ants,
# `train/bees` bees. So `MyData(root_dir, label_dir)` only has to list the files of `root_dir/label_dir`: sample
# index is the index-th image and its label is `label_dir`. The data is the sample inside the package (40 + 40
# training images), offline; for the full set, change the `root` line to its folder (124 + 121 = 245 images).
#
# Three changes from the course's code, each commented: `os.listdir` may list files in a different order on
# another machine, so sort it; the folder holds a palette (P) GIF, so every image is converted to RGB; and
# a `transform` argument, needed below to make batches.


# %%
class MyData(Dataset):
    # zh: 比课程多了一个 transform 参数，下面组批时要用
    # en: one argument more than the course, transform: used below to make batches
    def __init__(self, root_dir, label_dir, transform=None):
        self.root_dir = root_dir
        self.label_dir = label_dir
        self.path = os.path.join(root_dir, label_dir)
        self.img_names = sorted(os.listdir(self.path))  # zh: 排序：每台机器顺序一样 | en: sorted: same order anywhere
        self.transform = transform

    def __getitem__(self, index):
        img_name = self.img_names[index]
        img_item_path = os.path.join(self.path, img_name)
        img = Image.open(img_item_path).convert("RGB")  # zh: GIF 是 P 模式，统一转成 RGB | en: the GIF is mode P
        if self.transform is not None:
            img = self.transform(img)
        label = self.label_dir
        return img, label

    def __len__(self):
        return len(self.img_names)


# zh: 包里自带的蚂蚁/蜜蜂样本；完整数据集就换成它的文件夹，比如 root = "hymenoptera_data"
# en: the ants/bees sample inside the package; for the full set, its folder, e.g. root = "hymenoptera_data"
root = torchstart.sample("hymenoptera")
root_dir = os.path.join(root, "train")
ants_label_dir = "ants"
bees_label_dir = "bees"
ants_dataset = MyData(root_dir, ants_label_dir)
bees_dataset = MyData(root_dir, bees_label_dir)
# zh: Dataset 的 + 得到 ConcatDataset：先是蚂蚁，再是蜜蜂
# en: + on Datasets gives a ConcatDataset: the ants, then the bees
train_dataset = ants_dataset + bees_dataset
img, label = train_dataset[0]
first_label, first_size = label, img.size  # (width, height)
ants_size, bees_size, train_size = len(ants_dataset), len(bees_dataset), len(train_dataset)
print(f"{ants_size=} {bees_size=} {train_size=}")
print(img.mode, img.size, label)

# %% [markdown] lang="zh"
# ## 坑一：文件夹里不全是 RGB 的 JPEG
#
# 不转换直接 `Image.open`，看看磁盘上的图片都是什么模式：其中有一张调色板模式（P）的 GIF（`imageNotFound.gif`）。
# 课程的代码原样返回它，之后 `ToTensor` 只得到一个通道，和别的三通道图片组不成一个批次。`MyData` 把每张图都转成了 RGB。

# %% [markdown] lang="en"
# ## Pitfall 1: not every file is an RGB JPEG
#
# `Image.open` without conversion shows the modes the files are stored in: one is a palette (P) GIF
# (`imageNotFound.gif`). The course's code hands it on as it is; `ToTensor` then gives one channel, which does not
# batch with the three-channel images. `MyData` converts every image to RGB.

# %%
modes_on_disk = Counter()
for part in [ants_dataset, bees_dataset]:
    for name in part.img_names:
        with Image.open(os.path.join(part.path, name)) as image:
            modes_on_disk[image.mode] += 1
modes_returned = sorted({image.mode for image, label in train_dataset})
print(dict(modes_on_disk), modes_returned)

# %% [markdown] lang="zh"
# ## 坑二：DataLoader 没法把 PIL 图片组成批次
#
# 课程把 PIL 图片交给 `DataLoader` 之后，循环的其实是 Dataset 而不是 DataLoader，所以没出错。真从 DataLoader 取一批，
# 就会报错：组批（`default_collate`）只认张量、NumPy 数组、数字、字典和列表。解决办法是给 Dataset 一个 transform：
# `Resize` 把每张图缩成同样大小，`ToTensor` 把它变成 (3, 64, 64) 的张量，取值在 [0, 1]。
# 这样一批就是一个 (8, 3, 64, 64) 的张量；字符串标签没法叠成张量，被收集成一个元组。

# %% [markdown] lang="en"
# ## Pitfall 2: a DataLoader cannot batch PIL images
#
# The course gives PIL images to a `DataLoader`, then loops over the Dataset, not the loader, so nothing fails.
# Take one batch from the loader and it does: batching (`default_collate`) only knows tensors, NumPy arrays,
# numbers, dicts and lists. The fix is a transform on the Dataset: `Resize` makes every image the same size and
# `ToTensor` turns it into a (3, 64, 64) tensor with values in [0, 1]. A batch is then one (8, 3, 64, 64) tensor;
# the string labels cannot be stacked into a tensor and are collected into a tuple.

# %%
try:
    next(iter(DataLoader(train_dataset, batch_size=8)))
    collate_error = ""
except TypeError as err:
    collate_error = str(err).splitlines()[0]
print(collate_error)

to_tensor = transforms.Compose([transforms.Resize((64, 64)), transforms.ToTensor()])
train_tensors = MyData(root_dir, ants_label_dir, to_tensor) + MyData(root_dir, bees_label_dir, to_tensor)
# zh: 课程：DataLoader(train_dataset, shuffle=True)；固定种子，每次运行打印的是同一批
# en: the course: DataLoader(train_dataset, shuffle=True); seeded, so every run prints the same batch
train_dataloader = DataLoader(train_tensors, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
imgs, labels = next(iter(train_dataloader))
print(imgs.shape)  # (8, 3, 64, 64)
print(labels)

# %% [markdown] lang="zh"
# ## 坑三：num_workers 和 `if __name__ == "__main__":`
#
# `num_workers=2` 让两个子进程并行解码图片。Windows 和 macOS 用 spawn 方式启动子进程：每个子进程都会重新导入你的脚本
# （Linux 上 Python 3.14 起默认的 forkserver 也会导入一次），所以遍历 DataLoader 的代码必须写在
# `if __name__ == "__main__":` 下面，否则会报一个关于 bootstrapping 的 RuntimeError。守卫之外的代码会在子进程里
# 再跑一遍，所以在这些系统上，上面那些 print 的输出会多出现几次。子进程还要重新找到 Dataset 的类，
# 而在 notebook 里定义的类它找不到，所以这里用 torchvision 的 `ImageFolder`：它就是一次处理所有类别文件夹的 `MyData`，
# 标签是类别的序号。顺便会发现它只找到 79 张：`ImageFolder` 只收它认识的扩展名（.jpg、.png 等，没有 .gif），
# 那张 GIF 被悄悄跳过了。

# %% [markdown] lang="en"
# ## Pitfall 3: num_workers and `if __name__ == "__main__":`
#
# `num_workers=2` has two worker processes decode images in parallel. Windows and macOS start workers with
# spawn: each one imports your script again (on Linux, the forkserver that Python 3.14 makes the default imports
# it once too), so the code that loops over the loader must sit under `if __name__ == "__main__":`, or you get a
# RuntimeError about bootstrapping. The code outside the guard runs again in the worker processes, so on those
# systems the prints above show up more than once. A worker must also find the Dataset's class again, and it
# cannot find one defined in a notebook; so this uses torchvision's `ImageFolder`, which is `MyData` for every
# class folder at once, with the class's index as the label. It finds 79 images, not 80: `ImageFolder` only takes
# the extensions it knows (.jpg, .png, …, no .gif), so the GIF is quietly left out.

# %%
if __name__ == "__main__":
    image_folder = datasets.ImageFolder(root_dir, transform=to_tensor)
    workers = DataLoader(image_folder, batch_size=8, num_workers=2)
    worker_images = sum(len(imgs) for imgs, targets in workers)
    start_method = torch.multiprocessing.get_start_method()  # zh: Linux 上是 fork | en: fork on Linux
    print(image_folder.classes, len(image_folder))  # zh: 没有那张 GIF | en: without the GIF
    print(f"{worker_images=} {start_method=}")
