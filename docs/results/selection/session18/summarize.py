# Session 18: the declared screens on both 6-task yardsticks at 512x2 (embedding readout, MetaObjective
# penalty 0.1), paired per task with the shipped rule's committed batch-128 values; then the criterion.
#   summarize.py b256   A: the shipped rule at batch 256 (b256-*.csv)
#   summarize.py d4     B: the cpu-d4-relu128 candidate at batch 128 (d4-*.csv)
import csv, math, os, sys
here = os.path.dirname(os.path.abspath(__file__))
def rows(path, rule):
    return {int(r['task']): (float(r['meta_objective']), float(r['accuracy']))
            for r in csv.DictReader(open(os.path.join(here, path))) if r['rule'] == rule}
def stats(d):
    m = sum(d) / len(d); se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    return m, se
tag = sys.argv[1] if len(sys.argv) > 1 else 'b256'
rule = 'models/rule.pt' if tag == 'b256' else None  # A: the shipped rule itself; B: the file's first rule
yards = [('glyphs', f'{tag}-glyphs.csv', '../session12/cand-512x2.csv'),
         ('clipart', f'{tag}-clipart.csv', '../session16/clipart-top.csv')]
pooled, ok_obj = [], True
for name, f, ref in yards:
    if not os.path.exists(os.path.join(here, f)):
        print(f'{f}: not yet'); ok_obj = False; continue
    cand = rule or next(iter(csv.DictReader(open(os.path.join(here, f)))))['rule']
    c, s = rows(f, cand), rows(ref, 'models/rule.pt')
    do = [c[t][0] - s[t][0] for t in sorted(c)]; da = [c[t][1] - s[t][1] for t in sorted(c)]
    (mo, so), (ma, sa) = stats(do), stats(da)
    n = len(c)
    print(f"{name:8s} candidate {sum(v[0] for v in c.values())/n:.3f} / {sum(v[1] for v in c.values())/n:.3f}, "
          f"shipped at batch 128 {sum(v[0] for v in s.values())/n:.3f} / {sum(v[1] for v in s.values())/n:.3f} "
          f"(MetaObjective / ridge accuracy); paired: MetaObjective {mo:+.3f} +- {so:.3f}, "
          f"accuracy {ma:+.3f} +- {sa:.3f} (higher on {sum(x > 0 for x in da)} of {n})")
    for ref_rule in ('raw:10', 'init'):  # the references drawn with the candidate, where present
        r = rows(f, ref_rule)
        if r: print(f"         {ref_rule} in the same draw: accuracy {sum(v[1] for v in r.values())/len(r):.3f}")
    pooled += da; ok_obj = ok_obj and mo <= so
if len(pooled) == 12:
    m, se = stats(pooled)
    passed = m > 2 * se and ok_obj
    print(f"pooled accuracy {m:+.3f} +- {se:.3f} over 12 tasks; MetaObjective not worse by > 1 SE on either: {ok_obj}"
          f" -> {'goes to the held-out sets' if passed else 'fails the criterion: nothing goes to the held-out sets'}")
