"""The errors a learner meets most read in Chinese when the language is Chinese (issue #12), and keep the rules
of tests/test_reliability.py: exit 2, one line on stderr, no traceback, the cause and then the fix."""

import signal

import pytest
import torch

from torchstart import device
from torchstart.cli import main
from torchstart.data.loader import TensorLoader
from torchstart.errors import TrainingInterrupted, bug_report
from torchstart.i18n import using
from torchstart.models import Tudui
from torchstart.training.checkpoint import make_checkpoint, save_checkpoint

QUICK = ["--epochs", "1", "--max-train-images", "128", "--quiet"]


def chinese_error(argv: list[str], capsys) -> str:
    """Run `torchstart ARGV` in Chinese: exit 2 and one line, with the Chinese word for the fix and no English one."""
    with using("zh"):
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    line = err.strip()
    assert "解决办法" in line and "fix:" not in line, line
    return line


def test_a_missing_data_folder(tmp_path, capsys):
    line = chinese_error(["train", "--data-dir", str(tmp_path / "nope"), *QUICK, "--out", str(tmp_path / "run")],
                         capsys)
    assert f"--data-dir {tmp_path / 'nope'} 不存在" in line and "每个类别一个图片子文件夹" in line
    assert not (tmp_path / "run").exists()


def test_a_damaged_checkpoint(tmp_path, capsys):
    checkpoint = make_checkpoint(Tudui(), model_name="tudui", classes=[str(i) for i in range(10)],
                                 mean=(0.0,) * 3, std=(1.0,) * 3)
    checkpoint.pop("model_name")
    path = tmp_path / "damaged.pt"
    save_checkpoint(checkpoint, path)
    line = chinese_error(["evaluate", str(path)], capsys)
    assert f"{path} 是一个损坏的 torchstart 检查点：model_name 是 None" in line
    assert "换用这次运行的另一个检查点（checkpoints/best.pt 或 last.pt）" in line


def test_a_checkpoint_that_is_not_a_pytorch_file(tmp_path, capsys):
    path = tmp_path / "notes.pt"
    path.write_text("not a checkpoint")
    line = chinese_error(["predict", str(path), str(tmp_path / "x.png")], capsys)
    assert f"{path} 不是可读取的 PyTorch 文件" in line and "文件已损坏、不完整" in line


def test_a_device_that_is_not_here(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(device, "_kind_available", lambda kind: kind == "cpu")
    line = chinese_error(["train", "--device", "cuda", *QUICK, "--out", str(tmp_path / "run")], capsys)
    assert "--device cuda：" in line and "解决办法：用 --device auto" in line and "但" not in line


def test_the_fix_of_a_diverged_run(tmp_path, capsys, monkeypatch):
    original = TensorLoader.make_batch

    def poisoned(self, idx, draws=None):  # every training image becomes NaN: the first step diverges
        x, y = original(self, idx, draws)
        return (x * float("nan"), y) if self.shuffle else (x, y)

    monkeypatch.setattr(TensorLoader, "make_batch", poisoned)
    line = chinese_error(["train", *QUICK, "--device", "cpu", "--out", str(tmp_path / "run")], capsys)
    assert "训练损失在第 1 步变成了 nan（第 1 轮）" in line
    assert "调低学习率，开始一次新的运行，例如 --lr 0.025；还没有一轮训练完成，所以没有检查点" in line


def test_an_interrupted_run_says_how_to_continue(tmp_path):
    with using("zh"):
        saved = TrainingInterrupted(tmp_path, 2).advice()
        none = TrainingInterrupted(tmp_path, 0, signal.SIGTERM).advice()
    assert saved == (f"torchstart train：已中断；第 2 轮已保存在 {tmp_path / 'checkpoints' / 'last.pt'}。"
                     f"继续训练：torchstart train --resume {tmp_path}")
    assert none == "torchstart train：在第一轮完成之前已被 SIGTERM 停止；没有保存任何可以继续的内容"


def test_a_bug_report_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    try:
        raise ValueError("never expected")
    except ValueError as err:
        with using("zh"):
            line = bug_report("runs", err)
    (report,) = tmp_path.glob("torchstart-runs-crash-*.txt")
    assert line.startswith("torchstart runs：内部错误，这是 torchstart 的 bug，不是你的错"
                           "（ValueError: never expected）")
    assert f"错误堆栈（traceback）在 {report}" in line and "TORCHSTART_DEBUG=1" in line


@pytest.mark.parametrize("lang, expected", [("en", "epoch 3"), ("zh", "第 3 轮")])
def test_the_progress_bar_speaks_the_language(lang, expected, monkeypatch):
    from torchstart.training import engine

    seen = {}

    class Bar:
        def __init__(self, **kwargs):
            seen.update(kwargs)

        def update(self, n):
            pass

        def close(self):
            pass

    monkeypatch.setattr(engine, "tqdm", Bar)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 10))
    state = engine.TrainState(model, torch.optim.SGD(model.parameters(), lr=0.01))
    images = torch.zeros(4, 32, 32, 3, dtype=torch.uint8)
    with using(lang):
        engine.train_one_epoch(state, TensorLoader(images, torch.zeros(4, dtype=torch.long), batch_size=2),
                               torch.device("cpu"), epoch=3)
    assert seen["desc"] == expected and seen["unit"] == ("batch" if lang == "en" else "批")


def test_an_image_that_is_not_one(tmp_path, capsys):
    (tmp_path / "x.png").write_text("text, not pixels")
    checkpoint = make_checkpoint(Tudui(), model_name="tudui", classes=[str(i) for i in range(10)],
                                 mean=(0.0,) * 3, std=(1.0,) * 3)
    save_checkpoint(checkpoint, tmp_path / "model.pt")
    line = chinese_error(["predict", str(tmp_path / "model.pt"), str(tmp_path / "x.png")], capsys)
    assert f"{tmp_path / 'x.png'} 不是 Pillow 能读取的图片" in line
    assert "请传入 JPEG、PNG、GIF、BMP 或 WebP 文件" in line


def test_plots_without_a_chinese_font_keep_english_labels_and_warn_nothing(tmp_path, monkeypatch):
    import warnings

    from torchstart.training import tracking

    monkeypatch.setattr(tracking, "CJK_FONTS", ())  # as on a server without any font that has Chinese glyphs
    epochs = [{"epoch": 1, "train_loss": 2.0, "test_loss": 1.9, "test_accuracy": 0.3}]
    with using("zh"), warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be a UserWarning per character
        tracking.plot_curves(epochs, tmp_path / "curves.png")
        tracking.plot_confusion(torch.eye(2, dtype=torch.long), ("cat", "dog"),
                                tmp_path / "confusion.png")
    assert (tmp_path / "curves.png").stat().st_size > 0 and (tmp_path / "confusion.png").stat().st_size > 0
