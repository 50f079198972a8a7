"""The checker's child process: load a learner's file, run its exercise's checks, report each as a JSON line.

    python -m torchstart.exercises.runner JOBS.json READY

It imports torch and every check module the jobs need, then creates the file READY: the parent's time limit
counts from there, so a slow start-up is not the learner's time. JOBS.json is a list of jobs, each
{"exercise": 9, "file": "/abs/09_conv.py", "shown": "exercises/09_conv.py", "results": "/tmp/…/0.jsonl",
"cwd": "/tmp/…/0"}. For each job the file runs as a fresh module (its `if __name__ == "__main__":` block
does not run) in the job's own working folder, and its results file gets:

    {"event": "start", "title": …}                      before each check (so a time-out can name it)
    {"event": "result", "title": …, "ok": …, "hint": …}   after it
    {"event": "error", "kind": "syntax"|"crash", "text": …, "line": …}   the file could not be run
    {"event": "done"}

Titles and hints are already in the learner's language (TORCHSTART_LANG, set by the parent). The parent
(check.py) starts this process with a time limit and prints what it reports; the tests give it many jobs
at once, so torch is imported once for all of them.
"""

from __future__ import annotations

import json
import linecache
import os
import re
import sys
import traceback
import types
from pathlib import Path
from typing import IO, Any

from ..course.kit import Check, Wrong
from ..i18n import N_, _
from . import find_exercise


def emit(out: IO[str], **event: Any) -> None:
    out.write(json.dumps(event, ensure_ascii=False) + "\n")
    out.flush()


def load(path: Path, shown: str, module_name: str) -> types.ModuleType:
    """Run the learner's file as module `module_name`; tracebacks name it `shown` (the path the learner typed)."""
    source = path.read_text(encoding="utf-8")
    code = compile(source, shown, "exec")  # SyntaxError here: the file never starts
    lines = source.splitlines(keepends=True)
    linecache.cache[shown] = (len(source), None, lines, shown)  # tracebacks can show the learner's lines
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    sys.modules[module_name] = module  # classes defined in the file can be pickled (torch.save(model))
    exec(code, module.__dict__)
    return module


def _learner_frames(err: BaseException, shown: str) -> list[traceback.FrameSummary]:
    return [frame for frame in traceback.extract_tb(err.__traceback__) if frame.filename == shown]


def crash_text(err: BaseException, shown: str) -> str:
    """The traceback as Python prints it, keeping only the frames in the learner's file."""
    summary = traceback.TracebackException.from_exception(err)
    summary.stack = traceback.StackSummary.from_list(_learner_frames(err, shown))
    return "".join(summary.format()).rstrip()


def _innermost_code(err: BaseException) -> types.CodeType | None:
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code if tb is not None else None


# Errors torch raises for the mistakes beginners make most, each with what it usually means.
_KNOWN_ERRORS: tuple[tuple[str, str], ...] = (
    (r"cannot assign module before Module\.__init__\(\) call",
     N_("call super().__init__() as the first line of __init__, before creating any layer")),
    (r"mat1 and mat2 shapes cannot be multiplied \(\d+x(?P<got>\d+) and (?P<want>\d+)x\d+\)",
     N_("a Linear layer receives {got} features per sample but was built for {want}: check its in_features")),
    (r"a and b must have same reduction dim, but got \[\d+, (?P<got>\d+)\] X \[(?P<want>\d+), \d+\]",  # meta
     N_("a Linear layer receives {got} features per sample but was built for {want}: check its in_features")),
    (r"(?P<kind>\w+) is not a Module subclass",
     N_("nn.Sequential takes the layers one by one, not a {kind}: nn.Sequential(*layers) unpacks a list")),
    (r"Expected all tensors to be on the same device",
     N_("the model and the data are on different devices: move both with .to(device)")),
    (r"The size of tensor a \((?P<a>\d+)\) must match the size of tensor b \((?P<b>\d+)\)",
     N_("two tensors of different shapes meet ({a} against {b}): check which dimension each one lines up with")),
    (r"expected input\[.*\] to have (?P<want>\d+) channels, but got (?P<got>\d+) channels",
     N_("a layer expects {want} channels but gets {got}: check in_channels and the image's channels")),
    (r"Expected state_dict to be dict-like",
     N_("load_state_dict wants the dictionary torch.load returns, not a path")),
    (r"default_collate: batch must contain tensors.*found <class 'PIL",
     N_("a batch can be made of tensors, arrays and numbers, not PIL images: the dataset needs a transform such as "
        "ToTensor, applied in __getitem__")),
    (r"Output size is too small",
     N_("the feature map became too small to pool or convolve: does each convolution keep the size (padding)?")),
    (r"a leaf Variable that requires grad is being used in an in-place operation",
     N_("a parameter cannot be changed in place while autograd records: do the update inside "
        "`with torch.no_grad():`")),
)


def explain(err: BaseException) -> str:
    """A hint for an error the learner's code raised: a known torch error in plain words, else the error itself."""
    text = str(err)
    for pattern, hint in _KNOWN_ERRORS:
        found = re.search(pattern, text)
        if found:
            return _(hint).format(**found.groupdict())
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


def hint_for_error(err: BaseException, shown: str) -> str:
    """The hint for an error raised while a check ran the learner's code, with the line it came from."""
    frames = _learner_frames(err, shown)
    code = _innermost_code(err)
    if isinstance(err, NotImplementedError) and code is not None and code.co_filename == shown:
        name = getattr(code, "co_qualname", code.co_name)  # "MyData.__init__" (Python ≥ 3.11), else "__init__"
        return _("{name} is not written yet (it still raises NotImplementedError): replace its TODO with your "
                 "code").format(name=name)
    hint = explain(err)
    if frames:
        hint = _("{hint} (line {line} of your file: {code})").format(hint=hint, line=frames[-1].lineno,
                                                                     code=(frames[-1].line or "").strip())
    return hint


def run_check(check: Check, module: types.ModuleType, shown: str) -> str | None:
    """None when the check passes, else its hint."""
    missing = [name for name in check.needs if not hasattr(module, name)]
    if missing:
        return _("your file defines no {name}: keep the names the starter gives").format(name=missing[0])
    try:
        check.run(module)
    except Wrong as err:
        return str(err)
    except (Exception, SystemExit) as err:  # the learner's code failed while the check ran it
        return hint_for_error(err, shown)
    return None


def run_job(job: dict, index: int) -> None:
    exercise = find_exercise(job["exercise"])
    checks = exercise.load_checks().CHECKS  # imported already: see main()
    shown = job["shown"]
    with open(job["results"], "a", encoding="utf-8") as out:
        os.makedirs(job["cwd"], exist_ok=True)
        os.chdir(job["cwd"])
        try:
            module = load(Path(job["file"]), shown, f"learner_{index}_{exercise.name}")
        except SyntaxError as err:
            text = "".join(traceback.format_exception_only(type(err), err)).rstrip()
            emit(out, event="error", kind="syntax", text=text, line=err.lineno)
            return
        except (Exception, SystemExit) as err:
            frames = _learner_frames(err, shown)
            emit(out, event="error", kind="crash", text=crash_text(err, shown),
                 line=frames[-1].lineno if frames else None)
            return
        for check in checks:
            title = _(check.title)
            emit(out, event="start", title=title)
            hint = run_check(check, module, shown)
            emit(out, event="result", title=title, ok=hint is None, hint=hint)
        emit(out, event="done")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    jobs = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    for job in jobs:
        find_exercise(job["exercise"]).load_checks()  # torch & co. before the clock starts
    import torch

    # The checks' tensors are tiny: one thread is faster than several waiting on each other, and leaves the
    # learner's machine free (on a busy 2-core machine the training check took 0.6 s instead of 8 s).
    torch.set_num_threads(1)
    sys.path.append(str(Path(jobs[0]["file"]).parent))  # a helper module beside the learner's file imports
    Path(argv[1]).touch()
    for index, job in enumerate(jobs):
        run_job(job, index)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
