#!/usr/bin/env python3
"""Mean +- standard error per rule of `metaunsup validate --out` CSVs (this folder's), as in its table."""
import csv, glob, math, os, sys
from collections import defaultdict

here = os.path.dirname(os.path.abspath(__file__))
for f in sorted(glob.glob(os.path.join(here, "*.csv"))):
    rows = defaultdict(lambda: defaultdict(list))
    for r in csv.DictReader(open(f)):
        for k in ("meta_objective", "accuracy", "pc1"):
            rows[r["rule"]][k].append(float(r[k]))
    print(os.path.basename(f))
    for rule, v in rows.items():
        m = v["meta_objective"]
        mean = sum(m) / len(m)
        se = math.sqrt(sum((x - mean) ** 2 for x in m) / (len(m) - 1) / len(m)) if len(m) > 1 else float("nan")
        print(f"  {rule:40s} {mean:.4f} +- {se:.4f}  accuracy {sum(v['accuracy']) / len(m):.4f}"
              f"  pc1 {sum(v['pc1']) / len(m):.3f}  ({len(m)} tasks)")
