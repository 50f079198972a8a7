#!/usr/bin/env bash
# The wheel as a learner gets it: build it, install it (not editable) into a fresh venv, run the course from it.
#
#     bash scripts/wheel_check.sh [WORK_DIR]      # .ci/run calls it after the tests
#
# Everything happens in WORK_DIR (default: a new temp folder), outside the checkout, so `import torchstart` can
# only find the installed wheel: a file missing from the package data fails here, not on a learner's machine.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$(mktemp -d -t torchstart-wheel-XXXXXX)}"
mkdir -p "$WORK"
START=$SECONDS
step() { echo "wheel check [$((SECONDS - START)) s]: $*"; }
fail() { echo "wheel check FAILED: $*" >&2; exit 1; }

step "building the wheel"
rm -rf "$WORK/dist"
pip wheel "$ROOT" --no-deps --quiet -w "$WORK/dist" 2> "$WORK/wheel-build.log" || {
    cat "$WORK/wheel-build.log" >&2; fail "pip wheel failed"; }
WHEEL="$(ls "$WORK"/dist/torchstart-*.whl)"
SIZE_MB=$(python -c "import os, sys; print(f'{os.path.getsize(sys.argv[1]) / 1e6:.1f}')" "$WHEEL")
step "$(basename "$WHEEL"): $SIZE_MB MB"
python -c "import os, sys; sys.exit(os.path.getsize(sys.argv[1]) > 15e6)" "$WHEEL" || fail "the wheel is over 15 MB"

step "installing it into a fresh venv (not editable; torch from this machine's pip cache)"
rm -rf "$WORK/venv" && python -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
# --no-compile: byte-compiling torch's thousands of files up front costs a minute; Python compiles what it imports
"$PY" -m pip install --quiet --no-compile "$WHEEL[docs]" 2> "$WORK/install.log" || {
    cat "$WORK/install.log" >&2; fail "pip install of the wheel failed"; }

cd "$WORK" && rm -rf run exercises runs site 09-conv.ipynb
export TORCHSTART_CACHE="$WORK/cache" TORCHSTART_LANG=en
TS=("$PY" -m torchstart)
where=$("$PY" -c "import torchstart; print(torchstart.__file__)")
[[ "$where" == "$WORK/venv/"* ]] || fail "torchstart was imported from $where, not from the installed wheel"

step "torchstart train --epochs 1"
"${TS[@]}" train --epochs 1 --max-train-images 512 --out run --quiet
[[ -f run/checkpoints/best.pt && -f run/metrics.json ]] || fail "train wrote no best.pt and metrics.json in run/"

step "torchstart lesson 9"
"${TS[@]}" lesson 9 > lesson.txt
tail -n 1 lesson.txt | grep -q "torchstart docs 9" || fail "the lesson's last line does not name torchstart docs 9"

step "torchstart exercise 9, then torchstart check 9 on the starter (exit 1)"
"${TS[@]}" exercise 9 > exercise.txt
grep -q "torchstart docs 9" exercise.txt || fail "torchstart exercise 9 does not name torchstart docs 9"
set +e; "${TS[@]}" check 9 > check.txt; code=$?; set -e
[[ $code == 1 ]] || fail "torchstart check 9 on the starter exited $code, not 1"

step "torchstart notebook 9"
"${TS[@]}" notebook 9 > /dev/null
[[ -f 09-conv.ipynb ]] || fail "torchstart notebook 9 wrote no 09-conv.ipynb"

step "torchstart docs --build site"
"${TS[@]}" docs --build site
for page in index.html lessons/09-conv.html en/index.html en/lessons/09-conv.html \
            lessons/09-conv/cell12-1.png images/train-curves.png; do
    [[ -s "site/$page" ]] || fail "the site has no $page"
done
# both languages' pages show the one copy of each figure
grep -q 'src="09-conv/cell12-1.png"' site/lessons/09-conv.html || fail "lesson 9's Chinese page shows no figure"
grep -q 'src="../../lessons/09-conv/cell12-1.png"' site/en/lessons/09-conv.html ||
    fail "lesson 9's English page shows no figure"
step "passed in $((SECONDS - START)) s; the wheel is $SIZE_MB MB"
