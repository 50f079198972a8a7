"""`torchstart board`: the real TensorBoard over your runs, reachable from this machine only.

Every run directory keeps its TensorBoard events in `tb/` (see training/rundir.py). Pointing TensorBoard's
`--logdir` at the folder that holds the runs (default `runs/`) shows each run as `<run>/tb`, and
TensorBoard keeps scanning that folder, so a run started while the board is open appears by itself.

The usual reasons "TensorBoard shows nothing" are a wrong --logdir (no event files below it) and a
port already taken by another TensorBoard; both end here with one line and the fix.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from ..files import check_input
from ..i18n import N_, _
from .serving import check_port, port_in_use

DEFAULT_HOST = "127.0.0.1"  # loopback: the board is not exposed to the network unless asked with --host
EVENT_FILE_GLOB = "events.out.tfevents.*"


def board_logdir(path: Path) -> Path:
    """`path` (a run directory, its tb/ folder or a folder of runs) once it is known to hold events."""
    path = check_input(Path(path).expanduser(), expect="dir", what=N_("folder"), error=DataError,
                       fix=_("pass a run directory (runs/<date-time>) or the folder that holds your runs (default "
                             "runs/)"))
    if next(path.rglob(EVENT_FILE_GLOB), None) is None:
        raise DataError(_("no TensorBoard event files under {path}").format(path=path),
                        _("train first (`torchstart train` writes runs/<date-time>/tb/) or pass the folder holding "
                          "them"))
    return path


def start_board(logdir: Path, host: str = DEFAULT_HOST, port: int | None = None) -> str:
    """Start TensorBoard on background threads of this process and return its URL.

    With `port=None` TensorBoard tries 6006 and the next free ports after it, as its own command does.
    """
    check_port(host, port, example=6007)
    from tensorboard import program

    argv = [None, "--logdir", str(logdir), "--host", host]
    if port is not None:
        argv += ["--port", str(port)]
    board = program.TensorBoard()
    board.configure(argv=argv)
    try:
        return board.launch()
    except program.TensorBoardPortInUseError:
        raise port_in_use(host, port, example=6007) from None


