"""The learner's tools around the course: doctor, board, runs, notebook (their code is in torchstart/tools/).

`add_commands(sub)` adds their parsers; each `cmd_*` imports its tool when it runs and returns the exit code.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..exercises.notebook import EXERCISE_FLAG_HELP
from ..i18n import _


def add_commands(sub) -> None:
    doctor = sub.add_parser("doctor", help=_("check this machine for the course and say how to fix what is wrong"),
                            description=_("Versions, devices (with a real matmul each), DataLoader workers, OpenCV "
                                          "and non-ASCII paths, the runs folder, data and weights. Exit 1 on a "
                                          "problem."))
    doctor.add_argument("--runs-dir", type=Path, default=Path("runs"), metavar="DIR",
                        help=_("where runs are written (default runs)"))
    doctor.add_argument("--data-dir", type=Path, metavar="DIR",
                        help=_("a folder that should hold CIFAR-10 and/or hymenoptera_data/"))
    doctor.add_argument("--json", action="store_true", help=_("print one JSON object"))

    board = sub.add_parser("board", help=_("open TensorBoard on your runs (this machine only)"),
                           description=_("Start TensorBoard over the runs' tb/ folders and print its URL; Ctrl-C "
                                         "stops it."))
    board.add_argument("path", nargs="?", type=Path, default=Path("runs"), metavar="RUN_DIR|RUNS_ROOT",
                       help=_("one run directory or the folder holding runs (default runs)"))
    board.add_argument("--port", type=int, help=_("default: 6006, or the next free port after it"))
    board.add_argument("--host", default="127.0.0.1",
                       help=_("where to listen (default 127.0.0.1: this machine only)"))

    runs = sub.add_parser("runs", help=_("a table of past runs (date, recipe, data, epochs, best accuracy, time)"),
                          description=_("One line per training run, read from its metrics.json; lesson folders "
                                        "(runs/lessons/…) are not training runs and are left out."))
    runs.add_argument("root", nargs="?", type=Path, default=Path("runs"), metavar="RUNS_ROOT",
                      help=_("the folder holding runs, or one run (default runs)"))
    runs.add_argument("--json", action="store_true", help=_("print one JSON object"))

    notebook = sub.add_parser("notebook", help=_("export a lesson as a Jupyter notebook"),
                              description=_("Write a lesson as a notebook: the cells of its script, prose and code "
                                            "comments in the language of --lang (or the locale)."))
    notebook.add_argument("lesson", metavar="NAME|NUMBER", help=_("e.g. conv, 9 or 卷积"))
    notebook.add_argument("-o", "--output", type=Path, metavar="FILE.ipynb|FOLDER",
                          help=_("default: NN-name.ipynb here; a folder: NN-name.ipynb in it"))
    notebook.add_argument("--force", action="store_true",
                          help=_("replace the notebook if it exists (the old one is kept aside)"))
    notebook.add_argument("--exercise", action="store_true", help=_(EXERCISE_FLAG_HELP))


def cmd_doctor(args: argparse.Namespace) -> int:
    from ..tools.doctor import diagnose, format_report

    report = diagnose(runs_dir=args.runs_dir, data_dir=args.data_dir)
    print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else format_report(report))
    return 0 if report.healthy else 1


def cmd_board(args: argparse.Namespace) -> int:
    from ..tools.board import board_logdir, start_board
    from ..tools.serving import serve_until_interrupted

    logdir = board_logdir(args.path)
    url = start_board(logdir, args.host, args.port)
    print(_("TensorBoard at {url} showing {logdir} — open it in a browser; Ctrl-C stops it").format(
        url=url, logdir=logdir), flush=True)
    serve_until_interrupted(_("TensorBoard stopped"))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from ..tools.runs_table import format_table, list_runs

    table = list_runs(args.root)
    print(json.dumps(table.to_dict(), ensure_ascii=False) if args.json else format_table(table))
    return 0


def cmd_notebook(args: argparse.Namespace) -> int:
    from ..course import find_chapter
    from ..i18n import language
    from ..tools.notebook import default_path, lesson_notebook, write_notebook

    if args.exercise:
        return _exercise_notebook(args)
    chapter = find_chapter(args.lesson)
    notebook = lesson_notebook(chapter, language())
    path = write_notebook(notebook, args.output or default_path(chapter), force=args.force)
    print(_("wrote {path}: lesson {number}, {count} cells — run them top to bottom").format(
        path=path, number=chapter.number, count=len(notebook["cells"])))
    print(_("open it with: jupyter lab {path}").format(path=path))
    return 0


def _exercise_notebook(args: argparse.Namespace) -> int:
    from ..exercises import find_exercise
    from ..exercises.notebook import default_notebook_path, exercise_notebook
    from ..i18n import language
    from ..tools.notebook import write_notebook

    exercise = find_exercise(args.lesson)
    notebook = exercise_notebook(exercise, language())
    path = write_notebook(notebook, args.output or default_notebook_path(exercise), force=args.force)
    print(_("wrote {path}: the exercise of lesson {number} — fill in the TODOs, then run the last cell to check "
            "it").format(path=path, number=exercise.key))
    print(_("open it with: jupyter lab {path}").format(path=path))
    return 0


COMMANDS = {"doctor": cmd_doctor, "board": cmd_board, "runs": cmd_runs, "notebook": cmd_notebook}
