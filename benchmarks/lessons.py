"""Time every lesson the way a learner runs it: `torchstart lesson NAME`, each in a fresh process.

    python benchmarks/lessons.py                 # all lessons, CPU
    python benchmarks/lessons.py conv pipeline   # some of them

Prints one row per lesson — wall time of the whole command (interpreter + imports + lesson) and of the lesson's
`run` alone, as the lesson's process measures it — then the totals and one line `RESULT {json}`. The goals
(issue 3): each lesson ≤ 20 s on 2 CPU cores, all of them ≤ 3 minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

from torchstart.lessons import LESSONS, find_lesson

# Runs one lesson in the child process and prints the seconds its `run` took (imports excluded).
CHILD = """
import sys, time
from torchstart.lessons import find_lesson
from torchstart.lessons.runner import run_lesson
lesson = find_lesson(sys.argv[1])
lesson.load()
start = time.perf_counter()
run_lesson(lesson, out=__import__("pathlib").Path(sys.argv[2]), device="cpu")
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="names or numbers (default: all)")
    args = parser.parse_args()
    chosen = [find_lesson(key) for key in args.lessons] or list(LESSONS)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for lesson in chosen:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "torchstart", "lesson", lesson.name, "--device", "cpu",
                            "--out", f"{tmp}/{lesson.slug}-cli", "--json"], check=True, capture_output=True)
            command_s = time.perf_counter() - start
            child = subprocess.run([sys.executable, "-c", CHILD, lesson.name, f"{tmp}/{lesson.slug}-run"],
                                   check=True, capture_output=True, text=True)
            run_s = float(child.stdout.strip().splitlines()[-1])
            rows.append({"lesson": lesson.name, "number": lesson.number, "command_s": round(command_s, 2),
                         "run_s": round(run_s, 2)})
            print(f"{lesson.number:>2} {lesson.name:<12} command {command_s:6.1f} s   run {run_s:6.1f} s", flush=True)
    total_command = sum(r["command_s"] for r in rows)
    total_run = sum(r["run_s"] for r in rows)
    worst = max(rows, key=lambda r: r["command_s"])
    print(f"total: commands {total_command:.1f} s (goal ≤ 180 s), lesson code {total_run:.1f} s; "
          f"slowest command {worst['lesson']} {worst['command_s']:.1f} s (goal ≤ 20 s)")
    print("RESULT " + json.dumps({"lessons": rows, "total_command_s": round(total_command, 1),
                                  "total_run_s": round(total_run, 1)}))


if __name__ == "__main__":
    main()
