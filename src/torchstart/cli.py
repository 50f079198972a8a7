"""The `torchstart` command: parse flags → build a config → call the package → print → exit code.

Exit codes: 0 success, 2 a problem the learner can fix (one line on stderr, no traceback),
130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import DEFAULT_RECIPE, RECIPES, TrainConfig, recipe, with_overrides
from .device import DEVICE_CHOICES, PRECISION_CHOICES, pick_device
from .errors import EXIT_USAGE, TorchstartError
from .lessons.runner import add_lesson_options


def _add_device(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto",
                        help=f"{'|'.join(DEVICE_CHOICES)} (default auto: the accelerator if there is one)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="torchstart", description="The PyTorch quick-start course, runnable.")
    parser.add_argument("--version", action="version", version=f"torchstart {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    train = sub.add_parser("train", help="train the course's CIFAR-10 model",
                           description="Train the course's CIFAR-10 model. Flags you leave out come from the recipe.")
    train.add_argument("--recipe", choices=sorted(RECIPES), default=DEFAULT_RECIPE,
                       help="fast = tuned training of the same model (default); seed = the course as written")
    train.add_argument("--epochs", type=int, help="passes over the training set")
    train.add_argument("--batch-size", type=int, help="images per optimiser step")
    train.add_argument("--lr", type=float, help="(peak) learning rate")
    train.add_argument("--seed", type=int, help="random seed (default 0)")
    train.add_argument("--out", type=Path, help="run directory (default runs/<date-time>)")
    _add_device(train)
    train.add_argument("--precision", choices=PRECISION_CHOICES,
                       help="autocast dtype (default: the recipe's; auto = bf16 on recent GPUs, fp32 on CPU)")
    train.add_argument("--data-dir", type=Path, help="folder with cifar-10-batches-py/ or train.npz + test.npz")
    train.add_argument("--download", action="store_true", help="download CIFAR-10 with torchvision if not found")
    train.add_argument("--max-train-images", type=int, metavar="N", help="train on a random subset of N images")
    train.add_argument("--compile", action="store_true", default=None, help="torch.compile the model")
    train.add_argument("--dry-run", action="store_true", default=None, help="a few batches only (smoke test)")
    train.add_argument("--quiet", action="store_true", default=None, help="no progress bar")

    evaluate = sub.add_parser("evaluate", help="accuracy and loss of a checkpoint on the test set")
    evaluate.add_argument("checkpoint", type=Path)
    evaluate.add_argument("--data-dir", type=Path, help="CIFAR-10 folder (default: the same search as train)")
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

    sub.add_parser("lessons", help="list the course's lessons (number, name, goal)")
    lesson = sub.add_parser("lesson", help="run one lesson of the course",
                            description="Run one lesson and print what it shows. `torchstart lessons` lists them.")
    lesson.add_argument("lesson", metavar="NAME|NUMBER", help="e.g. conv or 9")
    add_lesson_options(lesson)
    return parser


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The recipe (as tuned for the device that will run it) with every flag the learner gave on top."""
    return with_overrides(
        recipe(args.recipe, pick_device(args.device).type), epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, seed=args.seed, out=args.out, device=args.device, precision=args.precision, data_dir=args.data_dir,
        download=args.download or None, max_train_images=args.max_train_images, compile=args.compile,
        dry_run=args.dry_run, quiet=args.quiet,
    ).validate()


def _print_epoch(record, epochs: int) -> None:
    print(f"epoch {record.epoch:>3}/{epochs}  train_loss {record.train_loss:.4f}  test_loss {record.test_loss:.4f}  "
          f"test_acc {100 * record.test_accuracy:5.2f}%  {record.epoch_seconds:6.1f} s  "
          f"{record.train_images_per_s:,.0f} img/s", flush=True)


def cmd_train(args: argparse.Namespace) -> int:
    from .runs import train

    config = train_config(args)
    result = train(config, report=lambda line: print(line, flush=True),
                   on_epoch=lambda record: _print_epoch(record, config.epochs))
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
    from .checkpoint import import_course_model

    import_course_model(args.old, args.new)
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
    from .lessons.runner import format_result, run_lesson

    lesson = find_lesson(args.lesson)
    result = run_lesson(lesson, out=args.out, data_dir=args.data_dir, device=args.device)
    print(format_result(lesson, result, args.json))
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "lessons": cmd_lessons,
            "lesson": cmd_lesson, "import-course-model": cmd_import_course_model}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except TorchstartError as err:
        print(f"torchstart {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"torchstart {args.command}: interrupted", file=sys.stderr)
        return 130
