"""What several benchmarks share: running a training in its own process, the CPU's description, FLOP counts, peak.

Every figure a benchmark prints holds only next to a reference measured in the same run on the same machine,
so each script names the CPU (`cpu_line`) and measures its own ceiling (`matmul_peak`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from torchstart.precision import cpu_bf16  # noqa: E402
from torchstart.training.build import build_state  # noqa: E402


def scratch_dir(given: Path | None, prefix: str) -> Path:
    """The folder a benchmark writes its runs into: --work, else a new temp folder."""
    import tempfile

    work = given or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    return work


def run_child(argv: list[str], log: Path) -> tuple[list[str], float, float]:
    """Run a child process; return (stdout lines, wall seconds, peak RSS in MB of that child alone)."""
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=out, text=True, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        lines = [line for line in proc.stdout]
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed (exit {proc.returncode}); see {log}")
    return lines, time.perf_counter() - start, usage.ru_maxrss / 1024


def torchstart_run(data_dir: Path, out: Path, epochs: int, device: str, extra: list[str]) -> dict:
    argv = [sys.executable, "-m", "torchstart", "train", "--data-dir", str(data_dir), "--epochs", str(epochs),
            "--out", str(out), "--device", device, "--quiet", *extra]
    _, wall, rss = run_child(argv, out.with_suffix(".log"))
    metrics = json.loads((out / "metrics.json").read_text())
    cumulative, epochs_out = 0.0, []
    for e in metrics["epochs"]:
        cumulative += e["train_images"] / e["train_images_per_s"]
        epochs_out.append({**e, "cumulative_train_seconds": cumulative})
    return {"epochs": epochs_out, "wall_seconds": wall, "peak_rss_mb": rss, "device": metrics["device_name"],
            "images_per_s": sum(e["train_images"] for e in epochs_out) / cumulative,
            "last_epoch_images_per_s": epochs_out[-1]["train_images_per_s"]}


def cpu_line() -> str:
    """Model name, torch's CPU capability and the bf16 verdict: what a CPU figure holds for."""
    name = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                "unknown CPU") if Path("/proc/cpuinfo").exists() else "unknown CPU"
    return (f"{name}, {os.cpu_count()} cores, torch CPU capability {torch.backends.cpu.get_cpu_capability()}, "
            f"bf16: {cpu_bf16()[1]}")


def step_flops(config, device: torch.device, batch: int = 128) -> float:
    """FLOPs of one training step (forward + backward) per image, counted by torch itself."""
    from torch.utils.flop_counter import FlopCounterMode

    state = build_state(config, 10, device, total_steps=10)
    x = torch.randn(batch, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    with FlopCounterMode(display=False) as counter:
        state.loss_fn(state.model(x), y).backward()
    return counter.get_total_flops() / batch


def matmul_peak(device: torch.device, dtype: torch.dtype | None, n: int = 2048, rounds: int = 5) -> float:
    """GFLOP/s of the best of `rounds` (n × n) @ (n × n) products in `dtype` (None = float32): the machine's ceiling."""
    a = torch.randn(n, n, device=device, dtype=dtype or torch.float32)
    b = torch.randn(n, n, device=device, dtype=dtype or torch.float32)
    a @ b  # warm-up: thread pool, kernel choice
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9
