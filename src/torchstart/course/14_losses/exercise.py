"""Reference solution of exercise 14 (losses): L1, MSE and cross-entropy written with tensor operations."""

import torch


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """像 nn.L1Loss()：|pred − target| 的平均值。 / Like nn.L1Loss(): the mean of |pred − target|."""
    ### BEGIN SOLUTION
    return (pred - target).abs().mean()
    ### END SOLUTION


def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """像 nn.MSELoss()：(pred − target)² 的平均值。 / Like nn.MSELoss(): the mean of (pred − target)²."""
    ### BEGIN SOLUTION
    return ((pred - target) ** 2).mean()
    ### END SOLUTION


def cross_entropy(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """像 nn.CrossEntropyLoss()：scores (N, C) 是没经过 softmax 的分数，targets (N,) 是类别编号。
    Like nn.CrossEntropyLoss(): scores (N, C) are raw scores (no softmax), targets (N,) class indices."""
    ### BEGIN SOLUTION
    rows = torch.arange(len(targets))
    log_sum_exp = torch.log(torch.exp(scores).sum(dim=1))  # (N,): log Σ_j exp(x[j]) of each sample
    return (-scores[rows, targets] + log_sum_exp).mean()  # −x[class] + log Σ_j exp(x[j]), averaged
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/14_losses.py: try it before checking
    print(l1_loss(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 5.0])))
    print(cross_entropy(torch.tensor([[0.1, 0.2, 0.3]]), torch.tensor([1])))
