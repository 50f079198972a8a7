"""Every error kind torchstart raises on purpose, each with the cause and the fix in one line.

Raise `TorchstartError` (or a subclass) anywhere a learner's input is wrong: a bad path,
a corrupt checkpoint, an impossible flag. The CLI turns it into one line on stderr and
exit code 2, with no traceback. Everything else is a bug and keeps its traceback.

Two kinds are not mistakes but ways a run ends: `TrainingDiverged` (a NaN/inf loss, also exit 2:
the fix is a smaller learning rate) and `TrainingInterrupted` (Ctrl-C, exit 130).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

from ._version import __version__
from .i18n import N_, _

EXIT_USAGE = 2  # the learner's input was wrong; same code argparse uses
EXIT_BUG = 70  # an internal error: a bug in torchstart, not the learner's mistake (EX_SOFTWARE of sysexits.h)
EXIT_CLOSED_PIPE = 128 + 13  # the reader of our output went away (SIGPIPE): what a shell reports for `yes | head`


class TorchstartError(Exception):
    """A problem the learner can fix. `str(err)` is the one line the CLI prints."""

    def __init__(self, cause: str, fix: str | None = None) -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(_("{cause} — fix: {fix}").format(cause=cause, fix=fix) if fix else cause)


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


class FolderBusy(TorchstartError):
    """Another process is writing the folder this one would write (a run directory, a lesson's folder)."""


class TrainingDiverged(TorchstartError):
    """The loss became NaN or infinite."""


class PeerLost(TorchstartError):
    """Under torchrun, another process of the job stopped (killed, crashed, preempted) mid-step."""


class ResourceError(TorchstartError):
    """The machine refused a write: the disk is full, the place is read-only, the output is closed."""


# What each refusal means for the learner, by errno: (the cause, the fix). A write that fails with one of these is
# the machine's limit, not a bug, wherever in torchstart, torch, matplotlib or TensorBoard it happened.
NO_SPACE = (N_("no space left on the device"),
            N_("free some disk space (df -h shows how much is left) or write somewhere else"))
READ_ONLY = (N_("the place is read-only"), N_("write into a folder you can write to"))
NOT_ALLOWED = (N_("permission denied"), N_("write into a folder you own, or check its permissions (ls -l)"))
WRITE_REFUSALS = {errno.ENOSPC: NO_SPACE, errno.EDQUOT: NO_SPACE, errno.EFBIG: NO_SPACE, errno.EROFS: READ_ONLY,
                  errno.EACCES: NOT_ALLOWED, errno.EPERM: NOT_ALLOWED}


def is_closed_pipe(err: BaseException) -> bool:
    """True for a write into a pipe whose reader has gone (`torchstart lesson 9 | head -1`)."""
    return isinstance(err, BrokenPipeError) or (isinstance(err, OSError) and err.errno == errno.EPIPE)


def write_refusal(err: BaseException, path: object = None) -> ResourceError | None:
    """`err` as one line when it is the machine refusing a write (disk full, read-only, no permission), else None.

    `path` names what was being written when `err` does not (a file object, a stream). EACCES/EPERM count only
    with a name: without one they may come from anywhere (a socket, a signal).
    """
    if not isinstance(err, OSError) or err.errno not in WRITE_REFUSALS:
        return None
    where = path if path is not None else err.filename
    if err.errno in (errno.EACCES, errno.EPERM) and not where:
        return None
    cause, fix = WRITE_REFUSALS[err.errno]
    return ResourceError(_("cannot write {path}: {cause}").format(path=where or _("the output"), cause=_(cause)),
                         _(fix))


class Stopped(KeyboardInterrupt):
    """A signal that asks the process to stop (SIGTERM from a scheduler, `docker stop`, torchrun), raised
    where the program is, like Ctrl-C's KeyboardInterrupt, so the same clean-up runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C or a stop signal; `epochs_saved` finished epochs are in the run's last.pt."""

    def __init__(self, run_dir: Path, epochs_saved: int, signum: int = 2) -> None:
        super().__init__(f"interrupted after {epochs_saved} saved epoch(s) in {run_dir}")
        self.run_dir, self.epochs_saved, self.signum = run_dir, epochs_saved, signum

    def advice(self) -> str:
        """The one line for the learner: what stopped, what is saved, the command that continues."""
        if self.signum == signal.SIGINT:
            what = _("interrupted")
        else:
            what = _("stopped by {signal}").format(signal=signal.Signals(self.signum).name)
        if not self.epochs_saved:
            return _("torchstart train: {what} before the first epoch finished; nothing was saved to "
                     "resume").format(what=what)
        how = f"torchstart train --resume {self.run_dir}"  # not text: the command to type
        if "WORLD_SIZE" in os.environ:  # not text: started by torchrun, so resume the same way
            how = _("torchrun <the same torchrun flags> -m {command}").format(command=how)
        return _("torchstart train: {what}; epoch {epoch} is saved in {path}. Continue with: {command}").format(
            what=what, epoch=self.epochs_saved, path=self.run_dir / "checkpoints" / "last.pt",  # not text
            command=how)


def one_line(text: str) -> str:
    """`text` with control characters (a newline in a file name, an escape code) and undecodable bytes shown as
    escapes like \\n and \\x1b, so a message stays one line and prints on any terminal."""
    codec = ("unicode_escape", "backslashreplace")  # not text: a codec and its error handler
    return "".join(c if c.isprintable() or c == " " else c.encode(*codec).decode("ascii")  # not text
                   if not 0xD800 <= ord(c) <= 0xDFFF else f"\\x{ord(c) - 0xDC00:02x}" for c in text)


def bug_report(command: str, err: Exception) -> str:
    """Write the traceback of `err` (being handled now) to a file; return the one line that says it is a bug."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(tempfile.gettempdir()) / f"torchstart-{command}-crash-{stamp}-{os.getpid()}.txt"
    text = f"torchstart {__version__}, python {sys.version.split()[0]}, argv {sys.argv}\n{traceback.format_exc()}"
    try:
        path.write_text(text, encoding="utf-8")
        where = _("the traceback is in {path}").format(path=path)
    except OSError:
        print(text, file=sys.stderr)
        where = _("the traceback is above")
    first = str(err).splitlines()[0][:160] if str(err) else ""
    error = f"{type(err).__name__}: {first}" if first else type(err).__name__
    return _("torchstart {command}: internal error, a bug in torchstart and not your mistake ({error}); {where} — "
             "please report it to the torchstart maintainers with that file (TORCHSTART_DEBUG=1 prints the "
             "traceback here instead)").format(command=command, error=error, where=where)
