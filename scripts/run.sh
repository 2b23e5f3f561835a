#!/usr/bin/env bash
# The main job (make run): fetch the held-out evaluation sets and evaluate the shipped rule against the
# hand-designed baselines at a size that finishes in about 10 minutes on 2 cores; writes runs/eval-*/.
set -euo pipefail
BUILD=${1:-build}
BIN="$BUILD/metaunsup"
RULE=${RULE:-models/rule.pt}
STEPS=${STEPS:-100}
rule_arg=()
if [ -f "$RULE" ]; then
  rule_arg=(--rule "$RULE")
  "$BIN" info --rule "$RULE"
else
  echo "run: no shipped rule at $RULE: evaluating a freshly initialised (untrained) rule" >&2
fi
"$BIN" data fetch mnist fashion-mnist
for data in mnist fashion-mnist; do
  "$BIN" evaluate "${rule_arg[@]}" --data "$data" --resolution 14 --steps "$STEPS" --seeds 1 --draws 3 \
    --curve-every 25 --vae-steps 2000 --out "runs/eval-$data"
  echo "== runs/eval-$data/report.md"
  cat "runs/eval-$data/report.md"
done
