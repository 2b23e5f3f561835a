#!/usr/bin/env bash
# Packs what a device machine (README, "Meta-training on a GPU") lacks into .gpu/ (ignored by git, sent with
# `carry: [".gpu"]`): the Debian 12 packages the build needs besides LibTorch and CUDA (headers and shared
# libraries, as .debs to unpack there; that image holds PyTorch, CMake and ninja but none of these), and the
# meta-training data (glyphs). About 4 MB of debs and 2.4 MB of data; with the
# tracked tree (about 47 MB) under the 64 MiB a call carries.
set -euo pipefail
KIT=${KIT:-.gpu}
DATA=${METAUNSUP_DATA:-$HOME/.cache/metaunsup}
DEBS=(libfmt-dev libfmt9 nlohmann-json3-dev libcli11-dev libpng-dev libpng16-16 zlib1g-dev
      libfreetype-dev libfreetype6 libbrotli-dev libbrotli1)
rm -rf "$KIT/data" && mkdir -p "$KIT/debs" "$KIT/data"
(cd "$KIT/debs" && rm -f ./*.deb && apt-get download "${DEBS[@]}" >/dev/null)
[ -f "$DATA/glyphs/meta.json" ] || build/metaunsup data fetch glyphs
tar czf "$KIT/data/glyphs.tgz" -C "$DATA" glyphs  # 12 MB of .npy, 2.4 MB packed
du -sh "$KIT/debs" "$KIT/data"
