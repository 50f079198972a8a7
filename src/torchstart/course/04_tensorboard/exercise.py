"""Reference solution of exercise 4 (tensorboard): the course's y = 2x written with SummaryWriter."""

from torch.utils.tensorboard import SummaryWriter


def write_line(log_dir: str) -> None:
    """把 y = 2x（x = 0…99）写进 log_dir，标签 "y=2x"。 / Write y = 2x for x = 0…99 to log_dir, tag "y=2x"."""
    ### BEGIN SOLUTION
    writer = SummaryWriter(log_dir)
    for i in range(100):
        writer.add_scalar("y=2x", 2 * i, i)
    writer.close()
    ### END SOLUTION
