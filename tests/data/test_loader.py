"""The in-memory batch loader: normalisation, order, augmentation, and agreement with a DataLoader."""

import pytest
import torch
from torch.utils.data import DataLoader

from torchstart.data import CIFAR10_MEAN, CIFAR10_STD, CifarDataset, TensorLoader, epoch_order, load_sample
from torchstart.data.loader import augmented_gather, epoch_share


@pytest.fixture(scope="module")
def sample():
    return load_sample().train


def test_batches_have_the_right_shape_dtype_and_layout(sample):
    loader = TensorLoader(sample.images, sample.labels, batch_size=64, shuffle=True, crop_padding=2, flip=True,
                          mean=CIFAR10_MEAN, std=CIFAR10_STD)
    batches = list(loader)
    assert len(batches) == len(loader) == 32  # 2000 / 64, last batch of 16
    x, y = batches[0]
    assert x.shape == (64, 3, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.is_contiguous(memory_format=torch.channels_last)
    assert batches[-1][0].shape[0] == 2000 - 31 * 64
    assert sum(len(b[1]) for b in batches) == 2000


def test_normalisation_matches_torchvision(sample):
    from torchvision import transforms

    loader = TensorLoader(sample.images, sample.labels, batch_size=8, mean=CIFAR10_MEAN, std=CIFAR10_STD,
                          channels_last=False)
    x, y = next(iter(loader))
    assert x.is_contiguous()
    reference = transforms.Compose([transforms.ToTensor(), transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)])
    dataset = CifarDataset(sample, transform=reference)
    expected = torch.stack([dataset[i][0] for i in range(8)])
    torch.testing.assert_close(x, expected, atol=1e-5, rtol=1e-5)
    assert y.tolist() == [dataset[i][1] for i in range(8)]


def test_each_epoch_is_a_new_seeded_permutation():
    a0, a1 = epoch_order(1000, seed=0, epoch=0), epoch_order(1000, seed=0, epoch=1)
    assert sorted(a0.tolist()) == list(range(1000)) and not torch.equal(a0, a1)
    assert torch.equal(a0, epoch_order(1000, seed=0, epoch=0))
    assert not torch.equal(a0, epoch_order(1000, seed=1, epoch=0))
    assert torch.equal(epoch_order(5, 0, 0, shuffle=False), torch.arange(5))


def test_same_batches_as_the_dataloader_path(sample):
    """The device loader (run here on CPU) gives what Dataset + DataLoader give in the same order."""
    loader = TensorLoader(sample.images, sample.labels, batch_size=100, shuffle=True, seed=3, device="cpu",
                          mean=CIFAR10_MEAN, std=CIFAR10_STD)
    loader.set_epoch(2)
    from torchvision import transforms

    dataset = CifarDataset(sample, transforms.Compose([transforms.ToTensor(),
                                                       transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)]))
    reference = DataLoader(dataset, batch_size=100, sampler=epoch_order(len(sample), 3, 2).tolist())
    for (x, y), (rx, ry) in zip(loader, reference):
        torch.testing.assert_close(x, rx, atol=1e-5, rtol=1e-5)
        assert torch.equal(y, ry)


def pad_crop_flip(image: torch.Tensor, dy: int, dx: int, flip: bool, padding: int) -> torch.Tensor:
    """The reference: reflect-pad an (H, W, C) image, crop H×W at offset (padding+dy, padding+dx), then mirror."""
    h, w, _ = image.shape
    padded = torch.nn.functional.pad(image.permute(2, 0, 1).float(), (padding,) * 4, mode="reflect")
    crop = padded[:, padding + dy:padding + dy + h, padding + dx:padding + dx + w]
    return (crop.flip(2) if flip else crop).permute(1, 2, 0).to(torch.uint8)


@pytest.mark.parametrize("padding", [1, 2, 4])
def test_augmented_gather_equals_pad_crop_flip(sample, padding):
    g = torch.Generator().manual_seed(padding)
    idx = torch.randint(0, len(sample), (40,), generator=g)
    shifts = torch.randint(-padding, padding + 1, (40, 2), generator=g)
    flips = torch.rand(40, generator=g) < 0.5
    out = augmented_gather(sample.images, idx, shifts, flips)
    assert out.shape == (40, 32, 32, 3) and out.dtype == torch.uint8
    for k in range(40):
        expected = pad_crop_flip(sample.images[idx[k]], int(shifts[k, 0]), int(shifts[k, 1]), bool(flips[k]), padding)
        assert torch.equal(out[k], expected)


def test_augmented_batches_keep_shape_dtype_and_statistics(sample):
    loader = TensorLoader(sample.images, sample.labels, batch_size=500, shuffle=True, crop_padding=4, flip=True,
                          mean=CIFAR10_MEAN, std=CIFAR10_STD)
    plain = TensorLoader(sample.images, sample.labels, batch_size=500, shuffle=True, mean=CIFAR10_MEAN,
                         std=CIFAR10_STD)
    (x, y), (p, q) = next(iter(loader)), next(iter(plain))
    assert x.shape == p.shape == (500, 3, 32, 32) and x.dtype == torch.float32 and torch.equal(y, q)
    assert not torch.equal(x, p)
    # Translation and flips move pixels around; the batch's per-channel mean barely changes.
    torch.testing.assert_close(x.mean(dim=(0, 2, 3)), p.mean(dim=(0, 2, 3)), atol=0.02, rtol=0)

def test_flip_hits_half_the_images(sample):
    loader = TensorLoader(sample.images, sample.labels, batch_size=500, shuffle=True, flip=True, seed=0)
    plain = TensorLoader(sample.images, sample.labels, batch_size=500, shuffle=True, seed=0)
    flipped = total = 0
    for epoch in range(10):
        loader.set_epoch(epoch)
        plain.set_epoch(epoch)
        for (x, _), (p, _) in zip(loader, plain):
            changed = (x != p).flatten(1).any(dim=1)
            assert torch.equal(x[changed], p[changed].flip(3))  # every changed image is exactly mirrored
            flipped += int(changed.sum())
            total += len(x)
    assert total == 20000 and abs(flipped / total - 0.5) < 0.02


def test_augmentation_repeats_for_the_same_seed_and_epoch(sample):
    def first_batch():
        loader = TensorLoader(sample.images, sample.labels, batch_size=32, shuffle=True, seed=5,
                              crop_padding=4, flip=True)
        loader.set_epoch(1)
        return next(iter(loader))[0]

    assert torch.equal(first_batch(), first_batch())


def test_shards_for_distributed_training_cover_the_epoch_once(sample):
    shards = [TensorLoader(sample.images, sample.labels, batch_size=64, shuffle=True, rank=r, world_size=2)
              for r in (0, 1)]
    seen = torch.cat([torch.cat([y for _, y in shard]) for shard in shards])
    assert len(seen) == 2000 and torch.equal(seen.sort().values, sample.labels.sort().values)


@pytest.mark.parametrize("n", [2000, 1983, 1985])  # 1983 = 31 global batches of 64 - 1: ranks' shares differ
def test_step_k_of_all_ranks_is_step_k_of_one_process_with_the_global_batch(n):
    # Tiny blank images; labels = image index, so a batch's labels show which images it holds.
    images, labels = torch.zeros((n, 2, 2, 3), dtype=torch.uint8), torch.arange(n)
    single = TensorLoader(images, labels, batch_size=64, shuffle=True, seed=4, min_last_batch=64)
    shards = [TensorLoader(images, labels, batch_size=32, shuffle=True, seed=4, min_last_batch=32, rank=r,
                           world_size=2) for r in (0, 1)]
    for loader in (single, *shards):
        loader.set_epoch(3)
    assert len(single) == len(shards[0]) == len(shards[1]) == n // 64  # same steps: no rank waits for another
    for (_, whole), (_, part0), (_, part1) in zip(single, *shards):
        assert len(part0) == len(part1) == 32
        assert torch.equal(torch.cat([part0, part1]).sort().values, whole.sort().values)


@pytest.mark.parametrize("n, batch, world, share", [
    (9, 8, 1, 8),  # n % b == 1: the one image left over is left out, not a batch of its own
    (10, 8, 1, 10),  # a last batch of 2 is kept
    (17, 8, 1, 16),
    (5, 8, 1, 5),  # n < b: one smaller batch
    (1, 8, 1, 0),  # one image: no batch at all (make_loaders refuses it)
    (1, 1, 1, 1),  # --batch-size 1 (models without BatchNorm): every batch is one image
    (7, 1, 1, 7),
    (9, 4, 2, 4),  # two ranks: a global batch of 8 (4 on each), the 1 left over is left out
    (12, 4, 2, 6),  # the last global batch of 4 → 2 on each rank
    (10, 4, 2, 4),  # the last global batch of 2 → 1 on each rank: left out
    (3, 4, 2, 0),  # n < 2 per rank
    (4, 4, 2, 2),  # n < the global batch: one step of 2 on each rank
    (25, 4, 3, 8),  # three ranks: 2 global batches of 12 (2 steps of 4 on each), the 1 left over: left out
    (30, 4, 3, 10),  # 6 left over → 2 on each rank
    (5, 4, 3, 0),  # 1 on each rank at most: too few
    (6, 1, 3, 2),  # one image per rank per step (without BatchNorm): every image
])
def test_a_training_batch_of_one_is_never_formed(n, batch, world, share):
    assert epoch_share(n, batch, world, min_last_batch=2) == share
    images, labels = torch.zeros((n, 2, 2, 3), dtype=torch.uint8), torch.arange(n)
    shards = [TensorLoader(images, labels, batch_size=batch, shuffle=True, seed=n, min_last_batch=2, rank=r,
                           world_size=world) for r in range(world)]
    sizes = [[len(y) for _, y in shard] for shard in shards]
    assert all(s == sizes[0] for s in sizes) and all(len(s) == len(shard) for s, shard in zip(sizes, shards))
    assert sum(sizes[0]) == share and (batch == 1 or 1 not in sizes[0])  # same steps on every rank, none of one
    seen = torch.cat([torch.zeros(0, dtype=torch.long)] + [y for shard in shards for _, y in shard])
    assert len(seen.unique()) == len(seen) == share * world > n - 2 * world  # each image once, < 2 per rank left out


@pytest.mark.parametrize("n", [1, 2, 9, 64, 65, 129])
@pytest.mark.parametrize("world", [1, 2, 3])
def test_without_a_minimum_every_image_is_used_once_per_epoch(n, world):
    share = epoch_share(n, 32, world)
    assert n - world < share * world <= n  # at most world - 1 images left out: the shares stay equal


def test_max_batches_limits_the_epoch(sample):
    loader = TensorLoader(sample.images, sample.labels, batch_size=64, max_batches=3)
    assert len(loader) == 3 and len(list(loader)) == 3


def test_rejects_float_images(sample):
    with pytest.raises(ValueError, match="uint8"):
        TensorLoader(sample.images.float(), sample.labels, batch_size=4)
