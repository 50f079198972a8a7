"""The `torchstart` command: parse flags → build a config → call the package → print → exit code.

Exit codes: 0 success, 2 a problem the learner can fix (one line on stderr, no traceback),
130 interrupted with Ctrl-C, 143 stopped by SIGTERM, 70 an internal error (a bug: one line says where
its traceback was written; TORCHSTART_DEBUG=1 shows it instead).

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

from ..errors import EXIT_BUG, EXIT_USAGE, Stopped, TorchstartError, bug_report, one_line
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
        return COMMANDS[args.command](args)
    except TorchstartError as err:
        print(one_line(_("torchstart {command}: error: {error}").format(command=args.command, error=err)),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(_("torchstart {command}: interrupted").format(command=args.command) if signum == signal.SIGINT else
              _("torchstart {command}: stopped").format(command=args.command), file=sys.stderr)
        return 128 + signum
    except Exception as err:
        if os.environ.get("TORCHSTART_DEBUG", "") not in ("", "0"):
            raise
        print(one_line(bug_report(args.command, err)), file=sys.stderr)
        return EXIT_BUG
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


__all__ = ["COMMANDS", "build_parser", "localize_argparse", "main"]
