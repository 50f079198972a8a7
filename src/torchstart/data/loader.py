"""A DataLoader replacement for data that already sits in memory as one uint8 tensor.

The course's pipeline decodes every image with PIL, runs `ToTensor` on it in Python and
collates 64 of them per step — most of a CPU's time goes to that bookkeeping. Here the
whole split is one uint8 tensor (N, 32, 32, 3) on the training device (150 MB for all of
CIFAR-10's training images; on a GPU it stays there), and each batch is made by:

1. taking B images of a seeded random permutation (a new one every epoch) with one gather
   that also applies the augmentation: each output pixel (row, col) reads source pixel
   (row + dy, col + dx) — a random translation, i.e. pad-and-crop — with the columns read
   backwards for horizontally flipped images. Pixels beyond the border are mirrored back
   inside (reflect padding), so no artificial black or grey frame appears.
2. converting uint8 → float and standardising, `(x / 255 - mean) / std`, as one fused
   multiply-add (`torch.addcmul`) over the batch seen as (B, H·W·C) — contiguous memory, so it
   vectorises (a (1, C, 1, 1) broadcast over channels_last memory runs ~10× slower on a CPU).

The random draws (shifts, flips) come from a CPU generator seeded by (seed, epoch), so CPU and
GPU runs, and resumed runs, see exactly the same batches. With `alternate_flip` the flips are not
drawn anew each epoch: a seeded half of the images starts mirrored, and every image changes side each
epoch, so over two epochs each image is seen both ways exactly once (random flips leave a quarter of
the images unmirrored in both epochs; Jordan 2024, arXiv 2404.00498, §3.6).

Batches come out as (B, 3, 32, 32) float32 in channels_last memory (the HWC storage seen
through a permute), or contiguous NCHW when `channels_last=False`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch


def epoch_seed(seed: int, epoch: int, salt: int = 0) -> int:
    """The generator seed of `epoch` for a run seeded with `seed`: one number per (seed, epoch, use).

    Kept below 2**63 so any seed a learner types (even `date +%s%N`) fits torch's 64-bit generator.
    """
    return (seed * 1_000_003 + epoch + salt) % 2**63


def epoch_order(n: int, seed: int, epoch: int, shuffle: bool = True) -> torch.Tensor:
    """The order of the `n` training images in `epoch`: a permutation seeded by (seed, epoch).

    Seeding by epoch (not by a running generator) means a resumed run sees exactly the
    batches an uninterrupted run would have seen.
    """
    if not shuffle:
        return torch.arange(n)
    generator = torch.Generator().manual_seed(epoch_seed(seed, epoch))
    return torch.randperm(n, generator=generator)


def epoch_share(n: int, batch_size: int, world_size: int = 1, min_last_batch: int = 1) -> int:
    """Images each of `world_size` processes takes from an epoch of `n`, in batches of `batch_size` per process.

    Whole global batches (batch_size × world_size images) first; the rest, a last, smaller global batch, is split
    evenly — every rank takes the same number of steps, so none waits forever for the others at the last one —
    and left out of the epoch when each rank's part would hold fewer than `min_last_batch` images. With
    min_last_batch=2 a training batch of one image is never formed: BatchNorm cannot normalise one image by the
    batch's own statistics (it raises), and without BatchNorm one image is a full-size step on a one-image
    gradient. What is left out, fewer than world_size × min_last_batch images, is the end of that epoch's
    permutation: a different few every epoch. 0 = too few images for even one batch.
    """
    whole = n // (batch_size * world_size)
    rest = (n - whole * batch_size * world_size) // world_size  # each rank's part of the last, smaller batch
    return whole * batch_size + (rest if rest >= min_last_batch else 0)


def reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    """Mirror indices that fall outside 0..size-1 back inside: -1 → 1, -2 → 2, size → size-2 (reflect padding)."""
    index = index.abs()
    return torch.where(index > size - 1, 2 * (size - 1) - index, index)


def augmented_gather(images: torch.Tensor, idx: torch.Tensor, shifts: torch.Tensor,
                     flips: torch.Tensor) -> torch.Tensor:
    """Images `idx` of uint8 (N, H, W, C), translated by `shifts` and mirrored where `flips`.

    `shifts` (B, 2) int: (dy, dx) per image, e.g. in -2..2 for padding 2; `flips` (B,) bool.
    Output pixel (i, j) = source pixel (i + dy, j' + dx) with j' = W-1-j for flipped images, the
    source index reflected at the border — the same as torchvision's
    RandomCrop(padding, padding_mode="reflect") followed by RandomHorizontalFlip. Returns uint8 (B, H, W, C).
    """
    _, h, w, c = images.shape
    cols = torch.arange(w, device=images.device)
    cols = reflect(torch.where(flips[:, None], w - 1 - cols, cols) + shifts[:, 1, None], w)  # (B, W)
    rows = reflect(torch.arange(h, device=images.device) + shifts[:, 0, None], h)  # (B, H)
    # One flat gather of C-byte pixels (about twice as fast as three broadcast index tensors).
    flat = (idx[:, None, None] * h + rows[:, :, None]) * w + cols[:, None, :]  # (B, H, W)
    return images.view(-1, c).index_select(0, flat.flatten()).view(len(idx), h, w, c)


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
        alternate_flip: with flip — each image mirrored in every other epoch instead (a seeded half starts so).
        channels_last: keep the NHWC memory layout (faster convolutions); False = contiguous NCHW.
        min_last_batch: a last, smaller batch of fewer images than this is not formed (see `epoch_share`);
            1 keeps every image, batch_size keeps whole batches only (DataLoader's drop_last).
        max_batches: stop after this many batches (dry runs).
        rank, world_size: under DDP each process takes every world_size-th image of the permutation, so
            step k of all ranks together covers positions k·B … (k+1)·B - 1 of it, B = batch_size × world_size:
            the same images as step k of one process with batch B. Every rank takes the same number of steps
            (a rank with an extra step would wait forever for the others): see `epoch_share`.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int,
                 device: torch.device | str = "cpu", mean: Sequence[float] = (0.0, 0.0, 0.0),
                 std: Sequence[float] = (1.0, 1.0, 1.0), shuffle: bool = False, seed: int = 0,
                 crop_padding: int = 0, flip: bool = False, alternate_flip: bool = False, channels_last: bool = True,
                 min_last_batch: int = 1, max_batches: int | None = None,
                 rank: int = 0, world_size: int = 1) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"images must be uint8 (N, H, W, C), got {images.dtype} {tuple(images.shape)}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size = batch_size
        # (x/255 - mean)/std  ==  x * scale + offset, with scale = 1/(255 std), offset = -mean/std, both
        # repeated for every pixel of an HWC image: shape (1, H·W·C), matching a batch viewed as (B, H·W·C).
        pixels = images.shape[1] * images.shape[2]
        std_t = torch.tensor(std, dtype=torch.float32)
        self.scale = (1.0 / (255.0 * std_t)).repeat(pixels).view(1, -1).to(self.device)
        self.offset = (-torch.tensor(mean, dtype=torch.float32) / std_t).repeat(pixels).view(1, -1).to(self.device)
        self.shuffle, self.seed = shuffle, seed
        self.crop_padding, self.flip, self.alternate_flip = crop_padding, flip, alternate_flip
        self.channels_last, self.min_last_batch = channels_last, min_last_batch
        self.max_batches = max_batches
        self.rank, self.world_size = rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the permutation (and augmentation draws) of `epoch`."""
        self.epoch = epoch

    @property
    def num_images(self) -> int:
        """Images this process sees per epoch."""
        share = epoch_share(len(self.labels), self.batch_size, self.world_size, self.min_last_batch)
        if self.max_batches is not None:
            share = min(share, self.max_batches * self.batch_size)
        return share

    def __len__(self) -> int:
        return -(-self.num_images // self.batch_size)

    def _order(self) -> torch.Tensor:
        order = epoch_order(len(self.labels), self.seed, self.epoch, self.shuffle)
        return order[self.rank::self.world_size][: self.num_images]

    def _augmentation_draws(self, order: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Shifts (n, 2) and flips (n,) for the images `order` (n,) of one epoch, seeded by (seed, epoch)."""
        if self.crop_padding == 0 and not self.flip:
            return None
        n = len(order)
        aug = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch, salt=7_919))
        p = self.crop_padding
        shifts = torch.randint(-p, p + 1, (n, 2), generator=aug) if p > 0 else torch.zeros(n, 2, dtype=torch.long)
        flips = torch.rand(n, generator=aug) < 0.5 if self.flip else torch.zeros(n, dtype=torch.bool)
        if self.flip and self.alternate_flip:  # image i's side: a draw seeded by the run alone, swapped in odd epochs
            starts = torch.Generator().manual_seed(epoch_seed(self.seed, 0, salt=104_729))
            flips = (torch.rand(len(self.labels), generator=starts) < 0.5)[order] ^ bool(self.epoch % 2)
        return shifts, flips

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        # The epoch's order and random draws go to the device in one copy each, up front: a small
        # host→GPU copy every step would make the CPU wait for the GPU, step after step.
        order = self._order()
        draws = self._augmentation_draws(order)
        order = order.to(self.device)
        if draws is not None:
            draws = tuple(t.to(self.device) for t in draws)
        for start in range(0, len(order), self.batch_size):
            part = slice(start, start + self.batch_size)
            yield self.make_batch(order[part], None if draws is None else (draws[0][part], draws[1][part]))

    def make_batch(self, idx: torch.Tensor, draws: tuple[torch.Tensor, torch.Tensor] | None = None,
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        """Images `idx` as a normalised float batch, translated/flipped by `draws` (shifts, flips) if given."""
        hwc = self.images[idx] if draws is None else augmented_gather(self.images, idx, *draws)  # (B, H, W, C)
        b, h, w, c = hwc.shape
        x = torch.addcmul(self.offset, hwc.view(b, -1).float(), self.scale)  # (B, H·W·C) standardised
        x = x.view(b, h, w, c).permute(0, 3, 1, 2)  # (B, C, H, W) view of HWC memory = channels_last
        if not self.channels_last:
            x = x.contiguous()
        return x, self.labels[idx]
