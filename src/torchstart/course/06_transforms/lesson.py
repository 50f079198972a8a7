# %% [markdown] lang="zh"
# # 第 6 课 transforms：把图片变成网络要的张量
#
# 网络要的输入是 (C, H, W) 的浮点张量，而我们手里是一张张图片。`torchvision.transforms` 负责这一步，
# 还能顺便改尺寸、裁剪、翻转。这一课在蚂蚁照片上把课程这一章的变换逐个用一遍：
# `ToTensor`、`Normalize`、`Resize`、`CenterCrop`、`RandomCrop`、两种翻转，再用 `Compose` 串起来，
# 每一步的结果都像课程一样写进 TensorBoard。
#
# 也会核对课程里的三个说法：课程的 `Compose` 少了一步，直接用会报错；`Normalize(0.5, 0.5)` 并不会让均值变成 0.5；
# 课程的 `Normalize` 写了四个 0.5，是因为它的图是带透明通道的 PNG。最后看一看新的 `transforms.v2` 怎么写。

# %% [markdown] lang="en"
# # Lesson 6 transforms: turning pictures into the tensors a network wants
#
# A network wants a float tensor shaped (C, H, W); what we have are pictures. `torchvision.transforms` makes
# that step, and can resize, crop and flip on the way. This lesson applies each transform of the chapter to the
# ant photo in turn — `ToTensor`, `Normalize`, `Resize`, `CenterCrop`, `RandomCrop`, the two flips — chains them
# with `Compose`, and writes every result to TensorBoard as the course does.
#
# It also checks three things the course says: its `Compose` misses a step and fails as written;
# `Normalize(0.5, 0.5)` does not make the mean 0.5; and the course's `Normalize` has four 0.5s because its
# picture is a PNG with a transparency channel. Last comes the newer `transforms.v2` spelling.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.tensorboard import SummaryWriter
from torchvision import transforms
from torchvision.transforms import InterpolationMode, v2

import torchstart

# zh: 包里自带的蚂蚁/蜜蜂样本；用完整数据集就换成它的文件夹，比如 root = Path("hymenoptera_data")
# en: the ants/bees sample in the package; for the full set, its folder, e.g. root = Path("hymenoptera_data")
root = torchstart.sample("hymenoptera")
img_path = root / "train" / "ants" / "0013035.jpg"
img = Image.open(img_path)
print(img.mode, img.size)  # zh: Pillow 的 size 是 (宽, 高) | en: Pillow's size is (width, height)

writer = SummaryWriter("logs")

# %% [markdown] lang="zh"
# ## ToTensor：(H, W, C) 的 0–255 → (C, H, W) 的 [0, 1]
#
# `ToTensor` 做两件事：把通道放到最前面，(H, W, C) 变成 (C, H, W)；把 0–255 的整数除以 255，变成 [0, 1] 的 float32。
# 转成张量以后，写进 TensorBoard 就不用再写 `dataformats` 了（CHW 是默认格式）。

# %% [markdown] lang="en"
# ## ToTensor: (H, W, C) in 0–255 → (C, H, W) in [0, 1]
#
# `ToTensor` does two things: it moves the channels to the front, (H, W, C) → (C, H, W), and divides the 0–255
# integers by 255 into float32 in [0, 1]. As a tensor, the image goes into TensorBoard without `dataformats`
# (CHW is the default).

# %%
trans_toTensor = transforms.ToTensor()
img_tensor = trans_toTensor(img)
print(img_tensor.shape, img_tensor.dtype, img_tensor.min().item(), img_tensor.max().item())  # (3, H, W) float32
writer.add_image("ToTensor", img_tensor)

# %% [markdown] lang="zh"
# ## Normalize：每个通道 (x − mean) / std
#
# `Normalize(mean, std)` 对每个通道算 (x − mean) / std。课程用的 mean 和 std 都是 0.5：
# (x − 0.5) / 0.5 = 2x − 1，把 [0, 1] 映射到 [−1, 1]。

# %% [markdown] lang="en"
# ## Normalize: (x − mean) / std per channel
#
# `Normalize(mean, std)` computes (x − mean) / std for every channel. The course uses 0.5 for both:
# (x − 0.5) / 0.5 = 2x − 1 maps [0, 1] onto [−1, 1].

# %%
# zh: 课程写了四个 0.5，因为它的 testImg.png 有 4 个通道（RGBA，见本课后面）；这张 JPEG 是 RGB，写三个
# en: the course writes four 0.5s because its testImg.png has 4 channels (RGBA, see below); this JPEG is RGB: three
trans_norm = transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
img_norm = trans_norm(img_tensor)
print(img_norm.min().item(), img_norm.max().item())  # zh: 在 [−1, 1] 里 | en: within [−1, 1]
writer.add_image("Normalize", img_norm)

# %% [markdown] lang="zh"
# 课程说这样 `Normalize` 之后每个通道的均值变成 0.5、标准差变成 0.5。并不是：每个像素都变成 2x − 1，
# 所以一个通道的均值 m 变成 2m − 1，标准差 s 变成 2s，具体是多少取决于照片本身。
# 想让每个通道的均值是 0、标准差是 1（也就是“标准化”），要传入数据自己的均值和标准差。
# 训练时用的是整个训练集的均值和标准差（比如下面课程 `Compose` 里 ImageNet 的那组数），而不是每张图自己的。

# %% [markdown] lang="en"
# The course says that after this `Normalize` every channel has mean 0.5 and std 0.5. It does not: every pixel
# becomes 2x − 1, so a channel's mean m becomes 2m − 1 and its std s becomes 2s — whatever the photo makes them.
# To get mean 0 and std 1 per channel ("standardising") you pass the data's own mean and std. In training
# those are the mean and std of the whole training set (such as ImageNet's values in the course's `Compose`
# below), not of each image.

# %%
mean, std = img_tensor.mean(dim=(1, 2)), img_tensor.std(dim=(1, 2))  # zh: 每个通道 R, G, B | en: per channel R, G, B
half_mean, half_std = img_norm.mean(dim=(1, 2)), img_norm.std(dim=(1, 2))
print("ToTensor:            mean", mean, "std", std)
print("Normalize(0.5, 0.5): mean", half_mean, "std", half_std)
print("2m − 1 and 2s:            ", 2 * mean - 1, "    ", 2 * std)

img_own = transforms.Normalize(mean, std)(img_tensor)
own_mean, own_std = img_own.mean(dim=(1, 2)), img_own.std(dim=(1, 2))
# zh: 四舍五入到 3 位；+ 0.0 把 -0.0 变成 0.0
# en: rounded to 3 decimals; + 0.0 turns -0.0 into 0.0
print("Normalize(own mean, own std): mean", own_mean.round(decimals=3) + 0.0, "std", own_std.round(decimals=3))

# %% [markdown] lang="zh"
# ## Resize：改尺寸
#
# `Resize((512, 512))` 给一个 (高, 宽)，图就变成正好这么大，长宽比不管；`Resize(100)` 只给一个数，
# 短边变成 100，长边按比例缩放。经典接口里 `Resize` 收 PIL 图也返回 PIL 图，所以后面再接一个 `ToTensor`。

# %% [markdown] lang="en"
# ## Resize: changing the size
#
# `Resize((512, 512))` takes (height, width) and makes the image exactly that size, aspect ratio or not;
# `Resize(100)` with one number makes the short side 100 and scales the long side with it. In the classic API
# `Resize` takes a PIL image and returns one, so a `ToTensor` follows.

# %%
trans_resize = transforms.Resize((512, 512))
img_resize = trans_resize(img)  # zh: PIL 进，PIL 出 | en: PIL in, PIL out
img_resize_tensor = trans_toTensor(img_resize)
writer.add_image("Resize", img_resize_tensor)
img_short = trans_toTensor(transforms.Resize(100)(img))
print(img_resize_tensor.shape, img_short.shape)  # (3, 512, 512) (3, 100, 150)

# %% [markdown] lang="zh"
# 缩放要从旧像素算出新像素，怎么算叫插值。`Resize` 默认用双线性插值（对 PIL 图还会抗锯齿：缩小时先把一小块像素平均），
# `InterpolationMode.NEAREST` 直接取最近的那个原像素，什么都不平均。把照片缩到课程 test.py 用的 32×32，
# 两种方法尺寸一样，但每个像素平均差几个灰度级，最多能差一百多；放进 TensorBoard 看，最近邻那张是一格一格的。

# %% [markdown] lang="en"
# Resizing computes new pixels from the old ones; how is the interpolation. `Resize` uses bilinear
# interpolation by default (antialiased for PIL images: when shrinking it first averages each patch of pixels);
# `InterpolationMode.NEAREST` takes the nearest source pixel and averages nothing. Shrunk to the 32×32 of the
# course's test.py, both give the same size, but pixels differ by a few levels on average and by over a
# hundred at most; in TensorBoard the nearest one looks blocky.

# %%
img_bilinear = trans_toTensor(transforms.Resize((32, 32))(img))
img_nearest = trans_toTensor(transforms.Resize((32, 32), interpolation=InterpolationMode.NEAREST)(img))
# zh: 两者的值都是 k / 255，乘 255 就是整数的灰度级
# en: both hold values k / 255: times 255 they are whole levels
levels = ((img_bilinear - img_nearest).abs() * 255).round()
bilinear_vs_nearest_mean, bilinear_vs_nearest_max = levels.mean().item(), int(levels.max())
print(img_bilinear.shape, f"{bilinear_vs_nearest_mean=:.1f} {bilinear_vs_nearest_max=}")
writer.add_image("Resize_bilinear", img_bilinear)
writer.add_image("Resize_nearest", img_nearest)

# %% [markdown] lang="zh"
# ## 裁剪和翻转
#
# `CenterCrop` 取正中间的一块，`RandomCrop` 在随机位置取一块（固定随机种子，每次取到同一块）。
# 裁剪也能直接用在张量上。`RandomCrop.get_params` 告诉我们它抽到的左上角，可以自己用切片核对。
#
# 随机翻转默认只有一半的概率翻转；写 `p=1.0` 让它每次都翻，才能和 `torch.flip` 比较：
# 水平翻转就是把宽那一维（dims=[2]）倒过来，垂直翻转是高那一维（dims=[1]）。

# %% [markdown] lang="en"
# ## Crops and flips
#
# `CenterCrop` takes the window in the middle, `RandomCrop` a window at a random place (seeded here, so the same
# one every run). Crops work on tensors too. `RandomCrop.get_params` tells us the top-left corner it draws, so
# we can check it with a slice ourselves.
#
# The random flips flip only half of the time; `p=1.0` makes them flip every time, so they can be compared
# with `torch.flip`: a horizontal flip reverses the width axis (dims=[2]), a vertical flip the height (dims=[1]).

# %%
img_center = transforms.CenterCrop((100, 100))(img_tensor)  # (3, 100, 100)
writer.add_image("CenterCrop", img_center)

torch.manual_seed(0)
top, left, crop_height, crop_width = transforms.RandomCrop.get_params(img_tensor, (64, 64))
torch.manual_seed(0)  # zh: 同一个种子：RandomCrop 抽到同一个位置 | en: the same seed: RandomCrop draws the same corner
img_random = transforms.RandomCrop((64, 64))(img_tensor)
random_crop_corner = (top, left)
print(img_random.shape, f"{random_crop_corner=}", torch.equal(img_random, img_tensor[:, top:top + 64, left:left + 64]))
writer.add_image("RandomCrop", img_random)

img_hflip = transforms.RandomHorizontalFlip(p=1.0)(img_tensor)
img_vflip = transforms.RandomVerticalFlip(p=1.0)(img_tensor)
hflip_equals_torch_flip = torch.equal(img_hflip, torch.flip(img_tensor, dims=[2]))
vflip_equals_torch_flip = torch.equal(img_vflip, torch.flip(img_tensor, dims=[1]))
print(f"{hflip_equals_torch_flip=} {vflip_equals_torch_flip=}")
writer.add_image("HorizontalFlip", img_hflip)
writer.add_image("VerticalFlip", img_vflip)

# %% [markdown] lang="zh"
# ## Compose：几步串成一步
#
# `Compose` 按顺序依次调用列表里的变换。顺序要对：经典接口里 `ToTensor` 只收 PIL 图（或 NumPy 数组），
# `Normalize` 只收张量，所以先做 PIL 上的变换（缩放、裁剪、翻转），再 `ToTensor`，最后 `Normalize`。

# %% [markdown] lang="en"
# ## Compose: several steps as one
#
# `Compose` calls the transforms of its list in order. The order matters: in the classic API `ToTensor` takes
# only PIL images (or NumPy arrays) and `Normalize` only tensors, so first the transforms on the PIL image
# (resize, crop, flip), then `ToTensor`, then `Normalize`.

# %%
trans_compose = transforms.Compose([transforms.Resize(32), transforms.ToTensor(),
                                    transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])])
img_compose = trans_compose(img)
print(img_compose.shape, img_compose.min().item(), img_compose.max().item())  # (3, 32, 48), [−1, 1]
writer.add_image("Compose", img_compose)

# %% [markdown] lang="zh"
# 课程介绍 `Compose` 时的例子是下面这样（mean 和 std 是在 ImageNet 的图片上量出来的）。照原样用在
# `Image.open` 得到的 PIL 图上会报 `TypeError`：`Resize` 和 `RandomHorizontalFlip` 收 PIL 图，`Normalize` 只收张量。
# 在 `Normalize` 前面补上 `ToTensor()` 就好了。

# %% [markdown] lang="en"
# Where the course introduces `Compose`, its example is the one below (the means and stds were measured on
# ImageNet's images). Used as written on a PIL image from `Image.open` it raises a `TypeError`: `Resize` and
# `RandomHorizontalFlip` take PIL images, `Normalize` only tensors. Adding `ToTensor()` before `Normalize` fixes
# it.

# %%
transform = transforms.Compose([
    transforms.Resize((224, 224)),
    transforms.RandomHorizontalFlip(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])
try:
    transform(img)
except TypeError as err:
    course_compose_error = str(err)
    print("TypeError:", course_compose_error)

transform = transforms.Compose([
    transforms.Resize((224, 224)),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),  # zh: 课程漏掉的一步 | en: the step the course misses
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])
img_fixed = transform(img)
print(img_fixed.shape, img_fixed.min().item(), img_fixed.max().item())

# %% [markdown] lang="zh"
# ## 透明的 PNG：4 个通道
#
# 课程的 `Normalize` 写了四个 0.5，原因在它用的 testImg.png：截图和很多网上的图是 RGBA，多一个透明通道（alpha），
# `ToTensor` 得到 4 个通道。这里把蚂蚁照片存成一张从左（全透明）到右（不透明）渐变的 RGBA PNG 来复现。
# 三个值的 `Normalize` 在 4 个通道上报错；课程换成四个值，这一步是能跑了，可下一层 `Conv2d(3, …)` 只收 3 个通道，
# 照样报错。正确的做法是一开始就把图变成 RGB：把透明的像素铺在白底上，和看图软件显示的一样
# （`.convert("RGB")` 也行，只是直接丢掉 alpha，透明处露出底下原本的颜色）。

# %% [markdown] lang="en"
# ## The transparent PNG: 4 channels
#
# The course's `Normalize` has four 0.5s because of its testImg.png: screenshots and many web images are RGBA,
# with a transparency channel (alpha), and `ToTensor` gives 4 channels. We reproduce it by saving the ant photo
# as an RGBA PNG fading from transparent (left) to opaque (right). A 3-value `Normalize` fails on 4 channels;
# the course's four values make that step run, but the next `Conv2d(3, …)` takes 3 channels and fails all the
# same. The fix is to make the image RGB first: lay the transparent pixels over white, as an image viewer shows
# them (`.convert("RGB")` works too, but simply drops the alpha and shows whatever colour lies underneath).

# %%
rgb = np.asarray(img)  # (H, W, 3) uint8
alpha = np.broadcast_to(np.linspace(0, 255, rgb.shape[1]).astype(np.uint8), rgb.shape[:2])  # (H, W): 0 → 255
Image.fromarray(np.dstack([rgb, alpha])).save("ant_rgba.png")  # zh: (H, W, 4) 即 RGBA | en: (H, W, 4) is RGBA

png = Image.open("ant_rgba.png")
png_tensor = trans_toTensor(png)
print(png.mode, png_tensor.shape)  # RGBA (4, H, W)
try:
    trans_norm(png_tensor)
except RuntimeError as err:
    rgba_normalize_error = str(err)
    print("RuntimeError:", rgba_normalize_error)

# zh: 课程的写法：四个值
# en: the course's way: four values
four = transforms.Normalize([0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5])(png_tensor)
try:
    nn.Conv2d(3, 32, 5)(four.unsqueeze(0))  # zh: 模型要 3 个通道 | en: the model wants 3 channels
except RuntimeError as err:
    four_channel_conv_error = str(err)
    print("RuntimeError:", four_channel_conv_error)

# zh: 铺在白底上
# en: over white
png_rgb = Image.alpha_composite(Image.new("RGBA", png.size, "white"), png).convert("RGB")
rgb_tensor = trans_norm(trans_toTensor(png_rgb))
print(png_rgb.mode, rgb_tensor.shape)  # RGB (3, H, W)
writer.add_image("RGBA_as_RGB", rgb_tensor)

# %% [markdown] lang="zh"
# ## transforms.v2
#
# 新版 torchvision 推荐用 `torchvision.transforms.v2`：名字基本一样，还能让框和掩码跟着图一起变换。
# 只有 `ToTensor` 拆成了两步：`ToImage()` 管形状，`ToDtype(torch.float32, scale=True)` 管类型和除以 255。
#
# | 经典接口 | v2 |
# |---|---|
# | `ToTensor()` | `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])` |
# | `Normalize(mean, std)` | `v2.Normalize(mean, std)` |
# | `Resize(size)`、`CenterCrop(size)` | `v2.Resize(size)`、`v2.CenterCrop(size)` |
# | `RandomCrop(size)` | `v2.RandomCrop(size)` |
# | `RandomHorizontalFlip(p)`、`RandomVerticalFlip(p)` | `v2.RandomHorizontalFlip(p)`、`v2.RandomVerticalFlip(p)` |
# | `Compose([...])` | `v2.Compose([...])` |
#
# 核对一下两套接口给出的数相同（差别在 1e-7 左右，是浮点舍入）。

# %% [markdown] lang="en"
# ## transforms.v2
#
# Newer torchvision recommends `torchvision.transforms.v2`: mostly the same names, and it also moves boxes and
# masks along with the image. Only `ToTensor` is split in two: `ToImage()` for the layout and
# `ToDtype(torch.float32, scale=True)` for the dtype and the division by 255.
#
# | classic | v2 |
# |---|---|
# | `ToTensor()` | `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])` |
# | `Normalize(mean, std)` | `v2.Normalize(mean, std)` |
# | `Resize(size)`, `CenterCrop(size)` | `v2.Resize(size)`, `v2.CenterCrop(size)` |
# | `RandomCrop(size)` | `v2.RandomCrop(size)` |
# | `RandomHorizontalFlip(p)`, `RandomVerticalFlip(p)` | `v2.RandomHorizontalFlip(p)`, `v2.RandomVerticalFlip(p)` |
# | `Compose([...])` | `v2.Compose([...])` |
#
# Let us check that both give the same numbers (differences around 1e-7 are float rounding).

# %%
v2_to_tensor = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
img_v2 = v2_to_tensor(img)
v2_to_tensor_diff = (img_v2 - img_tensor).abs().max().item()
v2_normalize_diff = (v2.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])(img_v2) - img_norm).abs().max().item()
print(f"{v2_to_tensor_diff=:.1e} {v2_normalize_diff=:.1e}")

pairs = {"Resize((512, 512))": (transforms.Resize((512, 512)), v2.Resize((512, 512))),
         "CenterCrop(100)": (transforms.CenterCrop(100), v2.CenterCrop(100)),
         "RandomHorizontalFlip(p=1.0)": (transforms.RandomHorizontalFlip(p=1.0), v2.RandomHorizontalFlip(p=1.0)),
         "RandomVerticalFlip(p=1.0)": (transforms.RandomVerticalFlip(p=1.0), v2.RandomVerticalFlip(p=1.0))}
v2_differences = {name: (new(img_tensor) - old(img_tensor)).abs().max().item() for name, (old, new) in pairs.items()}
print(v2_differences)

# %% [markdown] lang="zh"
# ## 在 TensorBoard 里看
#
# 关掉 writer，运行 `tensorboard --logdir logs` 就能看到上面写的每张图。下面用 matplotlib 画出同样的图。
# 注意 `Normalize` 那几张看起来又暗又硬：浮点图写进 TensorBoard 时乘 255 再截到 0–255，小于 0 的值全变成黑色。
# 这只是显示的问题，张量本身没问题。

# %% [markdown] lang="en"
# ## In TensorBoard
#
# Close the writer and run `tensorboard --logdir logs` to see every image written above. Below, matplotlib
# draws the same pictures. The `Normalize` ones look dark and harsh: a float image is multiplied by 255 and
# clipped to 0–255 on its way into TensorBoard, so every value below 0 turns black. That is the display; the
# tensor is fine.

# %%
writer.close()

shown = {"ToTensor": img_tensor, "Normalize": img_norm, "Resize": img_resize_tensor, "CenterCrop": img_center,
         "RandomCrop": img_random, "HorizontalFlip": img_hflip, "VerticalFlip": img_vflip, "Compose": img_compose,
         "RGBA_as_RGB": rgb_tensor, "Resize_bilinear": img_bilinear, "Resize_nearest": img_nearest}
shapes = {name: tuple(tensor.shape) for name, tensor in shown.items()}
print(shapes)

fig, axes = plt.subplots(2, 6, figsize=(14, 5))
for ax, (name, tensor) in zip(axes.flat, shown.items()):
    # zh: (C, H, W) → (H, W, C)，像 TensorBoard 一样截到 [0, 1]
    # en: (C, H, W) → (H, W, C), clipped to [0, 1] as TensorBoard does
    ax.imshow(tensor.permute(1, 2, 0).clamp(0, 1).numpy())
    ax.set_title(name, fontsize=9)
for ax in axes.flat:
    ax.axis("off")
plt.show()
