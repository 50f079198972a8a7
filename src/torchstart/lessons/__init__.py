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
from ..i18n import N_, _


@dataclass(frozen=True)
class Lesson:
    number: int
    name: str  # module name under torchstart.lessons and the CLI name
    chapter: str  # the course chapter(s) it follows
    goal: str  # in English, marked for the catalog; `_(lesson.goal)` shows it in the learner's language
    keywords: tuple[str, ...] = ()  # Chinese names a learner may type: `torchstart lesson 卷积`

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
    Lesson(1, "env", "二、十八–二十",
           N_("check torch versions and available accelerators, and compute once on the chosen device"),
           ("环境", "环境配置")),
    Lesson(2, "dir_help", "三", N_("use dir() and help() from code to see what a package holds and how to use it"),
           ("工具函数", "查看帮助")),
    Lesson(3, "dataset", "四",
           N_("write your own Dataset where the folder name is the label; concatenate and load it with a DataLoader"),
           ("加载数据", "数据加载")),
    Lesson(4, "tensorboard", "五",
           N_("log scalars, images, histograms, embeddings and a graph with SummaryWriter, then read them back"),
           ("可视化",)),
    Lesson(5, "opencv", "五.5.1",
           N_("common OpenCV operations, and the BGR/RGB, no-display and non-ASCII-path pitfalls"),
           ("图像操作", "读图")),
    Lesson(6, "transforms", "六", N_("transforms: ToTensor, Normalize, Resize, crops, flips and Compose"),
           ("变换", "图像变换")),
    Lesson(7, "datasets", "七",
           N_("torchvision's CIFAR10 offline: its attributes, transforms and a DataLoader with workers"),
           ("数据集", "数据集与变换")),
    Lesson(8, "module", "八", N_("subclass nn.Module: build layers in __init__, use them in forward"),
           ("神经网络", "模块")),
    Lesson(9, "conv", "九",
           N_("convolution by hand: stride, padding, bias, padding modes, dilation, groups, transposed"),
           ("卷积", "卷积层")),
    Lesson(10, "maxpool", "十", N_("max and average pooling, ceil_mode, and what pooled images look like"),
           ("池化", "最大池化")),
    Lesson(11, "activations", "十一", N_("non-linear activations: ReLU, Sigmoid and Softmax"), ("激活", "非线性激活")),
    Lesson(12, "layers", "十二", N_("other common layers: BatchNorm, Dropout, RNN, Transformer, Embedding, Linear"),
           ("其他层", "线性层", "归一化")),
    Lesson(13, "sequential", "十三",
           N_("build the course's CIFAR-10 model with nn.Sequential and follow the shapes layer by layer"),
           ("序列", "搭建模型")),
    Lesson(14, "losses", "十四", N_("loss functions L1, MSE and cross-entropy, checked against hand-written formulas"),
           ("损失", "损失函数")),
    Lesson(15, "optim", "十五",
           N_("optimisers: the training loop makes the loss fall; SGD, momentum and Adam compared"),
           ("优化器",)),
    Lesson(16, "pretrained", "十六",
           N_("pretrained models: the weights API, changing the head, working offline, a short fine-tune"),
           ("预训练", "预训练模型")),
    Lesson(17, "save_load", "十七", N_("saving and loading models: why a state_dict and not the whole model"),
           ("保存", "保存与加载", "模型保存")),
    Lesson(18, "gpu", "十八–二十", N_("training on a GPU: choosing the device, moving model and data, timing"),
           ("显卡", "GPU训练")),
    Lesson(19, "pipeline", "总体过程", N_("the whole pipeline: train → test → TensorBoard → save"),
           ("完整流程", "训练套路")),
    Lesson(20, "predict", "test.py", N_("classify any image with a trained model"), ("预测", "测试")),
    Lesson(21, "speedrun", "毕业项目", N_("the speedrun: CIFAR-10 from a plain conv/BatchNorm net to 94 %, "
                                          "one trick at a time"), ("速通", "毕业项目", "加速")),
)


def find_lesson(key: str | int) -> Lesson:
    """The lesson with this name, number or Chinese keyword ("conv", "9", 9, "卷积")."""
    text = str(key).strip().lower()
    for lesson in LESSONS:
        if text in (lesson.name, str(lesson.number), f"{lesson.number:02d}", *lesson.keywords):
            return lesson
    names = ", ".join(lesson.name for lesson in LESSONS)
    raise ConfigError(_("there is no lesson {key!r}").format(key=key),
                      _("pick a number 1–{count} or a name: {names}").format(count=len(LESSONS), names=names))


__all__ = ["LESSONS", "Lesson", "find_lesson"]
