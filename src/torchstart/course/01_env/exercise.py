"""Reference solution of exercise 1 (env): what this torch is and which accelerators it can use."""

import torch


def environment() -> dict:
    """torch 的版本，以及 CUDA、MPS 现在能不能用。 / torch's version, and whether CUDA and MPS can be used now."""
    ### BEGIN SOLUTION
    return {
        "torch": torch.__version__,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/01_env.py: try it before checking
    print(environment())
