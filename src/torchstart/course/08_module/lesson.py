# %% [markdown] lang="zh"
# # 第 8 课 nn.Module：神经网络的骨架
#
# PyTorch 里的每个网络都是 `nn.Module` 的子类，写法只有两步：
# 在 `__init__` 里先调用 `super().__init__()`，再把要用的层建好、赋给 `self` 的属性；
# 在 `forward(x)` 里写清楚输入怎样一步步经过这些层，变成输出。
# 这一课先写一个最小的模块（课程视频里的 `Tudui`），再运行 `nn.Module` 官方文档里的示例 `Model`：
# 看输出的形状、它自动登记的参数，用 `F.conv2d` 把前向传播手算一遍，最后看看忘了 `super().__init__()` 会怎样。

# %% [markdown] lang="en"
# # Lesson 8 nn.Module: the skeleton of a network
#
# Every network in PyTorch is a subclass of `nn.Module`, written in two steps: `__init__` first calls
# `super().__init__()` and then builds the layers it needs as attributes of `self`; `forward(x)` says how the
# input goes through those layers, step by step, to become the output. This lesson first writes the smallest
# module (the course video's `Tudui`), then runs the example `Model` from the `nn.Module` documentation: the
# shape of its output, the parameters it registers on its own, its forward pass recomputed with `F.conv2d`, and
# what happens when `super().__init__()` is forgotten.

# %%
import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown] lang="zh"
# ## 最小的模块：输出 = 输入 + 1
#
# 课程视频里的第一个模块没有任何层，`forward` 只把输入加 1。注意调用方式是 `tudui(x)`，像调用函数一样：
# `nn.Module` 的 `__call__` 会替我们调用 `forward`。

# %% [markdown] lang="en"
# ## The smallest module: output = input + 1
#
# The first module in the course video has no layers at all; its `forward` adds 1 to the input. Note the call,
# `tudui(x)`, as if it were a function: `nn.Module`'s `__call__` calls `forward` for us.


# %%
class Tudui(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, input):
        output = input + 1
        return output


tudui = Tudui()
x = torch.tensor(1.0)
output = tudui(x)
print(output)

# %% [markdown] lang="zh"
# ## 官方文档的示例：两层卷积
#
# `Model` 有两层 5×5 的卷积，每层后面接一个 ReLU。`nn.Conv2d(1, 20, 5)` 的意思是 1 个输入通道、20 个输出通道、
# 5×5 的卷积核（第 9 课细讲）。输入一张 28×28 的灰度图（和 MNIST 的手写数字一样大），不加填充的 5×5 卷积
# 让边长各少 4：28 → 24 → 20。

# %% [markdown] lang="en"
# ## The documentation's example: two convolutions
#
# `Model` has two 5×5 convolutions, each followed by a ReLU. `nn.Conv2d(1, 20, 5)` means 1 input channel,
# 20 output channels and a 5×5 kernel (lesson 9 has the details). The input is one 28×28 grey image (the size of
# an MNIST digit); a 5×5 convolution without padding takes 4 off each side length: 28 → 24 → 20.


# %%
class Model(nn.Module):
    def __init__(self) -> None:
        # zh: 先建好登记子模块和参数的结构，后面的 self.conv1 = … 才会被记下来
        # en: sets up what records submodules and parameters, so that self.conv1 = … below is remembered
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)  # (N, 1, H, W) → (N, 20, H − 4, W − 4)
        self.conv2 = nn.Conv2d(20, 20, 5)  # (N, 20, H, W) → (N, 20, H − 4, W − 4)

    def forward(self, x):  # zh: 前向传播，x 是输入 | en: the forward pass; x is the input
        x = F.relu(self.conv1(x))
        return F.relu(self.conv2(x))


# zh: 卷积的权重是随机初始化的，固定种子让每次的数一样
# en: the weights start random; a seed makes the numbers repeatable
torch.manual_seed(0)
model = Model()
print(model)
x = torch.randn(1, 1, 28, 28)  # zh: (N, C, H, W)：一张 28×28 的灰度图 | en: (N, C, H, W): one grey 28×28 image
hidden = model.conv1(x)
output = model(x)
shapes = [x.shape, hidden.shape, output.shape]  # zh: 输入、conv1 之后、conv2 之后 | en: input, after conv1, after conv2
print(shapes)
print(output.min().item())  # zh: 最后一步是 ReLU，不会是负数 | en: ReLU comes last, so never negative

# %% [markdown] lang="zh"
# ## 参数是自动登记的
#
# 只要把层赋给 `self` 的属性，模块就能自己找到它们的参数：`model.parameters()`（交给优化器的就是它）、
# `model.state_dict()`（保存模型时用）、`model.to(device)` 都能看到，不用另写代码登记。
# 每层的参数个数 = 输出通道 × 输入通道 × 5 × 5 个权重，再加每个输出通道一个偏置。

# %% [markdown] lang="en"
# ## Parameters are registered on their own
#
# Assigning a layer to an attribute of `self` is enough for the module to find its parameters:
# `model.parameters()` (what the optimizer gets), `model.state_dict()` (what saving uses) and
# `model.to(device)` all see them, with no code to register them. Each layer has out channels × in channels ×
# 5 × 5 weights, plus one bias per output channel.

# %%
parameters = [(name, tuple(p.shape)) for name, p in model.named_parameters()]
for name, shape in parameters:
    print(name, shape)
parameter_count = sum(p.numel() for p in model.parameters())
print(parameter_count)  # (20 · 1 · 5 · 5 + 20) + (20 · 20 · 5 · 5 + 20)
print(list(model.state_dict()))

# %% [markdown] lang="zh"
# ## 把前向传播手算一遍
#
# `model(x)` 没有什么魔法：同样的权重交给 `F.conv2d` 和 `F.relu`，得到的结果完全相同。
# 再往下一层：`conv1` 输出的一个数，就是输入左上角 5×5 的窗口和一个卷积核逐个相乘、加起来，再加上偏置。

# %% [markdown] lang="en"
# ## The forward pass by hand
#
# `model(x)` holds no magic: the same weights passed to `F.conv2d` and `F.relu` give exactly the same result.
# One level down: one number of `conv1`'s output is the input's top-left 5×5 window times one kernel, summed,
# plus the bias.

# %%
by_hand = F.relu(F.conv2d(F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias)),
                          model.conv2.weight, model.conv2.bias))  # (1, 20, 20, 20)
by_hand_max_diff = (output - by_hand).abs().max().item()
print(by_hand_max_diff)
c = 7  # zh: 随便挑一个输出通道 | en: any output channel
by_sum = (x[0, 0, :5, :5] * model.conv1.weight[c, 0]).sum() + model.conv1.bias[c]
print(hidden[0, c, 0, 0].item(), by_sum.item())

# %% [markdown] lang="zh"
# ## 写 `model(x)`，不写 `model.forward(x)`
#
# 两种写法算出的数一样，区别在于直接调用模块时，`__call__` 除了执行 `forward`，还会执行挂在模块上的钩子（hook）。
# 下面挂一个钩子，每次前向传播都记下输出的形状：`model(x)` 会触发它，`model.forward(x)` 则把它跳过了。

# %% [markdown] lang="en"
# ## Write `model(x)`, not `model.forward(x)`
#
# Both compute the same numbers; the difference is that calling the module runs, besides `forward`, the hooks
# attached to it. Below, a hook records the output's shape on every forward pass: `model(x)` triggers it,
# `model.forward(x)` skips it.

# %%
hook_calls = []
handle = model.register_forward_hook(lambda module, inputs, out: hook_calls.append(tuple(out.shape)))
model(x)
print(hook_calls)
model.forward(x)
print(hook_calls)  # zh: 没有变化：钩子被跳过了 | en: unchanged: the hook was skipped
handle.remove()

# %% [markdown] lang="zh"
# ## 忘了 `super().__init__()`
#
# 漏写这一行，第一句 `self.conv1 = …` 就会出错：负责登记子模块的结构还没有建立。
# 认识一下这条报错，以后一眼就知道缺的是什么。

# %% [markdown] lang="en"
# ## Forgetting `super().__init__()`
#
# Leave that line out and the first `self.conv1 = …` fails: what registers submodules has not been set up yet.
# Meet the message once, and you will know at a glance what is missing.


# %%
class ModelWithoutSuper(nn.Module):
    def __init__(self):
        self.conv1 = nn.Conv2d(1, 20, 5)


try:
    ModelWithoutSuper()
except AttributeError as err:
    missing_super_error = str(err)
    print("AttributeError:", missing_super_error)
