"""Reference solution of exercise 20b (predict): a batch of images → each one's k most likely classes, with their
probabilities — what a demo shows under a photo."""

import torch
from torch import nn


def top_k(model: nn.Module, batch: torch.Tensor, classes: list[str], k: int) -> list[list[tuple[str, float]]]:
    """每张图片概率最高的 k 个 (类名, 概率)，从高到低；概率是 softmax 之后的，每行加起来是 1。
    Each image's k most likely (class name, probability), highest first; probabilities after softmax, each row
    summing to 1."""
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        probabilities = model(batch).softmax(dim=1)  # (N, classes): each image's row sums to 1
        values, indices = probabilities.topk(k, dim=1)  # (N, k), highest first
    return [[(classes[i], p) for i, p in zip(row_indices.tolist(), row_values.tolist())]
            for row_indices, row_values in zip(indices, values)]
    ### END SOLUTION
