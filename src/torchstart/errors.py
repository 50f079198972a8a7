"""Every error kind torchstart raises on purpose, each with the cause and the fix in one line.

Raise `TorchstartError` (or a subclass) anywhere a learner's input is wrong: a bad path,
a corrupt checkpoint, an impossible flag. The CLI turns it into one line on stderr and
exit code 2, with no traceback. Everything else is a bug and keeps its traceback.

Two kinds are not mistakes but ways a run ends: `TrainingDiverged` (a NaN/inf loss, also exit 2:
the fix is a smaller learning rate) and `TrainingInterrupted` (Ctrl-C, exit 130).
"""

from __future__ import annotations

from pathlib import Path

EXIT_USAGE = 2  # the learner's input was wrong; same code argparse uses
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class TorchstartError(Exception):
    """A problem the learner can fix. `str(err)` is the one line the CLI prints."""

    def __init__(self, cause: str, fix: str | None = None) -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(f"{cause} — fix: {fix}" if fix else cause)


class DataError(TorchstartError):
    """A data folder or data file is missing, unreadable or malformed."""


class CheckpointError(TorchstartError):
    """A checkpoint is missing, corrupt, foreign or unsafe to load."""


class DeviceError(TorchstartError):
    """The device asked for is not available on this machine."""


class ConfigError(TorchstartError):
    """A flag or config value is impossible (epochs <= 0, unknown recipe, …)."""


class ImageError(TorchstartError):
    """A file given as an image cannot be read as one."""


class TrainingDiverged(TorchstartError):
    """The loss became NaN or infinite."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; `epochs_saved` finished epochs are in the run directory's last.pt."""

    def __init__(self, run_dir: Path, epochs_saved: int) -> None:
        super().__init__(f"interrupted after {epochs_saved} saved epoch(s) in {run_dir}")
        self.run_dir, self.epochs_saved = run_dir, epochs_saved
