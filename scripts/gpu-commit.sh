#!/usr/bin/env bash
# Here, after a device period: puts what scripts/gpu-run.sh returned (the run tool's files_at folder) into
# models/CONFIG, so that the next period resumes the same run, and commits it.
#   CONFIG=gpu-d4-relu128 bash scripts/gpu-commit.sh /work/.device/N
set -euo pipefail
FROM=${1:?usage: gpu-commit.sh FILES_AT}
CONFIG=${CONFIG:-gpu-d4-relu128}
D=models/$CONFIG
mkdir -p "$D"
for f in checkpoint.pt metrics.csv config.json curves.png periods.jsonl; do
  [ -f "$FROM/$f" ] && install -m 644 "$FROM/$f" "$D/$f"
done
STEP=$(tail -1 "$D/metrics.csv" | cut -d, -f1)
# No rule file: `metaunsup export` writes one from the checkpoint when wanted (models/ stays under 5 MB).
rm -f "$D"/rule-*.pt
LAST=$(tail -1 "$D/periods.jsonl")
git add -A "$D" && git commit -qm "models/$CONFIG: device period to meta-step $STEP" -m "$LAST"
git log --oneline -1
