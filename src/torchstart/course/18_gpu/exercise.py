"""Reference solution of exercise 18 (gpu): the course's device choice, and moving the model and the data."""

import torch


def pick_device() -> torch.device:
    """能用 cuda 就用 cuda，否则 mps，再否则 cpu。 / cuda when it can be used, else mps, else cpu."""
    ### BEGIN SOLUTION
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_built() and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
    ### END SOLUTION


def to_device(model, images, labels, device):
    """把模型、图片和标签都搬到 device 上，返回 (model, images, labels)。 / Move the model, the images and the
    labels to device; return (model, images, labels)."""
    ### BEGIN SOLUTION
    model = model.to(device)  # a module moves in place (and returns itself)
    images = images.to(device)  # a tensor does not: .to() returns a moved copy, so keep it
    labels = labels.to(device)
    ### END SOLUTION
    return model, images, labels


if __name__ == "__main__":  # python exercises/18_gpu.py: try it before checking
    print(pick_device())
