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
