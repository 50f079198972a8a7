"""Time every lesson the way a learner runs it: `torchstart lesson N --quiet --out TMP`, each in a fresh process.

    python benchmarks/lessons.py                 # every chapter
    python benchmarks/lessons.py 9 pipeline      # some of them (numbers, names or Chinese keywords)

Prints one row per lesson — the wall time of the whole command (interpreter, imports, the lesson's script) — then
the totals and one line `RESULT {json}`. The lessons run on the machine's default device, as a learner's do; hide
the GPU (CUDA_VISIBLE_DEVICES=) to time them on the CPU. Issue 24's baseline: lessons 1–20 took 56.5 s together
and 10.3 s at most; compare only with figures from the same run and machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

from torchstart.course import chapters, find_chapter


def time_lesson(number: int, out: str) -> float:
    """Seconds `torchstart lesson NUMBER --quiet --out OUT` takes, in a fresh process; raises when it fails."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "torchstart", "lesson", str(number), "--quiet", "--out", out],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"lesson {number} failed (exit {done.returncode}):\n{done.stderr.strip()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="numbers or names (default: all)")
    args = parser.parse_args()
    chosen = [find_chapter(key) for key in args.lessons] or list(chapters())

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for chapter in chosen:
            seconds = time_lesson(chapter.number, f"{tmp}/{chapter.slug}")
            rows.append({"lesson": chapter.name, "number": chapter.number, "command_s": round(seconds, 2)})
            print(f"{chapter.number:>2} {chapter.name:<12} {seconds:6.1f} s", flush=True)
    course = [r for r in rows if r["number"] <= 20]  # the course's 20 lessons, without the capstone
    total = sum(r["command_s"] for r in rows)
    total_course = sum(r["command_s"] for r in course)
    worst = max(rows, key=lambda r: r["command_s"])
    print(f"total: {total:.1f} s ({len(rows)} lessons); lessons 1–20: {total_course:.1f} s "
          f"({len(course)} run); slowest {worst['number']} {worst['lesson']} {worst['command_s']:.1f} s")
    print("RESULT " + json.dumps({"lessons": rows, "total_s": round(total, 1), "total_1_20_s": round(total_course, 1),
                                  "slowest_s": worst["command_s"]}))


if __name__ == "__main__":
    main()
