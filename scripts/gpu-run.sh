#!/usr/bin/env bash
# On a device machine (run there from the repository root, .gpu/ carried; see scripts/gpu-kit.sh):
#   1. unpacks the carried Debian packages into .gpu/prefix and builds metaunsup alone (no tests, benchmarks
#      or MPI) against the image's PyTorch (CUDA);
#   2. measures the same-run matmul rates the GPU reaches (fp32, TF32, bf16) as the yardstick for FLOP rates;
#   3. meta-trains CONFIG on DEVICE until DEADLINE seconds after this script started: it continues the
#      committed GPU run models/CONFIG (its checkpoint, --resume) or, where none is committed yet, starts it
#      warm from INIT's checkpoint (theta and Adam's moments); SIGTERM at the deadline makes it checkpoint;
#   4. exports the rule and copies checkpoint, metrics, curves, logs and a provenance file to $OUT.
#   CONFIG=gpu-d4-relu128 DEADLINE=540 WORKERS=16 OUT=$OUT bash scripts/gpu-run.sh
# Dry run on a CPU machine: SKIP_BUILD=1 BUILD=build DEVICE=cpu DEADLINE=200 WORKERS=2 OUT=out bash scripts/gpu-run.sh
set -euo pipefail
T0=$(date +%s)
KIT=${KIT:-.gpu}
CONFIG=${CONFIG:-gpu-d4-relu128}
INIT=${INIT:-models/rule.pt}  # where no run is committed yet: theta of the shipped rule, a fresh Adam
DEADLINE=${DEADLINE:-540}   # seconds after start at which meta-training is stopped
MARGIN=${MARGIN:-45}        # kept back for the final checkpoint, the export and the copies
WORKERS=${WORKERS:-16}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-out}
RUN=runs/$CONFIG
P="$PWD/$KIT/prefix"
mkdir -p "$P" "$OUT"
elapsed() { echo $(( $(date +%s) - T0 )); }

# 1. build
for f in "$KIT"/debs/*.deb; do dpkg -x "$f" "$P"; done
ARCHDIR=$(ls -d "$P"/usr/lib/*-linux-gnu | head -1)
# Debian's .so links are absolute or point at the unpacked versions; relink the dev links inside the prefix.
for l in "$ARCHDIR"/*.so; do [ -L "$l" ] && ln -sf "$(basename "$(readlink "$l")")" "$l"; done
export LD_LIBRARY_PATH="$ARCHDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="/usr/local/cuda/bin:$PATH"  # torch's CMake finds CUDA by nvcc
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
BUILD=${BUILD:-build-$DEVICE}
# SKIP_BUILD=1 uses an existing $BUILD/metaunsup (a CPU dry run of the rest of this script).
[ "${SKIP_BUILD:-0}" = 1 ] && [ -x "$BUILD/metaunsup" ] || {
# PyTorch 2.x ships its own fmt headers (v12), found before the prefix's fmt 9: use them header-only, so
# that no libfmt of another version is linked.
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-DFMT_HEADER_ONLY \
  -DCMAKE_PREFIX_PATH="${TORCH_PREFIX:+$TORCH_PREFIX;}$P/usr" -DCMAKE_INCLUDE_PATH="$P/usr/include" \
  -DCMAKE_LIBRARY_PATH="$ARCHDIR" -DMETAUNSUP_TESTS=OFF -DMETAUNSUP_BENCH=OFF -DMETAUNSUP_MPI=OFF \
  > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
# -k 0: one failed build lists every error (a newer compiler or LibTorch), not just the first.
cmake --build "$BUILD" --target metaunsup -j "$(nproc)" -- -k 0 >> "$OUT/build.log" 2>&1 \
  || { grep 'error:' "$OUT/build.log" | sort -u | head -40; exit 1; }
}
BUILD_S=$(elapsed)
echo "gpu-run: built in ${BUILD_S} s"

# 2. the same-run matmul yardstick (PyTorch in the image; absent or CPU-only prints nothing)
MATMUL=$(mktemp)
python3 - > "$MATMUL" 2>/dev/null <<'EOF' || echo '{}' > "$MATMUL"
import json, time, torch
if not torch.cuda.is_available(): raise SystemExit(1)
def rate(dtype, tf32, n=8192, reps=10):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    a = torch.rand(n, n, device="cuda", dtype=dtype); b = torch.rand(n, n, device="cuda", dtype=dtype)
    for _ in range(3): a @ b
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(reps): a @ b
    torch.cuda.synchronize()
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e12
print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
                  "fp32_tflops": rate(torch.float32, False), "tf32_tflops": rate(torch.float32, True),
                  "bf16_tflops": rate(torch.bfloat16, False)}))
EOF
cat "$MATMUL"

# 2b. the GPU benchmark: unrolls per second of 1-32 concurrent workers against the device's fp32 matmul
BENCH=$(mktemp); echo '{}' > "$BENCH"
[ "$DEVICE" = cpu ] || timeout 150 "$BUILD/metaunsup" bench --device "$DEVICE" --workers 1,4,16,32 --reps 2 --json > "$BENCH" 2>> "$OUT/build.log" \
  && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$BENCH" 2>/dev/null || echo '{}' > "$BENCH"
tr -d '\n ' < "$BENCH" | head -c 3000; echo

# 3. meta-train until the deadline
export METAUNSUP_DATA="$PWD/$KIT/prefix/data"
mkdir -p "$METAUNSUP_DATA" && tar xzf "$KIT/data/glyphs.tgz" -C "$METAUNSUP_DATA"
mkdir -p runs
# Trains on $1 until the deadline; continues the committed GPU run or, where none is committed yet, starts
# it warm from INIT (theta and Adam's moments).
train() {
  rm -rf "$RUN"
  if [ -f "models/$CONFIG/checkpoint.pt" ]; then
    cp -r "models/$CONFIG" "$RUN"; START=(--resume)
  else
    START=(--init "$INIT")
  fi
  STEP0=$(tail -n +2 "$RUN/metrics.csv" 2>/dev/null | tail -1 | cut -d, -f1); STEP0=${STEP0:-0}
  TRAIN_S=$(( DEADLINE - $(elapsed) - MARGIN ))
  [ "$TRAIN_S" -gt 30 ] || { echo "gpu-run: no time left to meta-train (${TRAIN_S} s)" >&2; return 1; }
  echo "gpu-run: meta-training on $1 for ${TRAIN_S} s from meta-step $STEP0 (${START[*]})"
  OMP_NUM_THREADS=1 timeout -s TERM -k 40 "$TRAIN_S" "$BUILD/metaunsup" --threads 1 meta-train \
    --config "$CONFIG" --out "$RUN" "${START[@]}" --workers "$WORKERS" --device "$1" >> "$OUT/meta-train.log" 2>&1 || true
  tail -3 "$OUT/meta-train.log"
  [ -f "$RUN/checkpoint.pt" ] && [ "$(tail -n +2 "$RUN/metrics.csv" | tail -1 | cut -d, -f1)" != "$STEP0" ]
}
# Should the device fail, the period still goes to meta-training, on the machine's CPU cores.
USED=$DEVICE
if ! train "$DEVICE"; then
  [ "$DEVICE" != cpu ] && USED=cpu && echo "gpu-run: no progress on $DEVICE; the rest on cpu" >&2 && train cpu \
    || { echo "gpu-run: meta-train made no progress" >&2; exit 1; }
fi

# 4. export and provenance
# The checkpoint comes back without its workers' in-flight tasks (1.4 MB rather than 11.6 at 16 workers), so
# that it can be committed and the next period resumes it.
"$BUILD/metaunsup" export --run "$RUN" --out "$OUT/theta-export.pt" --resumable "$OUT/checkpoint.pt" \
  --commit "$(git rev-parse HEAD 2>/dev/null || echo unknown)" >> "$OUT/meta-train.log" 2>&1
cp "$RUN/metrics.csv" "$RUN/config.json" "$OUT/"
cp "$RUN/curves.png" "$OUT/" 2>/dev/null || true
LAST=$(tail -1 "$RUN/metrics.csv")
cat > "$OUT/period.json.tmp" <<EOF
{"device": "$USED", "gpu": $(cat "$MATMUL"), "bench": $(tr -d '\n' < "$BENCH"), "workers": $WORKERS, "build_s": $BUILD_S,
 "train_budget_s": $TRAIN_S, "date": "$(date -u +%FT%TZ)", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "meta_step_from": $STEP0, "meta_step_to": $(echo "$LAST" | cut -d, -f1),
 "last_metrics_row": "$LAST", "script_s": $(elapsed)}
EOF
# The run's provenance: one line per device period, appended to the committed run's.
{ cat "models/$CONFIG/periods.jsonl" 2>/dev/null || true; tr -d '\n' < "$OUT/period.json.tmp"; echo; } > "$OUT/periods.jsonl"
rm "$OUT/period.json.tmp"
tail -1 "$OUT/periods.jsonl"
