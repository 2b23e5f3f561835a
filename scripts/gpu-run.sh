#!/usr/bin/env bash
# On a device machine (run there from the repository root, .gpu/ carried; see scripts/gpu-kit.sh):
# unpacks the carried Debian packages into .gpu/prefix, builds metaunsup (no tests, benchmarks or MPI)
# against the image's PyTorch (CUDA), then meta-trains CONFIG warm-started from the committed run RUN's
# checkpoint with --device cuda for SECONDS_, stops it with SIGTERM (it checkpoints) and copies the run to $OUT.
#   CONFIG=gpu-d4-relu128 RUN=models/cpu-d4-relu128 SECONDS_=300 WORKERS=16 bash scripts/gpu-run.sh
set -euo pipefail
KIT=${KIT:-.gpu}
CONFIG=${CONFIG:-gpu-d4-relu128}
RUN=${RUN:-models/cpu-d4-relu128}
SECONDS_=${SECONDS_:-300}
WORKERS=${WORKERS:-16}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-out}
P="$PWD/$KIT/prefix"
mkdir -p "$P" "$OUT"
for f in "$KIT"/debs/*.deb; do dpkg -x "$f" "$P"; done
ARCHDIR=$(ls -d "$P"/usr/lib/*-linux-gnu | head -1)
# Debian's .so links are absolute or point at the unpacked versions; relink the dev links inside the prefix.
for l in "$ARCHDIR"/*.so; do [ -L "$l" ] && ln -sf "$(basename "$(readlink "$l")")" "$l"; done
export LD_LIBRARY_PATH="$ARCHDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="${TORCH_PREFIX:+$TORCH_PREFIX;}$P/usr" -DCMAKE_INCLUDE_PATH="$P/usr/include" \
  -DCMAKE_LIBRARY_PATH="$ARCHDIR" -DMETAUNSUP_TESTS=OFF -DMETAUNSUP_BENCH=OFF -DMETAUNSUP_MPI=OFF \
  > "$OUT/cmake.log" 2>&1 || { tail -30 "$OUT/cmake.log"; exit 1; }
cmake --build build-cuda --target metaunsup -j "$(nproc)" > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
export METAUNSUP_DATA="$PWD/$KIT/prefix/data"
mkdir -p "$METAUNSUP_DATA" && tar xzf "$KIT/data/glyphs.tgz" -C "$METAUNSUP_DATA"
# A new run warm-started from RUN's checkpoint (theta and Adam's moments): its config differs (meta-batch).
mkdir -p runs && rm -rf runs/gpu
OMP_NUM_THREADS=1 timeout -s TERM "$SECONDS_" build-cuda/metaunsup --threads 1 meta-train --config "$CONFIG" \
  --out runs/gpu --init "$RUN/checkpoint.pt" --workers "$WORKERS" --device "$DEVICE" > "$OUT/meta-train.log" 2>&1 || true
tail -3 "$OUT/meta-train.log"
[ -f runs/gpu/checkpoint.pt ] || { echo "gpu-run: meta-train left no checkpoint" >&2; exit 1; }
build-cuda/metaunsup export --run runs/gpu --out "$OUT/theta-export.pt" --commit "$(git rev-parse HEAD 2>/dev/null || echo unknown)"
cp runs/gpu/checkpoint.pt runs/gpu/metrics.csv runs/gpu/curves.png "$OUT/" 2>/dev/null || true
