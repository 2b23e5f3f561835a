#!/usr/bin/env python3
"""Does the MetaObjective rank rule snapshots as the selection sets do? (session 9, hypothesis 2)

Joins `metaunsup validate` tables (its stdout: per rule the mean meta-objective, ridge accuracy and pc1 over
the same fixed tasks; several files of one config and seed may be given, e.g. two halves of a rule list) with each
rule's ReLU glyphs:digits accuracy from `scripts/select.sh` (128x4, 100 rule steps, 2 seeds x 2 draws, whole
test split) and prints Pearson and Spearman correlations over the rules.
Usage: correlate.py SELECTION.csv "VALIDATE.txt[+VALIDATE.txt]" ...   (SELECTION.csv: rule,accuracy,pc1)
"""
import csv, math, sys

def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sx = math.sqrt(sum((a - mx) ** 2 for a in x)); sy = math.sqrt(sum((b - my) ** 2 for b in y))
    return sxy / (sx * sy)

def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i]); r = [0.0] * len(v); i = 0
    while i < len(v):  # ties share their mean rank
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]: j += 1
        for k in range(i, j + 1): r[order[k]] = (i + j) / 2
        i = j + 1
    return r

sel = {r["rule"]: r for r in csv.DictReader(open(sys.argv[1]))}
for group in sys.argv[2:]:
    vals = {}
    for path in group.split("+"):
        for line in open(path).read().splitlines()[1:]:
            t = line.split()
            vals[t[0]] = {"meta_objective": float(t[1]), "accuracy": float(t[-3]), "pc1": float(t[-2])}
    path = group
    rules = [r for r in vals if r in sel]
    acc = [float(sel[r]["accuracy"]) for r in rules]
    print(f"{path}: {len(rules)} rules")
    print(f"{'rule':34s} {'select acc':>10s} {'select pc1':>10s} {'meta-obj':>9s} {'ridge acc':>9s} {'pc1':>6s}")
    for r in sorted(rules, key=lambda r: -float(sel[r]["accuracy"])):
        v = vals[r]; m = lambda k: v[k]
        print(f"{r:34s} {float(sel[r]['accuracy']):10.3f} {float(sel[r]['pc1']):10.2f} {m('meta_objective'):9.4f} "
              f"{m('accuracy'):9.4f} {m('pc1'):6.3f}")
    for k in ("meta_objective", "accuracy", "pc1"):
        x = [vals[r][k] for r in rules]
        print(f"  selection accuracy vs {k:15s} Pearson {pearson(x, acc):+.2f}  Spearman {pearson(ranks(x), ranks(acc)):+.2f}")
    x = [float(sel[r]["pc1"]) for r in rules]
    print(f"  selection accuracy vs selection pc1    Pearson {pearson(x, acc):+.2f}  Spearman {pearson(ranks(x), ranks(acc)):+.2f}")
