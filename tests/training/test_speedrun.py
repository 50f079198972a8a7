"""The speedrun capstone's pieces, each against a hand computation or torch itself: the model, the whitening
layer, parameter groups and schedule, Lookahead, test-time augmentation, alternating flips, BatchNorm under bf16
autocast, and a short real run that beats the course model."""

import json
import math

import pytest
import torch
from torch import nn

from torchstart.cli import main
from torchstart.config import SPEEDRUN_RECIPE, recipe, with_overrides
from torchstart.data import find_data
from torchstart.data.loader import TensorLoader
from torchstart.models import Speedrun, build_model, count_parameters
from torchstart.models.speedrun import SpeedrunNorm
from torchstart.training.averaging import Lookahead
from torchstart.training.build import WHITENING_IMAGES, fit_to_data, make_loaders, normalization
from torchstart.training.checkpoint import load_checkpoint
from torchstart.training.engine import evaluate, tta_logits
from torchstart.training.optim import build_optimizer, build_scheduler


def test_the_model_maps_cifar_batches_to_logits_with_the_published_size():
    model = build_model("speedrun")
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert count_parameters(model) == 1_972_792  # airbench94's widths 64/256/256 and a 24-channel whitening layer
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    assert frozen == ["whiten.weight"] + [f"blocks.{b}.norm{n}.weight" for b in range(3) for n in (1, 2)]
    assert build_model("speedrun", num_classes=2)(torch.randn(1, 3, 48, 48)).shape == (1, 2)  # other sizes too


def test_each_conv_starts_as_the_identity_on_its_first_filters():
    block = Speedrun().blocks[0]  # 24 → 64 channels, then 64 → 64
    x = torch.randn(1, 24, 7, 7)
    assert torch.equal(block.conv1(x)[:, :24], x)  # dirac init: out channel k = in channel k, for k < 24
    assert not torch.allclose(block.conv1(x)[:, 24:], torch.zeros(1, 40, 7, 7))  # the rest: random init
    y = torch.randn(1, 64, 7, 7)
    assert torch.equal(block.conv2(y), y)
    plain = Speedrun(identity_init=False).blocks[0]
    assert not torch.allclose(plain.conv2(y), y)


@pytest.fixture(scope="module")
def sample():
    return find_data(None, False, image_size=32)  # the embedded real CIFAR-10 sample


def test_the_whitening_layer_whitens_training_patches(sample):
    config = SPEEDRUN_RECIPE
    loader, _test = make_loaders(sample, config, normalization(config, sample), torch.device("cpu"))
    model = Speedrun()
    assert fit_to_data(model, loader) == min(WHITENING_IMAGES, len(sample.train.labels))
    images, _labels = loader.make_batch(torch.arange(len(sample.train.labels)))
    with torch.no_grad():
        out = model.whiten(images) - model.whiten.bias.view(1, -1, 1, 1)  # (N, 24, 31, 31), the filters alone
    first_half = out[:, :12].permute(0, 2, 3, 1).reshape(-1, 12).double()  # the other 12 are their negatives
    covariance = first_half.T @ first_half / len(first_half)
    # torch's own eigenvalues of the patches' second moment: direction k comes out with variance λ_k/(λ_k + eps):
    # ≈ 1 for the six strong directions; the JPEG copy's 4:2:0 chroma subsampling left the colour detail inside
    # a 2×2 patch with λ ≈ 1e-4 … 2e-3, comparable to eps = 5e-4, so those come out smaller
    patches = nn.functional.unfold(images, 2).transpose(1, 2).reshape(-1, 12).double()
    eigenvalues = torch.linalg.eigvalsh(patches.T @ patches / len(patches)).flip(0)
    expected = torch.diag(eigenvalues / (eigenvalues + 5e-4))
    assert torch.allclose(covariance, expected, atol=1e-4)
    assert (covariance.diagonal()[:6] > 0.99).all() and covariance.diagonal()[-1] < 0.5
    assert torch.equal(out[:, 12:], -out[:, :12])
    assert fit_to_data(nn.Linear(2, 2), loader) == 0  # models without a data-dependent layer are left alone


def test_parameter_groups_scale_the_norm_lr_and_divide_its_decay():
    config = SPEEDRUN_RECIPE.optim
    optimizer = build_optimizer(Speedrun(), config)
    groups = {g["name"]: g for g in optimizer.param_groups}
    assert set(groups) == {"weights", "norm", "whitening"}
    assert groups["norm"]["lr"] == pytest.approx(64 * groups["weights"]["lr"]) and groups["weights"]["lr"] == 1.5
    for group in groups.values():  # lr × decay: the same share of every parameter removed per step
        assert group["lr"] * group["weight_decay"] == pytest.approx(1.5 * 0.0153 / 11.5)
    assert sum(p.numel() for g in groups.values() for p in g["params"]) == 1_971_352
    fast = build_optimizer(build_model("tudui"), recipe("fast").optim)
    plain = {g["name"]: g["weight_decay"] for g in fast.param_groups}
    assert plain == {"weights": 5e-4, "biases": 0.0}  # the fast recipe: decay on weights only


def test_the_schedule_is_a_triangle_and_the_whitening_bias_stops_after_its_epochs():
    config = SPEEDRUN_RECIPE.optim
    optimizer = build_optimizer(Speedrun(), config)
    total, per_epoch = 100, 10
    scheduler = build_scheduler(optimizer, config, total, per_epoch)
    seen = []
    for _ in range(total):
        seen.append({g["name"]: g["lr"] / g["initial_lr"] for g in optimizer.param_groups})
        optimizer.step()
        scheduler.step()
    assert seen[0]["weights"] == pytest.approx(0.2) and seen[23]["weights"] == pytest.approx(1.0)
    assert seen[99]["weights"] == pytest.approx(0.07 + 0.93 / 77)  # one step before the end at 0.07
    assert seen[29]["whitening"] == seen[29]["weights"] and seen[30]["whitening"] == 0.0  # 3 epochs of 10 steps


def test_lookahead_blends_every_k_steps_as_computed_by_hand():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    lookahead = Lookahead(model, every=2, peak_decay=0.8, total_steps=4)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model[0].weight.add_(1.0)
        model[1].running_mean.add_(2.0)
    lookahead.after_step(model, 1)  # not a multiple of 2: nothing happens
    assert torch.equal(model[0].weight, start["0.weight"] + 1)
    lookahead.after_step(model, 2)  # decay 0.8·(2/4)³ = 0.1: slow = 0.1·start + 0.9·weights; weights = slow
    assert torch.allclose(model[0].weight, start["0.weight"] + 0.9)
    assert torch.allclose(model[1].running_mean, start["1.running_mean"] + 1.8)  # buffers are averaged too
    assert model[1].num_batches_tracked == 0  # integers are not
    with torch.no_grad():
        model[0].weight.add_(1.0)
    lookahead.after_step(model, 4)  # the last step: the weights become the slow average, which stays
    assert torch.allclose(model[0].weight, start["0.weight"] + 0.9)
    restored = Lookahead(model, every=2, peak_decay=0.8, total_steps=4)
    restored.load_state_dict(lookahead.state_dict())
    assert all(torch.equal(restored.slow[k], lookahead.slow[k]) for k in lookahead.slow)


def test_tta_is_the_mean_of_its_views_logits():
    torch.manual_seed(0)
    model = Speedrun().eval()
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        views = [model(v) for v in (x, x.flip(-1))]
        padded = nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")
        shifted = [model(v) for s in (padded[..., :32, :32], padded[..., 2:, 2:]) for v in (s, s.flip(-1))]
        assert torch.allclose(tta_logits(model, x, 0), views[0])
        assert torch.allclose(tta_logits(model, x, 1), (views[0] + views[1]) / 2, atol=1e-6)
        expected = (views[0] + views[1]) / 4 + sum(shifted) / 8  # the plain pair and the four shifted views
        assert torch.allclose(tta_logits(model, x, 2), expected, atol=1e-6)
    # evaluate with tta: accuracy of the averaged logits
    y = tta_logits(model, x, 2).argmax(1)
    loader = [(x, y)]
    assert evaluate(model, loader, torch.device("cpu"), 10, tta=2).accuracy == 1.0


def test_alternating_flips_show_every_image_both_ways_in_two_epochs():
    images = torch.arange(64, dtype=torch.uint8).view(64, 1, 1, 1).expand(64, 2, 2, 3).contiguous()
    labels = torch.zeros(64, dtype=torch.long)
    loader = TensorLoader(images, labels, batch_size=64, shuffle=True, flip=True, alternate_flip=True, seed=5)
    sides = []
    for epoch in range(3):
        loader.set_epoch(epoch)
        order = loader._order()
        _shifts, flips = loader._augmentation_draws(order)
        sides.append(dict(zip(order.tolist(), flips.tolist())))
    assert all(sides[0][i] != sides[1][i] and sides[0][i] == sides[2][i] for i in range(64))
    assert 16 < sum(sides[0].values()) < 48  # a random half starts mirrored


def test_batchnorm_stays_fp32_under_bf16_autocast():
    model = Speedrun().to(memory_format=torch.channels_last)
    x = torch.randn(8, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(x).float().sum().backward()
    norms = [m for m in model.modules() if isinstance(m, SpeedrunNorm)]
    assert len(norms) == 6
    for norm in norms:
        assert {t.dtype for t in (norm.weight, norm.bias, norm.running_mean, norm.running_var)} == {torch.float32}
        assert norm.bias.grad.dtype == torch.float32
    # and its statistics are those of fp32 arithmetic on the bf16 activations
    norm = SpeedrunNorm(4)
    a = torch.randn(16, 4, 5, 5).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        norm(a)
    assert torch.allclose(norm.running_mean, 0.4 * a.float().mean((0, 2, 3)), atol=1e-6)


@pytest.mark.slow
def test_a_short_speedrun_on_the_sample_beats_the_course_model_run_as_long(tmp_path):
    epochs = ["--epochs", "4", "--quiet", "--device", "cpu", "--seed", "0"]
    assert main(["train", "--recipe", "speedrun", "--batch-size", "128", "--lr", "0.1875", *epochs,
                 "--out", str(tmp_path / "speedrun")]) == 0
    assert main(["train", "--recipe", "fast", *epochs, "--out", str(tmp_path / "course")]) == 0
    ours, course = (json.loads((tmp_path / r / "metrics.json").read_text()) for r in ("speedrun", "course"))
    assert ours["epochs"][-1]["test_views"] == 6 and course["epochs"][-1]["test_views"] == 1
    assert ours["epochs"][-1]["test_accuracy"] > course["epochs"][-1]["test_accuracy"] + 0.03
    assert math.isclose(ours["epochs"][-1]["lr"], 0.1875 * 0.07, rel_tol=0.02)


@pytest.mark.slow
def test_init_from_a_speedrun_checkpoint_keeps_its_whitening_and_torchrun_trains_it(tmp_path):
    from test_ddp import torchrun  # tests/training/test_ddp.py: 2 gloo processes

    short = ["--recipe", "speedrun", "--epochs", "1", "--max-train-images", "512", "--batch-size", "128", "--quiet",
             "--device", "cpu"]
    assert main(["train", *short, "--out", str(tmp_path / "first")]) == 0
    first = load_checkpoint(tmp_path / "first" / "checkpoints" / "last.pt")
    assert first["lookahead_state"]["whiten.weight"].shape == (24, 3, 2, 2)
    assert main(["train", *short, "--seed", "7", "--init", str(tmp_path / "first" / "checkpoints" / "last.pt"),
                 "--out", str(tmp_path / "second")]) == 0
    second = load_checkpoint(tmp_path / "second" / "checkpoints" / "last.pt")
    assert torch.equal(second["model_state"]["whiten.weight"], first["model_state"]["whiten.weight"])  # not refit

    launched = torchrun(*short, "--out", str(tmp_path / "ddp"))  # 2 gloo processes, 64 images each per step
    assert "4 steps of 128 (2 processes × 64)" in launched.stdout
    ddp = load_checkpoint(tmp_path / "ddp" / "checkpoints" / "last.pt")
    assert ddp["step"] == 4 and ddp["epoch"] == 1 and ddp["lookahead_state"] is not None


def test_the_recipe_takes_airbench94s_steps_in_mean_loss_units():
    """airbench94 states lr 11.5 and weight decay 0.0153 "per 1024 examples" for a loss summed over the batch,
    both divided by 1024·(1 + 1/(1 - momentum)). Written out in plain torch here, with BatchNorm biases at 64× lr and
    decay/lr per group, it must take exactly the steps of our mean-loss recipe (float64: equal to rounding)."""
    torch.manual_seed(0)
    batch, steps = 32, 6
    x, y = torch.randn(batch * steps, 3, 32, 32, dtype=torch.float64), torch.randint(0, 10, (batch * steps,))
    ours, theirs = Speedrun().double(), Speedrun().double()
    theirs.load_state_dict(ours.state_dict())
    start = {name: t.clone() for name, t in ours.state_dict().items()}
    momentum = 0.85
    kilostep = 1024 * (1 + 1 / (1 - momentum))
    lr, decay = 11.5 / kilostep, 0.0153 * batch / kilostep
    norm = [p for name, p in theirs.named_parameters() if "norm" in name and p.requires_grad]
    other = [p for name, p in theirs.named_parameters() if "norm" not in name and p.requires_grad]
    sgd = torch.optim.SGD([{"params": norm, "lr": 64 * lr, "weight_decay": decay / (64 * lr)},
                           {"params": other, "lr": lr, "weight_decay": decay / lr}], momentum=momentum, nesterov=True)
    config = with_overrides(SPEEDRUN_RECIPE, lr=1.5 * batch / 1024, lookahead_every=0).optim
    optimizer = build_optimizer(ours, config)
    for step in range(steps):  # constant lr: the schedule is tested on its own above
        xb, yb = x[step * batch:(step + 1) * batch], y[step * batch:(step + 1) * batch]
        summed = nn.functional.cross_entropy(theirs(xb), yb, label_smoothing=0.2, reduction="sum")
        sgd.zero_grad()
        summed.backward()
        sgd.step()
        mean = nn.functional.cross_entropy(ours(xb), yb, label_smoothing=0.2)
        optimizer.zero_grad()
        mean.backward()
        optimizer.step()
    moved = max((t - start[name]).abs().max().item() for name, t in ours.state_dict().items() if t.is_floating_point())
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert torch.allclose(a, b, rtol=0, atol=1e-10), name
    assert moved > 1e-3  # the steps did move the weights
