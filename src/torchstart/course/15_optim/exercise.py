"""Reference solution of exercise 15 (optim): one SGD step by hand, and the course's training step for an epoch."""

import torch


def sgd_step(params: list[torch.Tensor], lr: float) -> None:
    """一步 SGD：每个参数 p ← p − lr·p.grad，原地修改。 / One SGD step: p ← p − lr·p.grad for every parameter,
    in place."""
    ### BEGIN SOLUTION
    with torch.no_grad():  # the update itself must not be recorded for backward
        for p in params:
            p -= lr * p.grad
    ### END SOLUTION


def train_one_epoch(model, loader, loss_fn, optimizer) -> float:
    """用课程的训练步骤跑一轮，返回各批次损失的平均值（一个 float）。 / One epoch of the course's training step;
    returns the mean of the batch losses (a float)."""
    ### BEGIN SOLUTION
    model.train()
    total = 0.0
    for images, labels in loader:
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad()  # gradients add up across backward() calls unless cleared
        loss.backward()
        optimizer.step()
        total += loss.item()  # .item(): a plain number, so the graph of this step can be freed
    return total / len(loader)
    ### END SOLUTION
