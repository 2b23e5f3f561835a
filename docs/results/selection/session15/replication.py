# The declared replication (fresh seeds: --seed 1, 4 base models x 3 label draws): learned from the last
# hidden layer against every baseline, paired run by run. Reads ../../arch-512x2-hidden/replication/.
import json, math, os
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../arch-512x2-hidden/replication')
def stat(v):
    m = sum(v) / len(v)
    return m, math.sqrt(sum((x - m) ** 2 for x in v) / len(v))
for s in ['mnist-14', 'mnist-28']:
    h = json.load(open(os.path.join(here, s, 'results.json')))['methods']
    t = json.load(open(os.path.join(here, s + '-top', 'results.json')))['methods']
    L = h['learned']['accuracies']
    assert t['learned']['accuracies'] != L
    cands = {m: h[m]['accuracies'] for m in h if m != 'learned'}
    cands['supervised (embedding)'] = t['supervised']['accuracies']
    cands['learned (embedding)'] = t['learned']['accuracies']
    print(f"{s}: learned (hidden) {stat(L)[0]:.3f} +- {stat(L)[1]:.3f}, {len(L)} runs")
    for k in sorted(cands, key=lambda k: -stat(cands[k])[0]):
        d = [a - b for a, b in zip(L, cands[k])]
        print(f"  {k:24s} {stat(cands[k])[0]:.3f} +- {stat(cands[k])[1]:.3f}   learned minus it {stat(d)[0]:+.3f} +- {stat(d)[1]:.3f} "
              f"(ahead in {sum(x > 0 for x in d)} of {len(d)})")
