"""The speedrun capstone's figures (issue #16): seeded runs of `torchstart train --recipe speedrun` on CIFAR-10.

    python benchmarks/speedrun.py                          # 3 runs on the CPU, full shared CIFAR-10 (≈ 32 min)
    python benchmarks/speedrun.py --epochs 12 --runs 3     # another budget: one more point of the accuracy–time curve
    python benchmarks/speedrun.py --avx2                   # training speed with AVX2-only kernels, against this CPU's
    python benchmarks/speedrun.py --device cuda            # on a GPU, plus airbench's own train94 as the peer

Each run is its own process (`torchstart train --recipe speedrun --seed K`), so its peak RSS is its own. Per run:
the wall seconds of the whole command (start-up, data, whitening, training, every epoch's one-view test pass and
the last epoch's 6-view test-time augmentation), the training seconds, the accuracy with TTA, peak RSS. Then mean
± std over the runs, the CPU line, and the GFLOP/s the training steps achieve against a matmul probe of this
machine's peak in the same precision. On CUDA the same call also runs `airbench.train94` (pip install airbench)
on the same data and GPU. `--save` writes docs/results/speedrun-<name>.json, from which scripts/make_docs_index.py makes
the tables of docs/{zh,en}/speedrun.md. Prints one line `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from _common import cpu_line, matmul_peak, scratch_dir, step_flops, torchstart_run  # noqa: E402

from torchstart.config import recipe  # noqa: E402
from torchstart.data import find_cifar10  # noqa: E402
from torchstart.precision import precision_name, resolve_precision  # noqa: E402

RESULTS = ROOT / "docs" / "results"
GOAL_ACCURACY = 0.94


def speedrun_runs(data_dir: Path, work: Path, runs: int, epochs: int, device: str) -> list[dict]:
    """`runs` seeded runs (seeds 0, 1, …); per run its wall time, training seconds, accuracy and peak RSS."""
    out = []
    for seed in range(runs):
        run = torchstart_run(data_dir, work / f"speedrun-{epochs}ep-seed{seed}", epochs, device,
                             ["--recipe", "speedrun", "--seed", str(seed)])
        last = run["epochs"][-1]
        row = {"seed": seed, "epochs": epochs, "accuracy": last["test_accuracy"], "test_views": last["test_views"],
               "wall_seconds": run["wall_seconds"], "train_seconds": last["cumulative_train_seconds"],
               "train_images_per_s": run["images_per_s"], "peak_rss_mb": run["peak_rss_mb"],
               "epoch_accuracies": [e["test_accuracy"] for e in run["epochs"]]}
        out.append(row)
        print(f"seed {seed}: {100 * row['accuracy']:.2f} % in {row['wall_seconds']:.0f} s "
              f"(training {row['train_seconds']:.0f} s, {row['train_images_per_s']:.0f} images/s), "
              f"peak RSS {row['peak_rss_mb']:,.0f} MB", flush=True)
    return out


def summary(rows: list[dict]) -> dict:
    def mean_std(key: str) -> tuple[float, float]:
        values = [r[key] for r in rows]
        return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0

    accuracy, accuracy_std = mean_std("accuracy")
    wall, wall_std = mean_std("wall_seconds")
    return {"accuracy_mean": accuracy, "accuracy_std": accuracy_std, "wall_seconds_mean": wall,
            "wall_seconds_std": wall_std, "train_seconds_mean": statistics.mean(r["train_seconds"] for r in rows),
            "peak_rss_mb_max": max(r["peak_rss_mb"] for r in rows), "runs": len(rows),
            "reaches_goal": accuracy >= GOAL_ACCURACY}


def compute_figures(device: torch.device, images_per_s: float) -> dict:
    """GFLOP/s the speedrun's training steps achieve against the matmul ceiling of this machine, same precision."""
    config = recipe("speedrun", device.type)
    amp = resolve_precision(config.precision, device)
    flops = step_flops(config, device)
    peak = matmul_peak(device, amp)
    achieved = flops * images_per_s / 1e9
    return {"precision": precision_name(amp), "mflop_per_image": flops / 1e6, "achieved_gflops": achieved,
            "matmul_peak_gflops": peak, "fraction_of_peak": achieved / peak}


def airbench_peer(data_dir: Path, work: Path, runs: int) -> list[dict]:
    """airbench's own train94 on the same data and GPU: the peer of a CUDA figure (needs `pip install airbench`)."""
    import os

    import airbench

    data = find_cifar10(data_dir)
    folder = work / "cifar10"  # airbench reads ./cifar10/{train,test}.pt: uint8 (N, 32, 32, 3) images and labels
    folder.mkdir(parents=True, exist_ok=True)
    for name, split in (("train", data.train), ("test", data.test)):
        torch.save({"images": split.images, "labels": split.labels, "classes": list(data.classes)},
                   folder / f"{name}.pt")
    os.chdir(work)
    airbench.warmup94(verbose=False)  # compiles kernels, as its README measures
    rows = []
    for run in range(runs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        model = airbench.train94(run=run, verbose=False)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        test = airbench.CifarLoader("cifar10", train=False, batch_size=2000)
        rows.append({"seed": run, "accuracy": float(airbench.evaluate(model, test, tta_level=2)),
                     "wall_seconds": seconds})
        print(f"airbench94 run {run}: {100 * rows[-1]['accuracy']:.2f} % in {seconds:.2f} s", flush=True)
    return rows


# oneDNN and ATen both honour these: the same machine then runs the kernels an AVX2-only CPU (no AVX-512, no
# native bf16) would, so `precision=auto` has to pick fp32 by itself.
AVX2_ONLY = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
PROBE_IMAGES = 10_240  # one epoch of 10 steps: a throughput probe, not an accuracy


def avx2_probe(data_dir: Path, work: Path) -> dict:
    """Training images/s of the speedrun recipe with AVX2-only kernels against this CPU's own, in one call."""
    import os

    rows = {}
    for name, env in (("native", {}), ("avx2", AVX2_ONLY)):
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            run = torchstart_run(data_dir, work / f"probe-{name}", 1, "cpu",
                                 ["--recipe", "speedrun", "--max-train-images", str(PROBE_IMAGES)])
        finally:
            for key, value in saved.items():
                if value is None:
                    del os.environ[key]
                else:
                    os.environ[key] = value
        metrics = json.loads((work / f"probe-{name}" / "metrics.json").read_text())
        rows[name] = {"images_per_s": run["images_per_s"], "precision": metrics["precision"],
                      "ten_epochs_train_s": 10 * 50_000 / run["images_per_s"]}
        print(f"{name}: {rows[name]['images_per_s']:.0f} images/s in {rows[name]['precision']} → 10 epochs of "
              f"training ≈ {rows[name]['ten_epochs_train_s'] / 60:.1f} min", flush=True)
    rows["ratio"] = rows["native"]["images_per_s"] / rows["avx2"]["images_per_s"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "cifar10")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, help="epochs per run (default: the recipe's)")
    parser.add_argument("--avx2", action="store_true", help="instead: training speed with AVX2-only kernels (probe)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temp dir)")
    parser.add_argument("--save", metavar="NAME", help="write docs/results/speedrun-NAME.json (e.g. cpu-avx512-bf16)")
    args = parser.parse_args()
    work = scratch_dir(args.work, "speedrun-")
    device = torch.device(args.device)
    result: dict = {"cpu": cpu_line(), "device": args.device, "torch": str(torch.__version__),
                    "date": time.strftime("%Y-%m-%d")}
    print(f"cpu: {result['cpu']}", flush=True)
    if args.avx2:
        result["avx2"] = avx2_probe(args.data_dir, work)
    else:
        epochs = args.epochs or recipe("speedrun", device.type).epochs
        rows = speedrun_runs(args.data_dir, work, args.runs, epochs, args.device)
        result.update(runs=rows, summary=summary(rows),
                      compute=compute_figures(device, statistics.mean(r["train_images_per_s"] for r in rows)))
        s, c = result["summary"], result["compute"]
        print(f"mean {100 * s['accuracy_mean']:.2f} ± {100 * s['accuracy_std']:.2f} % in "
              f"{s['wall_seconds_mean']:.0f} ± {s['wall_seconds_std']:.0f} s per run ({s['runs']} runs, "
              f"{epochs} epochs); "
              f"peak RSS {s['peak_rss_mb_max']:,.0f} MB; {c['mflop_per_image']:.0f} MFLOP per training image, "
              f"{c['achieved_gflops']:.0f} GFLOP/s = {100 * c['fraction_of_peak']:.0f} % of a "
              f"{c['matmul_peak_gflops']:.0f} GFLOP/s {c['precision']} matmul", flush=True)
        if device.type == "cuda":
            peer = airbench_peer(args.data_dir, work, args.runs)
            result["airbench94"] = {"runs": peer, "summary": summary(peer)}
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"speedrun-{args.save}.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        key = "avx2" if args.avx2 else f"{result['runs'][0]['epochs']}-epochs"
        saved.update({"cpu": result["cpu"], "device": result["device"], "torch": result["torch"],
                      key: {k: v for k, v in result.items() if k not in ("cpu", "device", "torch")}})
        path.write_text(json.dumps(saved, indent=1) + "\n")
        print(f"wrote {path}")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
