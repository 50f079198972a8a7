"""The course's subcommands: train, evaluate, predict, import-course-model, lessons, lesson.

`add_commands(sub)` adds their parsers; each `cmd_*` runs one, importing what it needs when it runs (so
building the parser imports no torch), prints what it did in the learner's language and returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..config import (
    DEFAULT_RECIPE,
    DEVICE_CHOICES,
    RECIPES,
    TRAIN_FLAGS,
    TTA_LEVELS,
    TTA_VIEWS,
    TrainConfig,
    config_value,
    recipe,
    with_overrides,
)
from ..i18n import N_, _

RESIZE_CHOICES = ("squash", "crop")  # training.checkpoint.RESIZE_MODES (a test keeps them equal), without torch


def add_device(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help=_("{choices} (default auto: the accelerator if there is "
                                                           "one)").format(choices="|".join(DEVICE_CHOICES)))


def _add_predict(sub) -> None:
    predict = sub.add_parser("predict", help=_("classify images with a checkpoint"),
                             description=_("The most likely classes of each image, prepared as the checkpoint says "
                                           "(its size, normalisation and way of resizing)."))
    predict.add_argument("checkpoint", type=Path, metavar="CKPT", help=_("a checkpoint (runs/<run>/checkpoints/"
                                                                         "best.pt)"))
    predict.add_argument("images", type=Path, nargs="+", metavar="IMAGE", help=_("image files or folders of images"))
    predict.add_argument("--topk", type=int, default=3, help=_("how many classes to show per image (default 3)"))
    predict.add_argument("--resize", choices=RESIZE_CHOICES,
                         help=_("squash = both sides to the model's size, as the course's Resize((32, 32)); crop = "
                                "shorter side, then the centre square, as ImageNet models expect (default: what "
                                "the checkpoint records)"))
    predict.add_argument("--explain", type=Path, metavar="OUT.png",
                         help=_("also draw the Grad-CAM heat map and the feature maps of the (one) image into "
                                "OUT.png"))
    predict.add_argument("--target", metavar="CLASS", help=_("with --explain: the class to explain (default: the "
                                                             "top one)"))
    add_device(predict)
    predict.add_argument("--json", action="store_true", help=_("print one JSON object"))


def add_commands(sub) -> None:
    train = sub.add_parser("train", help=_("train the course's CIFAR-10 model (or any registered model on your "
                                           "images)"),
                           description=_("Train the course's model on CIFAR-10, or a model of your choice on your own "
                                         "image folders. Flags you leave out come from the recipe; [fast: … · seed: "
                                         "…] after a flag is the value each recipe sets."))
    train.add_argument("--resume", type=Path, metavar="RUN_DIR",
                       help=_("continue a stopped run from RUN_DIR/checkpoints/last.pt with its own settings "
                              "(--epochs N trains it further)"))
    train.add_argument("--overwrite", action="store_true",
                       help=_("--out already holds a run: start again there, keeping the old run as DIR.old-<time>"))
    add_train_flags(train)

    evaluate = sub.add_parser("evaluate", help=_("accuracy and loss of a checkpoint on the test set"),
                              description=_("Accuracy, mean loss and per-class accuracy of a checkpoint on the test "
                                            "set (image folders: their validation split)."))
    evaluate.add_argument("checkpoint", type=Path, metavar="CKPT", help=_("a checkpoint (runs/<run>/checkpoints/"
                                                                          "best.pt)"))
    evaluate.add_argument("--data-dir", type=Path,
                          help=_("CIFAR-10, or the image folders the model was trained on (their val split is "
                                 "used); default: the same search as train"))
    add_device(evaluate)
    evaluate.add_argument("--tta", type=int, choices=TTA_LEVELS, metavar="LEVEL",
                          help=_("test-time augmentation: 0 none, 1 + mirror, 2 + mirror and 1-pixel shifts "
                                 "(default: what the run's recipe used)"))
    evaluate.add_argument("--json", action="store_true", help=_("print one JSON object"))

    _add_predict(sub)

    course = sub.add_parser("import-course-model", help=_("convert a .pth saved by the course into a checkpoint"),
                            description=_("Read the course's torch.save(model) or torch.save(model.state_dict()) "
                                          "file without running code from it, and write a torchstart checkpoint."))
    course.add_argument("old", type=Path, metavar="OLD.pth", help=_("the file the course's train.py saved"))
    course.add_argument("new", type=Path, metavar="NEW.pt", help=_("the torchstart checkpoint to write"))
    course.add_argument("--force", action="store_true",
                        help=_("replace NEW.pt if it exists (the old one is kept aside)"))

    sub.add_parser("lessons", help=_("list the course's lessons (number, name, goal)"),
                   description=_("The course's lessons: number, name and what each one teaches."))
    lesson = sub.add_parser("lesson", help=_("run one lesson of the course: its code, cell by cell, with the output"),
                            description=_("Run a lesson's script cell by cell, showing each cell's code and then what "
                                          "it printed. `torchstart lessons` lists them."))
    lesson.add_argument("lesson", metavar="NAME|NUMBER", help=_("e.g. conv, 9 or 卷积"))
    shown = lesson.add_mutually_exclusive_group()
    shown.add_argument("--code", action="store_true",
                       help=_("print only the lesson's code, a script that runs on its own (python conv.py)"))
    shown.add_argument("--quiet", action="store_true", help=_("print only what the code prints"))
    shown.add_argument("--json", action="store_true", help=_("print the lesson's numbers as one JSON object"))
    lesson.add_argument("--out", type=Path,
                        help=_("folder the lesson runs in; what it writes lands there (default "
                               "runs/lessons/<lesson>-<time>)"))


def _shown(value) -> str:
    return (_("on") if value else _("off")) if isinstance(value, bool) else str(value)


def recipe_values(flag) -> str:
    """What each recipe sets a train flag's field to, for --help: "fast: 128, on a GPU 512 · seed: 64".

    Empty when no recipe sets it (the field stays None/off), and when every recipe agrees and the help
    already names the default.
    """
    values = {name: (config_value(recipe(name), flag.field), config_value(recipe(name, "cuda"), flag.field))
              for name in sorted(RECIPES)}
    if flag.field == "recipe" or all(v is None or v is False for pair in values.values() for v in pair):
        return ""
    if len(set(values.values())) == 1:
        return "" if "default" in flag.help else _("every recipe: {value}").format(value=_shown(values["seed"][0]))
    shown = [f"{name}: {_shown(cpu)}" if cpu == gpu else
             f"{name}: " + _("{value}, on a GPU {gpu}").format(value=_shown(cpu), gpu=_shown(gpu))
             for name, (cpu, gpu) in values.items()]
    return " · ".join(shown)


def add_train_flags(parser: argparse.ArgumentParser) -> None:
    """One argparse option per row of config.TRAIN_FLAGS; every default is None (= the recipe's value)."""
    for flag in TRAIN_FLAGS:
        values = recipe_values(flag)
        text = _(flag.help) + (f" [{values}]" if values else "")
        if flag.type is None:
            parser.add_argument(flag.name, dest=flag.field, action="store_true", default=None, help=text)
        else:
            parser.add_argument(flag.name, dest=flag.field, type=flag.type, metavar=flag.metavar,
                                choices=flag.choices, help=text)


def train_flags(args: argparse.Namespace) -> dict:
    """The `train` flags as config fields; None = not given."""
    return {flag.field: getattr(args, flag.field) for flag in TRAIN_FLAGS}


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The recipe (as tuned for the device that will run it) with every flag the learner gave on top."""
    from ..device import pick_device

    base = recipe(args.recipe or DEFAULT_RECIPE, pick_device(args.device or "auto").type)
    return with_overrides(base, **train_flags(args)).validate()


def format_epoch_line(record, epochs: int) -> str:
    line = _("epoch {epoch:>3}/{epochs}  train_loss {train_loss:.4f}  test_loss {test_loss:.4f}  "
             "test_acc {accuracy:5.2f}%  {seconds:6.1f} s  {speed:,.0f} img/s").format(
        epoch=record.epoch, epochs=epochs, train_loss=record.train_loss, test_loss=record.test_loss,
        accuracy=100 * record.test_accuracy, seconds=record.epoch_seconds, speed=record.train_images_per_s)
    if record.test_views > 1:  # the last epoch of a recipe with test-time augmentation
        line += "  " + _("(test: mean of {views} views per image)").format(views=record.test_views)
    return line


def cmd_train(args: argparse.Namespace) -> int:
    from ..errors import TrainingInterrupted
    from ..training.job import train
    from ..training.resume import restarted_run, resume_point

    point = None if args.resume is None else resume_point(args.resume, **train_flags(args))
    config = train_config(args) if point is None else point.config
    if point is None and (restart := restarted_run(config)) is not None:  # torchrun restarted us: continue by ourselves
        point, config = restart, restart.config
    try:
        result = train(config, resume=point, overwrite=args.overwrite, report=lambda line: print(line, flush=True),
                       on_epoch=lambda record: print(format_epoch_line(record, config.epochs), flush=True))
    except TrainingInterrupted as stop:
        print(stop.advice(), file=sys.stderr)
        return 128 + stop.signum  # 130 for Ctrl-C, 143 for SIGTERM
    if not result.is_main:  # torchrun: rank 0 prints the summary
        return 0
    h = result.history
    print(_("best test accuracy {accuracy:.2f}% (epoch {epoch}) in {seconds:.1f} s; wrote {run}/metrics.json, "
            "curves.png, confusion_matrix.png").format(accuracy=100 * h.best_test_accuracy, epoch=h.best_epoch,
                                                      seconds=h.elapsed_seconds, run=result.run_dir))
    print(_("next: torchstart evaluate {checkpoint}").format(checkpoint=result.best_checkpoint))
    print(_("      torchstart predict {checkpoint} your_image.jpg").format(checkpoint=result.best_checkpoint))
    print(_("      tensorboard --logdir {logdir}").format(logdir=result.run_dir / "tb"))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..inference import evaluate_checkpoint

    report = evaluate_checkpoint(args.checkpoint, args.data_dir, args.device, tta=args.tta)
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    print(report.data)
    print(_("{checkpoint} (epoch {epoch}): accuracy {accuracy:.2f}% on {count} test images, mean loss {loss:.4f}")
          .format(checkpoint=report.checkpoint, epoch=report.epoch, accuracy=100 * report.accuracy,
                  count=report.num_images, loss=report.loss))
    if report.precision != "fp32":
        print(_("precision {precision}, as the run's test pass: on the machine that trained it, the numbers of its "
                "epoch line").format(precision=report.precision))
    if report.tta:
        print(_("test-time augmentation level {level}: each image scored as the mean of {views} views").format(
            level=report.tta, views=TTA_VIEWS[report.tta]))
    for name, acc in report.per_class_accuracy.items():
        print(f"  {name:<12} {100 * acc:6.2f}%  {'#' * round(40 * acc)}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from ..inference import predict_images

    if args.explain is not None:
        return _predict_and_explain(args)
    predictions = predict_images(args.checkpoint, args.images, args.topk, args.device, resize=args.resize)
    if args.json:
        payload = {"classes": list(predictions[0].classes), "predictions": [p.to_dict() for p in predictions]}
        print(json.dumps(payload))
        return 0
    for p in predictions:
        print(_top_line(p.image, p.top))
    print(_known_classes(predictions[0].classes))
    return 0


def _top_line(image, top: list[tuple[str, float]]) -> str:
    """"cat.jpg: cat 71.2%, dog 20.3%, deer 4.0%"."""
    return f"{image}: " + ", ".join(f"{name} {100 * prob:.1f}%" for name, prob in top)


def _known_classes(classes: Sequence[str]) -> str:
    """The percentages are shares among the model's own classes: a bee shown to a CIFAR-10 model still gets
    "airplane 60 %", so the learner reads which classes those are, every time (no score can tell a bee apart)."""
    return _("(the model knows only these {count} classes and always picks among them, even for a photo of "
             "something else: {classes})").format(count=len(classes), classes=", ".join(classes))


def _predict_and_explain(args: argparse.Namespace) -> int:
    from ..device import pick_device
    from ..errors import ConfigError
    from ..explain import explain_image, save_explanation
    from ..files import new_output
    from ..training.checkpoint import load_checkpoint

    if len(args.images) != 1 or args.json:
        raise ConfigError(_("--explain draws one image, without --json"), _("give exactly one IMAGE"))
    new_output(args.explain, force=False, what=N_("picture"))
    checkpoint = load_checkpoint(args.checkpoint)
    explanation, image = explain_image(checkpoint, args.images[0], target=args.target,
                                       topk=args.topk, resize=args.resize, device=pick_device(args.device))
    save_explanation(explanation, image, args.explain)
    print(_top_line(args.images[0], explanation.top))
    print(_known_classes(checkpoint["classes"]))
    print(_("wrote {path}: the Grad-CAM heat map for {target} and the feature maps").format(
        path=args.explain, target=explanation.target))
    return 0


def cmd_import_course_model(args: argparse.Namespace) -> int:
    from ..course_import import import_course_model

    import_course_model(args.old, args.new, force=args.force)
    print(_("wrote {new}: the course's Tudui with the weights of {old} (inputs as in the course's test.py: "
            "Resize((32, 32)), then ToTensor)").format(new=args.new, old=args.old))
    print(_("next: torchstart evaluate {checkpoint}").format(checkpoint=args.new))
    return 0


def cmd_lessons(args: argparse.Namespace) -> int:
    from ..i18n import language
    from ..tools.lesson_view import listing
    from .user_config import lessons_run

    print(listing(language(), frozenset(lessons_run())))
    print(_("run one: torchstart lesson NUMBER|NAME [--code | --quiet | --json]"))
    return 0


def cmd_lesson(args: argparse.Namespace) -> int:
    from ..course import find_chapter
    from ..course.literate import code
    from ..i18n import language
    from ..tools.lesson_view import default_out, run_lesson, where_to_read
    from .user_config import record_lesson

    chapter = find_chapter(args.lesson)
    if args.code:
        sys.stdout.write(code(chapter, language()))
        return 0
    mode = "json" if args.json else "quiet" if args.quiet else "show"
    run_lesson(chapter, language(), args.out or default_out(chapter), mode)
    record_lesson(chapter.name)
    if mode == "show":
        print(where_to_read(chapter))
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "lessons": cmd_lessons,
            "lesson": cmd_lesson, "import-course-model": cmd_import_course_model}
