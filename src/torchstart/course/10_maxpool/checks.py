"""Exercise 10 (maxpool): `max_pool_by_hand` on the course's 5×5 input and on random ones, against F.max_pool2d."""

from __future__ import annotations

from types import ModuleType

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from torchstart.course.kit import COURSE_INPUT as INPUT
from torchstart.course.kit import Check, Mistake, Wrong, by_hand, close, generated, shape, tensor_of, values
from torchstart.i18n import N_, _

# (height, width, kernel): odd sizes where ceil_mode matters, and sizes it does not change
RANDOM_CASES = [(7, 8, 2), (6, 6, 3), (8, 5, 3), (4, 4, 2)]


def _compare(ex: ModuleType, x: torch.Tensor, kernel: int, ceil_mode: bool) -> None:
    want = F.max_pool2d(x[None, None], kernel, ceil_mode=ceil_mode)[0, 0]
    got = tensor_of(ex.max_pool_by_hand(x.clone(), kernel, ceil_mode=ceil_mode), "max_pool_by_hand")
    case = f"{tuple(x.shape)}, kernel={kernel}, ceil_mode={ceil_mode}"
    if tuple(got.shape) != tuple(want.shape):
        other = F.max_pool2d(x[None, None], kernel, ceil_mode=not ceil_mode)[0, 0]
        advice = ""
        if tuple(got.shape) == tuple(other.shape):
            advice = (_("ceil_mode=True keeps the windows that hang over the edge (round the count up)") if ceil_mode
                      else _("ceil_mode=False keeps only whole windows (round the count down)"))
        raise Wrong(_("for {case} your output is {got}, expected {want}").format(
            case=case, got=shape(got), want=shape(want)) + (f": {advice}" if advice else ""))
    if close(got, want):
        return
    windows = F.avg_pool2d(x[None, None], kernel, ceil_mode=ceil_mode)[0, 0]
    if not ceil_mode and close(got, windows):
        raise Wrong(_("for {case} you took each window's mean: max pooling keeps its largest value").format(case=case))
    raise Wrong(_("for {case} your output is {got}, expected {want}: each value is the largest in its window, and "
                  "the windows do not overlap (stride = kernel)").format(case=case, got=values(got),
                                                                         want=values(want)))


def _course(ceil_mode: bool):
    def check(ex: ModuleType) -> None:
        _compare(ex, torch.tensor(INPUT, dtype=torch.float32), 3, ceil_mode)
    return check


@st.composite
def _poolings(draw) -> tuple[torch.Tensor, int, bool]:
    """A small input of integers (sides 1–9), a kernel that fits it (1–4) and a ceil mode."""
    height, width = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kernel = draw(st.integers(1, min(4, height, width)))
    numbers = draw(st.lists(st.integers(-9, 9), min_size=height * width, max_size=height * width))
    return torch.tensor(numbers, dtype=torch.float32).reshape(height, width), kernel, draw(st.booleans())


def _generated_case(ex: ModuleType, x: torch.Tensor, kernel: int, ceil_mode: bool) -> None:
    try:
        _compare(ex, x, kernel, ceil_mode)
    except Wrong as err:  # the smallest input that fails, so the learner can redo it by hand
        raise Wrong(_("{hint} (input {x})").format(hint=err, x=values(x))) from None


def check_random(ex: ModuleType) -> None:
    generator = torch.Generator().manual_seed(10)
    for height, width, kernel in RANDOM_CASES:
        x = torch.randn(height, width, generator=generator)
        for ceil_mode in (False, True):
            _compare(ex, x, kernel, ceil_mode)
    generated(_poolings(), lambda *case: _generated_case(ex, *case), examples=40)


CHECKS = (
    Check(N_("ceil_mode=True on the course's 5×5 input, kernel 3: [[2, 3], [5, 1]]"), _course(True),
          ("max_pool_by_hand",)),
    Check(N_("ceil_mode=False on the same input: [[2]]"), _course(False), ("max_pool_by_hand",)),
    Check(N_("equals F.max_pool2d on random inputs (4 sizes, kernels 2 and 3) and 40 generated ones, both ceil "
             "modes"), check_random, ("max_pool_by_hand",)),
    Check(N_("max_pool_by_hand is written by hand: no max_pool2d, MaxPool2d or unfold"),
          by_hand({"max_pool2d", "MaxPool2d", "unfold", "Unfold", "adaptive_max_pool2d", "max_pool1d"},
                  N_("the pooling"), lambda ex: ex.max_pool_by_hand(torch.ones(4, 4), 2)), ("max_pool_by_hand",)),
)

MISTAKES = (
    Mistake(N_("ceil_mode ignored: the count always rounded down"), "math.ceil if ceil_mode else math.floor",
            "math.floor", "hang over the edge"),
    Mistake(N_("the mean of each window instead of its largest value"), "(j + 1) * kernel].max()",
            "(j + 1) * kernel].mean()", "largest"),
    Mistake(N_("F.max_pool2d called instead of the loops"), "    return out\n",
            "    from torch.nn.functional import max_pool2d\n"
            "    return max_pool2d(x[None, None], kernel, ceil_mode=ceil_mode)[0, 0]\n",
            "by hand"),
)
