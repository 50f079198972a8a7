"""The argparse parser of `torchstart`: the top-level options and every group of subcommands.

A group of subcommands is a module with `add_commands(sub)` (adds its subparsers) and `COMMANDS` (command name →
the function that runs it): commands.py (the course: train … lesson), ../exercises/commands.py, share_commands.py
(demo, export), tool_commands.py (doctor, board, runs, notebook), docs_commands.py (docs) and config_commands.py
(config). A new group joins GROUPS below. Nothing here imports torch, so `torchstart --help` is instant; the parser
is built after the language is chosen, so every help text is in the learner's language.
"""

from __future__ import annotations

import argparse

from .._version import __version__
from ..errors import EXIT_USAGE
from ..exercises.commands import COMMANDS as EXERCISE_COMMANDS
from ..exercises.commands import add_exercise_commands
from ..i18n import LANGUAGES, N_, _, ngettext
from .commands import COMMANDS as COURSE_COMMANDS
from .commands import add_commands as add_course_commands
from .config_commands import COMMANDS as CONFIG_COMMANDS
from .config_commands import add_commands as add_config_commands
from .docs_commands import COMMANDS as DOCS_COMMANDS
from .docs_commands import add_commands as add_docs_commands
from .progress_commands import COMMANDS as PROGRESS_COMMANDS
from .progress_commands import add_commands as add_progress_commands
from .share_commands import COMMANDS as SHARE_COMMANDS
from .share_commands import add_commands as add_share_commands
from .tool_commands import COMMANDS as TOOL_COMMANDS
from .tool_commands import add_commands as add_tool_commands

# argparse's own words (usage, options, "the following arguments are required", …), in our catalog so that
# `--help` and flag errors read in the learner's language; localize_argparse() hands argparse our translator.
ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"), N_("expected one argument"), N_("expected at least one argument"),
    N_("expected at most one argument"), N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"), N_("one of the arguments %s is required"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)

# Each group of subcommands: (add its subparsers to `sub`, command name → function).
GROUPS = ((add_course_commands, COURSE_COMMANDS), (add_exercise_commands, EXERCISE_COMMANDS),
          (add_progress_commands, PROGRESS_COMMANDS),
          (add_share_commands, SHARE_COMMANDS), (add_tool_commands, TOOL_COMMANDS),
          (add_docs_commands, DOCS_COMMANDS), (add_config_commands, CONFIG_COMMANDS))
COMMANDS = {name: run for _add, table in GROUPS for name, run in table.items()}


def localize_argparse() -> None:
    """argparse looks its words up through module-level `_`/`ngettext` (gettext's default domain): use ours."""
    argparse._ = _
    argparse.ngettext = ngettext


class Parser(argparse.ArgumentParser):
    """argparse, but a flag the learner got wrong is one line and exit 2, like every other learner error."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, _("{prog}: error: {message} — fix: see `{prog} --help`").format(
            prog=self.prog, message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="torchstart", description=_("The PyTorch quick-start course, runnable."))
    parser.add_argument("--version", action="version", version=f"torchstart {__version__}",
                        help=_("show the version and exit"))
    parser.add_argument("--lang", choices=LANGUAGES,
                        help=_("language of what torchstart prints, anywhere on the command line "
                               "(default: TORCHSTART_LANG, then `torchstart config lang`, then the locale)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add, _table in GROUPS:
        add(sub)
    return parser
