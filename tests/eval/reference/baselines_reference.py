#!/usr/bin/python3
"""Independent scikit-learn / numpy reference for the real-data baseline tests (tests/eval/test_baselines_mnist.cpp).

Runs the same pipelines as src/eval/baselines.cpp, written from the papers with scikit-learn, on exactly the
data, fit subset and label draws the C++ test uses (dumped by the test), and prints test-split accuracies:
  raw   : the pixels
  pca   : PCA(32, whiten=True) fitted on the fit subset
  kmeans: Coates & Ng (2011) whole-image k-means: ZCA whitening (eps on [0, 1] pixels), KMeans (greedy
          k-means++, n_init restarts, Lloyd to tol 1e-4), triangle encoding max(0, mean_k z - z_k)
Readouts (fitted on the 10-per-class labelled examples, scored on the whole test split):
  logistic    : LogisticRegression(solver='liblinear', C=1) one-vs-rest (intercept penalised), on the features
  standardised: make_pipeline(StandardScaler(), the same LogisticRegression)

Usage: METAUNSUP_REFERENCE_DUMP=/tmp/dump build/metaunsup_tests --gtest_filter='EvalBaselinesMnist.*'
       python3 tests/eval/reference/baselines_reference.py /tmp/dump
"""
import glob
import os
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load(d):
    a = {k: np.load(os.path.join(d, k + ".npy")) for k in ("xtr", "ytr", "xte", "yte", "fit_idx")}
    a["draws"] = [np.load(f) for f in sorted(glob.glob(os.path.join(d, "lab_*.npy")))]
    return a


def readouts(ftr, ytr, fte, yte):
    lr = LogisticRegression(solver="liblinear", C=1.0, tol=1e-6, max_iter=1000)
    std = make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear", C=1.0, tol=1e-6, max_iter=1000))
    return [m.fit(ftr, ytr).score(fte, yte) for m in (lr, std)]


def score(name, feat, a):
    fte = feat(a["xte"])
    acc = np.array([readouts(feat(a["xtr"][lab]), a["ytr"][lab], fte, a["yte"]) for lab in a["draws"]])
    m, s = acc.mean(0), acc.std(0)
    print(f"{name:28s} logistic {m[0]:.4f} +- {s[0]:.4f}   standardised {m[1]:.4f} +- {s[1]:.4f}", flush=True)
    return m


def zca(x, eps):
    mean = x.mean(0)
    xc = x - mean
    cov = xc.T @ xc / len(x)
    ev, U = np.linalg.eigh(cov)
    W = (U * (1.0 / np.sqrt(np.clip(ev, 0, None) + eps))) @ U.T
    return mean, W


def coates(xfit, k, eps, seed, n_init):
    mean, W = zca(xfit.astype(np.float64), eps)
    z = (xfit - mean) @ W
    km = KMeans(n_clusters=k, init="k-means++", n_init=n_init, max_iter=300, tol=1e-4, random_state=seed,
                algorithm="lloyd").fit(z)
    C = km.cluster_centers_
    sizes = np.bincount(km.labels_, minlength=k)

    def feat(x):
        zz = (x.astype(np.float64) - mean) @ W
        d = np.sqrt(np.clip((zz ** 2).sum(1)[:, None] - 2 * zz @ C.T + (C ** 2).sum(1)[None, :], 0, None))
        return np.maximum(0, d.mean(1, keepdims=True) - d)
    return feat, km.n_iter_, sizes


def main():
    a = load(sys.argv[1])
    xfit = a["xtr"][a["fit_idx"]].astype(np.float64)
    print(f"data: train {a['xtr'].shape}, test {a['xte'].shape}, fit subset {xfit.shape}, "
          f"{len(a['draws'])} label draws of {len(a['draws'][0])}; mean pixel variance {xfit.var(0).mean():.4f}")
    score("raw", lambda x: x, a)
    p = PCA(32, whiten=True, svd_solver="full").fit(xfit)
    score("pca (32, whitened)", p.transform, a)
    eps_list = [float(e) for e in os.environ.get("EPS", "0.1").split(",")]
    ks = [int(k) for k in os.environ.get("KS", "256,32").split(",")]
    for eps in eps_list:
        for k in ks:
            for seed in [int(s) for s in os.environ.get("SEEDS", "0").split(",")]:
                t = time.time()
                feat, it, sizes = coates(xfit, k, eps, seed, int(os.environ.get("NINIT", "3")))
                score(f"kmeans k={k} eps={eps} rs={seed}", feat, a)
                print(f"    ({time.time() - t:.0f} s, {it} Lloyd iterations, clusters with <= 2 members: "
                      f"{(sizes <= 2).sum()})", flush=True)


if __name__ == "__main__":
    main()
