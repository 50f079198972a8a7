#!/usr/bin/env bash
# GPU checks for a lent CUDA machine (the device tool), in one go. From the repo root:
#   bash benchmarks/gpu_check.sh            (writes logs to $OUT when set, else ./gpu_check_out)
# 1. the CUDA tests (tests/training/test_gpu.py) plus the loader/engine tests, on the GPU machine's own torch;
# 2. vs_course.py on the GPU: one epoch of the course pipeline vs torchstart, same GPU, same data
#    (random pixels in CIFAR-10 shapes: throughput only — accuracy needs the real data, see tests);
# 3. torchstart train --compile for comparison.
set -uo pipefail
OUT="${OUT:-gpu_check_out}"; mkdir -p "$OUT"
export PYTHONPATH="$PWD/src" PYTHONUNBUFFERED=1
nvidia-smi -L | tee "$OUT/gpu.txt"
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__, \
'bf16', torch.cuda.is_bf16_supported())" | tee -a "$OUT/gpu.txt"
python3 -m pytest -q -p no:cacheprovider tests/training/test_gpu.py tests/data/test_loader.py tests/training/test_engine.py \
  2>&1 | tee "$OUT/pytest.txt" | tail -3
python3 - <<'PY'
import numpy as np, pathlib
root = pathlib.Path("/tmp/synth"); root.mkdir(exist_ok=True)
rng = np.random.default_rng(0)
for name, n in (("train", 50000), ("test", 10000)):
    np.savez(root / f"{name}.npz", images=rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8),
             labels=rng.integers(0, 10, n).astype(np.int64))
PY
python3 benchmarks/vs_course.py --data-dir /tmp/synth --device cuda --course-epochs 1 --course-budget-s 1e9 \
  --epochs 3 --long-epochs 0 --budget-s 1e9 --work /tmp/vs 2>&1 | tee "$OUT/vs_course_cuda.txt" | grep -v '^RESULT'
grep '^RESULT' "$OUT/vs_course_cuda.txt" > "$OUT/vs_course_cuda.json"
python3 benchmarks/vs_course.py --data-dir /tmp/synth --device cuda --course-epochs 1 --course-budget-s 1e9 \
  --epochs 3 --long-epochs 0 --budget-s 1e9 --work /tmp/vs --train-args "--batch-size 512" 2>&1 \
  | tee "$OUT/vs_course_cuda_bs512.txt" | grep -E '^\| training'
# epoch 3's images/s for batch sizes × precisions (epoch 1 includes cuDNN autotuning and warm-up)
for flags in "--batch-size 128 --precision bf16" "--batch-size 128 --precision fp32" \
             "--batch-size 512 --precision bf16" "--batch-size 512 --precision fp32" \
             "--batch-size 1024 --precision bf16" "--batch-size 1024 --precision fp32" \
             "--batch-size 512 --precision bf16 --compile"; do
  python3 -m torchstart train --data-dir /tmp/synth --device cuda --epochs 3 --quiet --out "/tmp/ts$RANDOM" $flags \
    2>&1 | grep -E '^epoch +3' | sed "s/^/[$flags] /" | tee -a "$OUT/train_variants.txt"
done
