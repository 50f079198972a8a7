"""One writer per folder: a second process that would write a folder another one is writing refuses in one line.

    with FolderLock(run_dir):          # FolderBusy when another process holds run_dir
        ...write into run_dir...

Every command that fills a folder holds it while it writes: `torchstart train` (and `--resume`) its run
directory, `torchstart lesson` its folder. The lock is an OS file lock (the filelock package: flock on Unix,
a locked byte range on Windows) on FOLDER/.torchstart.lock. The OS drops it when its process ends however it ends,
kill -9 included, so a lock a killed process left behind never blocks the next run. Who holds it (PID, start
time, command) is in FOLDER/.torchstart.lock.json, so the refusal names the other process. A holder removes
both files when it lets go; a killed one leaves them, and they are no part of a folder's content (LOCK_FILES).
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import FolderBusy
from .files import read_json, writable_dir, write_json
from .i18n import _

LOCK_FILE = ".torchstart.lock"  # the OS lock, inside the folder it guards (empty)
HOLDER_FILE = ".torchstart.lock.json"  # who holds it: {"pid", "started", "command"}
LOCK_FILES = (LOCK_FILE, HOLDER_FILE)  # never a folder's content: a check whether a folder is empty skips them


def command_line() -> str:
    """How this process was started, as a learner would type it again."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


class FolderLock:
    """`folder`, held by this process from `acquire()` (or `with`) until `release()`.

    `flag` is the option that picks another folder, named in the refusal's fix (None: the command has none).
    """

    def __init__(self, folder: Path | str, flag: str | None = "--out") -> None:
        self.folder, self.flag = Path(folder), flag
        self._lock: Any = None  # the filelock.FileLock while held
        self._made = False  # the folder did not exist before acquire()

    def acquire(self) -> FolderLock:
        """Create the folder (proven writable) and hold it; FolderBusy naming the holder when another process does."""
        from filelock import FileLock, Timeout  # here: importing filelock takes ~40 ms, `torchstart --help` none

        made = not os.path.isdir(self.folder)
        writable_dir(self.folder, self.flag)
        lock = FileLock(self.folder / LOCK_FILE)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise busy_error(self.folder, self.flag) from None
        self._lock, self._made = lock, made
        try:
            write_json(self.folder / HOLDER_FILE, {"pid": os.getpid(), "command": command_line(),
                                                   "started": datetime.now().isoformat(timespec="seconds")})
        except BaseException:
            self.release()
            raise
        return self

    def release(self) -> None:
        """Leave the folder as it was (gone, when acquire() made it and nothing was written); a no-op when not held.

        Both files go while the lock is still held, so no process ever locks a lock file after it was deleted
        unless it opened it before: filelock ≥ 4 sees that (the file has no name left) and counts the folder busy.
        """
        if self._lock is None:
            return
        for name in (HOLDER_FILE, LOCK_FILE):
            with suppress(OSError):  # Windows deletes no open file: filelock deletes the lock file as it lets go
                (self.folder / name).unlink()
        self._lock.release()
        self._lock = None
        if self._made:
            with suppress(OSError):  # only when empty: a run refused before its first file leaves no folder
                self.folder.rmdir()

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def refuse_if_busy(folder: Path | str, flag: str | None) -> None:
    """FolderBusy when another process holds `folder` now; nothing is created, written or kept.

    For a check that comes before taking the folder: `--resume` on a run whose first epoch is still running has no
    last.pt yet, and "no epoch finished" would hide that the run is alive.
    """
    from filelock import FileLock, Timeout

    path = Path(folder) / LOCK_FILE
    if not path.is_file():
        return
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise busy_error(Path(folder), flag) from None
    lock.release()


def holder_of(folder: Path, tries: int = 5) -> dict[str, Any] | None:
    """What the process holding `folder` wrote about itself; None when it says nothing readable.

    It writes that just after it takes the lock, so a missing note is read again a few times, 0.1 s apart.
    """
    for attempt in range(tries):
        try:
            info = read_json(Path(folder) / HOLDER_FILE)
        except (OSError, ValueError):
            info = None
        if isinstance(info, dict) and isinstance(info.get("pid"), int) and all(
                isinstance(info.get(key), str) for key in ("started", "command")):
            return info
        if attempt + 1 < tries:
            time.sleep(0.1)
    return None


def busy_error(folder: Path, flag: str | None) -> FolderBusy:
    """The one line for a folder another process holds: who (PID, since when, its command) and what to do."""
    info = holder_of(folder)
    if info is None:
        holder, stop = _("its PID was not recorded"), _("wait for it to finish or stop it")
    else:
        holder = _("PID {pid}, started {started}: {command}").format(
            pid=info["pid"], started=info["started"].replace("T", " "), command=info["command"])
        stop = _("wait for it to finish or stop it (Ctrl-C in its terminal, or kill {pid})").format(pid=info["pid"])
    fix = _("{stop}; or choose another {flag}").format(stop=stop, flag=flag) if flag else stop
    return FolderBusy(_("{path} is being written by another torchstart process ({holder})").format(
        path=folder, holder=holder), fix)
