#!/usr/bin/env bash
# Choose between candidate rules (and the evaluation horizon) on meta-training-side data only (never mnist /
# fashion-mnist / spam): the rule's few-shot curve on glyphs:digits (glyph digits, a subset meta-training tasks
# can draw) and stamps:heldout (stamp classes meta-training never draws), on the evaluation-sized base model,
# for each activation in ACTS, against random init (the same networks before any rule step).
# Writes OUT/ACT/{glyphs-digits,stamps-heldout}/ and prints, per activation, learned and random accuracy on the
# whole test split after STEPS rule steps (and raw pixels, the strongest hand-designed baseline on the held-out
# image sets, as a reference), then the mean curve of both sets (the paper metric: 10 test examples per class,
# so noisy; step 0 is random init).
# Usage: scripts/select.sh [BUILD]
#   env: RULE (models/rule.pt) OUT (runs/select) STEPS (300) SEEDS (2) DRAWS (2) ACTS ("relu") EVERY (25)
#        BATCH (128, the evaluation's unlabelled batch) ARCH (128x4)
set -euo pipefail
BUILD=${1:-build}
BIN="$BUILD/metaunsup"
RULE=${RULE:-models/rule.pt}
OUT=${OUT:-runs/select}
STEPS=${STEPS:-300}
SEEDS=${SEEDS:-2}
DRAWS=${DRAWS:-2}
ACTS=${ACTS:-relu}
EVERY=${EVERY:-25}
BATCH=${BATCH:-128}
ARCH=${ARCH:-128x4}
common=(--rule "$RULE" --resolution 14 --steps "$STEPS" --seeds "$SEEDS" --draws "$DRAWS" --curve-every "$EVERY"
        --batch "$BATCH" --arch "$ARCH"
        --baselines random,raw)
run() { mkdir -p "$OUT/$1"
        OMP_NUM_THREADS=1 "$BIN" --threads 1 evaluate "${common[@]}" --activation "$1" --data "$2" --out "$OUT/$1/$3" \
          > "$OUT/$1/$3.log" 2>&1; }
for act in $ACTS; do
  run "$act" glyphs:digits glyphs-digits &
  run "$act" stamps:heldout stamps-heldout &
  wait
done
python3 - "$OUT" $ACTS <<'PY' 2>/dev/null || echo "select: no summary (python3 missing or an evaluation failed): see $OUT/*/*.log" >&2
import json, sys
out, acts, sets = sys.argv[1], sys.argv[2:], ("glyphs-digits", "stamps-heldout")
res = {a: [json.load(open(f"{out}/{a}/{d}/results.json")) for d in sets] for a in acts}
def pc1(a, d):  # share of the top-layer features' variance in their first principal component (1 = collapsed)
    rows = open(f"{out}/{a}/{d}/pca_variance.csv").read().split()[1:]
    return [float(x) for x in rows[0].split(",")[1:3]]
print("whole test split after the last step: learned / random / raw (mean +- std); pc1: first principal component's")
print("share of the top features' variance, learned (random), mean of both sets: near 1 means the features collapsed")
print(f"{'activation':11s} {'glyphs:digits':>29s} {'stamps:heldout':>29s}  learned-random  pc1")
for a in acts:
    cells, gap = [], 0.0
    for r in res[a]:
        l, q = r["methods"]["learned"], r["methods"]["random"]
        raw = r["methods"].get("raw", {}).get("accuracy_mean", float("nan"))
        cells.append(f"{l['accuracy_mean']:.3f}+-{l['accuracy_std']:.3f}/{q['accuracy_mean']:.3f}/{raw:.3f}")
        gap += (l["accuracy_mean"] - q["accuracy_mean"]) / len(sets)
    p = [pc1(a, d) for d in sets]
    print(f"{a:11s} {cells[0]:>29s} {cells[1]:>29s}  {gap:+.3f}          "
          f"{(p[0][1] + p[1][1]) / 2:.2f} ({(p[0][0] + p[1][0]) / 2:.2f})")
print("curves (paper metric, mean of both sets; step 0 = random init)")
for a in acts:
    c = [r["curve"] for r in res[a]]
    print(f"{a:11s} " + "  ".join(f"{x['step']}:{(x['accuracy_mean'] + y['accuracy_mean']) / 2:.3f}" for x, y in zip(*c)))
PY
