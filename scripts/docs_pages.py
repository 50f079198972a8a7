"""What scripts/make_docs.py writes into the pages and how tests/test_docs_pages.py checks it (no torch here).

A lesson page holds two generated blocks:

    <!-- BEGIN output -->     the lesson's printed text (```text), then a sentence saying how it is checked
    <!-- END output -->
    <!-- BEGIN pictures -->   the pictures made from the same runs, with captions (inserted after the output
    <!-- END pictures -->     block when the page has none yet)

Printed paths are normalised (temp folders → runs/docs/<lesson>, the cache → ~/.cache/torchstart, the checkout
→ ~/torchstart, the home folder → ~), so a page does not depend on where the docs were made. A page and a fresh run
are compared line by line: the text exactly, the numbers by the lesson's `Check` (see CHECKS).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("zh", "en")
OUTPUT, PICTURES = "output", "pictures"  # the marker names
IMAGES = Path("docs") / "images"  # relative to the root of the docs tree
SCRIPT = "python scripts/make_docs.py"
SHOWN_RUNS = "runs/docs"  # where the page says a lesson wrote (`--out runs/docs/<lesson>`)
SHOWN_CACHE = "~/.cache/torchstart"  # torchstart's default cache, in place of the temp one
SHOWN_CHECKOUT = "~/torchstart"

PERCENT_POINTS = 3.0  # trained lessons: a percentage may differ by this many points
RELATIVE = 0.03  # trained lessons: another decimal number may differ by this share (3 %)
MAX_PICTURE_BYTES = 100_000  # each PNG under docs/images
MAX_TOTAL_BYTES = 1_500_000  # all of them together
NOISE = 1e-4  # a number printed like 3.7e-09 below this is float rounding: only "still that small" is checked

# A number on its own (not inside a word like conv1, x86_64 or a hash): 2,000 · -0.5 · 3.7e-09 · 34.4%
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?%?(?![A-Za-z0-9_])")
TIME_UNIT = re.compile(r"\s*(?:ms|s|秒|[^\s\d]*/(?:s|秒))(?![A-Za-z])")  # 0.37 s, 3,448 images/s: never compared


@dataclass(frozen=True)
class Check:
    """How a page's output and a fresh run of its lesson are compared; by default every number exactly as printed
    (conv, pooling, losses, shapes, parameter counts), except float rounding noise and times.

    trained: numbers that come out of training (AVX2 and AVX-512 kernels round differently): percentages within
        PERCENT_POINTS, other numbers within RELATIVE (so small whole numbers, such as epochs, exactly).
    machine_lines: the lesson describes the machine it runs on; lines (after the heading) matching one of these
        regexes, in either language, are not compared.
    """

    trained: bool = False
    machine_lines: tuple[str, ...] = ()


DEVICE_WORDS = r"\b(?:cpu|cuda|mps|xpu)\b|CUDA|NVIDIA|nvidia-smi|system_profiler|[Aa]ccelerator|加速"
CHECKS = {
    # how many names dir() lists and how long help() is depend on the Python and torch versions (and on what else
    # is imported: pytest's help(Dataset) is 2 lines longer)
    "dir_help": Check(machine_lines=(r"^dir\((?:math|torch)\)", r"^dir\(torch\.utils\.data\)", r"^\s+BatchSampler, ",
                                     r"^help\(Dataset\)")),
    "env": Check(machine_lines=(DEVICE_WORDS, r"\b(?:python|torch) \d", r"/bin/python|venv|pyenv|CONDA_DEFAULT_ENV")),
    "gpu": Check(trained=True, machine_lines=(DEVICE_WORDS, r"\.cuda\(\)|\.to\(")),
    "optim": Check(trained=True),
    "pretrained": Check(trained=True),
    "pipeline": Check(trained=True),
    "predict": Check(trained=True),
    "speedrun": Check(trained=True),
}


def check_for(lesson_name: str) -> Check:
    return CHECKS.get(lesson_name, Check())


# ---- paths -----------------------------------------------------------------------------------------------------

def path_pattern(path: Path | str) -> str:
    """A regex for `path` as printed, not as part of a longer name (/work/main, not /work/mainline)."""
    return rf"(?<![\w.-]){re.escape(str(path))}(?![\w.-])"


def standard_rules() -> list[tuple[str, str]]:
    """The checkout, the installed package and the home folder, as every page shows them."""
    import torchstart

    package = Path(torchstart.__file__).resolve().parent
    rules = [(path_pattern(package), f"{SHOWN_CHECKOUT}/src/torchstart"), (path_pattern(ROOT), SHOWN_CHECKOUT)]
    return rules + [(path_pattern(Path.home()), "~")]


def normalize(text: str, rules: list[tuple[str, str]]) -> str:
    """`text` with each rule's regex replaced, in order (put longer paths first), and no trailing spaces."""
    for pattern, shown in rules:
        text = re.sub(pattern, lambda _m, s=shown: s, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


# ---- comparing a page with a run --------------------------------------------------------------------------------

def _tokens(line: str) -> tuple[str, list[tuple[str, bool]]]:
    """(the line with each number replaced by #, [(number, is a time)])."""
    numbers = [(m.group(), bool(TIME_UNIT.match(line, m.end()))) for m in NUMBER.finditer(line)]
    return NUMBER.sub("#", line), numbers


def _value(token: str) -> float:
    return float(token.replace(",", "").rstrip("%"))


def numbers_agree(page: str, now: str, check: Check) -> bool:
    if page == now:
        return True
    a, b = _value(page), _value(now)
    if "e" in page.lower() and "e" in now.lower() and abs(a) < NOISE and abs(b) < NOISE:
        return True  # rounding noise on every page: 3.7e-09 on one CPU, 7.5e-09 on another
    if not check.trained or page.endswith("%") != now.endswith("%"):
        return False
    if page.endswith("%"):
        return abs(a - b) <= PERCENT_POINTS
    # a count of correct images moves with the accuracy; a small whole number (an epoch) cannot move by 3 %
    last_digit = 10.0 ** -len(page.split(".")[1].split("e")[0]) if "." in page else 0.0
    return math.isclose(a, b, rel_tol=RELATIVE, abs_tol=last_digit)


def compare(page: str, now: str, check: Check) -> list[str]:
    """Where a page's output and what the lesson prints now disagree (empty: they agree)."""
    machine = [re.compile(p) for p in check.machine_lines]
    keep = [[line for number, line in enumerate(text.splitlines()) if number == 0 or not any(
        p.search(line) for p in machine)] for text in (page, now)]
    problems = []
    if len(keep[0]) != len(keep[1]):
        problems.append(f"the page has {len(keep[0])} lines to compare, the lesson prints {len(keep[1])}")
    for number, (old, new) in enumerate(zip(*keep), 1):
        (old_text, old_numbers), (new_text, new_numbers) = _tokens(old), _tokens(new)
        same = old_text == new_text and len(old_numbers) == len(new_numbers) and all(
            timing or numbers_agree(a, b, check) for (a, timing), (b, _) in zip(old_numbers, new_numbers))
        if not same:
            problems.append(f"line {number}:\n    page: {old}\n    now:  {new}")
    return problems


# ---- the generated blocks ----------------------------------------------------------------------------------------

def block(text: str, marker: str) -> str | None:
    """The body between `<!-- BEGIN marker -->` and `<!-- END marker -->`, or None when the page has no such block."""
    found = re.search(rf"<!-- BEGIN {marker}\b[^\n]*-->\n(.*?)<!-- END {marker} -->", text, re.S)
    return found.group(1) if found else None


def fenced_text(body: str) -> str | None:
    """The text inside the first ``` code block of a generated block."""
    found = re.search(r"^```[a-z]*\n(.*?)^```", body, re.S | re.M)
    return found.group(1).rstrip("\n") if found else None


NOTES = {  # the sentence under a page's output, in parts: always, trained, machine, times, rounding noise
    "zh": ("以上输出由 `{script}` 实际运行本课得到，`tests/test_docs_pages.py` 逐行核对它和本课现在的输出。",
           "训练出来的数在别的 CPU 上会略有不同（AVX2 和 AVX-512 的计算核舍入方式不同），所以你看到的损失和准确率可能"
           "差一点：百分数允许相差 {points:g} 个百分点，其他数允许相差 {relative:g}%，文字必须一致。",
           "本课描述的是运行它的机器（生成文档的机器只有 CPU）：设备、版本和路径那几行在你的机器上会不一样，不比较。",
           "用时不比较。",
           "像 3.7e-09 这样小于 {noise:g} 的数是浮点舍入误差，只核对它仍然这么小。"),
    "en": ("This output comes from a real run of the lesson by `{script}`; `tests/test_docs_pages.py` checks it line "
           "for line against what the lesson prints now.",
           "Numbers that come out of training differ a little on other CPUs (AVX2 and AVX-512 kernels round "
           "differently), so your losses and accuracies may differ slightly: percentages may differ by {points:g} "
           "points and other numbers by {relative:g} %; the text must match.",
           "The lesson describes the machine it runs on (the docs machine has only a CPU): the lines about devices, "
           "versions and paths differ on yours and are not compared.",
           "Times are not compared.",
           "Numbers such as 3.7e-09 below {noise:g} are float rounding; the test only checks they stay that small."),
}


def note(check: Check, lang: str, text: str) -> str:
    """The sentence under a page's output: where it came from and how the test compares it."""
    always, trained, machine, times, noise = NOTES[lang]
    numbers = list(NUMBER.finditer(text))
    parts = [always, trained if check.trained else "", machine if check.machine_lines else "",
             times if any(TIME_UNIT.match(text, m.end()) for m in numbers) else "",
             noise if any("e" in m.group().lower() and abs(_value(m.group())) < NOISE for m in numbers) else ""]
    sentence = ("" if lang == "zh" else " ").join(part for part in parts if part)
    return sentence.format(script=SCRIPT, points=PERCENT_POINTS, relative=100 * RELATIVE, noise=NOISE)


def output_block(text: str, check: Check, lang: str) -> str:
    return f"```text\n{text}\n```\n{note(check, lang, text)}"


# ---- pictures -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Picture:
    file: str  # under docs/images/
    pages: tuple[str, ...]  # "lessons/04-tensorboard.md" (under docs/<lang>/) or "README"
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
    """`text` whose pictures block holds `body`; a page without one gets it right after its output block."""
    block_text = f"<!-- BEGIN {PICTURES} -->\n{body}\n<!-- END {PICTURES} -->"
    if block(text, PICTURES) is not None:
        return re.sub(rf"<!-- BEGIN {PICTURES}\b[^\n]*-->\n.*?<!-- END {PICTURES} -->", lambda _m: block_text,
                      text, count=1, flags=re.S)
    end = f"<!-- END {OUTPUT} -->"
    if end not in text:
        raise ValueError(f"no <!-- BEGIN {OUTPUT} --> … {end} block to put the pictures after")
    return text.replace(end, f"{end}\n\n{block_text}", 1)


def image_links(text: str) -> list[str]:
    """The targets of every markdown image in `text`: ![alt](target)."""
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)


TRAIN_COMMAND = "torchstart train"  # the main job, as the README's quick start types it (the embedded sample here)
TRAIN_OUTPUT = "train-output"  # the README block with what it printed
DEMO_PHOTO = ROOT / "src/torchstart/data/samples/hymenoptera/val/bees/2709775832_85b4b50a57.jpg"  # the demo's upload
BOARD_COMMAND = f"torchstart board {SHOWN_RUNS}/04-tensorboard"
PICTURE_LIST = [
    Picture("tensorboard-scalars.png", ("lessons/04-tensorboard.md",), {
        "zh": f"`{BOARD_COMMAND}` 打开本课写的日志，SCALARS 页：课程的 y=2x，每一步一个点（无头 Chromium 截图）。",
        "en": f"`{BOARD_COMMAND}` over this lesson's log, the SCALARS page: the course's y=2x, one point per step "
              "(a headless Chromium screenshot)."}),
    Picture("tensorboard-images.png", ("lessons/04-tensorboard.md",), {
        "zh": "同一个 TensorBoard 的 IMAGES 页：`ant/opencv_as_bgr` 是 OpenCV 读进来没有翻转通道的蚂蚁，红蓝对调；"
              "下面的 `ant/opencv_rgb_hwc` 翻成了 RGB。",
        "en": "The IMAGES page of the same TensorBoard: `ant/opencv_as_bgr` is the ant as OpenCV reads it, red and "
              "blue swapped; `ant/opencv_rgb_hwc` below it is flipped to RGB."}),
    Picture("tensorboard-graph.png", ("lessons/04-tensorboard.md",), {
        "zh": "GRAPHS 页：双击 `Tudui` 和它的 `Sequential` 展开后，课程模型的每一层。",
        "en": "The GRAPHS page with `Tudui` and its `Sequential` opened by a double click: every layer of the "
              "course's model."}),
    Picture("opencv-contact-sheet.png", ("lessons/05-opencv.md",), {
        "zh": "本课写出的 `contact_sheet.png`（缩小后）：表格里的每个 OpenCV 操作作用在同一张蚂蚁照片上的结果。",
        "en": "The `contact_sheet.png` the lesson writes (scaled down): each OpenCV operation of the table applied "
              "to the same ant photo."}),
    Picture("transforms.png", ("lessons/06-transforms.md",), {
        "zh": "本课写进 TensorBoard 的图像，从它的事件文件读回来，按 TensorBoard 的方式显示（浮点数乘以 255 后截断到 "
              "0–255，所以 Normalize 之后小于 0 的部分变黑）。",
        "en": "The images the lesson writes to TensorBoard, read back from its event file and shown as TensorBoard "
              "shows them (floats × 255, clipped to 0–255, so what Normalize makes negative turns black)."}),
    Picture("conv-feature-maps.png", ("lessons/09-conv.md",), {
        "zh": f"内置样例里的一张真实 CIFAR-10 测试图，和课程模型第一层卷积 `Conv2d(3, 32, 5, padding=2)` 输出的 32 张"
              f"特征图；权重来自 README 里那次 `{TRAIN_COMMAND}`。",
        "en": f"A real CIFAR-10 test image from the embedded sample and the 32 feature maps of the course model's "
              f"first convolution, `Conv2d(3, 32, 5, padding=2)`, with the weights of the `{TRAIN_COMMAND}` run "
              "shown in the README."}),
    Picture("maxpool.png", ("lessons/10-maxpool.md",), {
        "zh": "本课写进 TensorBoard 的 64 张 CIFAR-10 图，从事件文件读回来：`input` 是池化前，`maxpool` 是 "
              "`MaxPool2d(3, ceil_mode=True)` 之后（`avgpool` 是同样窗口的平均池化），画成同样大小，所以每个小方块就是"
              "池化后的一个像素。",
        "en": "The lesson's 64 CIFAR-10 images, read back from its TensorBoard events: `input` before pooling, "
              "`maxpool` after `MaxPool2d(3, ceil_mode=True)` (`avgpool`: average pooling over the same windows), "
              "drawn the same size, so each block is one pooled pixel."}),
    Picture("activations.png", ("lessons/11-activations.md",), {
        "zh": "本课写进 TensorBoard 的 `input`、`relu`、`sigmoid`：ReLU 对 [0, 1] 的像素什么也不改，Sigmoid 把它们挤到"
              "一半以上，图像变灰变淡。",
        "en": "The lesson's `input`, `relu` and `sigmoid` images from its TensorBoard events: ReLU leaves [0, 1] "
              "pixels as they are, Sigmoid squeezes them into its upper half, so the images look washed out."}),
    Picture("train-curves.png", ("lessons/19-pipeline.md", "README"), {
        "zh": f"`{TRAIN_COMMAND}` 在内置样例上（主程序，默认的 fast 配方）写出的 `curves.png`：每个 epoch 的训练/测试"
              f"损失和测试准确率。",
        "en": f"The `curves.png` that `{TRAIN_COMMAND}` (the main job, default fast recipe) writes on the embedded "
              f"sample: train and test loss and test accuracy per epoch."}),
    Picture("train-confusion.png", ("lessons/19-pipeline.md", "lessons/20-predict.md"), {
        "zh": f"同一次 `{TRAIN_COMMAND}` 的 `confusion_matrix.png`：每一行是一个真实类别，格子里是它被判成"
              f"各列类别的百分比。",
        "en": f"The `confusion_matrix.png` of the same `{TRAIN_COMMAND}` run: one row per true class, each cell the "
              f"share of that class predicted as the column's class."}),
    Picture("predict-explain.png", ("lessons/10-maxpool.md", "share.md"), {
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
]


def pictures_by_page() -> dict[str, list[Picture]]:
    pages: dict[str, list[Picture]] = {}
    for picture in PICTURE_LIST:
        for page in picture.pages:
            pages.setdefault(page, []).append(picture)
    return pages
