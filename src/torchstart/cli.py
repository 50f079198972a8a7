"""The `torchstart` command: parse flags → build a config → call the package → print → exit code.

Exit codes: 0 success, 2 a problem the learner can fix (one line on stderr, no traceback),
130 interrupted with Ctrl-C, 143 stopped by SIGTERM, 70 an internal error (a bug: one line says where
its traceback was written; TORCHSTART_DEBUG=1 shows it instead).

Only argparse lives here. Each command imports what it runs when it runs, and the modules the
parser needs (config, errors, the lesson registry) import no torch: `torchstart --help` is instant.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__
from .config import DEFAULT_RECIPE, DEVICE_CHOICES, TRAIN_FLAGS, TrainConfig, recipe, with_overrides
from .errors import EXIT_BUG, EXIT_USAGE, Stopped, TorchstartError, bug_report, one_line
from .i18n import ENV_VAR, LANGUAGES, N_, _, ngettext, set_language, split_lang_flag
from .lessons.runner import add_lesson_options

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


def localize_argparse() -> None:
    """argparse looks its words up through module-level `_`/`ngettext` (gettext's default domain): use ours."""
    argparse._ = _
    argparse.ngettext = ngettext


def _add_device(parser: argparse.ArgumentParser, default: str | None = "auto") -> None:
    parser.add_argument("--device", default=default,
                        help=f"{'|'.join(DEVICE_CHOICES)} (default auto: the accelerator if there is one)")


class Parser(argparse.ArgumentParser):
    """argparse, but a flag the learner got wrong is one line and exit 2, like every other learner error."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, _("{prog}: error: {message} — fix: see `{prog} --help`").format(
            prog=self.prog, message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="torchstart", description="The PyTorch quick-start course, runnable.")
    parser.add_argument("--version", action="version", version=f"torchstart {__version__}",
                        help=_("show the version and exit"))
    parser.add_argument("--lang", choices=LANGUAGES,
                        help=_("language of what torchstart prints, anywhere on the command line "
                               "(default: TORCHSTART_LANG, then the locale)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    train = sub.add_parser("train", help="train the course's CIFAR-10 model (or any registered model on your images)",
                           description="Train the course's model on CIFAR-10, or a model of your choice on your own "
                                       "image folders. Flags you leave out come from the recipe.")
    train.add_argument("--resume", type=Path, metavar="RUN_DIR",
                       help="continue a stopped run from RUN_DIR/checkpoints/last.pt with its own settings "
                            "(--epochs N trains it further)")
    train.add_argument("--overwrite", action="store_true",
                       help="--out already holds a run: start again there, keeping the old run as DIR.old-<time>")
    add_train_flags(train)

    evaluate = sub.add_parser("evaluate", help="accuracy and loss of a checkpoint on the test set")
    evaluate.add_argument("checkpoint", type=Path)
    evaluate.add_argument("--data-dir", type=Path,
                          help="CIFAR-10, or the image folders the model was trained on (their val split is used); "
                               "default: the same search as train")
    _add_device(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    predict = sub.add_parser("predict", help="classify images with a checkpoint")
    predict.add_argument("checkpoint", type=Path)
    predict.add_argument("images", type=Path, nargs="+", metavar="IMAGE", help="image files or folders of images")
    predict.add_argument("--topk", type=int, default=3, help="how many classes to show per image")
    _add_device(predict)
    predict.add_argument("--json", action="store_true", help="print one JSON object")

    course = sub.add_parser("import-course-model", help="convert a .pth saved by the course into a checkpoint",
                            description="Read the course's torch.save(model) or torch.save(model.state_dict()) "
                                        "file without running code from it, and write a torchstart checkpoint.")
    course.add_argument("old", type=Path, metavar="OLD.pth")
    course.add_argument("new", type=Path, metavar="NEW.pt")
    course.add_argument("--force", action="store_true", help="replace NEW.pt if it exists (the old one is kept aside)")

    sub.add_parser("lessons", help="list the course's lessons (number, name, goal)")
    lesson = sub.add_parser("lesson", help="run one lesson of the course",
                            description="Run one lesson and print what it shows. `torchstart lessons` lists them.")
    lesson.add_argument("lesson", metavar="NAME|NUMBER", help="e.g. conv or 9")
    add_lesson_options(lesson)
    _add_tool_commands(sub)
    return parser


def add_train_flags(parser: argparse.ArgumentParser) -> None:
    """One argparse option per row of config.TRAIN_FLAGS; every default is None (= the recipe's value)."""
    for flag in TRAIN_FLAGS:
        if flag.type is None:
            parser.add_argument(flag.name, dest=flag.field, action="store_true", default=None, help=_(flag.help))
        else:
            parser.add_argument(flag.name, dest=flag.field, type=flag.type, metavar=flag.metavar,
                                choices=flag.choices, help=_(flag.help))


def _add_tool_commands(sub) -> None:
    """doctor, board, runs, notebook: the learner's tools around the course."""
    doctor = sub.add_parser("doctor", help="check this machine for the course and say how to fix what is wrong",
                            description="Versions, devices (with a real matmul each), DataLoader workers, OpenCV and "
                                        "non-ASCII paths, the runs folder, data and weights. Exit 1 on a problem.")
    doctor.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where runs are written (default runs)")
    doctor.add_argument("--data-dir", type=Path, help="a folder that should hold CIFAR-10 and/or hymenoptera_data/")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")

    board = sub.add_parser("board", help="open TensorBoard on your runs (this machine only)",
                           description="Start TensorBoard over the runs' tb/ folders, print its URL; Ctrl-C stops it.")
    board.add_argument("path", nargs="?", type=Path, default=Path("runs"), metavar="RUN_DIR|RUNS_ROOT",
                       help="one run directory or the folder holding runs (default runs)")
    board.add_argument("--port", type=int, help="default: 6006, or the next free port after it")
    board.add_argument("--host", default="127.0.0.1", help="where to listen (default 127.0.0.1: this machine only)")

    runs = sub.add_parser("runs", help="a table of past runs (date, recipe, data, epochs, best accuracy, time)")
    runs.add_argument("root", nargs="?", type=Path, default=Path("runs"), metavar="RUNS_ROOT",
                      help="the folder holding runs, or one run (default runs)")
    runs.add_argument("--json", action="store_true", help="print one JSON object")

    notebook = sub.add_parser("notebook", help="export a lesson as a Jupyter notebook",
                              description="Write a lesson as a notebook: its docs page as text cells, its code as "
                                          "code cells, and a last cell that runs it.")
    notebook.add_argument("lesson", metavar="NAME|NUMBER", help="e.g. conv or 9")
    notebook.add_argument("-o", "--output", type=Path, metavar="FILE.ipynb|FOLDER",
                          help="default: NN-name.ipynb here; a folder: NN-name.ipynb in it")
    notebook.add_argument("--force", action="store_true",
                          help="replace the notebook if it exists (the old one is kept aside)")
    notebook.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the text cells (default zh)")


def train_flags(args: argparse.Namespace) -> dict:
    """The `train` flags as config fields; None = not given."""
    return {flag.field: getattr(args, flag.field) for flag in TRAIN_FLAGS}


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The recipe (as tuned for the device that will run it) with every flag the learner gave on top."""
    from .device import pick_device

    base = recipe(args.recipe or DEFAULT_RECIPE, pick_device(args.device or "auto").type)
    return with_overrides(base, **train_flags(args)).validate()


def _print_epoch(record, epochs: int) -> None:
    print(f"epoch {record.epoch:>3}/{epochs}  train_loss {record.train_loss:.4f}  test_loss {record.test_loss:.4f}  "
          f"test_acc {100 * record.test_accuracy:5.2f}%  {record.epoch_seconds:6.1f} s  "
          f"{record.train_images_per_s:,.0f} img/s", flush=True)


def cmd_train(args: argparse.Namespace) -> int:
    from .errors import TrainingInterrupted
    from .training.job import train
    from .training.resume import restarted_run, resume_point

    point = None if args.resume is None else resume_point(args.resume, **train_flags(args))
    config = train_config(args) if point is None else point.config
    if point is None and (restart := restarted_run(config)) is not None:  # torchrun restarted us: continue by ourselves
        point, config = restart, restart.config
    try:
        result = train(config, resume=point, overwrite=args.overwrite, report=lambda line: print(line, flush=True),
                       on_epoch=lambda record: _print_epoch(record, config.epochs))
    except TrainingInterrupted as stop:
        print(stop.advice(), file=sys.stderr)
        return 128 + stop.signum  # 130 for Ctrl-C, 143 for SIGTERM
    if not result.is_main:  # torchrun: rank 0 prints the summary
        return 0
    h = result.history
    print(f"best test accuracy {100 * h.best_test_accuracy:.2f}% (epoch {h.best_epoch}) in "
          f"{h.elapsed_seconds:.1f} s; wrote {result.run_dir}/metrics.json, curves.png, confusion_matrix.png")
    print(f"next: torchstart evaluate {result.best_checkpoint}")
    print(f"      torchstart predict {result.best_checkpoint} your_image.jpg")
    print(f"      tensorboard --logdir {result.run_dir / 'tb'}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .inference import evaluate_checkpoint

    report = evaluate_checkpoint(args.checkpoint, args.data_dir, args.device)
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    print(report.data)
    print(f"{report.checkpoint} (epoch {report.epoch}): accuracy {100 * report.accuracy:.2f}% "
          f"on {report.num_images} test images, mean loss {report.loss:.4f}")
    for name, acc in report.per_class_accuracy.items():
        print(f"  {name:<12} {100 * acc:6.2f}%  {'#' * round(40 * acc)}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .inference import predict_images

    predictions = predict_images(args.checkpoint, args.images, args.topk, args.device)
    if args.json:
        print(json.dumps({"predictions": [p.to_dict() for p in predictions]}))
        return 0
    for p in predictions:
        print(f"{p.image}: " + ", ".join(f"{name} {100 * prob:.1f}%" for name, prob in p.top))
    return 0


def cmd_import_course_model(args: argparse.Namespace) -> int:
    from .course_import import import_course_model

    import_course_model(args.old, args.new, force=args.force)
    print(f"wrote {args.new}: the course's Tudui with the weights of {args.old} (inputs: pixels/255, as ToTensor)")
    print(f"next: torchstart evaluate {args.new}")
    return 0


def cmd_lessons(args: argparse.Namespace) -> int:
    from .lessons.runner import listing

    print(listing())
    print("run one: torchstart lesson NUMBER|NAME [--json] [--out DIR]")
    return 0


def cmd_lesson(args: argparse.Namespace) -> int:
    from .lessons import find_lesson
    from .lessons.runner import format_result, report_to_stderr, run_lesson

    lesson = find_lesson(args.lesson)
    result = run_lesson(lesson, out=args.out, data_dir=args.data_dir, device=args.device, report=report_to_stderr)
    print(format_result(lesson, result, args.json))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .tools.doctor import diagnose, format_report

    report = diagnose(runs_dir=args.runs_dir, data_dir=args.data_dir)
    print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else format_report(report))
    return 0 if report.healthy else 1


def cmd_board(args: argparse.Namespace) -> int:
    from .tools.board import board_logdir, serve_until_interrupted, start_board

    logdir = board_logdir(args.path)
    url = start_board(logdir, args.host, args.port)
    print(f"TensorBoard at {url} showing {logdir} — open it in a browser; Ctrl-C stops it", flush=True)
    try:
        serve_until_interrupted()
    except KeyboardInterrupt:
        print("TensorBoard stopped", flush=True)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from .tools.runs_table import format_table, list_runs

    table = list_runs(args.root)
    print(json.dumps(table.to_dict(), ensure_ascii=False) if args.json else format_table(table))
    return 0


def cmd_notebook(args: argparse.Namespace) -> int:
    from .lessons import find_lesson
    from .tools.notebook import default_path, lesson_notebook, write_notebook

    lesson = find_lesson(args.lesson)
    notebook = lesson_notebook(lesson, args.lang)
    path = write_notebook(notebook, args.output or default_path(lesson), force=args.force)
    docs = notebook["metadata"]["torchstart"]["docs"] or "the module docstring (docs/ is not beside this install)"
    print(f"wrote {path}: {len(notebook['cells'])} cells, text from {docs}")
    print(f"open it with: jupyter lab {path}")
    return 0


COMMANDS = {"doctor": cmd_doctor, "board": cmd_board, "runs": cmd_runs, "notebook": cmd_notebook,
            "train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "lessons": cmd_lessons,
            "lesson": cmd_lesson, "import-course-model": cmd_import_course_model}


def _stop(signum: int, frame) -> None:
    raise Stopped(signum)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name with bytes that are not UTF-8 prints as \xNN, not a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        lang, argv = split_lang_flag(sys.argv[1:] if argv is None else list(argv))
    except ValueError as err:
        print(one_line(f"torchstart: error: {err}"), file=sys.stderr)
        return EXIT_USAGE
    if lang is not None:  # lessons and checks run in child processes read it too
        set_language(lang)
        os.environ[ENV_VAR] = lang
    localize_argparse()
    args = build_parser().parse_args(argv)
    # SIGTERM (schedulers, `docker stop`, torchrun stopping its workers) stops like Ctrl-C: the last
    # finished epoch stays saved and the resume command is printed.
    in_main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = signal.signal(signal.SIGTERM, _stop) if in_main_thread else None
    try:
        return COMMANDS[args.command](args)
    except TorchstartError as err:
        print(one_line(f"torchstart {args.command}: error: {err}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"torchstart {args.command}: {'interrupted' if signum == signal.SIGINT else 'stopped'}", file=sys.stderr)
        return 128 + signum
    except Exception as err:
        if os.environ.get("TORCHSTART_DEBUG", "") not in ("", "0"):
            raise
        print(one_line(bug_report(args.command, err)), file=sys.stderr)
        return EXIT_BUG
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
