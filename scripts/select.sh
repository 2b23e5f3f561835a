#!/usr/bin/env bash
# Choose the evaluation horizon on meta-training-side data only (never mnist / fashion-mnist / spam):
# the rule's few-shot curve on glyphs:digits (glyph digits, a subset meta-training tasks can draw) and
# stamps:heldout (stamp classes meta-training never draws), on the evaluation-sized base model, against
# random init. Writes OUT/{glyphs-digits,stamps-heldout}/ and prints the mean curve of both.
# Usage: scripts/select.sh [BUILD]   env: RULE (models/rule.pt) OUT (runs/select) STEPS (300) SEEDS (2) DRAWS (2)
set -euo pipefail
BUILD=${1:-build}
BIN="$BUILD/metaunsup"
RULE=${RULE:-models/rule.pt}
OUT=${OUT:-runs/select}
STEPS=${STEPS:-300}
SEEDS=${SEEDS:-2}
DRAWS=${DRAWS:-2}
mkdir -p "$OUT"
common=(--rule "$RULE" --resolution 14 --steps "$STEPS" --seeds "$SEEDS" --draws "$DRAWS" --curve-every 25 --baselines random)
run() { OMP_NUM_THREADS=1 "$BIN" --threads 1 evaluate "${common[@]}" --data "$1" --out "$OUT/$2" > "$OUT/$2.log" 2>&1; }
run glyphs:digits glyphs-digits &
run stamps:heldout stamps-heldout &
wait
python3 - "$OUT" <<'PY' 2>/dev/null || echo "select: see $OUT/*/results.json (python3 not found for the summary)"
import json, sys
out = sys.argv[1]
curves = [json.load(open(f"{out}/{d}/results.json"))["curve"] for d in ("glyphs-digits", "stamps-heldout")]
print("step  glyphs:digits  stamps:heldout  mean")
for a, b in zip(*curves):
    print(f"{a['step']:4d}  {a['accuracy_mean']:.3f}          {b['accuracy_mean']:.3f}           {(a['accuracy_mean'] + b['accuracy_mean']) / 2:.3f}")
PY
