"""Reference solution of exercise 19 (pipeline): the test loop that counts correct images, and a training loop."""

import torch
from torch import nn


def evaluate(model: nn.Module, loader) -> tuple[int, int]:
    """测试循环：返回 (预测对的图片数, 图片总数)。 / The test loop: (images classified correctly, images in all)."""
    ### BEGIN SOLUTION
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for images, labels in loader:
            predicted = model(images).argmax(dim=1)  # (B,): the class with the highest score
            correct += (predicted == labels).sum().item()
            total += labels.size(0)
    return correct, total
    ### END SOLUTION


def train(model: nn.Module, loader, epochs: int) -> None:
    """把 model 训练 epochs 轮；优化器和学习率自己选。 / Train model for epochs epochs; the optimiser and the
    learning rate are yours to choose."""
    ### BEGIN SOLUTION
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _epoch in range(epochs):
        model.train()
        for images, labels in loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    ### END SOLUTION
