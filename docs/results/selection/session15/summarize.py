# Session 15: the hidden-layer screen at 512x2, paired per task against the session-12 references.
import collections, csv, math, os
here = os.path.dirname(os.path.abspath(__file__))
rows = collections.defaultdict(dict)
for f in ['hidden-512x2.csv', '../session12/cand-512x2.csv']:
    for r in csv.DictReader(open(os.path.join(here, f))):
        name = r['rule'] if f.startswith('hidden') else {'models/rule.pt': 'rule (embedding)', 'raw:10': 'raw:10',
                                                          'runs/s12/cpu-d4-relu128.pt': '2,702 (embedding)'}[r['rule']]
        if f.startswith('hidden'): name = name.replace('models/rule.pt', 'rule (hidden)').replace('init', 'init (hidden)')
        rows[name][int(r['task'])] = (float(r['meta_objective']), float(r['accuracy']))
def paired(a, b):
    d = [rows[a][t][1] - rows[b][t][1] for t in sorted(rows[a])]
    m = sum(d) / len(d); se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    return m, se, sum(x > 0 for x in d)
print(f"{'readout':24s} {'MetaObjective':>13s} {'ridge accuracy':>15s}")
for k, v in rows.items():
    print(f"{k:24s} {sum(x[0] for x in v.values())/len(v):13.3f} {sum(x[1] for x in v.values())/len(v):15.3f}")
best = 'rule (hidden):10'
for ref in ['init (hidden):10', 'raw:10', 'rule (embedding)', '2,702 (embedding)']:
    m, se, n = paired(best, ref)
    print(f"{best} minus {ref}: {m:+.3f} +- {se:.3f} (ahead on {n} of {len(rows[best])} tasks)")

# The diagnostic on stamps and emoji tasks (same network, 6 tasks).
se = collections.defaultdict(dict)
for f, tag in [('stamps-emoji-hidden.csv', ' (hidden)'), ('stamps-emoji-top.csv', ' (embedding)')]:
    for r in csv.DictReader(open(os.path.join(here, f))):
        name = r['rule'].replace('models/rule.pt', 'rule') + ('' if r['rule'].startswith('raw') else tag)
        se[name][int(r['task'])] = (float(r['meta_objective']), float(r['accuracy']))
print('\nstamps and emoji tasks (10-way, 512x2):')
for k, v in se.items():
    print(f"{k:24s} {sum(x[0] for x in v.values())/len(v):13.3f} {sum(x[1] for x in v.values())/len(v):15.3f}")
rows = se
for a, b in [('rule:10 (hidden)', 'init:10 (hidden)'), ('rule:10 (hidden)', 'raw:10'), ('rule (embedding)', 'init (embedding)')]:
    m, s_, n = paired(a, b)
    print(f"{a} minus {b}: {m:+.3f} +- {s_:.3f} (ahead on {n} of {len(rows[a])} tasks)")

# Two other rules on the glyph yardstick, last hidden layer at L = 10, paired with the shipped rule.
oth = collections.defaultdict(dict)
for r in csv.DictReader(open(os.path.join(here, 'others-hidden-512x2.csv'))):
    oth[r['rule']][int(r['task'])] = (float(r['meta_objective']), float(r['accuracy']))
base = {}
for r in csv.DictReader(open(os.path.join(here, 'hidden-512x2.csv'))):
    if r['rule'] == 'models/rule.pt:10': base[int(r['task'])] = float(r['accuracy'])
print('\nother rules, last hidden layer, L = 10 (shipped rule 0.868):')
for k, v in oth.items():
    d = [v[t][1] - base[t] for t in sorted(v)]
    m = sum(d) / len(d); s_ = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    print(f"{k:48s} {sum(x[0] for x in v.values())/len(v):.3f} {sum(x[1] for x in v.values())/len(v):.3f}  minus shipped {m:+.3f} +- {s_:.3f} ({sum(x > 0 for x in d)} of {len(d)})")
