# %% [markdown] lang="zh"
# # 第 1 课 检查环境：哪个 Python、哪个 torch、哪个设备
#
# 装好 PyTorch 只是第一步，还得弄清楚自己装的到底是什么。这一课依次回答几个问题：
# 现在运行的是哪一个 Python 解释器，它属于哪个环境；torch 和 torchvision 是什么版本；
# 这个 torch 能用哪些加速器（CUDA、MPS、XPU）；`torchstart train` 会选哪个设备；
# 最后在那个设备上真算一次，看结果对不对——能算对，环境才算真的可用。

# %% [markdown] lang="en"
# # Lesson 1 Check the environment: which Python, which torch, which device
#
# Installing PyTorch is only half the job; the other half is knowing what you installed. This lesson answers
# a few questions in turn: which Python interpreter is running and which environment it belongs to; which
# versions of torch and torchvision are installed; which accelerators (CUDA, MPS, XPU) this torch can use;
# which device `torchstart train` picks; and finally it computes once on that device and checks the answer —
# only a correct result proves the setup works.

# %%
import os
import platform
import sys
from pathlib import Path

import torch
import torchvision

import torchstart

# %% [markdown] lang="zh"
# ## 现在运行的是哪个 Python
#
# `sys.executable` 是正在运行这段代码的解释器，`sys.prefix` 是它所在的环境的文件夹。环境分三种：
# 文件夹里有 `conda-meta/` 的是 conda 环境（base 也是）；`sys.prefix` 和 `sys.base_prefix`（创建 venv 用的那个 Python）
# 不同的是 venv（`python -m venv`、virtualenv、uv 建的都是）；两样都不是，就是系统自带的 Python，不在任何环境里。

# %% [markdown] lang="en"
# ## Which Python is running
#
# `sys.executable` is the interpreter running this code and `sys.prefix` the folder of its environment. There
# are three kinds: a folder holding `conda-meta/` is a conda environment (base too); a `sys.prefix` that differs
# from `sys.base_prefix` (the Python a venv was made from) is a venv (made by `python -m venv`, virtualenv or
# uv); neither means the system's own Python, in no environment at all.


# %%
def environment_kind(prefix, base_prefix):
    if (Path(prefix) / "conda-meta").is_dir():
        return "conda"
    if Path(prefix).resolve() != Path(base_prefix).resolve():
        return "venv"
    return "system"


env_kind = environment_kind(sys.prefix, sys.base_prefix)
print(f"{sys.executable=}")  # zh: PyCharm / VS Code 里要选的就是这个解释器 | en: the interpreter to choose in an IDE
print(f"{sys.prefix=}")
print(f"{sys.base_prefix=}")
print(f"{env_kind=}")

# %% [markdown] lang="zh"
# `conda activate` 会设置两个环境变量：`CONDA_DEFAULT_ENV`（激活的环境名）和 `CONDA_PREFIX`（它的文件夹）。
# 对比 `CONDA_PREFIX` 和 `sys.prefix`，就知道终端里激活的那个 conda 环境是不是正在运行这段代码的环境。
# 两者不同很常见：激活只改变终端里敲 `python` 时找到的是谁，venv 或者 IDE 里选好的解释器不会跟着变。

# %% [markdown] lang="en"
# `conda activate` sets two variables: `CONDA_DEFAULT_ENV` (the environment's name) and `CONDA_PREFIX` (its
# folder). Comparing `CONDA_PREFIX` with `sys.prefix` tells whether the conda environment activated in this
# terminal is the one running this code. Often it is not: activating only changes which `python` the terminal
# finds, not the interpreter a venv or an IDE was set to.

# %%
conda_env = os.environ.get("CONDA_DEFAULT_ENV")  # zh: 没有 conda 时是 None | en: None without conda
conda_prefix = os.environ.get("CONDA_PREFIX")
conda_env_runs = conda_prefix is not None and Path(conda_prefix).resolve() == Path(sys.prefix).resolve()
print(f"{conda_env=} {conda_prefix=}")
print(f"{conda_env_runs=}")

# %% [markdown] lang="zh"
# ## 课程第二章的 conda 命令
#
# 课程用 Anaconda 给 PyTorch 单独建一个名叫 `pytorch` 的环境。下面是那些命令，按输入的顺序排好，
# 请自己在终端里敲（这一课不会替你运行它们）。有两处和课程不同：课程先用 Python 3.8，后来删掉重建成 3.9，
# 现在的 torch 要 3.10 或更新；课程从 conda 的 `pytorch` 频道装 torch，这个频道停在了 2.5，不再更新，
# 所以在激活的环境里用 `pip` 装。要装 CUDA 版，到 pytorch.org 的安装页选好系统和 CUDA 版本，
# 照它给的那一行 `pip` 命令装。
#
# ```bash
# conda create -n pytorch python=3.11            # 新建环境，里面有自己的 Python（现在的 torch 要 3.10 或更新）
# conda activate pytorch                         # 让这个终端切换到它：提示符前面会出现 (pytorch)
# pip install torch torchvision                  # 往里面装 torch（conda 的 pytorch 频道停在了 2.5）
# python -c "import sys; print(sys.executable)"  # 确认现在运行的就是它的 Python
# conda env list                                 # 列出所有环境；* 标出当前激活的那个
# conda deactivate                               # 退出它，回到 base
# conda remove --name pytorch --all              # 删除它和装在里面的一切（先回到 base 再运行）
# conda env create -f environment.yml            # 或者：用本项目的 environment.yml 一步建好整个环境
# ```

# %% [markdown] lang="en"
# ## The course's conda commands (chapter 二)
#
# The course gives PyTorch an Anaconda environment of its own, named `pytorch`. Here are those commands in the
# order you type them, for your own terminal (this lesson never runs them). Two things differ from the course:
# it used Python 3.8, then deleted the environment and made a 3.9 one, and today's torch needs 3.10 or newer;
# it installed torch from conda's `pytorch` channel, which stopped at 2.5 and is no longer updated, so torch
# comes from `pip` inside the activated environment. For a CUDA build, choose your system and CUDA version on
# the install page of pytorch.org and use the `pip` line it gives.
#
# ```bash
# conda create -n pytorch python=3.11            # an environment with its own Python (today's torch needs 3.10+)
# conda activate pytorch                         # switch this terminal to it: the prompt starts with (pytorch)
# pip install torch torchvision                  # install torch into it (the conda pytorch channel stopped at 2.5)
# python -c "import sys; print(sys.executable)"  # check that its Python is the one that runs now
# conda env list                                 # list every environment; * marks the active one
# conda deactivate                               # leave it, back to base
# conda remove --name pytorch --all              # delete it with everything installed in it (run from base)
# conda env create -f environment.yml            # or: this project's whole environment in one step
# ```

# %% [markdown] lang="zh"
# ## 在 PyCharm 或 VS Code 里选这个解释器
#
# 在终端里激活了环境，IDE 并不会跟着切换：它用的是你在设置里选的解释器。上面打印的 `sys.executable` 就是要填进去的路径。
#
# - **PyCharm**：设置 → 项目 → Python 解释器 → 添加解释器 → 添加本地解释器。conda 环境选左边的“Conda 环境”，
#   点“使用现有环境”，在下拉框里选 `pytorch`；venv 选“Virtualenv 环境”→“现有”，指向环境里的 `bin/python`
#   （Windows 上是 `Scripts\python.exe`）。新建项目时也可以直接在这里选。
# - **VS Code**：按 `Ctrl+Shift+P`（macOS 上是 `Cmd+Shift+P`），输入 “Python: Select Interpreter”，从列表里选这个环境，
#   或者选 “Enter interpreter path…” 把打印出来的路径粘贴进去。窗口右下角的状态栏会显示当前用的是哪一个。
# - **Jupyter notebook**：要选的是内核（kernel），在右上角的内核选择器里选同一个环境。
#
# 选好以后在 IDE 里再运行一次这一课，`sys.executable` 应当就是你选的路径；不是的话，IDE 还在用别的 Python。

# %% [markdown] lang="en"
# ## Choosing this interpreter in PyCharm or VS Code
#
# Activating an environment in a terminal does not change what your IDE runs: it uses the interpreter chosen in
# its settings. The `sys.executable` printed above is the path to give it.
#
# - **PyCharm**: Settings → Project → Python Interpreter → Add Interpreter → Add Local Interpreter. For a conda
#   environment pick "Conda Environment" on the left, "Use existing environment", and choose `pytorch` in the
#   list; for a venv pick "Virtualenv Environment" → "Existing" and point it at the environment's `bin/python`
#   (`Scripts\python.exe` on Windows). A new project can be given the interpreter the same way.
# - **VS Code**: press `Ctrl+Shift+P` (`Cmd+Shift+P` on macOS), type "Python: Select Interpreter" and pick the
#   environment from the list, or choose "Enter interpreter path…" and paste the printed path. The status bar
#   at the bottom right shows which one is in use.
# - **Jupyter notebook**: the choice is the kernel: pick the same environment in the kernel picker at the top right.
#
# Run this lesson from the IDE afterwards: `sys.executable` should be the path you chose; if it is not, the
# IDE still uses another Python.

# %% [markdown] lang="zh"
# ## 版本
#
# `torch.version.cuda` 是这个 torch 编译时用的 CUDA 版本；CPU 版和 Mac 上的 torch 没有 CUDA，这里是 None。

# %% [markdown] lang="en"
# ## Versions
#
# `torch.version.cuda` is the CUDA toolkit this torch was built for; a CPU build and the Mac build have none,
# so it is None there.

# %%
python_version = platform.python_version()
torch_version = torch.__version__
torchvision_version = torchvision.__version__
cuda_version = torch.version.cuda
print(f"{python_version=} {torch_version=} {torchvision_version=} {cuda_version=}")

# %% [markdown] lang="zh"
# ## 加速器：编译了支持，和现在能用
#
# 课程在 Windows 上检查 `torch.cuda.is_available()`，在 M 芯片的 Mac 上检查 `torch.backends.mps.is_available()`
# 和 `is_built()`。每种加速器都有这样两个问题：这个 torch 编译时带没带它的支持（built），此刻有没有能用的设备
# （available）。“编译了但不可用”通常是没装驱动，或者机器里根本没有这种显卡。XPU 是英特尔的显卡。

# %% [markdown] lang="en"
# ## Accelerators: built with support, and usable now
#
# The course checks `torch.cuda.is_available()` on Windows and `torch.backends.mps.is_available()` and
# `is_built()` on an Apple-silicon Mac. Each accelerator kind has these two questions: was this torch *built*
# with support for it, and is a device of that kind *available* right now? "Built but not available" usually
# means a missing driver, or no such GPU in the machine. XPU is Intel's GPU.

# %%
backends = {
    "cuda": {"built": torch.backends.cuda.is_built(), "available": torch.cuda.is_available()},
    "mps": {"built": torch.backends.mps.is_built(), "available": torch.backends.mps.is_available()},
    "xpu": {"built": torch.version.xpu is not None, "available": torch.xpu.is_available()},
}
for name, state in backends.items():
    print(f"{name:<5} built: {state['built']!s:<5} available: {state['available']}")

# %% [markdown] lang="zh"
# PyTorch 2.6 起有了 `torch.accelerator`：一套接口管所有种类的加速器（CUDA、ROCm、MPS、XPU），
# 不用再一种一种地问。

# %% [markdown] lang="en"
# Since PyTorch 2.6, `torch.accelerator` is one API for every accelerator kind (CUDA, ROCm, MPS, XPU), so there
# is no need to ask kind by kind.

# %%
accelerator_api = hasattr(torch, "accelerator")  # zh: PyTorch 2.6 起才有 | en: PyTorch ≥ 2.6
if accelerator_api and torch.accelerator.is_available():
    accelerator = torch.accelerator.current_accelerator().type
else:
    accelerator = None
print(f"{accelerator_api=} {accelerator=}")

# %% [markdown] lang="zh"
# ## 选设备
#
# 课程第二十章用一行代码选设备：有 CUDA 就用 CUDA，否则有 MPS 就用 MPS，再不然用 CPU。
# `torchstart.pick_device("auto")` 是 `torchstart train --device auto` 用的那个函数，它问的是 `torch.accelerator`，
# 所以也认得英特尔显卡（XPU）。除非你用的是英特尔显卡，两者应当一致。

# %% [markdown] lang="en"
# ## Choosing the device
#
# The course's chapter 二十 chooses the device in one line: CUDA if there is one, else MPS if there is one, else
# the CPU. `torchstart.pick_device("auto")` is the function `torchstart train --device auto` uses; it asks
# `torch.accelerator`, so it also knows Intel GPUs (XPU). Unless you have an Intel GPU, both agree.

# %%
course_device = torch.device("cuda" if torch.cuda.is_available()
                             else ("mps" if torch.backends.mps.is_available() else "cpu"))
device = torchstart.pick_device("auto")
if device.type == "cuda":
    device_name = torch.cuda.get_device_name(device)
elif device.type == "xpu":
    device_name = torch.xpu.get_device_name(device)
elif device.type == "mps":
    device_name = f"Apple GPU (macOS {platform.mac_ver()[0]})"
else:
    device_name = f"{platform.machine()} CPU, {torch.get_num_threads()} threads"
print(f"{course_device=} {device=} {device_name=}")

# %% [markdown] lang="zh"
# ## 真算一次
#
# `torch.cuda.is_available()` 返回 True，并不代表显卡真能干活：为旧版 CUDA 编译的 torch 可能没有适合新显卡的内核，
# 第一次真正计算时才报 “no kernel image is available for execution on the device”。所以在选中的设备上算一个
# (2, 3) @ (3, 2) 的矩阵乘法，搬回 CPU，和 CPU 自己算的比对。矩阵里都是小整数，乘积在 float32 里是精确的：
# 只要有一点不同，就是设备算错了，而不是舍入误差。出错时把设备报的错误打印出来，而不是直接崩掉。

# %% [markdown] lang="en"
# ## Compute once
#
# `torch.cuda.is_available()` returning True does not prove the GPU can run anything: a torch built for an
# older CUDA may have no kernels for a brand-new GPU, and the first real operation fails with "no kernel image
# is available for execution on the device". So compute a (2, 3) @ (3, 2) matrix product on the chosen device,
# copy it back and compare it with the CPU's answer. The entries are small integers, so the product is exact
# in float32: any difference means the device computed something wrong, not rounding. If the device raises,
# print its error instead of crashing.

# %%
x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
w = torch.arange(6, dtype=torch.float32).reshape(3, 2)
expected = x @ w  # (2, 2), on the CPU
try:
    got = (x.to(device) @ w.to(device)).cpu()
    error = None
except RuntimeError as err:
    got, error = None, f"{type(err).__name__}: {err}"
check_ok = got is not None and torch.equal(got, expected)
print(expected.tolist())
print(got.tolist() if got is not None else error)
print(f"{check_ok=}")

# %% [markdown] lang="zh"
# ## 指定一台机器上没有的设备
#
# 在训练命令里指定一个这台机器上没有的设备（比如在 Linux 上用 `--device mps`），
# torchstart 会用一句话说明原因和替代做法，而不是报一长串 traceback。
# 下面把这台机器上用不了的每种加速器都试一次，看它说什么。

# %% [markdown] lang="en"
# ## Asking for a device that is not here
#
# Ask the training command for a device this machine does not have (`--device mps` on Linux, say) and torchstart
# answers with one sentence on why and what to use instead, not a long traceback. Below, every accelerator kind
# that cannot be used here is tried once, to see what it says.

# %%
missing_device_errors = {}
for name, state in backends.items():
    if not state["available"]:
        try:
            torchstart.pick_device(name)
        except Exception as err:  # zh: torchstart 的 DeviceError | en: torchstart's DeviceError
            missing_device_errors[name] = str(err)
            print(f"{name}: {err}")
