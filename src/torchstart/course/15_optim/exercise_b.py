"""Reference solution of exercise 15b (optim): one step of SGD with momentum by hand — what
torch.optim.SGD(params, lr, momentum=0.9) does in its step()."""

import torch


def momentum_step(params: list[torch.Tensor], velocities: list[torch.Tensor], lr: float, momentum: float) -> None:
    """带动量的 SGD 一步：对每个参数 p 和它的速度 v（和 p 同形状，一开始全是 0）：v ← momentum·v + p.grad，
    p ← p − lr·v。两者都原地修改。
    One step of SGD with momentum: for each parameter p and its velocity v (shaped like p, zeros at first):
    v ← momentum·v + p.grad, p ← p − lr·v. Both are changed in place."""
    ### BEGIN SOLUTION
    with torch.no_grad():  # the update itself must not be recorded for backward
        for p, v in zip(params, velocities):
            v.mul_(momentum).add_(p.grad)  # in place: the velocity carries over to the next step
            p -= lr * v
    ### END SOLUTION
