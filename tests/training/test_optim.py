import pytest
import torch

from torchstart.config import recipe
from torchstart.models import build_model
from torchstart.training.optim import build_optimizer, build_scheduler, lr_factor


def lrs(config, total):
    model = build_model("tudui")
    opt = build_optimizer(model, config.optim)
    sched = build_scheduler(opt, config.optim, total)
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_fast_recipe_schedule_shape():
    c = recipe("fast").optim
    total = 1000
    seq = lrs(recipe("fast"), total)
    warmup = round(c.warmup_fraction * total)
    assert seq[0] == pytest.approx(c.start_factor * c.lr)  # start
    assert max(seq) == pytest.approx(c.lr) and seq.index(max(seq)) == warmup  # peak after warm-up
    assert seq[-1] == pytest.approx(c.lr / (total - warmup), rel=1e-6)  # one step before 0
    assert all(b >= a for a, b in zip(seq[:warmup], seq[1:warmup + 1]))  # rising
    assert all(b <= a for a, b in zip(seq[warmup:], seq[warmup + 1:]))  # falling


def test_seed_recipe_lr_is_constant():
    assert set(lrs(recipe("seed"), 50)) == {0.01}


def test_lr_factor_endpoints():
    assert lr_factor(0, 100, 10, 0.1) == pytest.approx(0.1)
    assert lr_factor(10, 100, 10, 0.1) == 1.0
    assert lr_factor(100, 100, 10, 0.1) == 0.0
    assert lr_factor(55, 100, 10, 0.1) == pytest.approx(0.5)


def test_weight_decay_skips_biases():
    groups = build_optimizer(build_model("tudui"), recipe("fast").optim).param_groups
    assert all(p.ndim > 1 for p in groups[0]["params"]) and groups[0]["weight_decay"] == 5e-4
    assert all(p.ndim == 1 for p in groups[1]["params"]) and groups[1]["weight_decay"] == 0
    assert groups[0]["nesterov"] and groups[0]["momentum"] == 0.9


def test_one_sgd_step_equals_the_hand_written_rule():
    """Plain SGD (the seed recipe): w ← w − lr · ∂loss/∂w."""
    torch.manual_seed(0)
    model = build_model("tudui")
    before = [p.detach().clone() for p in model.parameters()]
    opt = build_optimizer(model, recipe("seed").optim)
    loss = torch.nn.functional.cross_entropy(model(torch.randn(8, 3, 32, 32)), torch.arange(8))
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    opt.step()
    for p, w, g in zip(model.parameters(), before, grads):
        torch.testing.assert_close(p.detach(), w - 0.01 * g)
