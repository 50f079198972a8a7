"""End to end through `main(argv)`: train on the embedded sample, then evaluate and predict."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from torchstart import i18n
from torchstart.cli import main
from torchstart.config import recipe
from torchstart.data import load_sample
from torchstart.device import pick_device
from torchstart.i18n import using
from torchstart.training.checkpoint import load_checkpoint

EPOCH_KEYS = {"epoch", "train_loss", "test_loss", "test_accuracy", "epoch_seconds", "elapsed_seconds",
              "train_images_per_s"}


def test_train_writes_a_complete_run_dir(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["finished"] and metrics["data"]["layout"] == "sample"
    assert metrics["device"] == str(pick_device("auto"))  # the fixture leaves --device out: auto
    assert metrics["config"]["recipe"] == "fast" and metrics["torch_version"] == torch.__version__
    assert metrics["data"]["train_images"] == 512 and metrics["data"]["test_images"] == 500
    (epoch,) = metrics["epochs"]
    assert EPOCH_KEYS <= set(epoch) and 0 <= epoch["test_accuracy"] <= 1 and epoch["train_images_per_s"] > 0
    assert metrics["best_test_accuracy"] == epoch["test_accuracy"]
    for name in ("checkpoints/last.pt", "checkpoints/best.pt", "curves.png", "confusion_matrix.png"):
        assert (trained_run / name).stat().st_size > 0, name
    assert list((trained_run / "tb").glob("events.out.tfevents.*"))


def test_tensorboard_events_hold_the_epoch_scalars(trained_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(trained_run / "tb"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train_loss", "test_loss", "test_accuracy", "lr"} <= tags
    metrics = json.loads((trained_run / "metrics.json").read_text())
    (point,) = events.Scalars("test_accuracy")
    assert point.value == pytest.approx(metrics["epochs"][0]["test_accuracy"], rel=1e-6)


def test_checkpoint_holds_what_inference_and_resume_need(trained_run):
    ckpt = torch.load(trained_run / "checkpoints" / "last.pt", weights_only=True)
    assert {"model_state", "optimizer_state", "scheduler_state", "epoch", "step", "rng_state", "config",
            "classes", "normalization", "best_test_accuracy"} <= set(ckpt)
    batch = recipe("fast", pick_device("auto").type).batch_size  # 128 on a CPU, 512 on a GPU
    assert ckpt["epoch"] == 1 and ckpt["step"] == 512 // batch  # 512 images, one epoch
    assert ckpt["classes"][0] == "airplane"


def test_evaluate_json_agrees_with_training(trained_run, capsys):
    assert main(["evaluate", str(trained_run / "checkpoints" / "best.pt"), "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)  # stdout holds one JSON object and nothing else
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert report["accuracy"] == pytest.approx(metrics["best_test_accuracy"], abs=1e-9)
    assert report["loss"] == pytest.approx(metrics["epochs"][0]["test_loss"], rel=1e-4)
    assert set(report["per_class_accuracy"]) == set(load_sample().classes)
    per_class_mean = sum(report["per_class_accuracy"].values()) / 10  # balanced test set: mean = accuracy
    assert per_class_mean == pytest.approx(report["accuracy"], abs=1e-9)
    # precision auto (the fast recipe) was decided once; the checkpoint records the choice and evaluate repeats it
    stored = load_checkpoint(trained_run / "checkpoints" / "best.pt")["config"]["precision"]
    assert stored == metrics["precision"] == report["precision"] and stored in ("fp32", "bf16")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])  # bf16: native on AMX/AVX512-BF16, emulated elsewhere
def test_evaluate_repeats_the_epochs_test_pass(precision, tmp_path, capsys):
    """evaluate measures best.pt as its epoch did: every cell of the confusion matrix, in the run's precision.

    Before, evaluate ran float32 in NCHW while the run's test pass ran bf16 in channels_last; on an AMX CPU
    one image of 500 flipped (54.60 % printed by train, 54.80 % by evaluate).
    """
    out = tmp_path / "run"
    assert main(["train", "--epochs", "1", "--max-train-images", "256", "--precision", precision, "--out", str(out),
                 "--quiet"]) == 0
    best = out / "checkpoints" / "best.pt"
    capsys.readouterr()
    assert main(["evaluate", str(best), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    stored = torch.load(best, weights_only=True)["test_confusion"]
    per_class = [hits / total for hits, total in zip(stored.diagonal().tolist(), stored.sum(dim=1).tolist())]
    assert report["precision"] == precision
    assert list(report["per_class_accuracy"].values()) == per_class  # exactly: the same kernels, the same sums
    metrics = json.loads((out / "metrics.json").read_text())
    assert report["accuracy"] == metrics["best_test_accuracy"]
    assert report["loss"] == pytest.approx(metrics["epochs"][0]["test_loss"], rel=1e-6)


def test_evaluate_human_output(trained_run, capsys):
    assert main(["evaluate", str(trained_run / "checkpoints" / "best.pt")]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "airplane" in out and "truck" in out


def test_predict_images_of_every_mode(trained_run, tmp_path, capsys):
    sample = load_sample().test.images[0].numpy()
    base = Image.fromarray(sample).resize((64, 48))
    paths = []
    for mode, ext in (("RGBA", "png"), ("L", "png"), ("P", "gif"), ("RGB", "jpg")):
        path = tmp_path / f"img_{mode}.{ext}"
        base.convert(mode).save(path)
        paths.append(str(path))
    assert main(["predict", str(trained_run / "checkpoints" / "best.pt"), *paths, "--topk", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["predictions"]
    assert [p["image"] for p in result] == paths
    for p in result:
        assert len(p["top"]) == 2 and p["top"][0]["probability"] >= p["top"][1]["probability"]
        assert p["top"][0]["class"] in load_sample().classes


def test_predict_text_output(trained_run, tmp_path, capsys):
    path = tmp_path / "cat pic.png"  # a space in the name
    Image.fromarray(load_sample().test.images[3].numpy()).save(path)
    assert main(["predict", str(trained_run / "checkpoints" / "best.pt"), str(path)]) == 0
    line, known = capsys.readouterr().out.strip().splitlines()
    assert line.startswith(f"{path}: ") and line.count("%") == 3
    assert known.endswith(", ".join(load_sample().classes) + ")")


@pytest.mark.parametrize("lang,words", [("en", "knows only these 10 classes"), ("zh", "只认识这 10 个类别")])
def test_predict_says_which_classes_the_model_must_choose_from(trained_run, capsys, lang, words):
    """A bee is none of CIFAR-10's classes, yet the model gives it three percentages: say what they are among."""
    from torchstart import sample

    bee = next((sample("hymenoptera") / "val" / "bees").iterdir())
    assert main(["--lang", lang, "predict", str(trained_run / "checkpoints" / "best.pt"), str(bee)]) == 0
    top, known = capsys.readouterr().out.strip().splitlines()
    assert top.count("%") == 3 and words in known and "airplane" in known and "truck" in known


@pytest.mark.parametrize("argv,match", [
    (["train", "--epochs", "0"], "--epochs must be at least 1"),
    (["train", "--batch-size", "-4"], "--batch-size must be at least 1"),
    (["train", "--device", "tpu"], "unknown device"),
    (["train", "--data-dir", "/no/such/dir"], "does not exist"),
    (["evaluate", "missing.pt"], "does not exist"),
    (["predict", "missing.pt", "x.png"], "does not exist"),
])
def test_learner_errors_are_one_line_exit_2(argv, match, capsys, tmp_path):
    assert main(argv + (["--out", str(tmp_path / "r")] if argv[0] == "train" else [])) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert match in err


def test_predict_non_image_and_foreign_checkpoint(trained_run, tmp_path, capsys):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    assert main(["predict", str(trained_run / "checkpoints" / "best.pt"), str(text)]) == 2
    assert "notes.jpg is not an image" in capsys.readouterr().err
    foreign = tmp_path / "foreign.pth"
    torch.save({"weight": torch.zeros(3)}, foreign)
    assert main(["evaluate", str(foreign)]) == 2
    assert "not a torchstart checkpoint" in capsys.readouterr().err


def test_unwritable_out_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the run dir should go")
    assert main(["train", "--out", str(blocker / "run"), "--quiet"]) == 2
    assert "cannot write the output directory" in capsys.readouterr().err


def test_dry_run_seed_recipe_on_an_npz_dir(npz_dir, tmp_path, capsys):
    out = tmp_path / "dry"
    argv = ["train", "--recipe", "seed", "--dry-run", "--batch-size", "16", "--data-dir", str(npz_dir)]
    assert main(argv + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"using CIFAR-10 from {npz_dir} (npz), 100 train / 50 test" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["recipe"] == "seed" and len(metrics["epochs"]) == 10
    assert metrics["epochs"][0]["train_images"] == 3 * 16  # dry run: 3 batches per epoch


def test_installed_console_script(trained_run, tmp_path):
    exe = shutil.which("torchstart") or str(Path(sys.executable).with_name("torchstart"))
    assert Path(exe).exists(), "the console script is installed by pip install -e ."
    result = subprocess.run([exe, "evaluate", str(trained_run / "checkpoints" / "best.pt"), "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 0 <= json.loads(result.stdout)["accuracy"] <= 1
    bad = subprocess.run([exe, "train", "--epochs", "0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_python_m_torchstart_is_guarded_for_spawned_workers(monkeypatch):
    import runpy

    import torchstart.cli

    def must_not_run(*args, **kwargs):
        raise AssertionError("a spawned worker re-ran the CLI")

    monkeypatch.setattr(torchstart.cli, "main", must_not_run)
    runpy.run_module("torchstart.__main__", run_name="__mp_main__")  # what spawn does in each worker
    with pytest.raises(AssertionError, match="re-ran"):
        runpy.run_module("torchstart.__main__", run_name="__main__")  # the test can fail: main does run here


# ---- Language, help, small things (issue #12) ----------------------------------------------------------------
SUBCOMMANDS = ["train", "evaluate", "predict", "import-course-model", "lessons", "lesson", "exercises", "exercise",
               "check", "hint", "solution", "next", "demo", "export", "doctor", "board", "runs", "notebook", "docs",
               "config"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_subcommand_list_is_the_parser_s():
    from torchstart.cli import COMMANDS, build_parser

    sub = build_parser()._subparsers._group_actions[0]
    assert list(sub.choices) == SUBCOMMANDS and set(COMMANDS) == set(SUBCOMMANDS)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_of_every_subcommand_is_chinese_under_a_chinese_locale(command):
    clean = {k: v for k, v in os.environ.items() if k not in (*i18n.LOCALE_VARS, i18n.ENV_VAR)}
    done = subprocess.run([sys.executable, "-m", "torchstart", command, "--help"], capture_output=True, text=True,
                          env={**clean, "LANG": "zh_CN.UTF-8"}, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("用法：")
    assert "选项" in done.stdout and "显示这段帮助并退出" in done.stdout


def test_every_help_text_of_every_subcommand_has_its_chinese():
    from torchstart.cli import build_parser

    with using("zh"):
        parser = build_parser()
        sub = parser._subparsers._group_actions[0]
        texts = [("torchstart", parser.description)] + [(c.dest, c.help) for c in sub._choices_actions]
        for name, subparser in sub.choices.items():
            texts.append((name, subparser.description))
            texts += [(f"{name} {a.dest}", a.help) for a in subparser._actions]
    english = [(where, text) for where, text in texts if text and not CJK.search(text)]
    assert english == []


def test_train_help_shows_what_each_recipe_sets(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    fast, seed, gpu, speedrun = recipe("fast"), recipe("seed"), recipe("fast", "cuda"), recipe("speedrun")
    assert (f"[fast: {fast.batch_size}, on a GPU {gpu.batch_size} · seed: {seed.batch_size} · "
            f"speedrun: {speedrun.batch_size}]") in help_text
    assert f"[fast: {fast.optim.lr}, on a GPU {gpu.optim.lr} · seed: {seed.optim.lr} · speedrun: 1.5]" in help_text
    assert f"[fast: {fast.precision} · seed: {seed.precision} · speedrun: auto]" in help_text
    assert f"passes over the training set [every recipe: {seed.epochs}]" in help_text


def test_errors_and_output_follow_lang(capsys):
    assert main(["--lang", "zh", "evaluate", "missing.pt"]) == 2
    assert capsys.readouterr().err.startswith("torchstart evaluate：错误：")
    assert main(["lessons", "--lang", "zh"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "运行其中一课：torchstart lesson 编号|名字 [--code | --quiet | --json]"


def test_a_lesson_by_its_chinese_name(tmp_path, capsys):
    from torchstart.cli.user_config import lessons_run

    assert main(["lesson", "卷积", "--json", "--out", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["lesson"] == "conv"
    assert list(lessons_run()) == ["conv"]  # remembered for `torchstart lessons` and `torchstart next`


def test_the_cli_s_resize_choices_are_the_checkpoint_s():
    from torchstart.cli.commands import RESIZE_CHOICES
    from torchstart.training.checkpoint import RESIZE_MODES

    assert RESIZE_CHOICES == RESIZE_MODES


def test_cifar_runs_record_the_course_s_resize_and_folder_runs_crop(trained_run, tmp_path):
    assert torch.load(trained_run / "checkpoints" / "best.pt", weights_only=True)["resize"] == "squash"
    for label, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
        (tmp_path / "images" / label).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (40, 30), tuple(c + 5 * i for c in colour)).save(tmp_path / "images" / label / f"{i}.png")
    out = tmp_path / "run"
    assert main(["train", "--data-dir", str(tmp_path / "images"), "--epochs", "1", "--batch-size", "2",
                 "--out", str(out), "--quiet", "--val-fraction", "0.5"]) == 0
    assert torch.load(out / "checkpoints" / "best.pt", weights_only=True)["resize"] == "crop"
