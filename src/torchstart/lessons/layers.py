"""Lesson 12 — other common layers (课程第十二章：其他神经网络层).

中文：在一批真实的 CIFAR-10 图像上逐个试用课程提到的层：BatchNorm2d 在训练模式下把每个通道变成均值 0、
标准差 1，并和手算的 (x − mean) / sqrt(var + eps) 核对；Dropout 在训练模式下把约 p 比例的元素置零、
其余乘以 1/(1 − p)，在评估模式下原样输出；再看 RNN、TransformerEncoderLayer（batch_first=True）和
Embedding 的输出形状；最后对比 `torch.flatten` 与 `nn.Flatten`：前者把 64 张图拉成一行 (196608,)，
整批被当成一个样本，后者保留批次维得到 (64, 3072)。

English: try the chapter's layers one by one on a batch of real CIFAR-10 images: BatchNorm2d in train mode
gives every channel mean 0 and std 1, checked against a hand-computed (x − mean) / sqrt(var + eps); Dropout
in train mode zeroes about a fraction p and scales the rest by 1/(1 − p), and is the identity in eval mode;
then the output shapes of RNN, TransformerEncoderLayer (batch_first=True) and Embedding; finally
`torch.flatten` vs `nn.Flatten`: the first turns 64 images into one row (196608,), so the whole batch
becomes a single sample; the second keeps the batch dimension, (64, 3072).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..data import TensorLoader, find_cifar10
from ..device import seed_everything
from ..i18n import N_, _, columns
from .runner import lesson_main

BATCH = 64  # images, as in the course
DROPOUT_P = 0.5  # nn.Dropout's default
DROPOUT_SIZE = 1_000_000  # values: the zeroed fraction is then within ±0.0025 (5σ) of p
SEED = 0


@dataclass
class BatchNormCheck:
    channel_means: list[float]  # per channel of the BN output; ≈ 0
    channel_stds: list[float]  # per channel, population std (what BN divides by); ≈ 1
    max_diff_vs_hand: float  # |BN output − (x − mean) / sqrt(var + eps)|, largest element
    running_mean: list[float]  # after one batch: 0.9 · 0 + 0.1 · batch mean (momentum 0.1)


@dataclass
class DropoutCheck:
    p: float
    values: int
    zeroed_fraction: float  # ≈ p in train mode
    kept_scaled_exactly: bool  # every kept value == x · (1 / (1 − p)), bit for bit
    eval_is_identity: bool


@dataclass
class Result:
    input_shape: tuple[int, ...]  # the CIFAR batch (64, 3, 32, 32), floats in [0, 1]
    batchnorm: BatchNormCheck
    dropout: DropoutCheck
    shapes: dict[str, tuple[int, ...]]  # layer → output shape


def cifar_batch(data_dir: Path | None = None, n: int = BATCH, seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """n random training images as (n, 3, 32, 32) floats in [0, 1] (what ToTensor gives) and their labels."""
    split = find_cifar10(data_dir).train.subset(n, seed)
    return next(iter(TensorLoader(split.images, split.labels, batch_size=n, channels_last=False)))


def batchnorm_check(x: torch.Tensor) -> BatchNormCheck:
    bn = nn.BatchNorm2d(3)  # weight 1, bias 0 at the start, so the output is just the standardised input
    bn.train()  # train mode: normalise with this batch's statistics (eval mode uses the running ones)
    y = bn(x).detach()
    # BN's statistics per channel run over batch, height and width: dims (0, 2, 3); the variance it divides
    # by is the population one (unbiased=False)
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    by_hand = (x - mean) / torch.sqrt(var + bn.eps)
    return BatchNormCheck(channel_means=y.mean(dim=(0, 2, 3)).tolist(),
                          channel_stds=y.std(dim=(0, 2, 3), unbiased=False).tolist(),
                          max_diff_vs_hand=(y - by_hand).abs().max().item(),
                          running_mean=bn.running_mean.tolist())


def dropout_check(p: float = DROPOUT_P, size: int = DROPOUT_SIZE, seed: int = SEED) -> DropoutCheck:
    seed_everything(seed)  # dropout draws its mask from torch's global generator
    x = torch.rand(size) + 1.0  # values in [1, 2): an output zero can only come from dropout
    dropout = nn.Dropout(p)
    y = dropout(x)  # a fresh module is in train mode
    kept = y != 0
    # torch multiplies by the float 1/(1 − p); for p = 0.5 that is exactly x / (1 − p) = 2x, for other p it can
    # differ from a true division in the last bit
    exact = torch.equal(y[kept], x[kept] * (1 / (1 - p)))
    dropout.eval()
    return DropoutCheck(p=p, values=size, zeroed_fraction=1.0 - kept.float().mean().item(),
                        kept_scaled_exactly=exact, eval_is_identity=torch.equal(dropout(x), x))


def layer_shapes(x: torch.Tensor, labels: torch.Tensor) -> dict[str, tuple[int, ...]]:
    """Output shapes of the sequence layers and of both ways to flatten the batch x (B, 3, 32, 32)."""
    b = x.shape[0]
    # A sequence view of the images: each of the 32 pixel rows is one time step of 3·32 = 96 numbers.
    rows = x.permute(0, 2, 1, 3).reshape(b, 32, 96)  # (B, T=32, F=96)
    rnn = nn.RNN(input_size=96, hidden_size=128, batch_first=True)
    rnn_out, h_n = rnn(rows)  # (B, T, 128) every step; (layers=1, B, 128) the last step
    encoder = nn.TransformerEncoderLayer(d_model=96, nhead=4, dim_feedforward=256, batch_first=True)
    encoded = encoder(rows)  # (B, T, 96): attention mixes the steps, the shape stays
    embedding = nn.Embedding(num_embeddings=10, embedding_dim=16)  # one learnable 16-vector per class
    embedded = embedding(labels)  # (B,) integer labels → (B, 16)

    # The course flattens the whole batch into one row and feeds it to Linear(196608, 10): one output for
    # all 64 images together. nn.Flatten keeps dim 0 (the batch), so Linear(3072, 10) gives one per image.
    one_row = torch.flatten(x)  # (B·3·32·32,) = (196608,)
    per_image = nn.Flatten()(x)  # (B, 3072)
    with torch.no_grad():
        course_linear = nn.Linear(one_row.numel(), 10)(one_row.reshape(1, -1))  # (1, 10); 1,966,090 weights
        batch_linear = nn.Linear(per_image.shape[1], 10)(per_image)  # (B, 10)
    # keys stay English in the result (and its JSON); describe() shows them translated
    shapes = {N_("RNN output"): rnn_out, "RNN h_n": h_n, "TransformerEncoderLayer": encoded, "Embedding": embedded,
              "torch.flatten": one_row, "nn.Flatten": per_image, N_("Linear(196608, 10) on one row"): course_linear,
              N_("Linear(3072, 10) on nn.Flatten"): batch_linear}
    return {name: tuple(t.shape) for name, t in shapes.items()}


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    x, labels = cifar_batch(data_dir)  # (64, 3, 32, 32), (64,)
    return Result(input_shape=tuple(x.shape), batchnorm=batchnorm_check(x), dropout=dropout_check(),
                  shapes=layer_shapes(x, labels))


def describe(result: Result) -> str:
    bn, do = result.batchnorm, result.dropout
    lines = [_("input: CIFAR-10 batch {shape}, pixels in [0, 1]").format(shape=result.input_shape),
             _("BatchNorm2d (train mode):"),
             _("    channel means {values}").format(values=", ".join(f"{v:+.1e}" for v in bn.channel_means)),
             _("    channel stds  {values}").format(values=", ".join(f"{v:.5f}" for v in bn.channel_stds)),
             _("    largest difference from (x − mean) / sqrt(var + eps): {diff:.1e}").format(diff=bn.max_diff_vs_hand),
             _("    running_mean after one batch {values}").format(
                 values=", ".join(f"{v:.4f}" for v in bn.running_mean)),
             _("Dropout(p={p}) on {n:,} values:").format(p=do.p, n=do.values),
             _("    train mode: zeroed {fraction:.4f}, kept values == x · 1/(1 − p): {exact}").format(
                 fraction=do.zeroed_fraction, exact=do.kept_scaled_exactly),
             _("    eval mode: output == input: {same}").format(same=do.eval_is_identity),
             _("output shapes:")]
    names = {name: _(name) for name in result.shapes}
    width = max(columns(shown) for shown in names.values()) + 2
    lines += [f"    {shown}{' ' * (width - columns(shown))}{result.shapes[name]}" for name, shown in names.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("layers", argv)


if __name__ == "__main__":
    raise SystemExit(main())
