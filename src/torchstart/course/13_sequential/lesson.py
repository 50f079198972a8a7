# %% [markdown] lang="zh"
# # 第 13 课 用 nn.Sequential 搭出课程的 CIFAR-10 模型
#
# `nn.Sequential` 把若干层按顺序串起来：前一层的输出直接作为后一层的输入，`forward` 里只剩一行。
# 它有两种写法：`nn.Sequential(层1, 层2, …)`，各层按位置编号 0、1、2……；以及
# `nn.Sequential(OrderedDict([("名字", 层), …]))`，各层有自己的名字。
#
# 课程用它搭了一个给 CIFAR-10 分类的小网络，后面的训练课一直用的就是它：
#
# ```
# 3@32×32 → 卷积 5×5 → 32@32×32 → 最大池化 2 → 32@16×16
#         → 卷积 5×5 → 32@16×16 → 最大池化 2 → 32@8×8
#         → 卷积 5×5 → 64@8×8   → 最大池化 2 → 64@4×4
#         → 展平 → 1024 → 线性 → 64 → 线性 → 10
# ```
#
# 卷积后尺寸不变，padding 该取多少？代入第 9 课的输出尺寸公式：32 = (32 + 2·padding − 5) / 1 + 1，
# 解出 padding = 2。注意课程的模型在层与层之间没有激活函数，最大池化是它唯一的非线性；我们照原样保留。

# %% [markdown] lang="en"
# # Lesson 13 The course's CIFAR-10 model with nn.Sequential
#
# `nn.Sequential` chains layers in order: the output of one is the input of the next, and `forward` shrinks to
# one line. It comes in two forms: `nn.Sequential(layer1, layer2, …)`, whose layers are numbered 0, 1, 2, …
# by position, and `nn.Sequential(OrderedDict([("name", layer), …]))`, whose layers have names.
#
# The course builds with it a small CIFAR-10 classifier, the one all the later training lessons use:
#
# ```
# 3@32×32 → conv 5×5 → 32@32×32 → max-pool 2 → 32@16×16
#         → conv 5×5 → 32@16×16 → max-pool 2 → 32@8×8
#         → conv 5×5 → 64@8×8   → max-pool 2 → 64@4×4
#         → flatten → 1024 → linear → 64 → linear → 10
# ```
#
# Which padding keeps the size through a convolution? Put it into lesson 9's output-size formula:
# 32 = (32 + 2·padding − 5) / 1 + 1 gives padding = 2. Note that the course's model has no activation
# between its layers — max-pooling is its only non-linearity; we keep it as it is.

# %%
import warnings
from collections import OrderedDict

import torch
from torch import nn
from torch.nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential
from torch.utils.tensorboard import SummaryWriter

# %% [markdown] lang="zh"
# ## 课程的模型
#
# 把上面的结构一层一层写进 `Sequential`，`print` 出来就能看到每层的设置和编号。
# 这里只关心形状，所以和课程一样，输入是一批 64 张、全是 1 的“图片”。

# %% [markdown] lang="en"
# ## The course's model
#
# Write the structure above into a `Sequential`, layer by layer; `print` shows every layer's settings and
# number. Only the shapes matter here, so the course's input is a batch of 64 "images" full of ones.


# %%
class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        # zh: 属性名 model 决定了 state_dict 的键（model.0.weight …），后面保存、加载模型都靠它
        # en: the attribute name `model` makes the state_dict keys (model.0.weight, …) that saving and loading use
        self.model = Sequential(
            Conv2d(3, 32, 5, padding=2),
            MaxPool2d(2),
            Conv2d(32, 32, 5, padding=2),
            MaxPool2d(2),
            Conv2d(32, 64, 5, padding=2),
            MaxPool2d(2),
            Flatten(),
            Linear(1024, 64),
            Linear(64, 10),
        )

    def forward(self, x):
        x = self.model(x)
        return x


# zh: 权重是随机初始化的，不影响任何形状；固定种子只是为了每次运行的数一样
# en: the weights start random and change no shape; the seed only makes runs repeat
torch.manual_seed(0)
tudui = Tudui()
print(tudui)
input = torch.ones((64, 3, 32, 32))
output = tudui(input)
print(output.shape)  # (64, 10)

# %% [markdown] lang="zh"
# ## 一层一层地看形状和参数
#
# `Sequential` 可以直接遍历，于是可以把输入一层一层送进去，记下每层的输出形状和参数个数。参数个数是权重加偏置，
# 比如第一个卷积是 3·32·5·5 + 32 = 2,432；池化层和 `Flatten` 没有参数。逐层算完的结果和 `tudui(input)` 完全一样。

# %% [markdown] lang="en"
# ## Shapes and parameters, one layer at a time
#
# A `Sequential` can be iterated, so the input can go through one layer at a time while each layer's output
# shape and parameter count are written down. A count is weights plus biases, e.g. 3·32·5·5 + 32 = 2,432 for
# the first convolution; pooling and `Flatten` have none. The result of doing it by hand is exactly
# `tudui(input)`.

# %%
x = input
layer_shapes = []
layer_parameters = []
print(f"{'name':<9}{'output shape':<19}{'params':>7}  layer")
for i, layer in enumerate(tudui.model):
    x = layer(x)
    parameters = sum(p.numel() for p in layer.parameters())
    layer_shapes.append(tuple(x.shape))
    layer_parameters.append(parameters)
    print(f"model.{i:<3}{str(tuple(x.shape)):<19}{parameters:>7,}  {layer}")
total_parameters = sum(p.numel() for p in tudui.parameters())
print(f"{total_parameters=:,}")
print(torch.equal(x, output))

# %% [markdown] lang="zh"
# 自己写模型时最容易出错的是 `Linear(1024, 64)` 里的 1024：它必须等于展平后真正到达这一层的数的个数，
# 也就是 64 个通道 × 4 × 4 = 1024。上面的表把它的来历一步步列了出来。换一个批次大小，只有第一维会变；
# 换一个图片尺寸（比如 64×64），展平后就是 64 × 8 × 8 = 4096 个数，`Linear` 就报错了——改了卷积或者图片尺寸，
# 就要回来改这个数。

# %% [markdown] lang="en"
# The number that breaks most hand-written models is the 1024 in `Linear(1024, 64)`: it must equal what
# actually reaches that layer after flattening, 64 channels × 4 × 4 = 1024. The table above shows where it
# comes from, step by step. Another batch size changes only the first dimension; another image size (say
# 64×64) flattens to 64 × 8 × 8 = 4096 numbers and `Linear` fails — change a convolution or the image size,
# and this is the number to come back to.

# %%
print(tudui(torch.ones((3, 3, 32, 32))).shape)  # (3, 10)
try:
    tudui(torch.ones((1, 3, 64, 64)))
    size_error = ""
except RuntimeError as err:
    size_error = str(err)
print(size_error)

# %% [markdown] lang="zh"
# ## 第二种写法：给每层起名字
#
# 用 `OrderedDict` 把名字和层配成对，搭出的是同一个网络，参数个数也一样。区别在 `state_dict` 的键：
# 编号写法是 `0.weight`（放进 `Tudui` 里就是 `model.0.weight`），起名字的写法是 `conv1.weight`。
# 所以用一种写法保存的权重，不改键名是加载不进另一种写法的模型的。按顺序把键名换过来，
# 两个网络的权重就一样了，同一个输入得到的输出也完全相同。

# %% [markdown] lang="en"
# ## The second form: a name for every layer
#
# With an `OrderedDict` pairing names with layers, the network is the same and so is its parameter count.
# What differs are the `state_dict` keys: `0.weight` in the numbered form (`model.0.weight` inside `Tudui`),
# `conv1.weight` in the named one. So weights saved from one form do not load into the other without
# renaming the keys. Rename them in order and the two networks hold the same weights and give exactly the
# same output for the same input.

# %%
named = Sequential(OrderedDict([
    ("conv1", Conv2d(3, 32, 5, padding=2)),
    ("pool1", MaxPool2d(2)),
    ("conv2", Conv2d(32, 32, 5, padding=2)),
    ("pool2", MaxPool2d(2)),
    ("conv3", Conv2d(32, 64, 5, padding=2)),
    ("pool3", MaxPool2d(2)),
    ("flatten", Flatten()),
    ("linear1", Linear(1024, 64)),
    ("linear2", Linear(64, 10)),
]))
named_layers = [name for name, layer in named.named_children()]
named_parameters = sum(p.numel() for p in named.parameters())
print(named_layers)
print(f"{named_parameters=:,}")
print(list(tudui.state_dict())[:2], list(named.state_dict())[:2])

# zh: 按顺序把 model.0.weight → conv1.weight …，再加载
# en: rename in order, model.0.weight → conv1.weight, …, then load
renamed = dict(zip(named.state_dict(), tudui.state_dict().values()))
named.load_state_dict(renamed)
print(torch.equal(named(input), output))

# %% [markdown] lang="zh"
# ## 把计算图写进 TensorBoard
#
# `add_graph` 让模型真的跑一遍，记下哪一层连着哪一层。运行 `tensorboard --logdir logs_seq`，打开 GRAPHS 页，
# 双击 `Tudui`、再双击 `Sequential`，就能看到这九层，点开每一层还能看到输入输出的形状。

# %% [markdown] lang="en"
# ## The graph in TensorBoard
#
# `add_graph` runs the model once and records which layer feeds which. Run `tensorboard --logdir logs_seq`,
# open the GRAPHS tab and double-click `Tudui`, then `Sequential`, to see the nine layers; click one to see
# the shapes going in and out.

# %%
# zh: add_graph 内部用 torch.jit.trace 记录计算图，新版 torch 会提示它已弃用；这是 TensorBoard 内部的事，
# zh: 和我们的模型无关，所以这一条提示不显示（课程的代码里没有这一行）
# en: add_graph records the graph with torch.jit.trace, which current torch reports as deprecated; that is
# en: TensorBoard's business, not our model's, so that one notice is hidden (the course has no such line)
warnings.filterwarnings("ignore", message=r".*torch\.jit\.trace", category=FutureWarning)
writer = SummaryWriter("logs_seq")  # zh: 课程写在 ./logs/logs_seq | en: the course: ./logs/logs_seq
writer.add_graph(tudui, input)
writer.close()
