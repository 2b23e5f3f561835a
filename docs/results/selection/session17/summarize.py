# Session 17: the cpu-d2-relu512-clip candidate against the shipped rule on both 6-task yardsticks at 512x2,
# embedding readout (MetaObjective penalty 0.1), paired per task; then the declared criterion.
import csv, math, os, sys
here = os.path.dirname(os.path.abspath(__file__))
def rows(path, rule):
    return {int(r['task']): (float(r['meta_objective']), float(r['accuracy']))
            for r in csv.DictReader(open(os.path.join(here, path))) if r['rule'] == rule}
def stats(d):
    m = sum(d) / len(d); se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    return m, se
tag = 'cand' + (sys.argv[1] if len(sys.argv) > 1 else '')  # `summarize.py 527`: the later checkpoint
yards = [('glyphs', f'{tag}-glyphs.csv', '../session12/cand-512x2.csv'),
         ('clipart', f'{tag}-clipart.csv', '../session16/clipart-top.csv')]
pooled, ok_obj = [], True
for name, f, ref in yards:
    if not os.path.exists(os.path.join(here, f)):
        print(f'{f}: not yet'); ok_obj = False; continue
    cand = next(iter(csv.DictReader(open(os.path.join(here, f)))))['rule']
    c, s = rows(f, cand), rows(ref, 'models/rule.pt')
    do = [c[t][0] - s[t][0] for t in sorted(c)]; da = [c[t][1] - s[t][1] for t in sorted(c)]
    (mo, so), (ma, sa) = stats(do), stats(da)
    print(f"{name:8s} candidate {sum(v[0] for v in c.values())/6:.3f} / {sum(v[1] for v in c.values())/6:.3f}, "
          f"shipped {sum(v[0] for v in s.values())/6:.3f} / {sum(v[1] for v in s.values())/6:.3f} (MetaObjective / ridge accuracy); "
          f"paired: MetaObjective {mo:+.3f} +- {so:.3f}, accuracy {ma:+.3f} +- {sa:.3f} (higher on {sum(x > 0 for x in da)} of 6)")
    pooled += da; ok_obj = ok_obj and mo <= so
if len(pooled) == 12:
    m, se = stats(pooled)
    passed = m > 2 * se and ok_obj
    print(f"pooled accuracy {m:+.3f} +- {se:.3f} over 12 tasks; MetaObjective not worse by > 1 SE on either: {ok_obj}"
          f" -> {'goes to the held-out sets' if passed else 'fails the criterion: nothing goes to the held-out sets'}")
