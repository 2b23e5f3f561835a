#!/usr/bin/env python3
"""Session 11's architecture table: the shipped rule on select-relu128x4's 6 glyph tasks (100 or 200 rule
steps) through other networks, against 128x4 (session 10's sel-b.csv) and raw inputs (ridge penalty 10)."""
import csv, glob, os, statistics as st

here = os.path.dirname(os.path.abspath(__file__))

def load(path, rule="models/rule.pt"):
    rows = [r for r in csv.DictReader(open(path)) if r["rule"] == rule]
    return [float(r["meta_objective"]) for r in rows], [float(r["accuracy"]) for r in rows]

def se(v):
    return st.stdev(v) / len(v) ** 0.5

base_loss, base_acc = load(os.path.join(here, "../session10/sel-b.csv"))
raw_loss, raw_acc = load(os.path.join(here, "val-128x2-s100.csv"), "raw:10")
print("| network | steps | MetaObjective | ridge accuracy | minus 128x4 (paired) | minus raw:10 (paired) |")
print("|---|---|---|---|---|---|")
print(f"| 128x4 | 100 | {st.mean(base_loss):.3f} +- {se(base_loss):.3f} | {st.mean(base_acc):.3f} | | "
      f"{st.mean(a - b for a, b in zip(base_acc, raw_acc)):+.3f} +- {se([a - b for a, b in zip(base_acc, raw_acc)]):.3f} |")
for f in sorted(glob.glob(os.path.join(here, "val-*-s*.csv")), key=lambda p: (int(p.split("-")[-2].split("x")[0]), p)):
    arch, steps = os.path.basename(f)[4:-4].rsplit("-s", 1)
    loss, acc = load(f)
    d = [a - b for a, b in zip(acc, base_acc)]
    r = [a - b for a, b in zip(acc, raw_acc)]
    print(f"| {arch} | {steps} | {st.mean(loss):.3f} +- {se(loss):.3f} | {st.mean(acc):.3f} | {st.mean(d):+.3f} +- {se(d):.3f} | "
          f"{st.mean(r):+.3f} +- {se(r):.3f} |")
print(f"| raw:10 | - | {st.mean(raw_loss):.3f} | {st.mean(raw_acc):.3f} | | |")
