#!/usr/bin/env bash
# The README's results (make results): the shipped rule against the baselines on every held-out set
# (mnist and fashion-mnist at 14x14 and 28x28, the spam text set), then the width, depth and activation
# studies on mnist 14x14. Writes runs/results/<name>/{results.json,report.md,*.png} and
# runs/results/summary.md (the tables, one after the other). Sizes: SEEDS x DRAWS runs per method,
# STEPS rule applications (3,000, the paper's horizon), with the learned rule also scored in full at the
# CHECKPOINTS (learned@N in the tables; learned@0 is the network at initialisation), and the paper-metric
# curve every CURVE_EVERY steps. The VAE trains until a validation split of the training data stops
# improving (20,000 to 100,000 steps). The studies run STUDY_STEPS (100) rule steps. About 4 hours on 2 cores
# at the defaults (two evaluations at a time; most of it the 3,000 rule steps); STEPS=100 CHECKPOINTS=0,100
# gives the short horizon in about 1 hour.
# ARCH sets the hidden layers of the evaluations (default 128x4, the paper's); STUDIES=0 skips the studies;
# FEATURES=hidden reads the network methods out from the last hidden layer instead of the embedding (top);
# BATCH sets the unlabelled batch per rule step (default 128); DATASETS (a space list of mnist-14
# fashion-mnist-14 mnist-28 fashion-mnist-28 spam) limits the evaluations. scripts/results-tables.py prints
# the README's tables from the results.json files.
set -euo pipefail
BUILD=${1:-build}
BIN="$BUILD/metaunsup"
RULE=${RULE:-models/rule.pt}
STEPS=${STEPS:-3000}
CHECKPOINTS=${CHECKPOINTS:-0,100,300,1000,3000}
CURVE_EVERY=${CURVE_EVERY:-100}
STUDY_STEPS=${STUDY_STEPS:-100}
CHECKPOINTS=$(echo "$CHECKPOINTS" | tr , '\n' | awk -v s="$STEPS" '$1 <= s' | paste -sd, -)  # those <= STEPS
SEEDS=${SEEDS:-2}
DRAWS=${DRAWS:-3}
OUT=${OUT:-runs/results}
ARCH=${ARCH:-128x4}
STUDIES=${STUDIES:-1}
FEATURES=${FEATURES:-top}
BATCH=${BATCH:-128}
DATASETS=${DATASETS:-"mnist-14 fashion-mnist-14 mnist-28 fashion-mnist-28 spam"}
[ -f "$RULE" ] || { echo "results: no rule at $RULE" >&2; exit 2; }
"$BIN" data fetch mnist fashion-mnist spam
mkdir -p "$OUT"
common=(--rule "$RULE" --arch "$ARCH" --features-from "$FEATURES" --steps "$STEPS" --batch "$BATCH" --seeds "$SEEDS" --draws "$DRAWS" --curve-every "$CURVE_EVERY" --checkpoints "$CHECKPOINTS")
# One thread per process, two processes at a time (2-core machines; OpenMP teams of 2 under
# oversubscription are much slower than two single-threaded jobs).
run() { OMP_NUM_THREADS=1 "$BIN" --threads 1 "$@" > "$OUT/$1-$(echo "$*" | md5sum | cut -c1-6).log" 2>&1; }
want() { [[ " $DATASETS " == *" $1 "* ]]; }
{ want mnist-14 && run evaluate "${common[@]}" --data mnist --resolution 14 --out "$OUT/mnist-14";
  want fashion-mnist-14 && run evaluate "${common[@]}" --data fashion-mnist --resolution 14 --out "$OUT/fashion-mnist-14";
  want spam && run evaluate "${common[@]}" --data spam --out "$OUT/spam"; true; } &
{ want mnist-28 && run evaluate "${common[@]}" --data mnist --resolution 28 --out "$OUT/mnist-28";
  want fashion-mnist-28 && run evaluate "${common[@]}" --data fashion-mnist --resolution 28 --out "$OUT/fashion-mnist-28"; true; } &
wait
if [ "$STUDIES" != 0 ]; then
study=(--rule "$RULE" --features-from "$FEATURES" --data mnist --resolution 14 --steps "$STUDY_STEPS" --batch "$BATCH" --seeds "$SEEDS" --draws "$DRAWS" --baselines random)
{ run experiment width "${study[@]}" --values 32,128,512 --out "$OUT/study-width";
  run experiment depth "${study[@]}" --values 1,2,4,6 --out "$OUT/study-depth"; } &
{ run experiment activation "${study[@]}" --out "$OUT/study-activation"; } &
wait
fi
{
  echo "# Results: $RULE ($ARCH hidden layers, features from $FEATURES, $STEPS rule steps of batch $BATCH (scored at $CHECKPOINTS), studies at $STUDY_STEPS, $SEEDS seed(s) x $DRAWS label draws)"
  for d in mnist-14 fashion-mnist-14 mnist-28 fashion-mnist-28 spam study-width study-depth study-activation; do
    [ -f "$OUT/$d/report.md" ] && { echo; echo "## $d"; echo; cat "$OUT/$d/report.md"; }
  done
} > "$OUT/summary.md"
echo "results: $OUT/summary.md"
