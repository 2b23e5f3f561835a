# Paired comparison (same seeds and label draws, run by run) of the shipped rule read out from the last
# hidden layer (this folder) against every baseline, both readouts of the network baselines, and the
# rule's own embedding (../arch-512x2/). Prints the table quoted in the README.
import json, math, os
here = os.path.dirname(os.path.abspath(__file__))
sets = ['mnist-14', 'fashion-mnist-14', 'mnist-28', 'fashion-mnist-28', 'spam']
def load(d, s):
    return json.load(open(os.path.join(here, d, s, 'results.json')))['methods']
def stat(v):  # mean and std over the runs (population std, as in the reports)
    m = sum(v) / len(v)
    return m, math.sqrt(sum((x - m) ** 2 for x in v) / len(v))
print('| set | learned (hidden) | random (hidden) | raw | best baseline | learned minus it, paired (runs ahead) | learned minus random, paired | learned (embedding) |')
print('|---|---|---|---|---|---|---|---|')
for s in sets:
    h, e = load('.', s), load('../arch-512x2', s)
    L = h['learned']['accuracies']
    cands = {f'{m} (hidden)': h[m]['accuracies'] for m in ['supervised'] if m in h}
    cands.update({f'{m} (embedding)': e[m]['accuracies'] for m in ['supervised'] if m in e})
    cands.update({m: h[m]['accuracies'] for m in ['vae', 'pca', 'kmeans', 'raw'] if m in h})
    best = max(cands, key=lambda k: stat(cands[k])[0])
    d = [a - b for a, b in zip(L, cands[best])]
    r = [a - b for a, b in zip(L, h['random']['accuracies'])]
    lm, ls = stat(L); bm, bs = stat(cands[best]); dm, ds = stat(d); rm, rs = stat(r)
    em, es = stat(e['learned']['accuracies'])
    print(f'| {s} | {lm:.3f} +- {ls:.3f} | {stat(h["random"]["accuracies"])[0]:.3f} | {stat(h["raw"]["accuracies"])[0]:.3f} | {best} {bm:.3f} +- {bs:.3f} | {dm:+.3f} +- {ds:.3f} ({sum(x > 0 for x in d)} of {len(d)}) '
          f'| {rm:+.3f} +- {rs:.3f} ({sum(x > 0 for x in r)} of {len(r)}) | {em:.3f} +- {es:.3f} |')
