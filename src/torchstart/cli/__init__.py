"""The `torchstart` command: parse flags → build a config → call the package → print → exit code.

Exit codes: 0 success, 2 a problem the learner can fix (one line on stderr, no traceback; a full disk or a
read-only place too), 130 interrupted with Ctrl-C, 143 stopped by SIGTERM, 141 the reader of the output went
away (`| head`: quiet, as other Unix tools), 70 an internal error (a bug: one line says where its traceback was
written; TORCHSTART_DEBUG=1 shows it instead).

    parser.py          the argparse parser: top-level options and the groups of subcommands
    commands.py        the course: train, evaluate, predict, import-course-model, lessons, lesson
    share_commands.py  showing and sharing a model: demo, export
    tool_commands.py   the tools: doctor, board, runs, notebook
    config_commands.py the settings a learner saves: config lang (kept by user_config.py)
    language.py        the language at start: --lang, TORCHSTART_LANG, the saved setting, the locale, the terminal
    (here)             main(): the language, the parser, the command, and every way it can end

Each command imports what it runs when it runs, and the modules the parser needs (config, errors, i18n,
the lesson registry) import no torch: `torchstart --help` is instant.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence

from ..errors import (
    EXIT_BUG,
    EXIT_CLOSED_PIPE,
    EXIT_USAGE,
    Stopped,
    TorchstartError,
    bug_report,
    is_closed_pipe,
    one_line,
    write_refusal,
)
from ..i18n import _
from .language import choose_language
from .parser import COMMANDS, build_parser, localize_argparse


def _stop(signum: int, frame) -> None:
    raise Stopped(signum)


def _choose_language(argv: list[str]) -> list[str]:
    """Take --lang out of `argv` and decide the language (flag, env, saved setting, locale; English where the
    terminal cannot show Chinese): see language.py."""
    argv = choose_language(argv)
    localize_argparse()
    return argv


def _ended(command: str, err: Exception) -> int:
    """The exit code for an exception raised by `command`: a learner's mistake (2) or a bug (70)."""
    if isinstance(err, TorchstartError):
        print(one_line(_("torchstart {command}: error: {error}").format(command=command, error=err)),
              file=sys.stderr)
        return EXIT_USAGE
    if os.environ.get("TORCHSTART_DEBUG", "") not in ("", "0"):
        raise err
    print(one_line(bug_report(command, err)), file=sys.stderr)
    return EXIT_BUG


def _stdout_name() -> str | None:
    """The file stdout is redirected to (`> /dev/full`), to name in a message about a write that names no file."""
    try:
        return os.readlink(f"/proc/self/fd/{sys.stdout.fileno()}")  # Linux; elsewhere the message says "the output"
    except (OSError, ValueError, AttributeError):
        return None


def _mute_stdout() -> None:
    """Point stdout at /dev/null, so what is still buffered for a closed pipe or a full disk cannot fail again
    at exit ("Exception ignored … BrokenPipeError", the shell's own exit code 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (pytest's capture, an IDE): nothing will flush
        pass


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name with bytes that are not UTF-8 prints as \xNN, not a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        argv = _choose_language(sys.argv[1:] if argv is None else list(argv))
    except ValueError as err:
        print(one_line(_("torchstart: error: {error}").format(error=err)), file=sys.stderr)
        return EXIT_USAGE
    args = build_parser().parse_args(argv)
    # SIGTERM (schedulers, `docker stop`, torchrun stopping its workers) stops like Ctrl-C: the last
    # finished epoch stays saved and the resume command is printed.
    in_main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = signal.signal(signal.SIGTERM, _stop) if in_main_thread else None
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # output still buffered fails here, inside main, not at exit as "Exception ignored"
        return code
    except Exception as err:  # the machine's limits are the learner's situation, not a bug: one line, or quiet
        if is_closed_pipe(err):  # `torchstart lesson 9 | head -1`: the reader has what it wanted
            _mute_stdout()
            return EXIT_CLOSED_PIPE
        refusal = write_refusal(err, None if getattr(err, "filename", None) else _stdout_name())
        if refusal is None:
            return _ended(args.command, err)
        _mute_stdout()
        print(one_line(_("torchstart {command}: error: {error}").format(command=args.command, error=refusal)),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(_("torchstart {command}: interrupted").format(command=args.command) if signum == signal.SIGINT else
              _("torchstart {command}: stopped").format(command=args.command), file=sys.stderr)
        return 128 + signum
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


__all__ = ["COMMANDS", "build_parser", "localize_argparse", "main"]
