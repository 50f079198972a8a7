"""The speedrun tables of the docs, from what benchmarks/speedrun.py measured (docs/results/speedrun-*.json).

- docs/<lang>/speedrun.md, block `speedrun-results`: the goals table and one row per run.

(Lesson 21's page is made from its script by scripts/make_pages.py, so its old full-data ladder table is gone.)

The numbers are never typed by hand: rerun the benchmark with `--save cpu`, then `python scripts/make_docs_index.py`
(tests/test_docs.py fails while a page and the JSON disagree).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
CPU_RESULTS = RESULTS / "speedrun-cpu.json"

TEXT = {  # the few words of the tables, per language
    "zh": {"figure": "指标", "measured": "本机实测", "goal": "目标", "met": "达到", "short": "未达到",
           "accuracy": "CPU（2 核，原生 bf16）：{runs} 次运行的平均准确率",
           "wall": "CPU：每次运行的总时间（训练 + TTA 评估）",
           "rss": "CPU：内存峰值（RSS）", "gflops": "训练步骤：实测 GFLOP/s ÷ 同精度矩阵乘法峰值",
           "avx2": "没有原生 bf16 的 CPU（AVX2）", "gpu": "GPU：到 94.0 % 的时间，对比同次运行的 airbench94",
           "not_run": "本轮没有这样的机器，未测", "seed": "种子", "epochs": "轮数", "acc": "准确率（TTA）",
           "time": "总时间", "train": "其中训练", "speed": "训练速度", "peak": "内存峰值",
           "images_s": "张/秒", "by": "由 `{command}` 在 {cpu} 上测得（{date}，torch {torch}）。",
           "curve": "准确率–时间曲线", "curve_goal": "到 94.0 % 的时间",
           "point": "{epochs} 轮：{accuracy:.2f} %，{time}（n = {runs}）",
           "unreached": "测过的预算里都没达到", "n_epochs": "（{n} 轮）",
           "avx2_probe": "在本机上限制为 AVX2 内核模拟（`--avx2`）：{precision}，每秒 {speed:,.0f} 张，"
                         "慢 {ratio:.1f} 倍；10 轮训练约 {minutes:.0f} 分钟"},
    "en": {"figure": "figure", "measured": "measured here", "goal": "goal", "met": "met", "short": "short",
           "accuracy": "CPU, 2 cores with native bf16: mean accuracy over {runs} runs",
           "wall": "CPU: wall time per run (train + TTA eval)", "rss": "CPU: peak RSS",
           "gflops": "training steps: achieved GFLOP/s ÷ matmul peak, same precision",
           "avx2": "CPU without native bf16 (AVX2)", "gpu": "GPU: time to ≥ 94.0 % mean vs airbench94 in the same call",
           "not_run": "no such machine this round: not measured", "seed": "seed", "epochs": "epochs",
           "acc": "accuracy (TTA)", "time": "wall time", "train": "of it training", "speed": "training speed",
           "peak": "peak RSS", "images_s": "images/s",
           "by": "Measured by `{command}` on {cpu} ({date}, torch {torch}).",
           "curve": "accuracy against time", "curve_goal": "the time to 94.0 %",
           "point": "{epochs} epochs: {accuracy:.2f} % in {time} (n = {runs})",
           "unreached": "not reached in the budgets measured", "n_epochs": "({n} epochs)",
           "avx2_probe": "emulated here with AVX2-only kernels (`--avx2`): {precision}, {speed:,.0f} images/s, "
                         "{ratio:.1f}× slower; 10 epochs of training ≈ {minutes:.0f} min"},
}


def load(path: Path = CPU_RESULTS) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:04.1f} s"


def curve_cell(data: dict, budgets: list[str], t: dict) -> str:
    """Accuracy against time: each budget's mean accuracy and wall time, with the number of runs."""
    points = []
    for budget in budgets:
        s = data[budget]["summary"]
        points.append(t["point"].format(epochs=budget.split("-")[0], accuracy=100 * s["accuracy_mean"],
                                        time=minutes(s["wall_seconds_mean"]), runs=s["runs"]))
    return "; ".join(points)


def avx2_cell(data: dict, t: dict) -> str:
    """The AVX2 row: training speed with AVX2-only kernels on this machine, and 10 epochs at that speed."""
    if "avx2" not in data:
        return t["not_run"]
    probe = data["avx2"]["avx2"]
    return t["avx2_probe"].format(speed=probe["avx2"]["images_per_s"], precision=probe["avx2"]["precision"],
                                  ratio=probe["ratio"], minutes=probe["avx2"]["ten_epochs_train_s"] / 60)


def results_block(lang: str, data: dict | None = None) -> str:
    """The goals table and the per-run table of every budget measured, for docs/<lang>/speedrun.md."""
    data = load() if data is None else data
    t = TEXT[lang]
    budgets = sorted((k for k in data if k.endswith("-epochs")), key=lambda k: int(k.split("-")[0]))
    if not budgets:
        return t["not_run"]
    reaching = [b for b in budgets if data[b]["summary"]["reaches_goal"]]
    # the goals: the smallest budget whose mean reaches 94 %, else the one measured most often (the recipe's)
    main = data[reaching[0] if reaching else max(budgets, key=lambda b: data[b]["summary"]["runs"])]
    s, c = main["summary"], main["compute"]
    verdict = {True: t["met"], False: t["short"]}
    rows = [f"| {t['figure']} | {t['measured']} | {t['goal']} |", "|---|---|---|",
            f"| {t['accuracy'].format(runs=s['runs'])} | **{100 * s['accuracy_mean']:.2f} % ± "
            f"{100 * s['accuracy_std']:.2f}** {t['n_epochs'].format(n=main['runs'][0]['epochs'])} | ≥ 94.0 % — "
            f"{verdict[s['accuracy_mean'] >= 0.94]} |",
            f"| {t['wall']} | **{minutes(s['wall_seconds_mean'])}** ± {s['wall_seconds_std']:.0f} s | ≤ 10 min — "
            f"{verdict[s['wall_seconds_mean'] <= 600]} |",
            f"| {t['rss']} | {s['peak_rss_mb_max']:,.0f} MB | ≤ 2 GB — {verdict[s['peak_rss_mb_max'] <= 2048]} |",
            f"| {t['gflops']} | {c['achieved_gflops']:.0f} / {c['matmul_peak_gflops']:.0f} GFLOP/s "
            f"({100 * c['fraction_of_peak']:.0f} %, {c['precision']}) | — |",
            f"| {t['curve']} | {curve_cell(data, budgets, t)} | {t['curve_goal']} — "
            f"{minutes(data[reaching[0]]['summary']['wall_seconds_mean']) if reaching else t['unreached']} |",
            f"| {t['avx2']} | {avx2_cell(data, t)} | — |",
            f"| {t['gpu']} | {t['not_run']} | ≤ 1.0× |", ""]
    for budget in budgets:
        rows += [f"| {t['seed']} | {t['epochs']} | {t['acc']} | {t['time']} | {t['train']} | {t['speed']} | "
                 f"{t['peak']} |", "|---|---|---|---|---|---|---|"]
        for run in data[budget]["runs"]:
            rows.append(f"| {run['seed']} | {run['epochs']} | {100 * run['accuracy']:.2f} % | "
                        f"{minutes(run['wall_seconds'])} | {run['train_seconds']:.0f} s | "
                        f"{run['train_images_per_s']:,.0f} {t['images_s']} | {run['peak_rss_mb']:,.0f} MB |")
        rows += ["", t["by"].format(command=f"python benchmarks/speedrun.py --epochs {budget.split('-')[0]} "
                                             f"--save cpu", cpu=data["cpu"], date=data[budget]["date"],
                                    torch=data["torch"]), ""]
    return "\n".join(rows).rstrip()
