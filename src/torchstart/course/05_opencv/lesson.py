# %% [markdown] lang="zh"
# # 第 5 课 OpenCV：读图、改像素和常用的图像操作
#
# 写进 TensorBoard 之前，课程先介绍了 OpenCV（`pip install opencv-python`，`import cv2`）。
# OpenCV 读进来的图就是一个 NumPy 数组，形状 (高, 宽, 3)，类型 uint8。这一课在蚂蚁照片上把课程列出的
# 常用操作都跑一遍：读写像素、灰度和 HSV、均值模糊和高斯模糊、Canny 边缘、腐蚀和膨胀、开运算和闭运算、缩放、
# 旋转和保存，看每个结果的形状和类型，再把它们拼成一张对照图。
#
# 一路上还有几个课程没细说、但一定会踩到的坑：通道顺序是 B、G、R；下标先写 y 再写 x；
# 没有显示器时不能 `cv2.imshow`；读写失败不报错；Windows 上路径有中文时读不出来。

# %% [markdown] lang="en"
# # Lesson 5 OpenCV: reading an image, its pixels, and everyday image operations
#
# Before writing images to TensorBoard the course introduces OpenCV (`pip install opencv-python`,
# `import cv2`). An image from OpenCV is simply a NumPy array shaped (height, width, 3) of uint8. This lesson
# runs the course's list of everyday operations on the ant photo — reading and setting pixels, grayscale and
# HSV, box and Gaussian blur, Canny edges, erosion and dilation, opening and closing, resizing, rotating and
# saving — looks at the shape and type of each result, and lays them all out on one contact sheet.
#
# On the way come the traps the course passes over but everyone meets: the channels are B, G, R; the index
# is y before x; `cv2.imshow` needs a display; failed reads and writes raise nothing; and on Windows a path
# with Chinese characters cannot be read.

# %%
import shutil
import sys
from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

import torchstart

# %% [markdown] lang="zh"
# ## 读图：让 Python 打开文件，OpenCV 只管解码
#
# 课程用 `cv2.imread(path)` 读图。它有两个坑：读不到时不报错，只返回 `None`（后面的代码才莫名其妙地出错）；
# 在 Windows 上，它把路径交给只认系统代码页的 C 代码，文件名里有中文就读不出来。
# 下面两个小函数绕开这两个坑：`np.fromfile` 由 Python 打开任何路径，`cv2.imdecode` 只解码字节；
# 解码失败时直接报错，写明是哪个文件。本课后面都用它们，最后再演示课程的写法在哪里会出问题。

# %% [markdown] lang="en"
# ## Reading: Python opens the file, OpenCV only decodes it
#
# The course reads with `cv2.imread(path)`. It has two traps: when it cannot read, it returns `None` instead
# of raising (and some later line fails for no clear reason); and on Windows it hands the path to C code that
# only knows the system code page, so a file name with Chinese characters cannot be read. The two small
# functions below avoid both: `np.fromfile` lets Python open any path, `cv2.imdecode` only decodes the bytes,
# and a failure raises an error naming the file. The lesson uses them throughout and shows at the end where
# the course's calls go wrong.


# %%
def imread(path):
    """The image at `path` as OpenCV's BGR uint8 array (H, W, 3); raises instead of returning None."""
    image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"OpenCV could not decode {path}")
    return image


def imwrite(path, image):
    """Encode `image` in the format of the path's suffix and write it; raises instead of returning False."""
    ok, encoded = cv2.imencode(Path(path).suffix, image)
    if not ok:
        raise ValueError(f"OpenCV could not encode an image as {Path(path).suffix}")
    encoded.tofile(path)


# zh: 包里自带的蚂蚁/蜜蜂样本；用完整数据集就换成它的文件夹，比如 root = Path("hymenoptera_data")
# en: the ants/bees sample in the package; for the full set, its folder, e.g. root = Path("hymenoptera_data")
root = torchstart.sample("hymenoptera")
img_path = root / "train" / "ants" / "0013035.jpg"
image = imread(img_path)  # zh: 课程：image = cv2.imread(img_path) | en: the course: image = cv2.imread(img_path)
height, width, channels = image.shape
print(image.shape, image.dtype)  # (H, W, C) uint8

# %% [markdown] lang="zh"
# ## 读一个像素：先 y 后 x，顺序是 B、G、R
#
# 数组的下标先写行号 y（从上往下数），再写列号 x（从左往右数），所以一个像素是 `image[y, x]`，
# 它的三个数按 B、G、R 排列。用 Pillow 读同一个文件对照一下：Pillow 的 `getpixel((x, y))` 反过来先要 x，
# 给出的是 R、G、B，同一个像素的三个数正好倒过来。

# %% [markdown] lang="en"
# ## Reading one pixel: y before x, channels B, G, R
#
# An array index takes the row y first (counted from the top), then the column x (from the left), so a pixel
# is `image[y, x]`, its three numbers in B, G, R order. Compare with Pillow reading the same file: its
# `getpixel((x, y))` wants x first and gives R, G, B, so the same pixel's numbers come reversed.

# %%
y, x = height // 3, width * 4 // 5  # zh: 右侧三分之一高处 | en: a third of the way down, towards the right
pixel_value = image[y, x]
print(f"{y=} {x=}", pixel_value)  # B, G, R
with Image.open(img_path) as pil_image:
    pil_rgb = pil_image.convert("RGB").getpixel((x, y))  # zh: Pillow：先 x 后 y | en: Pillow: x first
print(pil_rgb)  # R, G, B

# %% [markdown] lang="zh"
# 把坐标写反是最常见的错误。这个像素的 x 比照片的行数还大，`image[x, y]` 直接报 `IndexError`；
# 要是 x 恰好小于行数，它不会报错，而是悄悄读到另一个像素，更难发现。

# %% [markdown] lang="en"
# Swapping the coordinates is the usual slip. This pixel's x is larger than the photo's number of rows, so
# `image[x, y]` raises an `IndexError`; had x been smaller, it would silently read another pixel, which is
# much harder to notice.

# %%
try:
    print(image[x, y])
except IndexError as err:
    swapped_error = str(err)
    print("IndexError:", swapped_error)

# zh: x 小于行数（149）时不报错：image[100, 60] 悄悄读到另一个像素
# en: with x below the number of rows (149) nothing is raised: image[100, 60] is silently another pixel
print(image[60, 100], image[100, 60])

# %% [markdown] lang="zh"
# ## 改一个像素
#
# 改像素也是下标赋值。因为顺序是 B、G、R，`(0, 0, 255)` 是 B=0、G=0、R=255，也就是红色；
# 课程里的 `image[y, x] = [255, 0, 0]` 其实是蓝色。这里在一份副本上改（原图留给后面的操作），
# 读回来核对，再数一数整张图变了几个像素。

# %% [markdown] lang="en"
# ## Setting one pixel
#
# Setting a pixel is an index assignment too. In B, G, R order `(0, 0, 255)` is B=0, G=0, R=255 — red; the
# course's `image[y, x] = [255, 0, 0]` is in fact blue. We paint a copy (the original is kept for the
# operations below), read the pixel back, and count how many pixels of the image changed.

# %%
painted = image.copy()
painted[y, x] = (0, 0, 255)  # zh: 红色 | en: red
changed = int((painted != image).any(axis=2).sum())  # zh: 任一通道变了就算 | en: any channel changed
print(painted[y, x], f"{changed=}")

# %% [markdown] lang="zh"
# ## 颜色空间：灰度和 HSV
#
# 灰度图只剩一个通道，形状是 (H, W)，每个像素是 0.299·R + 0.587·G + 0.114·B。
# HSV 还是三个通道：色相、饱和度、亮度。色相本来是 0–360 度，为了装进一个字节，OpenCV 存的是度数除以 2，即 0–179。

# %% [markdown] lang="en"
# ## Colour spaces: grayscale and HSV
#
# A grayscale image has one channel left, shaped (H, W); each pixel is 0.299·R + 0.587·G + 0.114·B. HSV keeps
# three channels: hue, saturation, value. Hue is an angle of 0–360 degrees; to fit it into a byte OpenCV stores
# degrees / 2, so 0–179.

# %%
gray_image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)  # (H, W)
hsv_image = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)  # (H, W, 3)
hue_max = int(hsv_image[..., 0].max())
print(gray_image.shape, hsv_image.shape, f"{hue_max=}")

# %% [markdown] lang="zh"
# ## 模糊和边缘
#
# 均值滤波把每个像素换成它周围 5×5 个像素的平均；高斯滤波也是加权平均，离中心越近权重越大
# （标准差写 0，OpenCV 按核的大小自己算）。Canny 找出亮度变化大的地方，结果只有两种值：边缘上是 255，其余是 0。

# %% [markdown] lang="en"
# ## Blurs and edges
#
# A box blur replaces every pixel by the mean of the 5×5 pixels around it; a Gaussian blur is a weighted mean
# that weighs the centre most (sigma 0: OpenCV derives it from the kernel size). Canny finds where brightness
# changes sharply; its result holds two values only: 255 on an edge, 0 elsewhere.

# %%
blurred_image = cv2.blur(image, (5, 5))  # zh: (5, 5) 是核的大小 | en: (5, 5) is the kernel size
gaussian_blurred_image = cv2.GaussianBlur(image, (5, 5), 0)
# zh: 课程把彩色图直接交给 Canny；通常先转成灰度图再找边缘
# en: the course passes the colour image to Canny; the usual way is to find edges on the grayscale image
edges = cv2.Canny(gray_image, 100, 200)
canny_values = np.unique(edges).tolist()
print(edges.shape, f"{canny_values=}")

# %% [markdown] lang="zh"
# ## 形态学操作：腐蚀、膨胀、开、闭
#
# 用一个 5×5 全是 1 的核：腐蚀取每个 5×5 邻域的最小值，亮的地方变小；膨胀取最大值，亮的地方变大。
# 开运算是先腐蚀再膨胀，去掉小的亮点；闭运算是先膨胀再腐蚀，填上小的暗洞。

# %% [markdown] lang="en"
# ## Morphology: erode, dilate, open, close
#
# With a 5×5 kernel of ones, erosion takes the minimum of every 5×5 neighbourhood (bright areas shrink) and
# dilation the maximum (bright areas grow). Opening is erosion then dilation and removes small bright specks;
# closing is dilation then erosion and fills small dark holes.

# %%
kernel = np.ones((5, 5), np.uint8)
eroded_image = cv2.erode(image, kernel, iterations=1)
dilated_image = cv2.dilate(image, kernel, iterations=1)
opened_image = cv2.morphologyEx(image, cv2.MORPH_OPEN, kernel)
closed_image = cv2.morphologyEx(image, cv2.MORPH_CLOSE, kernel)

# %% [markdown] lang="zh"
# ## 缩放和旋转
#
# 注意 `cv2.resize` 的尺寸参数是 (宽, 高)，而数组的形状是 (高, 宽)，两者正好相反。
# 旋转先用 `getRotationMatrix2D` 算出旋转矩阵（角度单位是度，逆时针），再用 `warpAffine` 画到同样大小的画布上，
# 所以四个角会被裁掉。

# %% [markdown] lang="en"
# ## Resizing and rotating
#
# Mind that `cv2.resize` takes its size as (width, height), while the array's shape is (height, width) — the
# other way round. A rotation first builds the rotation matrix with `getRotationMatrix2D` (angle in degrees,
# anticlockwise), then `warpAffine` draws onto a canvas of the same size, so the corners are cut off.

# %%
resized_image = cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_LINEAR)  # (W, H)!
center = (width // 2, height // 2)
angle = 45
scale = 1
rotation_matrix = cv2.getRotationMatrix2D(center, angle, scale)  # (2, 3)
rotated_image = cv2.warpAffine(image, rotation_matrix, (width, height))
print(resized_image.shape, rotated_image.shape)

# %% [markdown] lang="zh"
# 所有结果的形状和类型一览：都是 uint8；灰度图和 Canny 的结果只有一个通道，缩放后的图是一半大小。

# %% [markdown] lang="en"
# The shape and type of every result: all uint8; the grayscale and Canny results have one channel, the resized
# image is half the size.

# %%
results = {"original": image, "gray": gray_image, "hsv": hsv_image, "blur": blurred_image,
           "gaussian": gaussian_blurred_image, "canny": edges, "erode": eroded_image, "dilate": dilated_image,
           "open": opened_image, "close": closed_image, "half": resized_image, "rotate45": rotated_image}
shapes = {name: result.shape for name, result in results.items()}
dtypes = {name: str(result.dtype) for name, result in results.items()}
for name in results:
    print(f"{name:<10}{str(shapes[name]):<17}{dtypes[name]}")

# %% [markdown] lang="zh"
# ## 保存，以及为什么不用 `cv2.imshow`
#
# 课程用 `cv2.imwrite` 保存结果，用 `cv2.imshow` 开窗口看图。`cv2.imshow` 需要桌面环境：在服务器、Docker
# 或 SSH 里会失败，`opencv-python-headless` 这个包干脆没有窗口功能（报错 "The function is not implemented"）。
# 所以这一课从不调用它，而是把十二个结果拼成一张对照图写成 PNG 文件，自己打开看；
# 在 notebook 里就用 matplotlib 显示——注意要先把 BGR 转成 RGB，matplotlib 和 TensorBoard 一样当它是 RGB。

# %% [markdown] lang="en"
# ## Saving, and why not `cv2.imshow`
#
# The course saves with `cv2.imwrite` and looks at images in a `cv2.imshow` window. `cv2.imshow` needs a
# desktop: on a server, in Docker or over SSH it fails, and the `opencv-python-headless` package has no windows
# at all ("The function is not implemented"). So this lesson never calls it: it lays the twelve results out on
# one contact sheet written as a PNG file you open yourself, and in a notebook shows it with matplotlib — BGR
# turned into RGB first, since matplotlib, like TensorBoard, reads RGB.

# %%
imwrite_ok = cv2.imwrite("rotate45.jpg", rotated_image)  # zh: 课程的写法 | en: the course's call
print(f"{imwrite_ok=}")

label_height = 22  # zh: 每格上方写名字的白条，单位像素 | en: pixels of white strip above each panel for its name
tiles = []
for name, result in results.items():
    bgr = cv2.cvtColor(result, cv2.COLOR_GRAY2BGR) if result.ndim == 2 else result
    tile = np.zeros((height, width, 3), np.uint8)
    tile[:bgr.shape[0], :bgr.shape[1]] = bgr  # zh: 缩小的图放在左上角 | en: the half-size image sits top-left
    label = np.full((label_height, width, 3), 255, np.uint8)
    cv2.putText(label, name, (4, label_height - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    tiles.append(cv2.vconcat([label, tile]))
rows = [cv2.hconcat(tiles[i:i + 4]) for i in range(0, len(tiles), 4)]  # zh: 12 格，每行 4 格 | en: 12 tiles, 4 a row
sheet = cv2.vconcat(rows)
imwrite("contact_sheet.png", sheet)
print(sheet.shape)

plt.figure(figsize=(12, 6))
plt.imshow(cv2.cvtColor(sheet, cv2.COLOR_BGR2RGB))
plt.axis("off")
plt.show()

# %% [markdown] lang="zh"
# ## 是 BGR 不是 RGB
#
# 用 Pillow 读同一个文件得到 RGB 数组，和 OpenCV 的数组逐像素比较：直接比差得很多；
# 用 `image[..., ::-1]` 把最后一维倒过来以后，差值降到 0（如果两个库自带的 JPEG 解码器不同，也就差一两个灰度级）。
# 把 OpenCV 的图交给 torchvision、TensorBoard 或 matplotlib 之前，先把通道翻过来。

# %% [markdown] lang="en"
# ## BGR, not RGB
#
# Pillow reads the same file into an RGB array; compared pixel by pixel with OpenCV's array the difference is
# large, and after `image[..., ::-1]` reverses the last axis it drops to 0 (or a level or two, when the two
# libraries ship different JPEG decoders). Flip the channels before handing an OpenCV image to torchvision,
# TensorBoard or matplotlib.

# %%
# zh: int16：uint8 相减会回绕（3 − 5 = 254）
# en: int16: uint8 subtraction wraps around (3 − 5 = 254)
pil_array = np.asarray(Image.open(img_path).convert("RGB")).astype(np.int16)  # (H, W, 3) R, G, B
bgr_vs_pil = float(np.abs(image.astype(np.int16) - pil_array).mean())
rgb_vs_pil = float(np.abs(image[..., ::-1].astype(np.int16) - pil_array).mean())
print(f"{bgr_vs_pil=:.1f} {rgb_vs_pil=:.2f}")

# %% [markdown] lang="zh"
# ## 失败时不报错
#
# `cv2.imwrite` 写不了时返回 `False`，`cv2.imdecode`（以及 `cv2.imread`）读不了时返回 `None`，都不抛异常。
# 上面的 `imread` 和 `imwrite` 会直接报错，写明是哪个文件。

# %% [markdown] lang="en"
# ## Failures raise nothing
#
# `cv2.imwrite` returns `False` when it cannot write, `cv2.imdecode` (and `cv2.imread`) return `None` when they
# cannot read — no exception. The `imread` and `imwrite` above raise, naming the file.

# %%
print(cv2.imwrite("no_such_folder/rotate45.jpg", rotated_image))  # False
print(cv2.imdecode(np.frombuffer(b"not a jpeg", np.uint8), cv2.IMREAD_COLOR))  # None
Path("broken.jpg").write_bytes(b"not a jpeg")
try:
    imread("broken.jpg")
except ValueError as err:
    print("ValueError:", err)

# %% [markdown] lang="zh"
# ## 路径里有中文
#
# 把照片复制成 `蚂蚁 图片.jpg`（中文加一个空格，正是让文件接口出错的两样东西）。`imread` 读出的像素和原图一样；
# 写也一样：`cv2.imencode` 编码，`tofile` 写到任何路径，无损的 PNG 读回来一模一样。
# 课程的 `cv2.imread` 在 Linux 和 macOS 上一般也能读（那里路径本来就是 UTF-8 字节），
# 在 Windows 上却常常得到 `None`；下面会如实打印在你的机器上是什么结果。

# %% [markdown] lang="en"
# ## Paths with Chinese characters
#
# Copy the photo to `蚂蚁 图片.jpg` (Chinese characters and a space: the two things that trip file APIs up).
# `imread` reads the same pixels as the original; writing works the same way: `cv2.imencode` encodes, `tofile`
# writes to any path, and a lossless PNG reads back identical. The course's `cv2.imread` usually reads such a
# name on Linux and macOS (paths are UTF-8 bytes there) but often gives `None` on Windows; the last line
# prints what it really does on your machine.

# %%
non_ascii_path = Path("蚂蚁 图片.jpg")
shutil.copyfile(img_path, non_ascii_path)
non_ascii_equal = np.array_equal(imread(non_ascii_path), image)
imwrite("图 片.png", image)
png_round_trip = np.array_equal(imread("图 片.png"), image)
plain_imread_ok = cv2.imread(str(non_ascii_path)) is not None  # zh: 课程的写法 | en: the course's call
print(f"{non_ascii_equal=} {png_round_trip=}")
print(f"{sys.platform}: {plain_imread_ok=}")
