"""Reference solution of exercise 2 (dir_help): dir() from code, and telling classes from other names."""

import torch.utils.data


def public_names(obj: object) -> list[str]:
    """dir(obj) 里不以 _ 开头的名字，排好序。 / The names in dir(obj) that do not start with _, sorted."""
    ### BEGIN SOLUTION
    return sorted(name for name in dir(obj) if not name.startswith("_"))
    ### END SOLUTION


def classes_in(module: object) -> list[str]:
    """module 里公开的名字中，是类的那些（排好序）。 / The public names in module whose value is a class, sorted."""
    ### BEGIN SOLUTION
    return [name for name in public_names(module) if isinstance(getattr(module, name), type)]
    ### END SOLUTION


if __name__ == "__main__":  # python exercises/02_dir_help.py: try it before checking
    print(classes_in(torch.utils.data))
