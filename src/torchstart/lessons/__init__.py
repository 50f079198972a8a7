"""The course, chapter by chapter: one runnable module per lesson and the registry that lists them.

The registry below drives `torchstart lessons`, `torchstart lesson NAME|NUMBER`, the docs index
(docs/{zh,en}/lessons/README.md) and the smoke test that runs every lesson.

Every lesson module has the same shape:
  - a docstring with its learning goal in Chinese and English,
  - `run(...) -> Result`: does the chapter's experiment and returns its numbers (a dataclass),
  - `describe(result) -> str`: the result as readable text,
  - `main()`: `python -m torchstart.lessons.NAME` runs it from a shell.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from ..errors import ConfigError


@dataclass(frozen=True)
class Lesson:
    number: int
    name: str  # module name under torchstart.lessons and the CLI name
    chapter: str  # the course chapter(s) it follows
    goal_zh: str
    goal_en: str

    @property
    def module_name(self) -> str:
        return f"{__name__}.{self.name}"

    @property
    def slug(self) -> str:
        """File name stem of the lesson's docs page, e.g. "09-conv"."""
        return f"{self.number:02d}-{self.name}"

    def load(self) -> ModuleType:
        return importlib.import_module(self.module_name)


LESSONS: tuple[Lesson, ...] = (
    Lesson(1, "env", "二、十八–二十", "检查 torch 版本和可用的加速器，并在选中的设备上算一次",
           "check torch versions and available accelerators, and compute once on the chosen device"),
    Lesson(2, "dir_help", "三", "用 dir() 和 help() 在代码里查看一个包里有什么、怎么用",
           "use dir() and help() from code to see what a package holds and how to use it"),
    Lesson(3, "dataset", "四", "自己写 Dataset：文件夹名就是标签；拼接数据集并用 DataLoader 装载",
           "write your own Dataset where the folder name is the label; concatenate and load it with a DataLoader"),
    Lesson(4, "tensorboard", "五", "用 SummaryWriter 记录标量、图像、直方图、嵌入和计算图，再读回来核对",
           "log scalars, images, histograms, embeddings and a graph with SummaryWriter, then read them back"),
    Lesson(5, "opencv", "五.5.1", "OpenCV 常用图像操作，以及 BGR 与 RGB、无显示器、中文路径这些坑",
           "common OpenCV operations, and the BGR/RGB, no-display and non-ASCII-path pitfalls"),
    Lesson(6, "transforms", "六", "transforms：ToTensor、Normalize、Resize、裁剪、翻转与 Compose",
           "transforms: ToTensor, Normalize, Resize, crops, flips and Compose"),
    Lesson(7, "datasets", "七", "torchvision 风格的 CIFAR-10 数据集配合 transform 与 DataLoader",
           "a torchvision-style CIFAR-10 dataset with transforms and a DataLoader"),
    Lesson(8, "module", "八", "继承 nn.Module：在 __init__ 里建层，在 forward 里用它们",
           "subclass nn.Module: build layers in __init__, use them in forward"),
    Lesson(9, "conv", "九", "亲手算一次卷积：步长、填充与输出尺寸公式",
           "compute a convolution by hand: stride, padding and the output-size formula"),
    Lesson(10, "maxpool", "十", "最大池化与 ceil_mode，以及池化后的图像长什么样",
           "max pooling and ceil_mode, and what pooled images look like"),
    Lesson(11, "activations", "十一", "非线性激活：ReLU、Sigmoid 与 Softmax",
           "non-linear activations: ReLU, Sigmoid and Softmax"),
    Lesson(12, "layers", "十二", "其他常用层：BatchNorm、Dropout、RNN、Transformer、Embedding、Linear",
           "other common layers: BatchNorm, Dropout, RNN, Transformer, Embedding, Linear"),
    Lesson(13, "sequential", "十三", "用 nn.Sequential 搭出课程的 CIFAR-10 模型并逐层看形状",
           "build the course's CIFAR-10 model with nn.Sequential and follow the shapes layer by layer"),
    Lesson(14, "losses", "十四", "损失函数 L1、MSE、交叉熵，并与手写公式对照",
           "loss functions L1, MSE and cross-entropy, checked against hand-written formulas"),
    Lesson(15, "optim", "十五", "优化器：训练循环让损失下降；比较 SGD、动量与 Adam",
           "optimisers: the training loop makes the loss fall; SGD, momentum and Adam compared"),
    Lesson(16, "pretrained", "十六", "预训练模型：weights 接口、修改分类头、离线时怎么办、小规模微调",
           "pretrained models: the weights API, changing the head, working offline, a short fine-tune"),
    Lesson(17, "save_load", "十七", "保存与加载模型：为什么用 state_dict 而不是整个模型",
           "saving and loading models: why a state_dict and not the whole model"),
    Lesson(18, "gpu", "十八–二十", "在 GPU 上训练：选设备、搬模型和数据、计时",
           "training on a GPU: choosing the device, moving model and data, timing"),
    Lesson(19, "pipeline", "总体过程", "完整流程：训练 → 测试 → TensorBoard → 保存",
           "the whole pipeline: train → test → TensorBoard → save"),
    Lesson(20, "predict", "test.py", "用训练好的模型给任意图片分类",
           "classify any image with a trained model"),
)


def find_lesson(key: str | int) -> Lesson:
    """The lesson with this name or number ("conv", "9", 9)."""
    text = str(key).strip().lower()
    for lesson in LESSONS:
        if text in (lesson.name, str(lesson.number), f"{lesson.number:02d}"):
            return lesson
    names = ", ".join(lesson.name for lesson in LESSONS)
    raise ConfigError(f"there is no lesson {key!r}", f"pick a number 1–{len(LESSONS)} or a name: {names}")


__all__ = ["LESSONS", "Lesson", "find_lesson"]
