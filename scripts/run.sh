#!/usr/bin/env bash
# The main job (make run): fetch the held-out evaluation sets and evaluate the shipped rule against the
# hand-designed baselines at a size that finishes in about 10 minutes on 2 cores; writes runs/eval-*/.
# ARCH (hidden layers, default 128x4) and FEATURES (top or hidden) as in scripts/results.sh; 512x2 takes
# about three times as long.
set -euo pipefail
BUILD=${1:-build}
BIN="$BUILD/metaunsup"
RULE=${RULE:-models/rule.pt}
STEPS=${STEPS:-100}
ARCH=${ARCH:-128x4}
FEATURES=${FEATURES:-top}
rule_arg=()
if [ -f "$RULE" ]; then
  rule_arg=(--rule "$RULE")
  "$BIN" info --rule "$RULE"
else
  echo "run: no shipped rule at $RULE: evaluating a freshly initialised (untrained) rule" >&2
fi
"$BIN" data fetch mnist fashion-mnist
for data in mnist fashion-mnist; do
  "$BIN" evaluate "${rule_arg[@]}" --data "$data" --resolution 14 --arch "$ARCH" --features-from "$FEATURES" \
    --steps "$STEPS" --seeds 1 --draws 3 \
    --curve-every 25 --vae-steps 2000 --out "runs/eval-$data"
  echo "== runs/eval-$data/report.md"
  cat "runs/eval-$data/report.md"
done
