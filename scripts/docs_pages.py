"""What scripts/make_docs.py writes into the READMEs and the docs pages that are not chapters (no torch here).

The chapter pages (src/torchstart/course/NN_name/zh.md, en.md) are the lesson scripts executed, made by
scripts/make_pages.py; this module is only about the rest:

    <!-- BEGIN train-output -->   the READMEs: what the main job (`torchstart train`) printed, in each language
    <!-- END train-output -->
    <!-- BEGIN pictures -->       the pictures made from that run, with captions (README, docs/<lang>/share.md)
    <!-- END pictures -->

tests/test_docs_pages.py checks that every picture is on its pages with its caption and that docs/images holds
exactly these pictures, each small.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("zh", "en")
PICTURES = "pictures"  # the marker name
IMAGES = Path("docs") / "images"  # relative to the root of the docs tree
MAX_PICTURE_BYTES = 100_000  # each PNG under docs/images
MAX_TOTAL_BYTES = 1_500_000  # all of them together


def block(text: str, marker: str) -> str | None:
    """The body between `<!-- BEGIN marker -->` and `<!-- END marker -->`, or None when the page has no such block."""
    found = re.search(rf"<!-- BEGIN {marker}\b[^\n]*-->\n(.*?)<!-- END {marker} -->", text, re.S)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Picture:
    file: str  # under docs/images/
    pages: tuple[str, ...]  # "share.md" (under docs/<lang>/) or "README"
    caption: dict[str, str]  # zh, en


def page_path(root: Path, lang: str, page: str) -> Path:
    if page == "README":
        return root / ("README.md" if lang == "zh" else "README.en.md")
    return root / "docs" / lang / page


def pictures_block(pictures: list[Picture], root: Path, lang: str, page: str) -> str:
    """Markdown for the pictures of one page: each image with its caption below it."""
    here = page_path(root, lang, page).parent
    parts = []
    for picture in pictures:
        link = Path(os.path.relpath(root / IMAGES / picture.file, here)).as_posix()
        parts.append(f"![{picture.file}]({link})\n\n*{picture.caption[lang]}*")
    return "\n\n".join(parts)


def with_pictures_block(text: str, body: str) -> str:
    """`text` whose pictures block holds `body` (ValueError when the page has none)."""
    if block(text, PICTURES) is None:
        raise ValueError(f"no <!-- BEGIN {PICTURES} --> … <!-- END {PICTURES} --> block")
    block_text = f"<!-- BEGIN {PICTURES} -->\n{body}\n<!-- END {PICTURES} -->"
    return re.sub(rf"<!-- BEGIN {PICTURES}\b[^\n]*-->\n.*?<!-- END {PICTURES} -->", lambda _m: block_text, text,
                  count=1, flags=re.S)


def image_links(text: str) -> list[str]:
    """The targets of every markdown image in `text`: ![alt](target)."""
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)


TRAIN_COMMAND = "torchstart train"  # the main job, as the README's quick start types it (the embedded sample here)
TRAIN_OUTPUT = "train-output"  # the README block with what it printed
DEMO_PHOTO = ROOT / "src/torchstart/data/samples/hymenoptera/val/bees/2709775832_85b4b50a57.jpg"  # the demo's upload
PICTURE_LIST = [  # only pictures pages outside the chapters show: a chapter makes its own figures/
    Picture("train-curves.png", ("README",), {
        "zh": f"`{TRAIN_COMMAND}` 在内置样例上（主程序，默认的 fast 配方）写出的 `curves.png`：每个 epoch 的训练/测试"
              f"损失和测试准确率。",
        "en": f"The `curves.png` that `{TRAIN_COMMAND}` (the main job, default fast recipe) writes on the embedded "
              f"sample: train and test loss and test accuracy per epoch."}),
    Picture("predict-explain.png", ("share.md",), {
        "zh": f"`torchstart predict best.pt 图片.png --explain 解释.png`，权重来自同一次 `{TRAIN_COMMAND}`，"
              f"图片是内置样例里的一张真实 CIFAR-10 测试图：概率最高的几个类别、Grad-CAM 热力图，以及课程模型"
              f"每个卷积层和池化层之后的特征图（每层前 8 个通道）和形状——每经过一次 MaxPool2d(2)，边长减半。",
        "en": f"`torchstart predict best.pt image.png --explain explain.png` with the weights of the same "
              f"`{TRAIN_COMMAND}` run, on a real CIFAR-10 test image from the embedded sample: the top classes, the "
              f"Grad-CAM heat map, and the course model's feature maps after each conv and pool layer (the first 8 "
              f"channels) with their shapes — every MaxPool2d(2) halves the side."}),
    Picture("demo.png", ("README", "share.md"), {
        "zh": f"`torchstart demo` 打开同一次 `{TRAIN_COMMAND}` 的 `best.pt`，上传内置的一张蜜蜂照片：右边是概率最高的"
              f"几个类别（CIFAR-10 里没有蜜蜂），Grad-CAM 热力图，下面是每层的特征图（无头 Chromium 截图）。",
        "en": f"`torchstart demo` on the `best.pt` of the same `{TRAIN_COMMAND}` run, after uploading an embedded bee "
              f"photo: the top classes (CIFAR-10 has no bees), the Grad-CAM heat map, and each layer's feature maps "
              f"below (a headless Chromium screenshot)."}),
    Picture("course-site.png", ("README",), {
        "zh": "`torchstart docs 9`：离线的课程网站上第 9 课的页面——代码、真实的输出、搜索框和中英文切换"
              "（无头 Chromium 截图）。",
        "en": "`torchstart docs 9`: lesson 9's page on the offline course site — the code, its real output, the "
              "search box and the language switch (a headless Chromium screenshot)."}),
]


def pictures_by_page() -> dict[str, list[Picture]]:
    pages: dict[str, list[Picture]] = {}
    for picture in PICTURE_LIST:
        for page in picture.pages:
            pages.setdefault(page, []).append(picture)
    return pages
