#!/usr/bin/env bash
# Everything forge needs a GPU for, in one call of under 9 minutes on one H200 (issues 12 and 19):
#
#   0. setup: the packages the GPU image lacks (gensim, smart_open, wrapt, pooch, platformdirs) from the wheels
#      carried in .whl/, forge and its plugins installed in place (entry points), PTB from .gpu-data/
#   1. the whole test suite, `pytest -n auto` (the CUDA tests run; none may fail)
#   2. lstm_throughput.py, 2x650 fp32 batch 256, fused: sentence mode (with its padding cost) and stream mode
#      (fixed 35-token chunks, the same shape as the raw loop); target forge/raw >= 0.9 in stream mode
#   3. lstm_throughput.py, 2x650 bf16 batch 1024, fused, stream mode (raw measured 1.48M tokens/s)
#   4. analogy_cuda.py: 19,544 questions over 300,000 x 300, after a warm-up (target <= 0.1 s), answers == CPU
#   5. ptb_lstm_quality.py: PTB 2x650 tied, stream mode, capped at PTB_MINUTES (default 1.5)
#   6. lab_claim8.py: the lab's claim 8 (probe-speed) with its layers on CUDA
#   7. encoder_fit_speed.py: one epoch of lstm and of the attention encoders (transformer, bitransformer)
#      where registered: the rows for encoders without a reference loop (skipped, said, when absent)
#   8. lstm_throughput.py, 2x650 fp32 batch 256, scratch vs cuDNN, sentence mode (anchor 3.7x slower)
#
# Each step has its own time cap and the whole run a budget (BUDGET_S, default 510 s): a step that would
# overrun is skipped and said so, the least important last. Every result lands in one folder: $RESULTS
# (default benchmarks/results/gpu), with gpu_suite.log; where $OUT is set (the device tool's folder that
# comes back), the log, a summary of every table and an archive of the folder are copied there.
#
# Usage (repository root):
#   benchmarks/gpu_suite.sh --prepare    # here, on the CPU machine: fetch the wheels into .whl/, PTB into .gpu-data/
#   benchmarks/gpu_suite.sh              # on the CUDA machine
#   benchmarks/gpu_suite.sh --cpu-smoke  # every step on CPU with tiny sizes, caps x4 (checks the script; ~6 min on 2 busy cores)
#   benchmarks/gpu_suite.sh --dry        # print the steps only
#
# The device call (the run tool; .whl and .gpu-data are git-ignored, so they travel only when carried):
#   run(command="bash benchmarks/gpu_suite.sh", carry=[".whl", ".gpu-data"], timeout_s=590)
# What comes back (the tool returns at most 8 files): $OUT/gpu_suite.log, $OUT/gpu_summary.md (lstm_throughput,
# analogy_cuda, encoder_fit_speed, ptb_lstm_quality and the claim-8 report), $OUT/gpu_results.tar.gz (all of
# $RESULTS: csv, jsonl, junit.xml, figures); unpack it into benchmarks/results/ here to commit the rows.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-run}"
PY="${PYTHON:-python3}"
PTB_MINUTES="${PTB_MINUTES:-1.5}"
BUDGET_S="${BUDGET_S:-510}"
WHEELS=(gensim==4.4.0 smart_open wrapt pooch platformdirs)

if [ "$MODE" = "--prepare" ]; then
  mkdir -p .whl .gpu-data/ptb
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
    -d .whl "${WHEELS[@]}"
  cp "${FORGE_DATA_DIR:?set FORGE_DATA_DIR to the datasets}"/ptb/ptb.*.txt .gpu-data/ptb/
  du -sh .whl .gpu-data
  exit 0
fi

if [ "$MODE" = "--cpu-smoke" ]; then
  RESULTS="${RESULTS:-$(mktemp -d)/gpu-suite-smoke}"
  DEV=cpu
  TESTS=(-q -p no:cacheprovider -n 2 tests/test_registry.py tests/test_onehot.py tests/test_suite_config.py
    tests/test_analogy_cuda.py tests/test_lab_extras.py)
  THR=(--hidden 16 --layers 1 --batch 16 --tokens 3000 --repeats 1 --devices cpu --threads 1)
  BF=(--hidden 16 --layers 1 --batch 32 --tokens 3000 --repeats 1 --devices cpu --threads 1 --precision bf16)
  ANALOGY=(--device cpu --vocab 5000 --dim 32 --questions 1000 --repeats 2)
  FIT=(--device cpu --tokens 3000 --batch 16 --hidden 16 --layers 1)
  CLAIM8=(--smoke)
  PTB=(--hidden 16 --layers 1 --epochs 1 --max-train-sentences 400 --max-test-tokens 3000 --device cpu --threads 1)
  PTB_MINUTES=1
  CAP_SCALE="${CAP_SCALE:-4}"  # the caps are sized for the H200; a shared 2-core machine is far slower
  BUDGET_S="${SMOKE_BUDGET_S:-1500}"
else
  RESULTS="${RESULTS:-benchmarks/results/gpu}"
  DEV=cuda
  TESTS=(-q -p no:cacheprovider -n auto -rfEs --junitxml="$RESULTS/junit.xml")
  THR=(--hidden 650 --layers 2 --batch 256 --tokens 400000 --repeats 3 --devices cuda --precision fp32)
  BF=(--hidden 650 --layers 2 --batch 1024 --tokens 900000 --repeats 3 --devices cuda --precision bf16)
  ANALOGY=(--device cuda)
  FIT=(--device cuda --tokens 400000 --batch 256 --hidden 650 --layers 2)
  CLAIM8=()
  PTB=(--hidden 650 --layers 2 --epochs 40 --device cuda)
fi
if [ "$MODE" = "--dry" ]; then LOG=/dev/null; else mkdir -p "$RESULTS"; LOG="$RESULTS/gpu_suite.log"; : > "$LOG"; fi
export PYTHONUNBUFFERED=1
FAILS=0
START=$SECONDS
SUITE_ENV=()
step() {   # step CAP_S COMMAND...: run it under its cap (or what is left of the budget), log, go on after a failure
  local cap=$(($1 * ${CAP_SCALE:-1})); shift
  local left=$((BUDGET_S - (SECONDS - START)))
  echo "+ [cap ${cap}s, ${left}s left] $*" | tee -a "$LOG"
  if [ "$MODE" = "--dry" ]; then return 0; fi
  if [ "$left" -lt 20 ]; then echo "  SKIPPED: the ${BUDGET_S}s budget is spent" | tee -a "$LOG"; return 0; fi
  [ "$cap" -gt "$left" ] && cap=$left
  local t0=$SECONDS
  timeout "$cap" "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then
    echo "  ok ($((SECONDS - t0)) s)" | tee -a "$LOG"
  else
    echo "  FAILED rc=$rc ($((SECONDS - t0)) s$([ "$rc" -eq 124 ] && echo ', time cap'))" | tee -a "$LOG"
    FAILS=$((FAILS + 1))
  fi
}

echo "gpu_suite $MODE on $(hostname) at $(date -u +%FT%TZ); results in $RESULTS" | tee -a "$LOG"
if [ "$MODE" != "--dry" ]; then
  # 0. setup: missing packages from the carried wheels, forge installed in place (its entry points), PTB
  if [ "$DEV" = cuda ] && ! "$PY" -c "import gensim, smart_open, pooch, platformdirs" 2>/dev/null; then
    if ls .whl/*.whl >/dev/null 2>&1; then
      "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        2>&1 | tee -a "$LOG"
      export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
    else
      echo "gensim & co. are missing and no wheels were carried in .whl/ (run --prepare here, carry .whl)" | tee -a "$LOG"
    fi
  fi
  if ! "$PY" -c "import importlib.metadata as m; m.version('foundations-forge')" 2>/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-build-isolation -e . -e plugins/forge-ppmi \
      -e plugins/forge-fasttext 2>&1 | tail -3 | tee -a "$LOG"
  fi
  # PTB only: the benchmarks read it; the suite runs without FORGE_DATA_DIR (a partial data folder would turn
  # the data tests' skips into failures)
  if [ -z "${FORGE_DATA_DIR:-}" ] && [ -d .gpu-data ]; then
    export FORGE_DATA_DIR="$PWD/.gpu-data"
    SUITE_ENV=(-u FORGE_DATA_DIR)
  fi
  "$PY" -c "import torch, forge; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '', '| forge', forge.__version__, '| encoders', ','.join(forge.list_encoders()))" 2>&1 | tee -a "$LOG"
  if [ "$DEV" = cuda ]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee -a "$LOG"; fi
fi

# in order of importance: a step that would overrun the budget is skipped (the later ones first)
# 1. the whole suite (the smoke: a few files, to check the xdist start-up)
step 210 env "${SUITE_ENV[@]}" "$PY" -m pytest "${TESTS[@]}"
# 2-3. throughput, forge vs the raw loop of the same shape
step 70 "$PY" benchmarks/lstm_throughput.py "${THR[@]}" --impls fused --modes sentence,stream --results "$RESULTS"
step 40 "$PY" benchmarks/lstm_throughput.py "${BF[@]}" --impls fused --modes stream --results "$RESULTS"
# 4. analogies on CUDA against the CPU path
step 45 "$PY" benchmarks/analogy_cuda.py "${ANALOGY[@]}" --results "$RESULTS"
# 5. PTB, capped (the cap stops starting epochs; the test evaluation follows)
PTB_CAP=$(awk "BEGIN { print int($PTB_MINUTES * 60 + 45) }")
step "$PTB_CAP" "$PY" benchmarks/ptb_lstm_quality.py --context stream "${PTB[@]}" --max-minutes "$PTB_MINUTES" \
  --no-progress --label "gpu_suite $MODE" --results "$RESULTS"
# 6. the lab's claim 8 with its layers on CUDA
step 45 "$PY" benchmarks/lab_claim8.py "${CLAIM8[@]}" --out "$RESULTS/lab-claim8"
# 7. one epoch per encoder, attention encoders included where registered
step 40 "$PY" benchmarks/encoder_fit_speed.py --encoders lstm,transformer,bitransformer "${FIT[@]}" --results "$RESULTS"
# 8. the scratch cell against cuDNN
step 35 "$PY" benchmarks/lstm_throughput.py "${THR[@]}" --impls scratch --modes sentence --results "$RESULTS"
echo "done in $((SECONDS - START)) s: $RESULTS ($FAILS step(s) failed)" | tee -a "$LOG"
if [ "$MODE" != "--dry" ] && [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then
  # the device tool brings back at most 8 files: the log, every table in one summary, the rest as one archive
  cp "$LOG" "$OUT/gpu_suite.log"
  for f in "$RESULTS"/*.md "$RESULTS"/lab-claim8/report.md; do
    [ -f "$f" ] && { echo; echo "<!-- $f -->"; cat "$f"; }
  done > "$OUT/gpu_summary.md"
  tar czf "$OUT/gpu_results.tar.gz" -C "$(dirname "$RESULTS")" "$(basename "$RESULTS")"
fi
exit "$FAILS"
