# Session 19: the declared screen of the extrapolated rules on both 6-task yardsticks at 512x2 (embedding
# readout, MetaObjective penalty 0.1), paired per task with the shipped rule's committed batch-128 values.
#   python3 summarize.py     prints each rule's numbers, then the criterion for each candidate
import csv, math, os
here = os.path.dirname(os.path.abspath(__file__))
def rows(path, rule):
    return {int(r['task']): (float(r['meta_objective']), float(r['accuracy']))
            for r in csv.DictReader(open(os.path.join(here, path))) if r['rule'] == rule}
def stats(d):
    m = sum(d) / len(d); se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    return m, se
yards = [('glyphs', 'glyphs.csv', '../session12/cand-512x2.csv'),
         ('clipart', 'clipart.csv', '../session16/clipart-top.csv')]
candidates = ['runs/x15.pt', 'runs/x20.pt']
pooled, ok_obj = {c: [] for c in candidates}, {c: True for c in candidates}
for name, f, ref in yards:
    if not os.path.exists(os.path.join(here, f)):
        print(f'{f}: not yet'); continue
    s = rows(ref, 'models/rule.pt')
    for rule in dict.fromkeys(r['rule'] for r in csv.DictReader(open(os.path.join(here, f)))):
        c = rows(f, rule); n = len(c)
        do = [c[t][0] - s[t][0] for t in sorted(c)]; da = [c[t][1] - s[t][1] for t in sorted(c)]
        (mo, so), (ma, sa) = stats(do), stats(da)
        print(f"{name:8s} {rule:40s} {sum(v[0] for v in c.values())/n:.3f} / {sum(v[1] for v in c.values())/n:.3f} "
              f"(shipped {sum(v[0] for v in s.values())/n:.3f} / {sum(v[1] for v in s.values())/n:.3f}); paired: "
              f"MetaObjective {mo:+.3f} +- {so:.3f}, accuracy {ma:+.3f} +- {sa:.3f} (higher on {sum(x > 0 for x in da)} of {n})")
        if rule in pooled:
            pooled[rule] += da; ok_obj[rule] = ok_obj[rule] and mo <= so
for c in candidates:
    if len(pooled[c]) != 12: continue
    m, se = stats(pooled[c])
    passed = m > 2 * se and ok_obj[c]
    print(f"{c}: pooled accuracy {m:+.3f} +- {se:.3f} over 12 tasks; MetaObjective not worse by > 1 SE on either: "
          f"{ok_obj[c]} -> {'passes' if passed else 'fails the criterion'}")
