"""Small file helpers every layer uses: a folder proven writable, atomic file writes, JSON in and out.

`atomic_write` writes to a temporary file in the same folder, fsyncs it and renames it over the
target. A rename within one folder is atomic, so a crash, a kill or a full disk mid-write leaves
the previous file intact — checkpoints and metrics.json are always either the old or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from .errors import ConfigError, TorchstartError


def writable_dir(path: Path) -> Path:
    """Create `path` and prove it is writable before any time is spent filling it."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as err:
        raise ConfigError(f"cannot write the output directory {path} ({err.strerror or err})",
                          "pass a writable folder with --out, or free disk space") from None
    return path


def _write_error(path: Path, err: OSError) -> TorchstartError:
    return TorchstartError(f"cannot write {path} ({err.strerror or err})",
                           "free disk space or pick a writable folder; a file it would replace is unchanged")


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
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_file_mode())  # mkstemp makes it owner-only; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):  # disk full (ENOSPC), read-only file system (EROFS), no permission
            raise _write_error(path, err) from None
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
    """The JSON value in `path`; OSError when unreadable, ValueError when not UTF-8 JSON."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
