# %% [markdown] lang="zh"
# # 第 17 课 模型的保存与加载
#
# 课程讲了两种保存方式：`torch.save(model, path)` 存整个模型（方式 1），`torch.save(model.state_dict(), path)`
# 只存参数（方式 2）。这一课用课程的 CIFAR-10 模型 `Tudui` 把两种都做一遍，然后说明：为什么现在的 PyTorch
# 默认拒绝加载方式 1 的文件，为什么别人给的文件只能用 `weights_only=True` 加载（用一个无害的"恶意"文件演示），
# 以及 torchstart 自己的检查点是怎么做的。所有文件都写在当前文件夹里。

# %% [markdown] lang="en"
# # Lesson 17 Saving and loading models
#
# The course shows two ways to save: `torch.save(model, path)` stores the whole model (way 1), and
# `torch.save(model.state_dict(), path)` stores only the parameters (way 2). This lesson does both with the
# course's CIFAR-10 model `Tudui`, and then shows why current PyTorch refuses way 1's files by default, why a
# file from someone else must be loaded with `weights_only=True` (with a harmless "malicious" file), and how
# torchstart's own checkpoints work. Every file is written in the current folder.

# %%
import builtins
import os
import pickle
import re

import torch
from torch import nn
from torch.serialization import get_unsafe_globals_in_checkpoint

# %% [markdown] lang="zh"
# ## 课程的模型
#
# 第 13 课的 `Tudui`：145,578 个 float32 参数，每个 4 字节，一共 582,312 字节。`state_dict()` 是一个有序字典，
# 键是参数的名字（`model.0.weight` 就是 `self.model` 里第 0 层的权重），值是参数张量。
# 准备 8 张随机"图片"，记下模型对它们的输出（logits），后面每次加载回来都和它逐位比较。

# %% [markdown] lang="en"
# ## The course's model
#
# Lesson 13's `Tudui`: 145,578 float32 parameters, 4 bytes each, 582,312 bytes in all. `state_dict()` is an
# ordered dict from parameter names (`model.0.weight` is the weight of layer 0 of `self.model`) to the parameter
# tensors. Eight random "images" and the model's outputs (logits) on them are kept: every model loaded back
# below is compared with them bit for bit.


# %%
class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(1024, 64),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.model(x)


torch.manual_seed(0)
tudui = Tudui()
tudui.eval()
params = sum(p.numel() for p in tudui.parameters())
print(f"{params=:,} float32 = {params * 4:,} bytes")
state_dict_keys = list(tudui.state_dict())
print(state_dict_keys)

x = torch.rand(8, 3, 32, 32)  # zh: 8 张图的像素，0 到 1 | en: 8 images' pixels in [0, 1]
with torch.no_grad():
    logits = tudui(x)  # (8, 10)

# %% [markdown] lang="zh"
# ## 方式 2（推荐）：只存 state_dict
#
# 加载时先用代码建一个同样结构的 `Tudui()`——这时它是另一组随机权重——再 `load_state_dict` 把参数装进去。
# `weights_only=True` 表示只重建张量和普通容器（字典、列表、数字、字符串），绝不执行文件里的代码；
# 这也是 PyTorch 2.6 起的默认值，写出来是为了让读代码的人一眼看到。
# 在 GPU 上保存的文件，在只有 CPU 的机器上加载时加 `map_location="cpu"`。

# %% [markdown] lang="en"
# ## Way 2 (recommended): the state_dict only
#
# Loading first builds a `Tudui()` of the same shape in code — with other random weights at that point — and
# `load_state_dict` puts the parameters in. `weights_only=True` rebuilds only tensors and plain containers
# (dicts, lists, numbers, strings) and never runs code from the file; it is the default since PyTorch 2.6, and
# written out so that a reader sees it. A file saved on a GPU loads on a CPU-only machine with
# `map_location="cpu"`.

# %%
torch.save(tudui.state_dict(), "tudui_method2.pth")

model = Tudui()  # zh: 另一组随机权重，直到下一行 | en: other random weights, until the next line
model.load_state_dict(torch.load("tudui_method2.pth", map_location="cpu", weights_only=True))
model.eval()
with torch.no_grad():
    state_dict_logits_equal = torch.equal(model(x), logits)
print(f"{state_dict_logits_equal=}")

# %% [markdown] lang="zh"
# ## 方式 1：存整个模型
#
# `torch.save(tudui, path)` 用 pickle 把对象存下来。pickle 不存类的代码，只记"去哪个模块找哪个类"：
# 这个文件里写的是 `__main__.Tudui`、`torch.nn.modules.conv.Conv2d`……
# `get_unsafe_globals_in_checkpoint` 只读文件、不执行，就能把这些名字列出来。
#
# PyTorch 2.6 起 `torch.load(path)` 默认 `weights_only=True`，不肯导入这些类，于是**拒绝**这个文件，
# 抛出 `UnpicklingError`（课程里的 `torch.load('my_model.pth')` 在新版本上就是这样失败的）。
# 下面打印报错的第一行和说明原因的那一行（去掉终端的颜色代码）。

# %% [markdown] lang="en"
# ## Way 1: the whole model
#
# `torch.save(tudui, path)` stores the object with pickle. Pickle does not store the class's code, only "which
# class, from which module": this file says `__main__.Tudui`, `torch.nn.modules.conv.Conv2d`, …
# `get_unsafe_globals_in_checkpoint` lists those names by reading the file, running nothing.
#
# Since PyTorch 2.6, `torch.load(path)` defaults to `weights_only=True`, which will not import those classes, so
# it **refuses** the file with an `UnpicklingError` (the course's `torch.load('my_model.pth')` fails like this
# on current versions). Below, the error's first line and the line with the reason (terminal colour codes
# removed).

# %%
def refusal(err):
    # zh: torch.load 的拒绝信息，去掉终端颜色代码：（第一行，说明原因的那一行）
    # en: torch.load's refusal without terminal colour codes: (its first line, the line that gives the reason)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(err).splitlines()]
    reason = next(line for line in lines if line.startswith("WeightsUnpickler error"))
    return lines[0], reason.split(" Please use")[0]


torch.save(tudui, "tudui_method1.pth")

whole_model_needs = sorted(get_unsafe_globals_in_checkpoint("tudui_method1.pth"))
print(whole_model_needs)
try:
    torch.load("tudui_method1.pth")
except pickle.UnpicklingError as err:
    whole_model_refusal, whole_model_reason = refusal(err)
print(whole_model_refusal)
print(whole_model_reason)

# %% [markdown] lang="zh"
# 完整的报错信息里也指了路：对**自己刚写的**文件，可以把它需要的类一个一个列进 `torch.serialization.safe_globals`，
# 再照常用 `weights_only=True` 加载：只有列出来的类会被导入，其他一概拒绝。这样加载回来的整个模型，输出同样逐位相同。
#
# 网上常见的做法是 `torch.load(path, weights_only=False)`，它能加载，但那等于允许文件在加载时执行任意代码
# （下一节演示）——对不是自己生成的文件，**永远不要**这样做。
# 还有一点：文件里记的是 `__main__.Tudui`，所以在另一个脚本里加载时，那个脚本里也必须有 `Tudui` 这个类，
# 而且名字、位置都对得上——这就是课程里"加载前要先把类定义一遍"的问题；类改了名或挪了地方，文件就打不开了。
# state_dict 只要求参数的名字和形状一致。

# %% [markdown] lang="en"
# The full error message points the way: for a file **you just wrote yourself**, list the classes it needs in
# `torch.serialization.safe_globals` and load with `weights_only=True` as usual: only the listed classes are
# imported, anything else is refused. The whole model loaded this way gives bit-identical outputs too.
#
# The usual advice online is `torch.load(path, weights_only=False)`. It loads, but it lets the file run any code
# while loading (shown in the next section): **never** do that with a file you did not make. One more thing: the
# file says `__main__.Tudui`, so another script that loads it must have a class `Tudui` too, under the same name
# and in the same place — the course's "define the class again before loading" problem; rename or move the class
# and the file no longer opens. A state_dict only needs the parameters' names and shapes to match.

# %%
with torch.serialization.safe_globals([Tudui, nn.Sequential, nn.Conv2d, nn.MaxPool2d, nn.Flatten, nn.Linear]):
    whole = torch.load("tudui_method1.pth", weights_only=True)
whole.eval()
with torch.no_grad():
    whole_model_logits_equal = torch.equal(whole(x), logits)
print(type(whole).__name__, f"{whole_model_logits_equal=}")

# %% [markdown] lang="zh"
# ## 为什么 weights_only=False 危险
#
# pickle 其实是一段小程序：一个对象可以用 `__reduce__` 声明"重建我的时候，请用这些参数调用这个函数"，
# 完整的 unpickle 就会照做。下面写一个这样的文件 `untrusted_download.pth`，假装是从网上下载的。
# 它的载荷是无害的 `open(marker, "w")`，只会建一个空的标记文件；真正的攻击者会换成 `os.system`。
# 用 `weights_only=True` 加载时，torch 在调用任何东西之前就拒绝了，标记文件没有出现。
# 这一课从不用 `weights_only=False` 打开它。

# %% [markdown] lang="en"
# ## Why weights_only=False is dangerous
#
# Pickle is a small program: an object may say, through `__reduce__`, "to rebuild me, call this function with
# these arguments", and full unpickling does it. Below we write such a file, `untrusted_download.pth`, as if it
# came from the internet. Its payload is a harmless `open(marker, "w")`, which only creates an empty marker
# file; a real attacker would call `os.system`. Loaded with `weights_only=True`, torch refuses before calling
# anything, and no marker appears. This lesson never opens it with `weights_only=False`.


# %%
class MarkerPayload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        # zh: 完整的 unpickle 会调用 open(marker, "w")；用 builtins.open，因为 Jupyter 里的 open 是 IPython 包过的
        # en: full unpickling would call open(marker, "w"); builtins.open, as Jupyter's open is IPython's wrapper
        return builtins.open, (self.marker, "w")


marker = "marker_written_by_pickle.txt"
torch.save(MarkerPayload(marker), "untrusted_download.pth")

untrusted_needs = sorted(get_unsafe_globals_in_checkpoint("untrusted_download.pth"))
print(untrusted_needs)  # zh: 它想调用的函数 | en: the function it would call
try:
    torch.load("untrusted_download.pth", weights_only=True)
except pickle.UnpicklingError as err:
    _first_line, untrusted_refusal = refusal(err)
print(untrusted_refusal)
marker_created = os.path.exists(marker)
print(f"{marker_created=}")

# %% [markdown] lang="zh"
# ## torchstart 的做法：检查点
#
# torchstart 训练出来的模型存成检查点（`torchstart.training.checkpoint`）：state_dict 加上使用它所需的元数据
# （模型名、类别名、归一化的均值和标准差、输入尺寸、版本号），全部是普通类型，所以永远能用 `weights_only=True` 读。
# `make_checkpoint` → `save_checkpoint`（先写临时文件、fsync、再改名，中途崩溃也不会留下半个文件）→
# `load_checkpoint`（只用 `weights_only=True`，出问题只给一条清楚的错误）→ `model_from_checkpoint`。
# 来回一趟，输出同样逐位相同。把 `load_checkpoint` 用在方式 1 的文件上，得到的是一条说明和解决办法：
# 课程里存的整个模型，在你信任它的机器上用 `torchstart import-course-model 旧.pth 新.pt` 转换一次。

# %% [markdown] lang="en"
# ## What torchstart does: checkpoints
#
# torchstart saves a trained model as a checkpoint (`torchstart.training.checkpoint`): the state_dict plus the
# metadata needed to use it (model name, class names, normalisation mean and std, input size, versions), all
# plain types, so it always loads with `weights_only=True`. `make_checkpoint` → `save_checkpoint` (a temp file,
# fsync, then a rename: a crash midway never leaves half a file) → `load_checkpoint` (`weights_only=True` only,
# one clear error when something is wrong) → `model_from_checkpoint`. The round trip gives bit-identical outputs
# again. `load_checkpoint` on way 1's file gives an explanation and the fix: convert a whole model saved by the
# course once, on a machine where you trust it, with `torchstart import-course-model OLD.pth NEW.pt`.

# %%
from torchstart.errors import CheckpointError
from torchstart.training.checkpoint import load_checkpoint, make_checkpoint, model_from_checkpoint, save_checkpoint

classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
checkpoint = make_checkpoint(tudui, model_name="tudui", classes=classes,
                             mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616))
save_checkpoint(checkpoint, "tudui_checkpoint.pt")
loaded = load_checkpoint("tudui_checkpoint.pt")
checkpoint_metadata = {key: value for key, value in loaded.items() if key != "model_state"}
print(list(checkpoint_metadata))
with torch.no_grad():
    checkpoint_logits_equal = torch.equal(model_from_checkpoint(loaded)(x), logits)
print(f"{checkpoint_logits_equal=}")

try:
    load_checkpoint("tudui_method1.pth")
except CheckpointError as err:
    checkpoint_on_whole_model = str(err)
print(checkpoint_on_whole_model)

# %% [markdown] lang="zh"
# ## 文件有多大
#
# 三个权重文件都是 582,312 字节的 float32 权重，再加上几 KB 的 zip 记录。整个模型的文件只比 state_dict 大一点：
# 存整个模型并没有多存什么"模型"，只是多记了类名——而这恰恰是它脆弱的地方。那个"恶意"文件里一个张量也没有。
# 不同 PyTorch 版本下，文件大小可能差几个字节。

# %% [markdown] lang="en"
# ## How big the files are
#
# The three weight files each hold the 582,312 bytes of float32 weights plus a few KB of zip records. The whole
# model's file is only slightly larger than the state_dict's: saving the whole model stores no more "model", only
# the class names — which is exactly what makes it fragile. The "malicious" file holds no tensor at all. Sizes
# may differ by a few bytes between PyTorch versions.

# %%
files = ["tudui_method2.pth", "tudui_method1.pth", "tudui_checkpoint.pt", "untrusted_download.pth"]
sizes = {name: os.path.getsize(name) for name in files}
for name, size in sizes.items():
    print(f"{name:<24} {size:>9,} bytes")
