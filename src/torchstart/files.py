"""Small file helpers every layer uses: input paths checked, a folder proven writable, atomic writes, JSON.

`check_input` is the one place that says what is wrong with a path a learner gave: missing, a folder
where a file was expected, a dangling or looping link, a named pipe, a name too long for the OS, no
permission — each as one line with the fix, never an OSError traceback. `new_output` is the one
place that refuses to replace a file or run a learner made, unless asked, and then keeps it aside.

`atomic_write` writes to a temporary file in the same folder, fsyncs it and renames it over the
target. A rename within one folder is atomic, so a crash, a kill or a full disk mid-write leaves
the previous file intact — checkpoints and metrics.json are always either the old or the new one.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .errors import ConfigError, ResourceError, TorchstartError, write_refusal
from .i18n import N_, _

# What a path is, as a learner reads it (shown with _(KIND_WORDS[kind])).
KIND_WORDS = {"fifo": N_("a named pipe (FIFO)"), "socket": N_("a socket"), "device": N_("a device file"),
              "other": N_("a special file"), "dir": N_("a folder"), "broken-link": N_("a dangling link")}


def path_kind(path: Path) -> str:
    """What is at `path`, following links: file, dir, missing, broken-link, fifo, socket, device or other.

    Raises OSError when the OS refuses the name itself (too long, a link loop, no permission).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "broken-link" if os.path.islink(path) else "missing"
    except NotADirectoryError:  # a/b where a is a file
        return "missing"
    for kind, test in (("file", stat.S_ISREG), ("dir", stat.S_ISDIR), ("fifo", stat.S_ISFIFO),
                       ("socket", stat.S_ISSOCK), ("device", stat.S_ISCHR), ("device", stat.S_ISBLK)):
        if test(mode):
            return kind
    return "other"


def os_error_cause(err: OSError) -> tuple[str, str]:
    """(what is wrong with the path, the fix) for an OSError the OS raised about a name."""
    if err.errno == errno.ENAMETOOLONG:
        return (_("has a name longer than this system allows"),
                _("use shorter file and folder names (at most 255 bytes each, 4096 in all)"))
    if err.errno == errno.ELOOP:
        return (_("is a symbolic link that loops back on itself"),
                _("point the link at a real file or folder, or remove it"))
    if err.errno in (errno.EACCES, errno.EPERM):
        return _("cannot be read (permission denied)"), _("check its permissions (ls -l) or use a copy you own")
    return _("cannot be read ({reason})").format(reason=err.strerror or err), _("check the path")


def kind_of(path: Path, what: str, error: type[TorchstartError]) -> str:
    """`path_kind(path)`, with an OS refusal of the name turned into `error` naming `what` and the fix."""
    try:
        return path_kind(path)
    except OSError as err:
        cause, fix = os_error_cause(err)
        raise error(_("{what} {path} {cause}").format(what=_(what), path=path, cause=cause), fix) from None


def check_input(path: Path | str, *, expect: str, what: str, error: type[TorchstartError], fix: str) -> Path:
    """`path` when it is a regular file (`expect="file"`) or a folder (`"dir"`); else `error` in one line.

    `what` names the path for the learner (N_("image"), N_("checkpoint"), "--data-dir": shown with _(what));
    `fix` is the advice, already translated, for a path that is missing or of the wrong kind.
    """
    path = Path(path)
    kind = kind_of(path, what, error)
    if kind == expect:
        return path
    what = _(what)
    if kind == "missing":
        raise error(_("{what} {path} does not exist").format(what=what, path=path), fix)
    if kind == "broken-link":
        raise error(_("{what} {path} is a link to {target}, which does not exist").format(
            what=what, path=path, target=os.readlink(path)), _("point the link at a real file or remove it"))
    if kind == "dir":
        raise error(_("{what} {path} is a folder, not a file").format(what=what, path=path), fix)
    if expect == "dir":
        shown = KIND_WORDS.get(kind, N_("a file"))
        raise error(_("{what} {path} is {kind}, not a folder").format(what=what, path=path, kind=_(shown)), fix)
    raise error(_("{what} {path} is {kind}, not a regular file").format(what=what, path=path, kind=_(KIND_WORDS[kind])),
                _("pass a regular file (copy the data into one first)"))


def set_aside(path: Path) -> Path:
    """Rename `path` (a file or folder) to a free sibling `<name>.old-<YYYYmmdd-HHMMSS>[-N]`; return that name."""
    path = Path(path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target, n = path.with_name(f"{path.name}.old-{stamp}"), 1
    while os.path.lexists(target):
        n += 1
        target = path.with_name(f"{path.name}.old-{stamp}-{n}")
    try:
        os.replace(path, target)
    except OSError as err:
        raise _write_error(path, err) from None
    return target


def new_output(path: Path | str, *, force: bool, what: str, force_flag: str = "--force") -> Path | None:
    """Make way for a new file at `path`: refuse to replace one the learner has, unless `force`.

    With `force` the old file is renamed aside (see `set_aside`) and that name is returned; None when
    nothing was there. A folder, a dangling link or a special file at `path` is refused either way.
    """
    path = Path(path)
    kind = kind_of(path, what, ConfigError)
    if kind == "missing":
        return None
    if kind != "file":
        raise ConfigError(_("{what} {path} is {kind}, not a file it could replace").format(
            what=_(what), path=path, kind=_(KIND_WORDS[kind])), _("name a file"))
    if not force:
        raise ConfigError(_("{what} {path} already exists").format(what=_(what), path=path),
                          _("pick another name, or add {flag} to replace it (the old file is kept aside as "
                            "<name>.old-<time>)").format(flag=force_flag))
    return set_aside(path)


def writable_dir(path: Path, flag: str | None = None) -> Path:
    """Create `path` and prove it is writable before any time is spent filling it.

    `flag` is the option of the running command that names this folder (--out, --dir, -o): the fix names it.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as err:
        raise ConfigError(_("cannot write the output directory {path} ({reason})").format(
            path=path, reason=err.strerror or err),
            _("pass a writable folder with {flag}, or free disk space").format(flag=flag) if flag else
            _("free disk space, or make the folder writable (ls -ld shows who may write it)")) from None
    return path


def _write_error(path: Path, err: OSError) -> TorchstartError:
    known = write_refusal(err, path)
    if known is not None:
        return ResourceError(_("{error}; the file it would replace is unchanged").format(error=known.cause), known.fix)
    return ResourceError(_("cannot write {path} ({reason})").format(path=path, reason=err.strerror or err),
                         _("free disk space or pick a writable folder; a file it would replace is unchanged"))


class _Recorded:
    """A file object that remembers the OSError its write() raised: torch.save and other C++ writers turn a
    full disk into their own RuntimeError ("unexpected pos …"), which says nothing of the cause."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file, self.error = file, None

    def write(self, data) -> int:
        try:
            return self.file.write(data)
        except OSError as err:
            self.error = self.error or err
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


def _default_file_mode() -> int:
    """0o666 less the process umask: the mode open() would give a new file (e.g. 0o644)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def stale_temp_files(path: Path) -> list[Path]:
    """Temp files a killed `atomic_write(path, …)` left behind (it names them `.NAME.*.tmp`)."""
    path = Path(path)
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Call `write(file_object)` on a temp file next to `path`, fsync, then rename onto `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise _write_error(path, err) from None
    recorded = None
    try:
        with os.fdopen(fd, "wb") as f:
            recorded = _Recorded(f)
            write(recorded)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_file_mode())  # mkstemp makes it owner-only; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        cause = err if isinstance(err, OSError) else getattr(recorded, "error", None)
        if cause is not None:  # disk full (ENOSPC), read-only file system (EROFS), no permission
            raise _write_error(path, cause) from None
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_json(path: Path, payload: Any) -> None:
    """`payload` as indented UTF-8 JSON at `path`, written atomically."""
    atomic_write(path, lambda f: f.write(json.dumps(payload, indent=2).encode("utf-8")))


def read_json(path: Path) -> Any:
    """The JSON value in `path`; OSError when unreadable, ValueError when not UTF-8 JSON (or nested too deeply)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except RecursionError:  # e.g. [[[[…]]]] thousands deep: Python's parser gives up; the file is not ours
        raise ValueError(_("JSON nested too deeply to read")) from None

