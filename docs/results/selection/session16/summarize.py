# Session 16: the rule-step screen at 512x2 (embedding readout), paired per task with the 100-step values
# of session 12 (the same 6 tasks, fixed by the config's seed).
import csv, math, os
here = os.path.dirname(os.path.abspath(__file__))
def load(f, rule='models/rule.pt'):
    return {int(r['task']): r for r in csv.DictReader(open(os.path.join(here, f))) if r['rule'] == rule}
base = load('../session12/cand-512x2.csv')
print(f"{'steps':>5s} {'MetaObjective':>13s} {'ridge acc':>9s}   paired minus 100 steps (MetaObjective; accuracy)")
print(f"{100:5d} {sum(float(r['meta_objective']) for r in base.values())/6:13.3f} {sum(float(r['accuracy']) for r in base.values())/6:9.3f}")
for s in [200, 400]:
    b = load(f'steps{s}-512x2.csv'); out = []
    for k in ['meta_objective', 'accuracy']:
        d = [float(b[t][k]) - float(base[t][k]) for t in sorted(b)]
        m = sum(d) / len(d); se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
        out.append(f"{m:+.3f} +- {se:.3f} ({sum(x > 0 for x in d)} of {len(d)} higher)")
    print(f"{s:5d} {sum(float(r['meta_objective']) for r in b.values())/6:13.3f} {sum(float(r['accuracy']) for r in b.values())/6:9.3f}   {'; '.join(out)}")

# The clip-art diagnostic (6 tasks, 512x2): last hidden layer at L = 10 and embedding at 0.1, paired per task.
clip = {}
for f, tag in [('clipart-hidden.csv', ' (hidden)'), ('clipart-top.csv', ' (embedding)')]:
    for r in csv.DictReader(open(os.path.join(here, f))):
        name = r['rule'].replace('models/rule.pt', 'rule') + ('' if r['rule'].startswith('raw') else tag)
        clip.setdefault(name, {})[int(r['task'])] = (float(r['meta_objective']), float(r['accuracy']))
print('\nclip-art tasks (10-way, 512x2):')
print(f"{'readout':24s} {'MetaObjective':>13s} {'ridge acc':>9s}")
for k, v in clip.items():
    print(f"{k:24s} {sum(x[0] for x in v.values())/len(v):13.3f} {sum(x[1] for x in v.values())/len(v):9.3f}")
for a, b in [('rule:10 (hidden)', 'init:10 (hidden)'), ('rule:10 (hidden)', 'raw:10'), ('init:10 (hidden)', 'raw:10'),
             ('rule (embedding)', 'init (embedding)'), ('rule (embedding)', 'raw:10')]:
    d = [clip[a][t][1] - clip[b][t][1] for t in sorted(clip[a])]
    m = sum(d) / len(d); se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    print(f"{a} minus {b}: accuracy {m:+.3f} +- {se:.3f} (ahead on {sum(x > 0 for x in d)} of {len(d)} tasks)")

# The glyphs + clip-art candidate (cpu-d2-relu512-hidden-clip), last hidden layer at L = 10, paired per task
# with the shipped rule (and init) on both yardsticks; printed once its CSVs exist.
def rows_of(path, rule):
    return {int(r['task']): (float(r['meta_objective']), float(r['accuracy']))
            for r in csv.DictReader(open(os.path.join(here, path))) if r['rule'] == rule}
def pair(a, b, k):
    d = [a[t][k] - b[t][k] for t in sorted(a)]
    m = sum(d) / len(d); se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    return f"{m:+.3f} +- {se:.3f} ({sum(x > 0 for x in d)} of {len(d)} higher)"
for yard, ref in [('glyphs', '../session15/hidden-512x2.csv'), ('clipart', 'clipart-hidden.csv')]:
    f = f'cand-{yard}-hidden.csv'
    if not os.path.exists(os.path.join(here, f)): continue
    cand = next(iter(csv.DictReader(open(os.path.join(here, f)))))['rule']
    c = rows_of(f, cand)
    print(f"\ncandidate {cand} on the {yard} yardstick (hidden, L = 10): MetaObjective "
          f"{sum(v[0] for v in c.values())/len(c):.3f}, ridge accuracy {sum(v[1] for v in c.values())/len(c):.3f}")
    for name in ['models/rule.pt:10', 'init:10']:
        r = rows_of(ref, name)
        print(f"  minus {name}: MetaObjective {pair(c, r, 0)}; accuracy {pair(c, r, 1)}")
