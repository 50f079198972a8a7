# %% [markdown] lang="zh"
# # 第 20 课 用训练好的模型给任意图片分类：课程的 test.py
#
# 预测就是从一个图片文件出发，把训练时的预处理重走一遍：打开图片、转成 RGB、缩放到模型的输入尺寸 32×32、
# 变成 [0, 1] 的张量、加上批次维度变成 (1, 3, 32, 32)，然后在 `eval()` 模式、不计算梯度的情况下跑模型，
# 取分数最高的那个类别。这一课先原样运行课程的 test.py，再看它容易出错的几个地方：
# 照片不是正方形时怎么缩放、带透明通道的 PNG 和灰度图、加载整个模型，以及预测和训练的预处理是否一致；
# 最后和 torchstart 自己的 `torchstart predict` 逐个概率对照。

# %% [markdown] lang="en"
# # Lesson 20 Classify any image with a trained model: the course's test.py
#
# Prediction replays training's preprocessing starting from an image file: open it, make it RGB, resize it to the
# model's input size 32×32, turn it into a tensor in [0, 1], add a batch dimension to get (1, 3, 32, 32), run the
# model in `eval()` mode without gradients, and take the class with the highest score. This lesson first runs the
# course's test.py as written, then looks at where it goes wrong easily: photos that are not square, PNGs with
# transparency and grayscale images, loading a whole model, and whether prediction prepares images the way
# training did; last, it compares it probability by probability with torchstart's own `torchstart predict`.

# %% [markdown] lang="zh"
# ## 先要有一个训练好的模型
#
# 课程的 test.py 加载的是 train.py（第 19 课）训练出的模型。这里如果当前文件夹里还没有检查点，就先训练一个：
# 用 torchstart 的 `train`（也就是 `torchstart train` 命令背后的函数），课程的模型，按 torchstart 调好的配方
# （`fast`）训练 3 轮；只是不做标准化，输入和课程一样是 `ToTensor` 的 [0, 1]，这样 test.py 的预处理正好适用。
# 不用课程自己的配方，是因为它在 2,000 张图上训练几秒钟几乎学不到东西，每张图的概率都差不多，什么区别都看不出来。
# 想用自己训练的模型，把 `checkpoint_path` 改成它的 `best.pt` 就行。

# %% [markdown] lang="en"
# ## First, a trained model
#
# The course's test.py loads the model its train.py (lesson 19) trained. Here, when the current folder has no
# checkpoint yet, one is trained first with torchstart's `train` (the function behind the `torchstart train`
# command): the course's model, 3 epochs of torchstart's tuned recipe (`fast`), but without standardisation, so its
# inputs are `ToTensor`'s [0, 1] as in the course and test.py's preprocessing fits it. Not the course's own recipe:
# a few seconds of it on 2,000 images teach the model almost nothing, every image gets nearly the same
# probabilities, and no difference would show. To use your own model, point `checkpoint_path` at its `best.pt`.

# %%
from pathlib import Path

import torchstart

checkpoint_path = Path("run/checkpoints/best.pt")
trained_here = not checkpoint_path.exists()
if trained_here:
    config = torchstart.with_overrides(torchstart.recipe("fast"), epochs=3, normalize=False, out=Path("run"),
                                         quiet=True)
    result = torchstart.train(config, on_epoch=lambda record: print(
        f"epoch {record.epoch}/3: test accuracy {record.test_accuracy:.1%}"))
    checkpoint_path = result.best_checkpoint
print(checkpoint_path, f"{trained_here=}")

# %% [markdown] lang="zh"
# ## 课程的 test.py
#
# 下面就是课程的 test.py，图片换成了样本里的一张蚂蚁照片（224×150，不是正方形）。
# 只有加载模型这一步不同：课程用 `torch.load` 加载整个模型，这里先照课程写出 `Tudui` 类，
# 再从检查点里读出权重 `load_state_dict`（为什么，见下一节）。

# %% [markdown] lang="en"
# ## The course's test.py
#
# Below is the course's test.py, with one of the sample's ant photos (224×150, not square) as its image. Only
# loading differs: the course `torch.load`s a whole model, here the `Tudui` class is written out as in the course
# and the weights are read from the checkpoint with `load_state_dict` (the next section says why).

# %%
import torch
import torchvision
from PIL import Image
from torch import nn

image_path = Path(torchstart.sample("hymenoptera")) / "val" / "ants" / "1124525276_816a07c17f.jpg"
image = Image.open(image_path)
print(image.mode, image.size)
image = image.convert("RGB")
transform = torchvision.transforms.Compose([torchvision.transforms.Resize((32, 32)),
                                            torchvision.transforms.ToTensor()])
image = transform(image)
print(image.shape)  # (3, 32, 32)


class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, 1, 2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 5, 1, 2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, 1, 2),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 64),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.model(x)


# zh: 课程：model = torch.load("tudui_29_gpu.pth", map_location=torch.device("cpu"))，加载整个模型；
# zh: 这里读检查点：权重和元数据（类别名、归一化、缩放方式），weights_only=True 只读数据、不执行代码
# en: the course: model = torch.load("tudui_29_gpu.pth", map_location=torch.device("cpu")), a whole model;
# en: here a checkpoint: weights and metadata (class names, normalisation, resizing); weights_only=True reads data only
checkpoint = torch.load(checkpoint_path, map_location=torch.device("cpu"), weights_only=True)
model = Tudui()
model.load_state_dict(checkpoint["model_state"])
print(model)
image = torch.reshape(image, (1, 3, 32, 32))
model.eval()
with torch.no_grad():
    output = model(image)
print(output)
print(output.argmax(1))

# %% [markdown] lang="zh"
# ## 为什么不加载整个模型
#
# `torch.save(model, ...)` 把整个模型用 pickle 存下来，加载时要重建任意 Python 对象。从 torch 2.6 起，
# `torch.load` 默认 `weights_only=True`，只肯读张量、数字、字符串这类数据，课程那一行加载整个模型就会报
# `UnpicklingError`；而把保护关掉（`weights_only=False`），文件里藏着的代码就可能被执行。
# 所以只存权重（`state_dict`）和必要的元数据，加载时先建模型、再 `load_state_dict`——第 17 课专门讲这件事。

# %% [markdown] lang="en"
# ## Why not load a whole model
#
# `torch.save(model, ...)` pickles the whole model, and loading it must rebuild arbitrary Python objects. Since
# torch 2.6, `torch.load` defaults to `weights_only=True` and reads only data such as tensors, numbers and strings,
# so the course's line that loads a whole model raises `UnpicklingError`; and turning the guard off
# (`weights_only=False`) may run code hidden in the file. So save the weights (`state_dict`) and the metadata you
# need, and load by building the model first, then `load_state_dict` — lesson 17 is about exactly this.

# %% [markdown] lang="zh"
# ## 分数变成概率：蚂蚁不是 CIFAR-10 的类别
#
# 输出的 10 个数是分数（logits），`softmax` 把它们变成加起来等于 1 的概率。蚂蚁不属于 CIFAR-10 的任何一类，
# 可模型还是得从它认识的 10 类里挑一个——softmax 从来不会说“都不是”，它只能把全部概率分给这十类。

# %% [markdown] lang="en"
# ## Scores into probabilities: an ant is not a CIFAR-10 class
#
# The 10 outputs are scores (logits); `softmax` turns them into probabilities that add up to 1. An ant is none of
# CIFAR-10's classes, yet the model must still pick one of the 10 it knows — softmax never says "none of these";
# it can only spread all of the probability over the ten classes.

# %%
classes = checkpoint["classes"]
probabilities = torch.softmax(output, dim=1)[0]  # (10,)
answer = classes[output.argmax(1).item()]
probability = probabilities.max().item()
print(f"{answer=} {probability=:.1%} sum={probabilities.sum().item():.4f}")

# %% [markdown] lang="zh"
# ## 不是正方形的照片：压扁还是裁剪
#
# `Resize((32, 32))` 给的是高和宽两个数，所以 224×150 的照片被直接**压扁**成 32×32，而不是裁剪。
# 只给一个数的 `Resize(32)` 把短边缩到 32、保持比例，再用 `CenterCrop(32)` 裁出中间的正方形——ImageNet 的模型
# 习惯这样做（第 16 课的 `weights.transforms()` 就是）。输入不一样了，概率也会变。
# 按课程方式训练的 CIFAR-10 模型，检查点里记的缩放方式是 `"squash"`（压扁），和 test.py 一样。

# %% [markdown] lang="en"
# ## A photo that is not square: squash or crop
#
# `Resize((32, 32))` is given both height and width, so the 224×150 photo is **squashed** into 32×32, not cropped.
# `Resize(32)`, given one number, scales the shorter side to 32 keeping the proportions, and `CenterCrop(32)` cuts
# out the centre square — what ImageNet models expect (lesson 16's `weights.transforms()` does this). That is
# another input, so the probabilities move. A CIFAR-10 model trained the course's way records `"squash"` as its
# way to resize, the same as test.py.

# %%
crop = torchvision.transforms.Compose([torchvision.transforms.Resize(32), torchvision.transforms.CenterCrop(32),
                                       torchvision.transforms.ToTensor()])
cropped = crop(Image.open(image_path).convert("RGB")).unsqueeze(0)  # (1, 3, 32, 32)
with torch.no_grad():
    crop_probabilities = torch.softmax(model(cropped), dim=1)[0]
crop_answer = classes[crop_probabilities.argmax().item()]
crop_difference = (crop_probabilities - probabilities).abs().max().item()
print(f"{checkpoint['resize']=} {crop_answer=} {crop_difference=:.1%}")

# %% [markdown] lang="zh"
# ## 带透明通道的 PNG 和灰度图
#
# 把一张 CIFAR-10 测试图（类别是飞机）分别存成 RGB、RGBA（带透明通道）和灰度三种 PNG。不转成 RGB 的话，
# `ToTensor` 对 RGBA 给出 4 个通道、对灰度图给出 1 个通道，模型的第一层卷积要的是 3 个通道，直接报错。
# 课程的 test.py 里那一行 `image.convert("RGB")` 就是为了这个。

# %% [markdown] lang="en"
# ## PNGs with transparency, and grayscale images
#
# One CIFAR-10 test image (an airplane) is saved as three PNGs: RGB, RGBA (with transparency) and grayscale.
# Without a conversion to RGB, `ToTensor` gives 4 channels for RGBA and 1 for grayscale, while the model's first
# convolution wants 3, so it raises. That is what the line `image.convert("RGB")` in the course's test.py is for.

# %%
test_data = torchstart.CIFAR10(torchstart.sample("cifar10"), train=False, download=False)
airplane, label = test_data[0]  # zh: PIL 图片和它的类别编号 | en: a PIL image and its class index
true_class = test_data.classes[label]
paths = ["cifar_rgb.png", "cifar_rgba.png", "cifar_gray.png"]
airplane.save(paths[0])
airplane.convert("RGBA").save(paths[1])  # zh: 4 个通道，透明度全是 255 | en: 4 channels, fully opaque
airplane.convert("L").save(paths[2])  # zh: 1 个通道 | en: 1 channel

to_tensor = torchvision.transforms.ToTensor()
without_convert = {}
for path in paths:
    opened = Image.open(path)
    x = to_tensor(opened).unsqueeze(0)  # (1, C, 32, 32)
    try:
        with torch.no_grad():
            model(x)
        outcome = "works"
    except RuntimeError as err:
        outcome = f"RuntimeError: {str(err).splitlines()[0]}"
    without_convert[path] = (opened.mode, x.shape[1], outcome)
    print(f"{path:15} {opened.mode:5} {tuple(x.shape)} {outcome}")
    # zh: convert("RGB") 之后，三种都是 3 个通道
    # en: after convert("RGB"), all three have 3 channels
    print(f"{'':15} convert('RGB') → {tuple(to_tensor(opened.convert('RGB')).shape)}")

# %% [markdown] lang="zh"
# ## 和 `torchstart predict` 对照
#
# `torchstart predict 检查点 图片…` 背后的函数是 `torchstart.inference.predict_images`。它打开任何模式的图片都先转成
# RGB（透明的像素铺在白底上，手机照片按 EXIF 里的方向转正），按检查点里记的方式缩放和归一化，再输出最可能的几类。
# 下面用它给这三张 PNG 和那张蚂蚁照片分类：RGB 和 RGBA 的结果应当完全一样（透明度全是 255，铺白底不改变任何像素），
# 灰度图也能分类，只是颜色没了，答案可能不同。

# %% [markdown] lang="en"
# ## Next to `torchstart predict`
#
# The function behind `torchstart predict CHECKPOINT IMAGE…` is `torchstart.inference.predict_images`. It opens an
# image of any mode as RGB (transparent pixels laid on white, phone photos turned upright by their EXIF tag),
# resizes and normalises it as the checkpoint records, and lists the most likely classes. Below it classifies the
# three PNGs and the ant photo: RGB and RGBA must agree exactly (fully opaque, so the white background changes no
# pixel), and the grayscale image is classified too — without its colours, perhaps differently.

# %%
from torchstart.inference import predict_images

# zh: 和 test.py 一样在 CPU 上算，概率才能逐位比较
# en: on the CPU like test.py, so probabilities compare digit for digit
guesses = {Path(p.image).name: p.top for p in predict_images(checkpoint_path, paths + [image_path], topk=3,
                                                              device="cpu")}
for name, top in guesses.items():
    print(f"{name:28}", ", ".join(f"{c} {p:.1%}" for c, p in top))


def predict_probabilities(path, resize=None):
    """predict's probabilities for one image, in the checkpoint's class order: (10,)."""
    (prediction,) = predict_images(checkpoint_path, [path], topk=len(classes), device="cpu", resize=resize)
    top = dict(prediction.top)
    return torch.tensor([top[c] for c in classes])


# zh: predict 按检查点记的 "squash" 缩放，和 test.py 逐个概率相同；--resize crop 则是另一个输入
# en: predict resizes by the checkpoint's "squash", test.py's probabilities exactly; --resize crop is another input
predict_difference = (predict_probabilities(image_path) - probabilities).abs().max().item()
predict_crop_difference = (predict_probabilities(image_path, "crop") - probabilities).abs().max().item()
print(f"{predict_difference=:.1e} {predict_crop_difference=:.1e}")

# %% [markdown] lang="zh"
# ## 预测时的张量和训练时的一样吗
#
# 预测时缩放或归一化的方式要是和训练时不同，准确率会悄悄下降，而且不会报错。检查点里存了归一化参数
# （这个模型训练时没做标准化：均值 0、标准差 1）、输入尺寸和缩放方式。把同一张测试图按训练时的方式——直接从
# uint8 数组除以 255——变成张量喂给模型，和 predict 读 PNG 文件得到的概率比一比。

# %% [markdown] lang="en"
# ## Is the prediction tensor the training tensor?
#
# If prediction resizes or normalises differently from training, accuracy quietly drops, with no error. The
# checkpoint stores the normalisation (this model trained without standardisation: mean 0, std 1), the input size
# and the way to resize. Feed the model the same test image the way training saw it — straight from the uint8
# array, divided by 255 — and compare with the probabilities predict gets from the PNG file.

# %%
print(checkpoint["normalization"], checkpoint["input_size"])
mean = torch.tensor(checkpoint["normalization"]["mean"]).view(1, 3, 1, 1)
std = torch.tensor(checkpoint["normalization"]["std"]).view(1, 3, 1, 1)
x = torch.from_numpy(test_data.data[0]).permute(2, 0, 1).float().div(255).unsqueeze(0)  # (1, 3, 32, 32)
with torch.no_grad():
    direct = torch.softmax(model((x - mean) / std), dim=1)[0]  # (10,)
direct_class = classes[direct.argmax().item()]
max_prob_difference = (predict_probabilities(paths[0]) - direct).abs().max().item()
print(f"{true_class=} {direct_class=} {max_prob_difference=:.1e}")
