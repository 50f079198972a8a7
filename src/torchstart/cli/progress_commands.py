"""`torchstart next`: what to do next — the first lesson not yet run and the first exercise not yet passed.

The lessons a learner ran are remembered in the user's config (user_config.lessons_run, written by `torchstart
lesson`), the exercises' progress in the exercise folder (exercises/progress.py); this command reads both.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..exercises.commands import add_dir
from ..i18n import _


def add_commands(sub) -> None:
    upcoming = sub.add_parser("next", help=_("what to do next: the next lesson not yet run, the next exercise not "
                                             "yet passed"),
                              description=_("The first lesson you have not run yet (torchstart lesson N remembers "
                                            "each one that ran to its end) and the first exercise that has not "
                                            "passed (from the progress in --dir)."))
    add_dir(upcoming)


def cmd_next(args: argparse.Namespace) -> int:
    from ..exercises.progress import what_next
    from .user_config import lessons_run

    print("\n".join(what_next(args.dir, frozenset(lessons_run()))))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"next": cmd_next}
