"""torchstart runs: one row per run from its metrics.json; broken runs are flagged, never a crash."""

import json
import shutil
from pathlib import Path

import pytest

from torchstart.cli import main
from torchstart.tools.runs_table import list_runs


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
