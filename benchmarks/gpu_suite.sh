#!/usr/bin/env bash
# The recurrent encoders' GPU checks in one go (issue 12), under 8 minutes on one H200:
#
#   1. the CUDA tests (pytest -m cuda: bf16 training, fused == scratch on the GPU, stream mode, sampled softmax)
#   2. lstm_throughput.py --devices cuda, 2x650, batch 256, fp32: forge / raw loop for the fused cell
#      (target >= 0.9) and the scratch cell's slowdown against cuDNN (goal <= 2x; anchor 3.7x)
#   3. lstm_throughput.py, 2x650, batch 1024, bf16, fused: tokens/s (target >= 1.5M; raw cuDNN 1.59M on an H200)
#   4. ptb_lstm_quality.py: PTB 2x650 tied, stream mode, SGD lr 20, time cap (target test ppl <= 78 in <= 10 min)
#
# Usage (from the repository root, FORGE_DATA_DIR pointing at the datasets):
#   benchmarks/gpu_suite.sh              # the real run on a CUDA machine; results in benchmarks/results/gpu/
#   benchmarks/gpu_suite.sh --dry        # print the commands only
#   benchmarks/gpu_suite.sh --cpu-smoke  # every step on CPU with tiny sizes (checks the script, ~2-4 min on 2 cores)
# Environment: PTB_MINUTES (default 4) caps the PTB training; OUT overrides the results directory.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-run}"
PY="${PYTHON:-python}"
PTB_MINUTES="${PTB_MINUTES:-4}"
if [ "$MODE" = "--cpu-smoke" ]; then
  OUT="${OUT:-$(mktemp -d)/gpu-suite-smoke}"
  DEV=cpu
  THR=(--hidden 16 --layers 1 --batch 16 --tokens 3000 --repeats 1 --devices cpu)
  BF=(--hidden 16 --layers 1 --batch 32 --tokens 3000 --repeats 1 --devices cpu --impls fused --precision bf16)
  PTB=(--hidden 16 --layers 1 --epochs 2 --max-train-sentences 400 --max-test-tokens 3000 --device cpu)
  TESTS=(--collect-only -q)
else
  OUT="${OUT:-benchmarks/results/gpu}"
  DEV=cuda
  THR=(--hidden 650 --layers 2 --batch 256 --tokens 400000 --repeats 3 --devices cuda --precision fp32)
  BF=(--hidden 650 --layers 2 --batch 1024 --tokens 900000 --repeats 3 --devices cuda --impls fused --precision bf16)
  PTB=(--hidden 650 --layers 2 --epochs 40 --device cuda)
  TESTS=(-q -rs)
fi
if [ "$MODE" = "--dry" ]; then LOG=/dev/null; else mkdir -p "$OUT"; LOG="$OUT/gpu_suite.log"; : > "$LOG"; fi
FAILS=0
run() {   # run one step, log it, and go on to the next one even when it fails
  echo "+ $*" | tee -a "$LOG"
  if [ "$MODE" = "--dry" ]; then return 0; fi
  local start=$SECONDS
  if "$@" 2>&1 | tee -a "$LOG"; then
    echo "  ok ($((SECONDS - start)) s)" | tee -a "$LOG"
  else
    echo "  FAILED ($((SECONDS - start)) s)" | tee -a "$LOG"
    FAILS=$((FAILS + 1))
  fi
}
echo "gpu_suite $MODE on $(hostname) at $(date -u +%FT%TZ); results in $OUT" | tee -a "$LOG"
if [ "$MODE" != "--dry" ]; then
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" | tee -a "$LOG"
  if [ "$DEV" = cuda ]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee -a "$LOG" || true; fi
fi
# 1. CUDA tests
run "$PY" -m pytest -p no:cacheprovider -m cuda "${TESTS[@]}" tests/test_recurrent_train.py tests/test_recurrent_modes.py
# 2. forge / raw and scratch vs cuDNN, fp32
run timeout 150 "$PY" benchmarks/lstm_throughput.py "${THR[@]}" --results "$OUT"
# 3. bf16 throughput at 2x650, batch 1024
run timeout 90 "$PY" benchmarks/lstm_throughput.py "${BF[@]}" --results "$OUT"
# 4. PTB 2x650 tied, stream mode, time-capped
run timeout $((PTB_MINUTES * 60 + 90)) "$PY" benchmarks/ptb_lstm_quality.py --context stream "${PTB[@]}" \
  --max-minutes "$PTB_MINUTES" --no-progress --label "gpu_suite $MODE" --results "$OUT"
echo "done: $OUT ($FAILS step(s) failed)" | tee -a "$LOG"
exit "$FAILS"
