"""Reference solution of exercise 21 (speedrun): the whitening layer's filters from the patches' eigenvectors."""

import torch


def whitening_filters(patches: torch.Tensor, eps: float = 5e-4) -> torch.Tensor:
    """patches (N, D) → (D, D)：第 k 行是 v_k / √(λ_k + eps)，v_k 是二阶矩 patches.T @ patches / N 的特征向量，
    按特征值 λ 从大到小排。 / patches (N, D) → (D, D): row k is v_k / √(λ_k + eps), v_k the eigenvectors of the
    second moment patches.T @ patches / N, sorted by eigenvalue λ, largest first."""
    ### BEGIN SOLUTION
    second_moment = patches.T @ patches / len(patches)  # (D, D): the mean of x xᵀ over all patches
    eigenvalues, eigenvectors = torch.linalg.eigh(second_moment)  # λ ascending; column k is v_k
    filters = eigenvectors.T / torch.sqrt(eigenvalues + eps)[:, None]  # (D, D): row k is v_k / √(λ_k + eps)
    return filters.flip(0)  # the largest λ first
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/21_speedrun.py: try it before checking
    patches = torch.randn(10_000, 12) * torch.linspace(3.0, 0.1, 12)  # 12 directions of very different sizes
    outputs = patches @ whitening_filters(patches).T  # (N, 12): what the layer's 12 filters give
    print((outputs.T @ outputs / len(outputs)).diagonal())  # each close to 1: every direction now has the same size
