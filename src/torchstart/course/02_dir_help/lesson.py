# %% [markdown] lang="zh"
# # 第 2 课 dir() 和 help()：不离开 Python，查一个包里有什么、怎么用
#
# 课程第三章讲的“两大法宝”：`dir()` 列出一个对象里有哪些名字，`help()` 显示它的说明文档。
# 遇到一个不熟悉的包，先用 `dir()` 看看里面有什么，再用 `help()` 看看某个东西怎么用。
# 这一课把两个函数在代码里用一遍：看一个函数里的名字、`math` 模块、`torch.utils.data`，
# 读 `Dataset` 的帮助，给自己写的类写文档字符串，最后看一个常见的错误写法。

# %% [markdown] lang="en"
# # Lesson 2 dir() and help(): see what a package holds and how to use it, without leaving Python
#
# The course's chapter 三 calls them the two magic tools: `dir()` lists the names an object holds and `help()`
# shows its documentation. Faced with an unfamiliar package, look inside with `dir()`, then read how one thing
# is used with `help()`. This lesson uses both from code: the names inside a function, the `math` module,
# `torch.utils.data`, the help of `Dataset`, docstrings on a class of your own, and finally a common slip.

# %%
import inspect
import math
import pydoc

import torch
import torch.utils.data
from torch.utils.data import Dataset

# %% [markdown] lang="zh"
# ## 不带参数的 dir()：当前作用域里的名字
#
# 不带参数调用 `dir()`，得到的是它所在作用域里的名字，按字母排好序，只有名字没有值。在一个函数里调用，
# 就是这个函数的参数和它里面定义的东西；在脚本最外层调用，列出的是导入的模块、定义的函数和变量，
# 再加上 Python 自己放进去的 `__name__`、`__builtins__` 之类。

# %% [markdown] lang="en"
# ## dir() with no argument: the names of the current scope
#
# Called with no argument, `dir()` lists the names of the scope it is called in, sorted, names only, no values.
# Inside a function those are its parameters and what it defines; at the top level of a script, the modules it
# imported, the functions and variables it defined, and what Python itself puts there (`__name__`,
# `__builtins__`, …).


# %%
def names_in_scope(data, batch_size=3):
    def my_function():  # zh: 在这里定义，所以 dir() 会列出它 | en: defined here, so dir() lists it
        pass

    return dir()


scope_names = names_in_scope([1, 2, 3])
print(scope_names)

# %% [markdown] lang="zh"
# ## dir(模块)：看看 math 里有什么
#
# `dir(math)` 列出 `math` 模块里的所有名字。以 `_` 开头的是私有名字或 Python 自己的 `__双下划线__` 名字，
# 读之前先滤掉。课程提到的 `pi`、`sin`、`cos` 都在里面。用 `inspect` 还能判断每个名字是类、函数还是模块：
# `math.pi` 是一个 float，其余是函数。

# %% [markdown] lang="en"
# ## dir(module): what math holds
#
# `dir(math)` lists every name in the `math` module. Names starting with `_` are private or Python's own
# `__dunder__` names, so filter them out before reading. The ones the course mentions, `pi`, `sin` and `cos`,
# are there. `inspect` tells whether a name is a class, a function or a module: `math.pi` is a float, the
# others are functions.


# %%
def kind_of(obj):
    if inspect.isclass(obj):
        return "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "function"
    if inspect.ismodule(obj):
        return "module"
    return type(obj).__name__


math_names = [name for name in dir(math) if not name.startswith("_")]
math_name_count = len(math_names)
math_kinds = {}
for name in ["pi", "sin", "cos", "sqrt"]:
    math_kinds[f"math.{name}"] = kind_of(getattr(math, name)) if name in dir(math) else "not in dir()"
print(math_name_count)
print(math_kinds)

# %% [markdown] lang="zh"
# ## dir(对象)：自己写的类也一样
#
# 对一个对象用 `dir()`，会列出它所有的属性和方法，包括从 `object` 继承来的 `__init__`、`__str__` 等等。
# 滤掉下划线开头的，剩下的正是自己写的属性 `x` 和方法 `my_method`。

# %% [markdown] lang="en"
# ## dir(object): your own class too
#
# `dir()` on an object lists all its attributes and methods, including `__init__`, `__str__` and the rest it
# inherits from `object`. Without the underscore names, what is left is exactly the attribute `x` and the
# method `my_method` written here.


# %%
class MyClass:
    def __init__(self):
        self.x = 10

    def my_method(self):
        pass


obj = MyClass()
print(dir(obj))
my_class_names = [name for name in dir(obj) if not name.startswith("_")]
print(my_class_names)

# %% [markdown] lang="zh"
# ## 在 torch.utils.data 里找到 Dataset 和 DataLoader
#
# 下一课要用的 `Dataset` 和 `DataLoader` 就在 `torch.utils.data` 里。`dir(torch)` 的公开名字有一千多个，
# 直接看眼睛会花，先用列表推导式筛一下，比如只看名字里带 `cuda` 的。

# %% [markdown] lang="en"
# ## Finding Dataset and DataLoader in torch.utils.data
#
# The `Dataset` and `DataLoader` of the next lesson live in `torch.utils.data`. `dir(torch)` has over a thousand
# public names — too many to read — so filter them with a list comprehension first, e.g. the names with
# `cuda` in them.

# %%
data_names = [name for name in dir(torch.utils.data) if not name.startswith("_")]
print(len(data_names), data_names)
torch_name_count = len([name for name in dir(torch) if not name.startswith("_")])
print(torch_name_count)
print([name for name in dir(torch) if "cuda" in name])

lookups = {}
for parent, name in [(torch.utils.data, "Dataset"), (torch.utils.data, "DataLoader"),
                     (torch.utils.data, "random_split"), (torch, "cuda"), (torch.cuda, "is_available")]:
    found = name in dir(parent)
    lookups[f"{parent.__name__}.{name}"] = kind_of(getattr(parent, name)) if found else "not in dir()"
for name, kind in lookups.items():
    print(f"{name}: {kind}")

# %% [markdown] lang="zh"
# ## help(Dataset)：读说明文档
#
# `help(obj)` 把对象的说明文档打印出来。在终端里它会打开分页器（按 `q` 退出）；`help(Dataset)` 有六十多行，
# 所以这里用 `pydoc.render_doc` 把同样的文字取成一个字符串——`help()` 内部就是这样生成文字、再交给分页器显示的——
# 只打印其中提到 `__getitem__` 的几行。帮助里写明：`Dataset` 的子类必须实现 `__getitem__`。
# `dir(Dataset)` 也能印证：里面有 `__getitem__` 和 `__add__`（用 `+` 拼接两个数据集靠的就是它），
# 却没有 `__len__`，这要在自己写的 Dataset 里补上（第 3 课）。

# %% [markdown] lang="en"
# ## help(Dataset): reading the documentation
#
# `help(obj)` prints the object's documentation. In a terminal it opens a pager (press `q` to leave it);
# `help(Dataset)` is over sixty lines, so here `pydoc.render_doc` takes the same text as a string — `help()`
# makes its text exactly this way and hands it to the pager — and only the lines that mention `__getitem__` are
# printed. The help says every subclass of `Dataset` must write `__getitem__`. `dir(Dataset)` agrees: it has
# `__getitem__` and `__add__` (the `+` that joins two datasets) but no `__len__`, which your own Dataset adds
# (lesson 3).


# %%
def help_text(obj):
    """What help(obj) prints, as a string."""
    return pydoc.render_doc(obj, "Help on %s:", renderer=pydoc.plaintext)


dataset_methods = [name for name in ["__getitem__", "__len__", "__add__"] if name in dir(Dataset)]
print(dataset_methods)  # zh: 没有 __len__ | en: no __len__

dataset_help = help_text(Dataset).splitlines()
dataset_help_title = dataset_help[0]
dataset_help_getitem = [line.strip(" |") for line in dataset_help if "__getitem__" in line]
print(len(dataset_help), dataset_help_title)
for line in dataset_help_getitem:
    print(line)

# %% [markdown] lang="zh"
# ## help() 自己写的类：文档字符串
#
# 给类和方法写上文档字符串（紧跟在 `class` 或 `def` 下一行的字符串），`help()` 就会把它们显示出来：先是类的文档字符串，
# 再在 “Methods defined here” 下面列出每个方法和它自己的文档字符串。横线下面是 Python 给每个类都加的
# `__dict__`、`__weakref__`，和你写的东西无关。所以给自己的类和函数写好文档字符串，别人（包括以后的你）
# 用 `help()` 就能看懂怎么用。

# %% [markdown] lang="en"
# ## help() on a class of your own: docstrings
#
# Give a class and its methods docstrings (a string on the line right after `class` or `def`) and `help()`
# shows them: the class docstring first, then, under "Methods defined here", each method with its own. Below the
# line of dashes Python lists `__dict__` and `__weakref__`, which every class gets and which say nothing about
# yours. So write docstrings for your own classes and functions: whoever uses them — you, later — reads them
# with `help()`.


# %%
class Thermometer:
    """Holds one temperature in degrees Celsius (保存一个摄氏温度).

    A class you write yourself: help() shows this docstring, then each method with its own.
    """

    def __init__(self, celsius=20.0):
        self.celsius = celsius

    def fahrenheit(self):
        """The same temperature in degrees Fahrenheit (换算成华氏度)."""
        return self.celsius * 9 / 5 + 32


help(Thermometer)
fahrenheit = Thermometer(100).fahrenheit()
print(fahrenheit)

# %% [markdown] lang="zh"
# ## 常见错误：多写了一对括号
#
# `help(torch.cuda.is_available())` 看着没毛病，实际上先调用了函数，再去查它返回的那个 `bool` 的帮助——
# 结果读了一页布尔值的说明，CUDA 的影子都没有。要查函数，就把函数本身传进去，别加括号。

# %% [markdown] lang="en"
# ## A common slip: one pair of brackets too many
#
# `help(torch.cuda.is_available())` looks right, but it calls the function first and asks for help on its
# answer, a `bool` — you read a page about booleans and wonder where CUDA went. Pass the function itself,
# without brackets.

# %%
is_available_help_title = help_text(torch.cuda.is_available).splitlines()[0]
called_by_mistake_title = help_text(torch.cuda.is_available()).splitlines()[0]
print(is_available_help_title)  # help(torch.cuda.is_available)
print(called_by_mistake_title)  # help(torch.cuda.is_available())
