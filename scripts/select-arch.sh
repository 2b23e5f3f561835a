#!/usr/bin/env bash
# Chooses the evaluation's base-model architecture on the meta-training side: the rule's MetaObjective and
# ridge accuracy on the same fixed glyph tasks (config select-relu128x4, never a held-out set) through
# networks of several widths and depths, with raw inputs (ridge penalty 10, their best) as the yardstick.
# Env: RULE (models/rule.pt), ARCHS, STEPS (100), TASKS (6), OUT (runs/select-arch). About 1-6 minutes per
# architecture on 2 cores (128x1 ... 512x2 at 100 steps). Writes OUT/ARCH-sSTEPS.{csv,txt} and OUT/summary.txt.
set -euo pipefail
BIN=${BIN:-build/metaunsup}
RULE=${RULE:-models/rule.pt}
ARCHS=${ARCHS:-"128x4 128x2 128x1 256x2 512x2 512x1"}
STEPS=${STEPS:-100}
TASKS=${TASKS:-6}
OUT=${OUT:-runs/select-arch}
mkdir -p "$OUT"
"$BIN" data fetch glyphs > /dev/null
refs=,raw:10
for a in $ARCHS; do
  OMP_NUM_THREADS=2 "$BIN" --threads 2 validate --config select-relu128x4 --arch "$a" --tasks "$TASKS" \
    --steps "$STEPS" --rules "$RULE$refs" --out "$OUT/$a-s$STEPS.csv" > "$OUT/$a-s$STEPS.txt" 2> "$OUT/$a-s$STEPS.log"
  refs=""  # raw does not depend on the network: once is enough
done
{
  echo "architecture  steps  entry            MetaObjective      ridge accuracy"
  for a in $ARCHS; do
    awk -v a="$a" -v s="$STEPS" 'NR > 1 { printf "%-13s %-6s %-16s %s %s %s   %s\n", a, s, $1, $2, $3, $4, $(NF-2) }' "$OUT/$a-s$STEPS.txt"
  done
} | tee "$OUT/summary.txt"
