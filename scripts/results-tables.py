#!/usr/bin/env python3
"""Prints the README's results tables from results.json files, so that no number is typed by hand.

  scripts/results-tables.py main DIR [SETS]    one row per method, one column per data set in DIR
                                               (DIR/<set>/results.json; SETS a comma list, default all five):
                                               headline (logistic) readout and the standardised one,
                                               mean +- std over runs. A method run on its own with the
                                               same protocol (DIR/<set>/<name>/results.json, e.g. the
                                               VAE's, which trains for minutes per seed) fills its row
                                               when seeds, draws, seed, architecture and label rows agree
  scripts/results-tables.py curve RESULTS.json the learned rule at each checkpoint (learned@N) against random
                                               init, both readouts, with the paired difference per run
"""
import json
import os
import sys

SETS = [("mnist-14", "mnist 14x14"), ("fashion-mnist-14", "fashion-mnist 14x14"), ("mnist-28", "mnist 28x28"),
        ("fashion-mnist-28", "fashion-mnist 28x28"), ("spam", "spam (text)")]
LABELS = {"random": "random (same network at init)", "supervised": "supervised (MLP + softmax on the labels)",
          "vae": "vae (4x128, step chosen on a validation split)", "pca": "pca (whitened, 32)",
          "kmeans": "kmeans (Coates-Ng, 256)", "kmeans-32": "kmeans-32 (Coates-Ng, 32: equal width)",
          "raw": "raw input"}


OLD_LABELS = {"vae": "vae (old: 3x128, 2,000 steps)", "kmeans": "kmeans (old: contrast-normalised, 32 centres)"}


def cell(m, readout):
    s = m["readouts"].get(readout)  # results from before the standardised readout existed lack it
    return f"{s['mean']:.3f} +- {s['std']:.3f}" if s else "n/a"


PROTOCOL = ("dataset", "resolution", "seed", "seeds", "draws", "shots", "architecture", "activation",
            "permuted_input", "features_below_top", "train_examples", "test_examples", "classes")


def with_separate_runs(folder):
    """The set's results.json, its methods completed from results.json files one folder below it."""
    r = json.load(open(os.path.join(folder, "results.json")))
    for sub in sorted(os.listdir(folder)):
        p = os.path.join(folder, sub, "results.json")
        if not os.path.exists(p):
            continue
        extra = json.load(open(p))
        differ = [k for k in PROTOCOL if extra.get(k) != r.get(k)]
        if differ:
            sys.exit(f"results-tables: {p} differs from {folder}/results.json in {', '.join(differ)}")
        for n, m in extra["methods"].items():
            if n not in r["methods"]:
                r["methods"][n] = m
    return r


def main_table(d, only=None):
    res = {k: with_separate_runs(os.path.join(d, k)) for k, _ in SETS
           if os.path.exists(os.path.join(d, k, "results.json")) and (not only or k in only.split(","))}
    names = []
    for r in res.values():
        for n in r["methods"]:
            if n not in names:
                names.append(n)
    order = sorted(names, key=lambda n: (0, int(n.split("@")[1])) if n.startswith("learned@") else
                   (1, 0) if n == "learned" else (2, list(LABELS).index(n)) if n in LABELS else (3, 0))
    cols = [(k, t) for k, t in SETS if k in res]
    steps = {r["steps"] for r in res.values()}
    print("| method (logistic / standardised) | " + " | ".join(t for _, t in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    # Results written before the baseline fix (no standardised readout) had the old k-means and VAE.
    old = all("standardised" not in m.get("readouts", {}) for r in res.values() for m in r["methods"].values())
    for n in order:
        if n == "learned@0" or (n == "learned" and any(f"learned@{s}" in names for s in steps)):
            continue  # learned@0 is random init; learned@STEPS is learned
        label = LABELS.get(n, n)
        if old and n in OLD_LABELS:
            label = OLD_LABELS[n]
        if n == "learned":
            label = f"learned, {'/'.join(str(s) for s in sorted(steps))} rule steps"
        elif n.startswith("learned@"):
            label = f"learned, {int(n.split('@')[1]):,} rule steps"
        row = [f"{cell(res[k]['methods'][n], 'logistic')} / {cell(res[k]['methods'][n], 'standardised')}"
               if n in res[k]["methods"] else "-" for k, _ in cols]
        print(f"| {label} | " + " | ".join(row) + " |")


def curve_table(path):
    r = json.load(open(path))
    rand = r["methods"]["random"]
    pts = sorted((int(n.split("@")[1]), m) for n, m in r["methods"].items() if n.startswith("learned@"))
    print("| rule steps | learned (logistic) | learned - random, per run | learned (standardised) | "
          "learned - random (standardised) |")
    print("|---|---|---|---|---|")
    ra = rand["accuracies"]
    for t, m in pts:
        diff = [a - b for a, b in zip(m["accuracies"], ra)]
        mean = sum(diff) / len(diff)
        sd = (sum((x - mean) ** 2 for x in diff) / len(diff)) ** 0.5
        ahead = sum(x > 0 for x in diff)
        ds = m["readouts"]["standardised"]["mean"] - rand["readouts"]["standardised"]["mean"]
        print(f"| {t:,} | {cell(m, 'logistic')} | {mean:+.3f} +- {sd:.3f} ({ahead} of {len(diff)} ahead) | "
              f"{cell(m, 'standardised')} | {ds:+.3f} |")
    print(f"\nrandom init: {cell(rand, 'logistic')} (logistic), {cell(rand, 'standardised')} (standardised); "
          f"{r['seeds']} seed(s) x {r['draws']} draw(s), {r['dataset']} {r['resolution']}x{r['resolution']}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in ("main", "curve"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    (main_table if sys.argv[1] == "main" else curve_table)(*sys.argv[2:])
