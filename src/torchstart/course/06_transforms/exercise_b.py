"""Reference solution of exercise 6b (transforms): the size transforms.Resize gives, and the pipeline that turns
any photo into the (3, 32, 32) input the course's CIFAR-10 model wants."""

from torchvision import transforms


def resize_shape(height: int, width: int, size: int | tuple[int, int]) -> tuple[int, int]:
    """transforms.Resize(size) 把 (height, width) 的图片变成的 (高, 宽)：size 是 (h, w) 时就是它；是一个整数时，
    短边变成 size，长边按比例缩放（向下取整），宽高比不变。
    The (height, width) transforms.Resize(size) gives a height × width image: size itself when it is (h, w); when
    it is one int, the shorter side becomes size and the longer one keeps the ratio (rounded down)."""
    ### BEGIN SOLUTION
    if isinstance(size, tuple):
        return size
    if height <= width:
        return size, int(size * width / height)
    return int(size * height / width), size
    ### END SOLUTION


def cifar_transform(mean: list[float], std: list[float]) -> transforms.Compose:
    """任意大小的 RGB PIL 图片 → (3, 32, 32)、按 mean 和 std 标准化的张量：课程的 CIFAR-10 模型要的输入。
    Any RGB PIL image → a (3, 32, 32) tensor standardised with mean and std: the input the course's CIFAR-10
    model wants."""
    ### BEGIN SOLUTION
    return transforms.Compose([
        transforms.Resize((32, 32)),  # (32, 32), not 32: a single number keeps the aspect ratio
        transforms.ToTensor(),  # PIL (H, W, C) 0–255 → (C, H, W) float in [0, 1]
        transforms.Normalize(mean, std),  # on a tensor: after ToTensor
    ])
    ### END SOLUTION
