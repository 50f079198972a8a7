"""Exercise 15b (optim): momentum_step against torch.optim.SGD(momentum=…) over several steps — on parameters,
gradients, learning rates and momenta Hypothesis draws — and no torch optimiser in the file."""

from __future__ import annotations

from types import ModuleType

import torch
from hypothesis import strategies as st

from torchstart.course.kit import Check, Mistake, Wrong, by_hand, generated, values
from torchstart.i18n import N_, _

FORBIDDEN = {"SGD", "sgd", "Optimizer", "optim"}  # torch.optim and its functional form


def _steps(start: list[torch.Tensor], grads: list[list[torch.Tensor]], lr: float,
           momentum: float) -> list[list[torch.Tensor]]:
    """The parameters after each step of torch.optim.SGD(lr, momentum)."""
    params = [p.clone().requires_grad_() for p in start]
    optimizer = torch.optim.SGD(params, lr=lr, momentum=momentum)
    after = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = g.clone()
        optimizer.step()
        after.append([p.detach().clone() for p in params])
    return after


def _averaged(start: list[torch.Tensor], grads: list[list[torch.Tensor]], lr: float,
              momentum: float) -> list[list[torch.Tensor]]:
    """The parameters after each step with v ← momentum·v + (1 − momentum)·grad: the average some courses use."""
    params, velocities, after = [p.clone() for p in start], [torch.zeros_like(p) for p in start], []
    for step in grads:
        for p, v, g in zip(params, velocities, step):
            v.mul_(momentum).add_((1 - momentum) * g)
            p -= lr * v
        after.append([p.clone() for p in params])
    return after


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.allclose(x, y, atol=1e-5) for x, y in zip(a, b))


def _advice(got: list[torch.Tensor], start, grads, lr: float, momentum: float, step: int) -> str:
    if _same(got, _steps(start, grads, lr, 0.0)[step]):
        return _("that is plain SGD: the velocity did not carry over — change v in place, v.mul_(momentum)"
                 ".add_(p.grad); v = … inside the loop only names a new tensor")
    if _same(got, _averaged(start, grads, lr, momentum)[step]):
        return _("PyTorch's momentum adds the whole gradient: v ← momentum·v + grad, no (1 − momentum)")
    return _("v ← momentum·v + p.grad, then p ← p − lr·v, for each parameter")


def _compare(ex: ModuleType, start: list[torch.Tensor], grads: list[list[torch.Tensor]], lr: float,
             momentum: float) -> None:
    want = _steps(start, grads, lr, momentum)
    params = [p.clone().requires_grad_() for p in start]
    velocities = [torch.zeros_like(p) for p in start]
    case = _("(lr={lr}, momentum={momentum}, gradients {grads})").format(
        lr=lr, momentum=momentum, grads="; ".join(", ".join(values(g) for g in step) for step in grads))
    for index, step in enumerate(grads):
        before = [p.detach().clone() for p in params]
        for p, g in zip(params, step):
            p.grad = g.clone()
        ex.momentum_step(params, velocities, lr, momentum)
        got = [p.detach() for p in params]
        plain = _steps(start, grads, lr, 0.0)[index]
        if _same(got, before) and not _same(want[index], before) and not _same(plain, before):
            raise Wrong(_("step {step} did not change the parameters: update each one in place, p -= lr * v "
                          "(p = p − … only gives the name p to a new tensor) {case}").format(step=index + 1, case=case))
        if not _same(got, want[index]):
            raise Wrong(_("after step {step} the parameters are {got}, torch.optim.SGD gives {want}: {advice} "
                          "{case}").format(step=index + 1, got=", ".join(values(p) for p in got),
                                           want=", ".join(values(p) for p in want[index]), case=case,
                                           advice=_advice(got, start, grads, lr, momentum, index)))


COURSE = ([torch.tensor([1.0, -2.0]), torch.tensor([[0.5]])],
          [[torch.tensor([0.5, 0.5]), torch.tensor([[1.0]])]] * 3, 0.1, 0.9)


@st.composite
def _cases(draw):
    """1–2 parameters of 1–3 numbers, 2–4 steps of gradients, a learning rate and a momentum."""
    shapes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    number = st.integers(-3, 3).map(float)

    def tensor(size: int) -> torch.Tensor:
        return torch.tensor(draw(st.lists(number, min_size=size, max_size=size)))

    start = [tensor(size) for size in shapes]
    grads = [[tensor(size) for size in shapes] for _step in range(draw(st.integers(2, 4)))]
    return start, grads, draw(st.sampled_from((0.1, 0.5, 1.0))), draw(st.sampled_from((0.5, 0.9)))


def check_course(ex: ModuleType) -> None:
    _compare(ex, *COURSE)


def check_generated(ex: ModuleType) -> None:
    generated(_cases(), lambda *case: _compare(ex, *case), examples=30)


def _probe(ex: ModuleType) -> None:
    p = torch.ones(1, requires_grad=True)
    p.grad = torch.ones(1)
    ex.momentum_step([p], [torch.zeros(1)], 0.1, 0.9)


CHECKS = (
    Check(N_("three steps of momentum_step with the same gradient equal torch.optim.SGD(lr=0.1, momentum=0.9)"),
          check_course, ("momentum_step",)),
    Check(N_("momentum_step equals torch.optim.SGD over 2–4 steps on 30 generated cases"), check_generated,
          ("momentum_step",)),
    Check(N_("momentum_step is written by hand: no torch.optim"), by_hand(FORBIDDEN, N_("the update"), _probe),
          ("momentum_step",)),
)

MISTAKES = (
    Mistake(N_("a new velocity each step (v = …), so it never carries over"), "v.mul_(momentum).add_(p.grad)",
            "v = momentum * v + p.grad", "velocity did not carry over"),
    Mistake(N_("the gradient scaled by (1 − momentum)"), "v.mul_(momentum).add_(p.grad)",
            "v.mul_(momentum).add_((1 - momentum) * p.grad)", "no (1 − momentum)"),
    Mistake(N_("a new tensor named p instead of an update in place"), "p -= lr * v", "p = p - lr * v", "in place"),
    Mistake(N_("the update recorded by autograd (no torch.no_grad())"), "    with torch.no_grad():  # the update",
            "    if True:  # the update", "torch.no_grad()"),
    Mistake(N_("torch.optim.SGD used instead of the update"), "            p -= lr * v\n",
            "            p -= lr * v\n    torch.optim.SGD(params, lr=lr)\n", "by hand"),
)
