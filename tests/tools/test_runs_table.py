"""torchstart runs: one row per run from its metrics.json; broken runs are flagged, never a crash."""

import json
import shutil
from pathlib import Path

import pytest

from torchstart.cli import main
from torchstart.i18n import using
from torchstart.tools.runs_table import format_table, list_runs


@pytest.fixture
def runs_root(tmp_path, trained_run):
    """A runs folder: the real run, a stopped copy of it, three broken ones and a folder that is not a run."""
    root = tmp_path / "runs"
    real = json.loads((trained_run / "metrics.json").read_text())
    good = root / "20260101-090000"
    good.mkdir(parents=True)
    shutil.copy(trained_run / "metrics.json", good / "metrics.json")

    stopped = dict(real, created="2025-12-31T23:00:00", finished=False, best_test_accuracy=0.25, best_epoch=1,
                   config=dict(real["config"], recipe="seed", epochs=10))
    (root / "20251231-230000").mkdir()
    (root / "20251231-230000" / "metrics.json").write_text(json.dumps(stopped))

    (root / "truncated").mkdir()
    (root / "truncated" / "metrics.json").write_text(json.dumps(real)[:50])
    (root / "foreign").mkdir()
    (root / "foreign" / "metrics.json").write_text(json.dumps({"accuracy": 0.9}))
    (root / "crashed" / "checkpoints").mkdir(parents=True)
    (root / "lessons" / "09-conv").mkdir(parents=True)  # lesson outputs live here: not a run
    (root / "19-pipeline-20260101-120000" / "tb").mkdir(parents=True)  # a lesson run with --out runs/<its name>
    return root, real


def test_rows_hold_the_values_metrics_json_holds(runs_root):
    root, real = runs_root
    table = list_runs(root)
    assert [r.path for r in table.runs] == [str(root / "20251231-230000"), str(root / "20260101-090000")]  # by date
    stopped, good = table.runs
    assert good.created == real["created"] and good.recipe == "fast" and good.data == "embedded sample"
    assert (good.epochs_done, good.epochs_planned, good.finished) == (1, 1, True)
    assert good.best_test_accuracy == real["best_test_accuracy"] == real["epochs"][0]["test_accuracy"]
    assert good.seconds == real["epochs"][-1]["elapsed_seconds"]
    assert (stopped.recipe, stopped.epochs_done, stopped.epochs_planned, stopped.finished) == ("seed", 1, 10, False)
    reasons = {Path(b.path).name: b.reason for b in table.broken}
    assert set(reasons) == {"crashed", "foreign", "truncated"}
    assert reasons["truncated"].startswith("metrics.json is not readable JSON")
    assert reasons["foreign"] == "metrics.json lacks what torchstart writes (KeyError: 'epochs')"
    assert reasons["crashed"].startswith("no metrics.json")


def test_cli_table_and_json(runs_root, capsys):
    root, real = runs_root
    assert main(["runs", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run", "date", "recipe", "data", "epochs", "best", "acc", "time"]
    good = next(line for line in lines if "20260101-090000" in line)
    assert f"{100 * real['best_test_accuracy']:.2f}%" in good and "1/1" in good and "embedded sample" in good
    assert real["created"].replace("T", " ")[:16] in good
    assert "1/10 stopped" in next(line for line in lines if "20251231-230000" in line)
    assert sum(line.startswith("! ") for line in lines) == 3

    assert main(["runs", str(root), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["runs"]) == 2 and len(payload["broken"]) == 3
    assert payload["runs"][1]["best_test_accuracy"] == real["best_test_accuracy"]


def test_a_single_run_dir_is_a_table_of_one(trained_run):
    (row,) = list_runs(trained_run).runs
    assert row.path == str(trained_run)


def test_empty_and_missing_roots(tmp_path, capsys):
    assert main(["runs", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == f"no runs under {tmp_path} — start one with: torchstart train"
    assert main(["runs", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and len(err.strip().splitlines()) == 1


def test_lesson_output_folders_are_not_broken_runs(runs_root, tmp_path, capsys):
    root, _real = runs_root
    assert list_runs(root).lessons == [str(root / "19-pipeline-20260101-120000")]
    lessons = root / "lessons"  # what `torchstart lesson` writes by default: runs/lessons/<NN-name>-<time>/
    for name in ("09-conv-20260101-120000", "04-tensorboard-20260101-120500", "19-pipeline"):
        (lessons / name / "tb").mkdir(parents=True, exist_ok=True)
    (lessons / "19-pipeline" / "checkpoints").mkdir()
    table = list_runs(lessons)
    assert table.runs == [] and table.broken == [] and len(table.lessons) == 3
    assert main(["runs", str(lessons)]) == 0
    assert capsys.readouterr().out.strip().splitlines() == [
        f"no runs under {lessons} — start one with: torchstart train",
        "3 lesson output folders left out: they are not training runs"]
    assert main(["runs", str(lessons), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["lessons"]) == 3


def test_the_table_reads_chinese_and_stays_aligned(runs_root):
    from torchstart.i18n import columns as width

    root, real = runs_root
    with using("zh"):
        lines = format_table(list_runs(root)).splitlines()
    assert lines[0].split() == ["运行", "日期", "配方", "数据", "轮数", "最高准确率", "用时"]
    good = next(line for line in lines if "20260101-090000" in line)
    assert "内置样本" in good and f"{real['epochs'][-1]['elapsed_seconds']:.1f} 秒" in good
    assert "1/10 已停止" in next(line for line in lines if "20251231-230000" in line)
    cells = ("最高准确率", "25.00%", f"{100 * real['best_test_accuracy']:.2f}%")  # header, stopped run, good run
    column = [width(line[:line.index(cell)]) for line, cell in zip(lines[:3], cells)]
    assert column[1] == column[2] == column[0]  # the accuracy column starts where its heading does
    assert lines[-1] == "有 1 个课程练习的输出文件夹没有列出：它们不是训练运行"
