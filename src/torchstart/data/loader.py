"""A DataLoader replacement for data that already sits in memory as one uint8 tensor.

The course's pipeline decodes every image with PIL, runs `ToTensor` on it in Python and
collates 64 of them per step — most of a CPU's time goes to that bookkeeping. Here the
whole split is one uint8 tensor (N, 32, 32, 3) on the training device (150 MB for all of
CIFAR-10's training images; on a GPU it stays there), and each batch is made by:

1. indexing B rows of a seeded random permutation (a new one every epoch),
2. converting uint8 → float and standardising, `(x / 255 - mean) / std`, as one fused
   multiply-subtract on the whole batch,
3. optional augmentation on the whole batch: random translation (pad-and-crop) and
   horizontal flip, drawn from a CPU generator so CPU and GPU runs see the same batches.

Batches come out as (B, 3, 32, 32) float32 in channels_last memory (the HWC storage seen
through a permute), or contiguous NCHW when `channels_last=False`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F


def epoch_order(n: int, seed: int, epoch: int, shuffle: bool = True) -> torch.Tensor:
    """The order of the `n` training images in `epoch`: a permutation seeded by (seed, epoch).

    Seeding by epoch (not by a running generator) means a resumed run sees exactly the
    batches an uninterrupted run would have seen.
    """
    if not shuffle:
        return torch.arange(n)
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator)


def random_translate(x: torch.Tensor, shifts: torch.Tensor, padding: int) -> torch.Tensor:
    """Pad (B, C, H, W) by `padding` with zeros (= the mean after standardising) and crop back.

    `shifts` (B, 2) holds each image's crop offset (row, col) in 0..2*padding; padding 2 and
    shift (2, 2) is the identity. Returns (B, C, H, W) in channels_last memory.
    """
    b, _, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding)).permute(0, 2, 3, 1)  # (B, H+2p, W+2p, C)
    rows = shifts[:, 0, None] + torch.arange(h, device=x.device)  # (B, H)
    cols = shifts[:, 1, None] + torch.arange(w, device=x.device)  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)  # (B, C, H, W)


class TensorLoader:
    """Iterate (images, labels) batches of an in-memory uint8 HWC tensor on `device`.

    Args:
        images: uint8 (N, H, W, C) — kept on `device` for the loader's lifetime.
        labels: int64 (N,).
        batch_size: images per batch.
        device: where batches are made (and where `images` is copied once).
        mean, std: per-channel statistics of pixel/255; (0, 0, 0) and (1, 1, 1) = plain ToTensor.
        shuffle: a fresh seeded permutation every epoch (call `set_epoch`).
        seed: seeds the permutation and the augmentation draws.
        crop_padding: random translation by up to ± this many pixels (0 = off).
        flip: random horizontal flip with probability 0.5.
        channels_last: keep the NHWC memory layout (faster convolutions); False = contiguous NCHW.
        drop_last: drop a last, smaller batch.
        max_batches: stop after this many batches (dry runs).
        rank, world_size: under DDP each process takes every world_size-th image of the permutation.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int,
                 device: torch.device | str = "cpu", mean: Sequence[float] = (0.0, 0.0, 0.0),
                 std: Sequence[float] = (1.0, 1.0, 1.0), shuffle: bool = False, seed: int = 0,
                 crop_padding: int = 0, flip: bool = False, channels_last: bool = True,
                 drop_last: bool = False, max_batches: int | None = None,
                 rank: int = 0, world_size: int = 1) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"images must be uint8 (N, H, W, C), got {images.dtype} {tuple(images.shape)}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size = batch_size
        # (x/255 - mean)/std  ==  x * scale - shift, with scale = 1/(255 std), shift = mean/std; shape (1, C, 1, 1)
        std_t = torch.tensor(std, dtype=torch.float32)
        self.scale = (1.0 / (255.0 * std_t)).view(1, -1, 1, 1).to(self.device)
        self.shift = (torch.tensor(mean, dtype=torch.float32) / std_t).view(1, -1, 1, 1).to(self.device)
        self.shuffle, self.seed = shuffle, seed
        self.crop_padding, self.flip = crop_padding, flip
        self.channels_last, self.drop_last = channels_last, drop_last
        self.max_batches = max_batches
        self.rank, self.world_size = rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the permutation (and augmentation draws) of `epoch`."""
        self.epoch = epoch

    @property
    def num_images(self) -> int:
        """Images this process sees per epoch."""
        n = len(self.labels)
        share = (n - self.rank + self.world_size - 1) // self.world_size
        if self.drop_last:
            share = share // self.batch_size * self.batch_size
        if self.max_batches is not None:
            share = min(share, self.max_batches * self.batch_size)
        return share

    def __len__(self) -> int:
        return -(-self.num_images // self.batch_size)

    def _order(self) -> torch.Tensor:
        order = epoch_order(len(self.labels), self.seed, self.epoch, self.shuffle)
        return order[self.rank::self.world_size][: self.num_images]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = self._order()
        # Augmentation draws come from their own CPU generator, so they repeat across devices and resumes.
        aug = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch + 7_919)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size].to(self.device, non_blocking=True)
            yield self.make_batch(idx, aug)

    def make_batch(self, idx: torch.Tensor, aug: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Images `idx` as a normalised, optionally augmented float batch, and their labels."""
        x = self.images[idx].permute(0, 3, 1, 2)  # (B, C, H, W) view of HWC memory = channels_last
        x = x.float().mul_(self.scale).sub_(self.shift)
        b = x.shape[0]
        if aug is not None and self.crop_padding > 0:
            shifts = torch.randint(0, 2 * self.crop_padding + 1, (b, 2), generator=aug)
            x = random_translate(x, shifts.to(self.device, non_blocking=True), self.crop_padding)
        if aug is not None and self.flip:
            mask = (torch.rand(b, generator=aug) < 0.5).to(self.device, non_blocking=True)
            x = torch.where(mask.view(-1, 1, 1, 1), x.flip(3), x)
        x = x.contiguous(memory_format=torch.channels_last if self.channels_last else torch.contiguous_format)
        return x, self.labels[idx]
