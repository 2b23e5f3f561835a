#!/usr/bin/env python3
"""Bar checks from `make results` output folders: learned vs every baseline, paired over the same runs.

usage: heldout.py RESULTS_DIR [RESULTS_DIR ...]   (each holds mnist-14/, fashion-mnist-14/, ... results.json)
For each set: learned mean +- std, the best baseline, and learned minus raw / supervised / best baseline,
paired over the 2 seeds x 3 label draws (the same runs for every method; sample std of the differences),
with the runs it is ahead in. Spreads of single methods are population std, as in the reports.
"""
import json
import statistics as st
import sys
from pathlib import Path

SETS = ["mnist-14", "fashion-mnist-14", "mnist-28", "fashion-mnist-28", "spam"]
BASELINES = ["pca", "kmeans", "vae", "supervised", "raw"]


def paired(a, b):
    d = [x - y for x, y in zip(a, b)]
    return st.mean(d), (st.stdev(d) if len(d) > 1 else 0.0), sum(x > 0 for x in d), len(d)


for root in sys.argv[1:]:
    print(f"## {root}\n")
    print("| set | learned | random | best baseline | learned - random | learned - raw | learned - supervised | learned - best |")
    print("|---|---|---|---|---|---|---|---|")
    for s in SETS:
        f = Path(root) / s / "results.json"
        if not f.exists():
            continue
        m = json.load(open(f))["methods"]
        acc = {k: v["accuracies"] for k, v in m.items()}
        mean = {k: st.mean(v) for k, v in acc.items()}
        best = max((b for b in BASELINES if b in acc), key=lambda b: mean[b])
        cells = []
        for ref in ["random", "raw", "supervised", best]:
            if ref in acc:
                mu_, sd, ahead, n = paired(acc["learned"], acc[ref])
                cells.append(f"{mu_:+.3f} +- {sd:.3f} ({ahead}/{n})")
            else:
                cells.append("-")
        l = m["learned"]
        r = m.get("random", {})
        print(f"| {s} | {l['accuracy_mean']:.3f} +- {l['accuracy_std']:.3f} | "
              f"{r.get('accuracy_mean', float('nan')):.3f} +- {r.get('accuracy_std', float('nan')):.3f} | "
              f"{best} {mean[best]:.3f} +- {st.pstdev(acc[best]):.3f} | " + " | ".join(cells) + " |")
    print()
