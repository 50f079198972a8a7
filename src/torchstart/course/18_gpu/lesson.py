# %% [markdown] lang="zh"
# # 第 18 课 用 GPU 训练：选设备，把模型和数据搬过去
#
# 在 GPU 上训练只要做三件事：选好设备，把模型的参数放上去，把每一批数据也放上去。
# 这一课先看看这台机器有没有显卡，再用课程自己的训练循环在选中的设备上训练一轮，
# 途中把课程里几处写法（`.cuda()`、`loss_fn.to(device)`、`optim.to(device)`、`torch.max(outputs.data, 1)`）
# 逐个试一遍，最后量一量换到加速器上到底快了多少。没有显卡的机器上，同一份代码就在 CPU 上跑。

# %% [markdown] lang="en"
# # Lesson 18 Training on a GPU: choose the device, move the model and the data
#
# Training on a GPU takes three things: choose the device, put the model's parameters on it, and put every
# batch on it. This lesson first looks for a graphics card, then trains one epoch with the course's own loop on
# the chosen device, trying on the way each of the course's idioms (`.cuda()`, `loss_fn.to(device)`,
# `optim.to(device)`, `torch.max(outputs.data, 1)`), and last measures what the move buys. On a machine
# without a graphics card the same code runs on the CPU.

# %% [markdown] lang="zh"
# ## 先看看显卡
#
# 课程第二十章用 `nvidia-smi` 查看 NVIDIA 显卡（课程里误写成了 `invidia-smi`），在 macOS 上用
# `system_profiler SPDisplaysDataType`。平时在终端里直接敲这两个命令就行；这里用 `shutil.which` 找它们，
# 运行找到的第一个，打印输出的开头几行；最多等 10 秒，驱动卡住时这一课也不会跟着卡住。两个都没有时就说一声。

# %% [markdown] lang="en"
# ## First, look at the graphics card
#
# The course's chapter 二十 looks at an NVIDIA card with `nvidia-smi` (it misspells it `invidia-smi`) and, on
# macOS, with `system_profiler SPDisplaysDataType`. In a terminal you just type them; here `shutil.which` looks
# for them, the first one present runs (for at most 10 seconds, so a hung driver cannot hang the lesson) and the
# start of its output is printed. When neither exists, the cell says so.

# %%
import shutil
import subprocess

GPU_TOOLS = [["nvidia-smi"], ["system_profiler", "SPDisplaysDataType"]]


def look_at_gpu(tools=GPU_TOOLS, timeout=10):
    """(command, exit status, first 12 lines) of the first tool installed; (None, None, []) when none is."""
    for tool in tools:
        if shutil.which(tool[0]):
            command = " ".join(tool)
            try:
                done = subprocess.run(tool, capture_output=True, text=True, errors="replace", timeout=timeout)
            except (subprocess.TimeoutExpired, OSError):  # zh: 卡住或启动不了 | en: hung, or could not start
                return command, None, []
            return command, done.returncode, (done.stdout or done.stderr).splitlines()[:12]
    return None, None, []


gpu_tool, gpu_tool_status, gpu_tool_lines = look_at_gpu()
if gpu_tool is None:
    print("no nvidia-smi and no system_profiler on this machine")
else:
    print(f"{gpu_tool} (exit status {gpu_tool_status}):")
    print("\n".join(gpu_tool_lines))

# %% [markdown] lang="zh"
# ## 选设备
#
# 课程的写法是先看 CUDA，再看 MPS（苹果芯片的 GPU，第十九章说两个检查都得是 True），都没有就用 CPU。
# 现在的 PyTorch 有 `torch.accelerator`，它认得这台机器上的任何一种加速器（CUDA、MPS，还有 Intel 的 XPU 等），
# pytorch/examples 里的 mnist 就是这么写的。两种写法在 NVIDIA 显卡、苹果芯片和纯 CPU 的机器上选出的设备相同；
# 这一课用后一种训练。

# %% [markdown] lang="en"
# ## Choosing the device
#
# The course tries CUDA, then MPS (Apple silicon's GPU; chapter 十九 says both checks must be True), then falls
# back to the CPU. Current PyTorch has `torch.accelerator`, which knows whichever accelerator the machine has
# (CUDA, MPS, Intel's XPU, …); it is how pytorch/examples' mnist chooses. On NVIDIA, Apple and CPU-only machines
# both pick the same device; this lesson trains on the second.

# %%
import torch

print(f"{torch.cuda.is_available()=}")
# zh: 课程第十九章（Mac）的两个检查
# en: the course's two checks of chapter 十九 (Mac)
print(f"{torch.backends.mps.is_built()=} {torch.backends.mps.is_available()=}")
# zh: 课程第二十章的写法
# en: the course's chapter-二十 expression
course_device = torch.device("cuda" if torch.cuda.is_available()
                             else ("mps" if (torch.backends.mps.is_built() and torch.backends.mps.is_available())
                                   else "cpu"))
# zh: 与课程不同：用 torch.accelerator，它也认得 XPU 等其他加速器
# en: unlike the course: torch.accelerator, which also knows XPU and other accelerators
device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
print(f"{course_device=} {device=}")
if device.type == "cuda":
    print(torch.cuda.get_device_name(device))
else:
    print(f"{torch.get_num_threads()=}")

# %% [markdown] lang="zh"
# ## `.cuda()` 和 `.to(device)`
#
# 课程视频里写的是 `tudui.cuda()`、`imgs.cuda()`。`.cuda()` 只认 NVIDIA（和 AMD ROCm）的 GPU：
# 没有这样的 GPU 时它会报错——纯 CPU 版的 torch 报 `AssertionError`，CUDA 版的 torch 报 `RuntimeError`。
# `.to(device)` 不管设备是什么都能用，CPU 也一样，所以同一份代码到哪台机器上都能跑。
# 下面试一次 `.cuda()`，之后课程用 `.cuda()` 的地方，这一课都写成 `.to(device)`。

# %% [markdown] lang="en"
# ## `.cuda()` and `.to(device)`
#
# The course's video writes `tudui.cuda()` and `imgs.cuda()`. `.cuda()` knows only NVIDIA (and AMD ROCm) GPUs:
# without one it raises — `AssertionError` on a CPU-only build of torch, `RuntimeError` on a CUDA build.
# `.to(device)` works whatever the device, the CPU included, so one script runs everywhere. The cell tries
# `.cuda()` once; wherever the course writes `.cuda()`, this lesson writes `.to(device)`.

# %%
try:
    torch.zeros(1).cuda()
    cuda_call = "works"
except (AssertionError, RuntimeError) as err:
    cuda_call = f"{type(err).__name__}: {str(err).splitlines()[0]}"
print(cuda_call)

# %% [markdown] lang="zh"
# ## 数据和课程的模型
#
# 数据来自包里自带的 CIFAR-10 样本（2,000 张训练图、500 张测试图），模型是第 13 课写出的 `Tudui`。

# %% [markdown] lang="en"
# ## The data and the course's model
#
# The data is the CIFAR-10 sample inside the package (2,000 training and 500 test images); the model is the
# `Tudui` written out in lesson 13.

# %%
import torchvision
from torch import nn
from torch.utils.data import DataLoader

import torchstart

root = torchstart.sample("cifar10")
train_data = torchstart.CIFAR10(root, train=True, transform=torchvision.transforms.ToTensor(), download=False)
test_data = torchstart.CIFAR10(root, train=False, transform=torchvision.transforms.ToTensor(), download=False)
train_data_size = len(train_data)
test_data_size = len(test_data)
print(f"{train_data_size=} {test_data_size=}")
train_dataloader = DataLoader(train_data, batch_size=64)
test_dataloader = DataLoader(test_data, batch_size=64)


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

# %% [markdown] lang="zh"
# ## 搬模型、搬数据、搬损失函数
#
# `tudui.to(device)` 原地搬动模型的参数，并返回同一个模型，所以写不写 `tudui = ` 都行。
# 张量不一样：`imgs.to(device)` 返回的是一个**新**张量，原来的还在原地，所以一定要写成 `imgs = imgs.to(device)`。
# 课程还写了 `loss_fn = loss_fn.to(device)`：`CrossEntropyLoss` 里没有任何张量（下面数一数），搬不搬都一样，留着也无妨。

# %% [markdown] lang="en"
# ## Moving the model, the data and the loss
#
# `tudui.to(device)` moves the model's parameters in place and returns the same model, so `tudui = ` is optional.
# Tensors differ: `imgs.to(device)` returns a *new* tensor and leaves the old one where it was, so write
# `imgs = imgs.to(device)`. The course also writes `loss_fn = loss_fn.to(device)`: `CrossEntropyLoss` holds no
# tensors (counted below), so moving it changes nothing — harmless to keep.

# %%
torch.manual_seed(0)  # zh: 固定初始权重，测试要复现这一轮训练 | en: fixed initial weights: the tests replay this epoch
tudui = Tudui()
moved = tudui.to(device)
print(moved is tudui, next(tudui.parameters()).device)

imgs, targets = next(iter(test_dataloader))
imgs_on_device = imgs.to(device)
print(imgs.device, imgs_on_device.device)

loss_fn = nn.CrossEntropyLoss()
loss_fn = loss_fn.to(device)
loss_fn_tensors = len(list(loss_fn.parameters())) + len(list(loss_fn.buffers()))
print(f"{loss_fn_tensors=}")

# %% [markdown] lang="zh"
# ## 优化器没有 `.to()`
#
# 课程第十八章写了 `optim = optim.to(device)`，这一行会报 `AttributeError`：优化器根本没有 `.to()`。
# 优化器只保存对模型参数的引用（下面验证它拿着的就是模型里的那些张量），参数搬到哪里，它就跟到哪里。
# 课程用的不带动量的 SGD 根本没有状态；带动量时，动量缓冲区在第一次 `step()` 时才创建，而且就建在参数所在的设备上。
# 所以顺序是：先搬模型，再建优化器。

# %% [markdown] lang="en"
# ## Optimizers have no `.to()`
#
# The course's chapter 十八 writes `optim = optim.to(device)`, which raises `AttributeError`: an optimizer has no
# `.to()`. It only keeps references to the model's parameters (the cell checks they are the very same tensors),
# so it follows them wherever they go. The course's plain SGD keeps no state at all; with momentum, the buffer is
# created at the first `step()`, on its parameter's device. So: move the model first, then build the optimizer.

# %%
learning_rate = 0.01
optimizer = torch.optim.SGD(tudui.parameters(), lr=learning_rate)
optimizer_to_error = None
try:
    optimizer = optimizer.to(device)  # zh: 课程的写法 | en: the course's line
except AttributeError as err:
    optimizer_to_error = f"{type(err).__name__}: {err}"
print(optimizer_to_error)
optimizer_holds_model_params = optimizer.param_groups[0]["params"][0] is next(tudui.parameters())
print(f"{optimizer_holds_model_params=}")

# %% [markdown] lang="zh"
# ## 用课程的循环在设备上训练一轮
#
# 就是课程的训练循环，只多了一件事：每一批先 `imgs = imgs.to(device)`、`targets = targets.to(device)`。
# 常见的报错 “Expected all tensors to be on the same device”，多半就是模型已经在 GPU 上、某一批数据却还留在 CPU 上。
#
# 计时要小心：GPU 上的调用是**异步**的，`tudui(imgs)` 把任务排进队列就立刻返回。直接读时钟，量到的只是排队的时间。
# 所以读时钟之前先 `torch.accelerator.synchronize()`（CUDA 上等同于 `torch.cuda.synchronize()`），等设备把活干完。

# %% [markdown] lang="en"
# ## One epoch of the course's loop on the device
#
# The course's training loop with one addition: each batch first goes `imgs = imgs.to(device)`,
# `targets = targets.to(device)`. The classic error "Expected all tensors to be on the same device" usually means
# the model is on the GPU while a batch stayed on the CPU.
#
# Timing needs care: GPU calls are **asynchronous**; `tudui(imgs)` queues the work and returns at once, so a plain
# clock measures the queueing. Call `torch.accelerator.synchronize()` (on CUDA the same as
# `torch.cuda.synchronize()`) before reading the clock, so the device has finished.

# %%
import time

total_train_step = 0
tudui.train()
start_time = time.perf_counter()
for imgs, targets in train_dataloader:
    imgs = imgs.to(device)
    targets = targets.to(device)
    outputs = tudui(imgs)  # (64, 10)
    loss = loss_fn(outputs, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    total_train_step += 1
    if total_train_step % 10 == 0:
        print(f"step {total_train_step}, loss {loss.item():.4f}")
if device.type != "cpu":
    torch.accelerator.synchronize()
train_seconds = time.perf_counter() - start_time
print(f"{total_train_step=} on {device}, {train_seconds:.2f} s")

# %% [markdown] lang="zh"
# ## 测试：`torch.max(outputs.data, 1)`
#
# 课程在测试时写 `_, predicted = torch.max(outputs.data, 1)`。`torch.max` 沿第 1 维返回每一行的（最大值, 下标），
# 下标就是预测的类别，和 `outputs.argmax(1)` 一样——下面逐张图核对。`.data` 取的是不带自动求导记录的张量；
# 在 `torch.no_grad()` 里本来就没有记录，现在一般写 `.detach()`，或者直接用 `argmax`。
# 只训练了一轮、几十步，模型多半还对所有图片给出同一个类别，对的张数和瞎猜差不多；这里要看的是设备和 `torch.max`。

# %% [markdown] lang="en"
# ## The test pass: `torch.max(outputs.data, 1)`
#
# The course's test pass writes `_, predicted = torch.max(outputs.data, 1)`. Along dimension 1, `torch.max` gives
# each row's (largest value, its index), and the index is the predicted class — the same as `outputs.argmax(1)`,
# checked image by image below. `.data` is the tensor without its autograd history; inside `torch.no_grad()` there
# is none anyway, and today one writes `.detach()` or simply `argmax`. After one epoch of a few dozen steps the
# model usually still gives every image the same class, so the count is about what guessing gives; what matters
# here are the device and `torch.max`.

# %%
tudui.eval()
correct = 0
total = 0
same_as_argmax = 0
first = None
with torch.no_grad():
    for imgs, targets in test_dataloader:
        imgs, targets = imgs.to(device), targets.to(device)
        outputs = tudui(imgs)
        values, predicted = torch.max(outputs.data, 1)  # (64,), (64,)
        total += targets.size(0)
        correct += (predicted == targets).sum().item()
        same_as_argmax += (predicted == outputs.argmax(1)).sum().item()
        if first is None:
            first = (values[:4].tolist(), predicted[:4].tolist())
print(f"{correct}/{total} correct, torch.max = argmax for {same_as_argmax}/{total}")
print("first values", [round(v, 3) for v in first[0]], "indices", first[1])

# %% [markdown] lang="zh"
# ## 优化器的状态建在参数所在的设备上
#
# 训练完一轮，不带动量的 SGD 依然没有保存任何状态。换成带动量的 SGD，在模型的一个副本上走一步，
# 看看动量缓冲区建在了哪里（副本保证上面训练好的模型不受影响）。

# %% [markdown] lang="en"
# ## Optimizer state lives on the parameters' device
#
# After a whole epoch, plain SGD still keeps no state. With momentum, one step on a copy of the model shows where
# the buffer is created (the copy leaves the trained model as it is).

# %%
import copy

sgd_state_tensors = sum(len(state) for state in optimizer.state.values())
probe = copy.deepcopy(tudui)
momentum_optimizer = torch.optim.SGD(probe.parameters(), lr=learning_rate, momentum=0.9)
loss_fn(probe(imgs), targets).backward()
momentum_optimizer.step()
momentum_buffer_device = momentum_optimizer.state[next(probe.parameters())]["momentum_buffer"].device
print(f"{sgd_state_tensors=} {momentum_buffer_device=}")

# %% [markdown] lang="zh"
# ## 换到加速器上快了多少
#
# 课程模型对 256 张图做前向计算：先预热一次（第一次要选算法、分配内存），再计时 5 次，前后都同步；
# 在 CPU 上测一次，有加速器时在加速器上再测一次，换算成每秒处理的图片数。
# 有加速器时还要核对它算出的 logits 和 CPU 的一致：比较时关闭 TF32（CUDA 默认给卷积用的一种只有 10 位尾数的格式，
# 会差出 1e-3 左右），两边都是真正的 float32，差距应在 1e-4 以内。

# %% [markdown] lang="en"
# ## What the accelerator buys
#
# A forward pass of the course model over 256 images: one warm-up pass (the first one pays for kernel choice and
# memory allocation), then 5 timed passes, synchronised on both ends; on the CPU and, when there is one, on the
# accelerator, as images per second. On an accelerator the logits must also equal the CPU's: with TF32 off for the
# comparison (a format with a 10-bit mantissa that CUDA uses for convolutions by default, about 1e-3 off), both
# sides are true float32 and agree within 1e-4.

# %%
x, _ = next(iter(DataLoader(test_data, batch_size=256)))  # (256, 3, 32, 32)
timings = {}
for where in [torch.device("cpu")] + ([device] if device.type != "cpu" else []):
    model = copy.deepcopy(tudui).to(where).eval()
    batch = x.to(where)
    with torch.inference_mode():
        model(batch)  # zh: 预热 | en: warm-up
        if where.type != "cpu":
            torch.accelerator.synchronize()
        start = time.perf_counter()
        for _ in range(5):
            model(batch)
        if where.type != "cpu":
            torch.accelerator.synchronize()  # zh: 不同步，时钟会在设备干完活之前停下 | en: else the clock stops early
        seconds = time.perf_counter() - start
    timings[str(where)] = {"seconds": seconds, "images_per_s": 256 * 5 / seconds}
    print(f"{where}: {timings[str(where)]['images_per_s']:,.0f} images/s (5 × 256 images in {seconds:.3f} s)")

logits_max_diff = None
if device.type != "cpu":
    print(f"speed-up {timings[str(device)]['images_per_s'] / timings['cpu']['images_per_s']:.1f}×")
    # zh: 只在这个 with 里关掉卷积的 TF32，出了 with 恢复原样
    # en: TF32 convolutions off inside this with only; the old settings come back after it
    with torch.backends.cudnn.flags(enabled=True, deterministic=True, allow_tf32=False), torch.inference_mode():
        on_cpu = copy.deepcopy(tudui).cpu().eval()(x)
        on_device = tudui.eval()(x.to(device))
    logits_max_diff = (on_cpu - on_device.cpu()).abs().max().item()
    print(f"{logits_max_diff=:.1e}", logits_max_diff <= 1e-4)
