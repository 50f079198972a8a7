"""Reference solution of exercise 19b (pipeline): one training epoch that reports its loss the way the course's
loop prints it — per image, as a plain number."""

import torch
from torch import nn


def train_one_epoch(model: nn.Module, loader, loss_fn, optimizer: torch.optim.Optimizer) -> float:
    """把 model 在 loader 上训练一轮，返回这一轮里每张图片的平均损失（Python float）。
    Train model for one epoch over loader; return the epoch's mean loss per image (a Python float)."""
    ### BEGIN SOLUTION
    model.train()
    total, images_seen = 0.0, 0
    for images, labels in loader:
        loss = loss_fn(model(images), labels)  # the batch's mean loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * labels.size(0)  # .item(): a number, not the graph; × size: the batch's sum
        images_seen += labels.size(0)
    return total / images_seen
    ### END SOLUTION
