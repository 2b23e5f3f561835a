# Paired comparison (same seeds and label draws, run by run) of cpu-d2-relu512-hidden-clip at 406 meta-steps,
# read out from the last hidden layer at 512x2 (this folder), against every baseline (both readouts of the
# supervised MLP), the random network's hidden layer, and the shipped rule read out the same way
# (../arch-512x2-hidden/). Prints the table quoted in the README and the bar checks.
import json, math, os
here = os.path.dirname(os.path.abspath(__file__))
sets = ['mnist-14', 'fashion-mnist-14', 'mnist-28', 'fashion-mnist-28', 'spam']
def load(d, s):
    return json.load(open(os.path.join(here, d, s, 'results.json')))['methods']
def stat(v):  # mean and std over the runs (population std, as in the reports)
    m = sum(v) / len(v)
    return m, math.sqrt(sum((x - m) ** 2 for x in v) / len(v))
def paired(a, b):
    d = [x - y for x, y in zip(a, b)]
    m, s = stat(d)
    return f'{m:+.3f} +- {s:.3f} ({sum(x > 0 for x in d)} of {len(d)})'
print('| set | learned (hidden) | random (hidden) | best baseline | minus best, paired (runs ahead) | minus random, paired | minus the shipped rule (hidden), paired |')
print('|---|---|---|---|---|---|---|')
for s in sets:
    if not os.path.exists(os.path.join(here, s, 'results.json')): continue
    h, e, old = load('.', s), load('../arch-512x2', s), load('../arch-512x2-hidden', s)
    L, R = h['learned']['accuracies'], h['random']['accuracies']
    cands = {f'{m} (hidden)': h[m]['accuracies'] for m in ['supervised'] if m in h}
    cands.update({f'{m} (embedding)': e[m]['accuracies'] for m in ['supervised'] if m in e})
    cands.update({m: h[m]['accuracies'] for m in ['vae', 'pca', 'kmeans', 'raw'] if m in h})
    best = max(cands, key=lambda k: stat(cands[k])[0])
    (lm, ls), (rm, rs), (bm, bs) = stat(L), stat(R), stat(cands[best])
    gap = 'below' if lm < rm else 'non-overlapping' if lm - ls > rm + rs else 'overlapping'
    print(f'| {s} | {lm:.3f} +- {ls:.3f} | {rm:.3f} +- {rs:.3f} ({gap}) | {best} {bm:.3f} +- {bs:.3f} | {paired(L, cands[best])} '
          f'| {paired(L, R)} | {paired(L, old["learned"]["accuracies"])} |')
