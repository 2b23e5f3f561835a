#!/usr/bin/python3
"""Independent float64 PyTorch reference of ONE application of the learned update rule.

Written from docs/maths.md sections 2-9 (UnsupervisedUpdate: base-model forward, TopD, ComputeH, error
propagation through V, the 12 weight-update planes with their LowRR readouts, merge, do-not-shrink,
final normalisation, the bias update and the phi step), with its own formulations: convolutions are
padded shift-and-sum einsums, LowRR is an einsum over (example, channel), the unit-mixing convolutions of
TopD are written on the (B, N^L, 64) layout directly. None of src/rule is used.

It writes the inputs and every intermediate tensor as .npy golden files into golden/ next to this file;
tests/rule/test_reference.cpp runs the C++ engine on the same inputs and compares tensor by tensor.

Inputs:
  * phi (W, V, b, the input permutation) and the batch x: drawn here with numpy's PCG64 and saved as
    .npy (x.npy, perm.npy, W1.npy, ...);
  * theta (114,670 values, too large to commit): every tensor is filled from a counter-based hash of its
    name (theta_values below) that uses only integer arithmetic and exactly rounded float operations, so
    the C++ test rebuilds bit-identical values; theta_checksums.txt lets the test confirm that it did.

Regenerate (needs Debian's PyTorch, not the pyenv python3 on PATH):
  apt-get install -y python3-torch python3-numpy
  /usr/bin/python3 tests/rule/reference/rule_reference.py
"""
import math
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden")

# Shapes: 2 hidden layers; the embedding must have 32 units (TopD's unit-mixing kernels are 32 x 32).
WIDTHS = [7, 6, 5, 32]
B = 3          # h^L alone is B * 32 * 64 values; B = 3 and widths 7, 6, 5 keep all goldens under 180 KB,
               # and every axis length (3, 5, 6, 7, 32) differs, so an axis mix-up cannot go unnoticed
ETA = 0.01     # a larger step than the default 1e-4, so that the new phi differs visibly from phi
PHI_SEED = 20190101

# ---------------------------------------------------------------------------------------------------
# theta: the inventory of docs/maths.md section 10 and the deterministic fill shared with the C++ test.

MASK = (1 << 64) - 1
LOWRR = ["0_order.top", "0_order.bottom", "1_order.top", "1_order.bottom", "rbf.top", "rbf.bottom",
         "lin_lower_symm.top", "lin_lower_symm.bottom", "sqr_lower_symm.top", "sqr_lower_symm.bottom",
         "lin_upper_symm.top", "lin_upper_symm.bottom", "sqr_upper_symm.top", "sqr_upper_symm.bottom",
         "lin_upper_psd"]
PLANES = ["0_order", "1_order", "decorr_x", "hebb", "large_decay", "lin_lower_symm", "lin_upper_psd",
          "lin_upper_symm", "rbf", "sqr_lower_symm", "sqr_upper_symm", "w_base"]


def inventory(paper_v):
    """(name, shape, scale, offset): value = offset + scale * (2u - 1), u uniform in [0, 1)."""
    s = []
    def conv(n, k, ci, co):
        s.append((n + ".w", (k, ci, co), math.sqrt(3.0 / (k * ci)), 0.0))  # std 1/sqrt(K Cin), as the init
        s.append((n + ".b", (co,), 0.2, 0.0))  # non-zero: inside ConvBN it must cancel in the batch norm
    def bn(n, c):
        s.append((n + ".beta", (c,), 0.2, 0.0))
    def lin(n, ci, co):
        s.append((n + ".w", (ci, co), math.sqrt(3.0 / ci), 0.0))
        s.append((n + ".b", (co,), 0.2, 0.0))
    conv("topd.conv1", 5, 1, 64); bn("topd.bn1", 64)
    conv("topd.uconv2", 3, 32, 32); bn("topd.bn2", 32)
    conv("topd.uconv3", 3, 32, 32); bn("topd.bn3", 32)
    conv("topd.conv4", 3, 64, 64); bn("topd.bn4", 64)
    conv("topd.conv5", 3, 64, 64); bn("topd.bn5", 64)
    conv("topd.out", 3, 64, 32)
    bn("computeh.bn_in", 36)
    conv("computeh.conv_a", 3, 45, 64); bn("computeh.bn_a", 64)
    for c, b in [("unit1a", "bn_1a"), ("unit1b", "bn_1b"), ("conv_b", "bn_b"), ("unit2a", "bn_2a"),
                 ("unit2b", "bn_2b")]:
        conv("computeh." + c, 3, 64, 64); bn("computeh." + b, 64)
    lin("readout.delta", 64, 32)
    lin("readout.bias", 64, 1)
    for n in LOWRR:
        lin("lowrr." + n, 64, 4)
    # Distinct merge weights around the initial 0.1, so that a plane swapped with another shows up.
    s.append(("merge.w", (12,), 0.05, 0.1))
    s.append(("merge.b", (1,), 0.05, 0.0))
    if paper_v:
        for n in LOWRR:
            lin("v.lowrr." + n, 64, 4)
        s.append(("v.merge.w", (12,), 0.05, 0.1))
        s.append(("v.merge.b", (1,), 0.05, 0.0))
    return s


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def mix64(z):  # the splitmix64 finaliser
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def theta_values(name, numel, scale, offset):
    """Element k: u = mix64(fnv1a64(name) + (k + 1) * golden gamma) >> 11, / 2^53 (exact);
    2u - 1 is exact; then one multiply and one add, each correctly rounded in C++ and Python alike."""
    seed, out = fnv1a64(name), []
    for k in range(numel):
        u = (mix64((seed + (k + 1) * 0x9E3779B97F4A7C15) & MASK) >> 11) * 2.0 ** -53
        out.append(offset + scale * (2.0 * u - 1.0))
    return out


def make_theta(paper_v):
    return {n: torch.tensor(theta_values(n, math.prod(shape), sc, off)).reshape(shape)
            for n, shape, sc, off in inventory(paper_v)}


# ---------------------------------------------------------------------------------------------------
# phi and x (docs/maths.md 2.2 scales: W, V ~ TN(0.01), b ~ TN(0.1)).

def make_inputs():
    rng = np.random.Generator(np.random.PCG64(PHI_SEED))
    def tn(shape, s):
        n = rng.standard_normal(shape)
        while (np.abs(n) > 2).any():
            bad = np.abs(n) > 2
            n[bad] = rng.standard_normal(int(bad.sum()))
        return s * n
    L = len(WIDTHS) - 1
    phi = {"W": [], "V": [], "b": []}
    for l in range(1, L + 1):
        phi["W"].append(torch.tensor(tn((WIDTHS[l - 1], WIDTHS[l]), 0.01)))
        phi["V"].append(torch.tensor(tn((WIDTHS[l - 1], WIDTHS[l]), 0.01)))
        phi["b"].append(torch.tensor(tn((WIDTHS[l],), 0.1)))
    perm = rng.permutation(WIDTHS[0])
    assert (perm != np.arange(WIDTHS[0])).any()
    phi["perm"] = torch.tensor(perm, dtype=torch.int64)
    x = torch.tensor(rng.random((B, WIDTHS[0])))  # pixel-like values in [0, 1)
    return phi, x


# ---------------------------------------------------------------------------------------------------
# Primitive operations (docs/maths.md 0.1). Every relu records its smallest |pre-activation|, so the
# script can tell whether a rounding-level difference could flip a unit (it reports the minimum).

RELU_MARGIN = [math.inf]


def relu(t):
    RELU_MARGIN[0] = min(RELU_MARGIN[0], t.abs().min().item())
    return torch.clamp(t, min=0.0)


def shifted(x, axis, o):
    """x[t + o] along axis, zero where t + o is off the end."""
    n = x.shape[axis]
    out = torch.zeros_like(x)
    if abs(o) >= n:
        return out
    src = x.narrow(axis, max(o, 0), n - abs(o))
    out.narrow(axis, max(-o, 0), n - abs(o)).copy_(src)
    return out


def conv_batch(x, ker, bias):
    """Cross-correlation along the example axis of x (B, N, Cin), SAME zero padding -> (B, N, Cout)."""
    K = ker.shape[0]
    y = bias.expand(x.shape[0], x.shape[1], -1).clone()
    for k in range(K):
        y = y + torch.einsum("bni,io->bno", shifted(x, 0, k - (K - 1) // 2), ker[k])
    return y


def conv_unit(x, ker, bias):
    """Cross-correlation along the unit axis of x (B, N, Cin): each example on its own."""
    K = ker.shape[0]
    y = bias.expand(x.shape[0], x.shape[1], -1).clone()
    for k in range(K):
        y = y + torch.einsum("bni,io->bno", shifted(x, 1, k - (K - 1) // 2), ker[k])
    return y


def bn_theta(t, beta, axes):
    """theta batch norm: statistics over `axes`, population variance, eps 1e-3, offset only."""
    mu = t.mean(dim=axes, keepdim=True)
    var = ((t - mu) ** 2).mean(dim=axes, keepdim=True)
    return (t - mu) / torch.sqrt(var + 1e-3) + beta


def conv_bn(x, conv, th, name, bn_name):
    # The convolution's own bias is added here: the batch norm must remove it exactly (docs/maths.md 0.1).
    return relu(bn_theta(conv(x, th[name + ".w"], th[name + ".b"]), th[bn_name + ".beta"], (0, 1)))


# ---------------------------------------------------------------------------------------------------
# The rule (docs/maths.md 2-9).

def forward(phi, x):
    X0 = x[:, phi["perm"]]
    Xs, Zs = [X0], [X0]                    # Z^0 := X^0
    for W, b in zip(phi["W"], phi["b"]):
        U = Xs[-1] @ W
        mu = U.mean(0)
        var = ((U - mu) ** 2).mean(0)
        Z = (U - mu) / torch.sqrt(var + 1e-6) + b
        Zs.append(Z)
        Xs.append(relu(Z))
    return Xs, Zs


def top_d(th, XL):
    t = conv_bn(XL[:, :, None], conv_batch, th, "topd.conv1", "topd.bn1")      # (B, 32, 64)
    for c, bn in [("topd.uconv2", "topd.bn2"), ("topd.uconv3", "topd.bn3")]:
        # y[b, o, c] = bias[o] + sum_k sum_j t[b + k - 1, j, c] Ker[k, j, o]: units are the channels,
        # the sequence runs along the examples, each feature channel c on its own.
        ker, bias = th[c + ".w"], th[c + ".b"]
        y = bias[None, :, None].expand_as(t).clone()
        for k in range(3):
            y = y + torch.einsum("bjc,jo->boc", shifted(t, 0, k - 1), ker[k])
        t = relu(bn_theta(y, th[bn + ".beta"][None, :, None], (0, 2)))    # per unit over (b, c)
    t = conv_bn(t, conv_batch, th, "topd.conv4", "topd.bn4")
    t = conv_bn(t, conv_batch, th, "topd.conv5", "topd.bn5")
    return conv_batch(t, th["topd.out.w"], th["topd.out.b"])              # (B, 32, 32)


def four_stats(w, axis):
    m = w.mean(axis)
    return torch.stack([w.abs().mean(axis), torch.sqrt((w ** 2).mean(axis) + 1e-6), m,
                        torch.sqrt(((w - w.mean(axis, keepdim=True)) ** 2).mean(axis) + 1e-8)], 1)


def compute_h(th, X, Z, d, bias, W_in, W_out):
    Bn, N = X.shape
    s_in = four_stats(W_in, 0) if W_in is not None else four_stats(W_out, 1)
    s_out = four_stats(W_out, 1) if W_out is not None else s_in
    S = torch.cat([s_in, s_out], 1)                                     # (N, 8)
    S = S / torch.sqrt((S ** 2).mean() + 1e-6)
    a = torch.tensor([4 * math.pi * j / (N - 1) for j in range(N)])
    dyn = torch.cat([X[:, :, None], Z[:, :, None], torch.sin(a).expand(Bn, N)[:, :, None],
                     torch.cos(a).expand(Bn, N)[:, :, None], d], 2)     # (B, N, 36)
    dyn = bn_theta(dyn, th["computeh.bn_in.beta"], (0, 1))
    bias_ch = (bias if bias is not None else torch.zeros(N)).expand(Bn, N)[:, :, None]
    F = torch.cat([S.expand(Bn, N, 8), bias_ch, dyn], 2)                # (B, N, 45)
    cb = lambda x, conv, c, b: conv_bn(x, conv, th, "computeh." + c, "computeh." + b)
    a1 = cb(F, conv_batch, "conv_a", "bn_a")
    a2 = a1 + cb(cb(a1, conv_unit, "unit1a", "bn_1a"), conv_unit, "unit1b", "bn_1b")
    a3 = cb(a2, conv_batch, "conv_b", "bn_b")
    return a3 + cb(cb(a3, conv_unit, "unit2a", "bn_2a"), conv_unit, "unit2b", "bn_2b")


def proj(th, prefix, name, h):
    return h @ th[prefix + "lowrr." + name + ".w"] + th[prefix + "lowrr." + name + ".b"]  # (B, N, 4)


def low_rr(Rb, Rt):
    return torch.einsum("bmc,bnc->mn", Rb, Rt) / (4 * Rb.shape[0])


def colnorm1(M):  # nu: per-column, epsilon 1
    return M / torch.sqrt(1 + (M ** 2).mean(0, keepdim=True))


def standardise(X):
    c = X - X.mean(0)
    return c / torch.sqrt((c ** 2).mean(0) + 1e-6)


def weight_update(th, prefix, W, h_top, h_bot, X_top, X_bot):
    """DeltaW (7.1-7.3) from the matrix W (W^l, or V^l for the paper's V update); returns a dict."""
    p, q = W.shape
    What = W / torch.sqrt((W ** 2).mean(0, keepdim=True) + 1e-6)
    Xt, Xb = standardise(X_top), standardise(X_bot)
    pair = lambda n: low_rr(proj(th, prefix, n + ".bottom", h_bot), proj(th, prefix, n + ".top", h_top))
    def sym(n, h):
        S = low_rr(proj(th, prefix, n + ".bottom", h), proj(th, prefix, n + ".top", h))
        M = (S + S.T) / math.sqrt(2)
        return (M - torch.diag(torch.diag(M))) / math.sqrt(S.shape[0])
    G = torch.sqrt(1 + What ** 2) - 1
    sgn = torch.sign(What)
    Q = What @ (Xt.T @ Xt) / (B * math.sqrt(q))
    R_psd = proj(th, prefix, "lin_upper_psd", h_top)
    planes = {
        "0_order": pair("0_order"),
        "1_order": What * pair("1_order"),
        "decorr_x": Q / torch.sqrt((Q ** 2).mean() + 1e-8),
        "hebb": -(Xb.T @ Xt) / B,
        "large_decay": What ** 2 * sgn,
        "lin_lower_symm": sym("lin_lower_symm", h_bot) @ What,
        "lin_upper_psd": What @ (low_rr(R_psd, R_psd) / math.sqrt(q)),
        "lin_upper_symm": What @ sym("lin_upper_symm", h_top),
        "rbf": torch.exp(-What ** 2) * pair("rbf"),
        "sqr_lower_symm": (sym("sqr_lower_symm", h_bot) @ G) * sgn,
        "sqr_upper_symm": (G @ sym("sqr_upper_symm", h_top)) * sgn,
        "w_base": What,
    }
    m = th[prefix + "merge.w"]
    M1 = (th[prefix + "merge.b"] + sum(m[k] * colnorm1(planes[n]) for k, n in enumerate(PLANES))) / 12
    s = max(0.0, (M1 * What).mean().item())
    M2 = M1 - s * What
    return {"What": What, "planes": planes, "M_merged": M1, "M_projected": M2, "s": s,
            "DeltaW": colnorm1(M2 / math.sqrt(12)) - What / 7}


def bias_update(th, h):
    c = (h @ th["readout.bias.w"] + th["readout.bias.b"])[:, :, 0].mean(0)   # (N)
    shift = max(0.0, -c.mean().item())
    c = c + shift
    return c / torch.sqrt(0.5 + (c ** 2).mean()), shift


def one_application(th, phi, x, paper_v):
    L = len(phi["W"])
    Xs, Zs = forward(phi, x)
    d, h = [None] * (L + 1), [None] * (L + 1)
    g = {"input": x}
    d[L] = top_d(th, Xs[L])
    g["topd.d"] = d[L]
    for l in range(L, -1, -1):
        h[l] = compute_h(th, Xs[l], Zs[l], d[l], phi["b"][l - 1] if l >= 1 else None,
                         phi["W"][l - 1] if l >= 1 else None, phi["W"][l] if l < L else None)
        for k, v in [("Z", Zs[l]), ("X", Xs[l]), ("d", d[l]), ("h", h[l])]:
            g["layer%d.%s" % (l, k)] = v
        if l == 0:
            break
        sig = 1 / (1 + torch.exp(-Zs[l]))
        delta = d[l] * sig[:, :, None] + h[l] @ th["readout.delta.w"] + th["readout.delta.b"]
        e = torch.einsum("mj,bjc->bmc", phi["V"][l - 1], delta)
        d[l - 1] = e / torch.sqrt((e ** 2).mean(2, keepdim=True) + 1e-6)
        g["layer%d.delta" % l] = delta
    new = {"W": [], "V": [], "b": []}
    notes = []
    for l in range(1, L + 1):
        ln = "layer%d." % l
        w = weight_update(th, "", phi["W"][l - 1], h[l], h[l - 1], Xs[l], Xs[l - 1])
        for n in PLANES:
            g[ln + "plane." + n] = w["planes"][n]
        for k in ["What", "M_merged", "M_projected", "DeltaW"]:
            g[ln + k] = w[k]
        dV = (weight_update(th, "v.", phi["V"][l - 1], h[l], h[l - 1], Xs[l], Xs[l - 1])["DeltaW"]
              if paper_v else w["DeltaW"])
        g[ln + "DeltaV"] = dV
        db, shift = bias_update(th, h[l])
        g[ln + "Deltab"] = db
        notes.append("layer %d: do-not-shrink s = %.3g, bias shift = %.3g" % (l, w["s"], shift))
        for k, old, upd in [("W", phi["W"][l - 1], w["DeltaW"]), ("V", phi["V"][l - 1], dV),
                            ("b", phi["b"][l - 1], db)]:
            g["new.%s%d" % (k, l)] = (1 - ETA) * old - ETA * upd
    return g, notes


# ---------------------------------------------------------------------------------------------------

# The tensors committed as goldens. layerL.d is topd.d; layer*.DeltaV equals DeltaW with identical
# updates; layer*.delta is checked through d^{l-1} (B N 32 values a layer: left out to keep the size down).
def golden_names(g, L):
    skip = {"input", "topd.d"} | {"layer%d.DeltaV" % l for l in range(1, L + 1)} | \
           {"layer%d.delta" % l for l in range(1, L + 1)}
    return [n for n in g if n not in skip]


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    phi, x = make_inputs()
    L = len(WIDTHS) - 1
    np.save(os.path.join(OUT, "x.npy"), x.numpy())
    np.save(os.path.join(OUT, "perm.npy"), phi["perm"].numpy())
    for l in range(1, L + 1):
        for k in "WVb":
            np.save(os.path.join(OUT, "%s%d.npy" % (k, l)), phi[k][l - 1].numpy())
    th = make_theta(paper_v=True)
    with open(os.path.join(OUT, "theta_checksums.txt"), "w") as f:
        f.write("# name, sum of |value| (theta is rebuilt by the test from theta_values in rule_reference.py)\n")
        for n, *_ in inventory(paper_v=True):
            f.write("%s %.17g\n" % (n, th[n].abs().sum().item()))
    g, notes = one_application(th, phi, x, paper_v=False)
    names = golden_names(g, L)
    for n in names:
        np.save(os.path.join(OUT, n + ".npy"), g[n].numpy())
    # The paper's own V update (identical_updates off): only DeltaV and the new V differ.
    gv, _ = one_application(th, phi, x, paper_v=True)
    for l in range(1, L + 1):
        for n in ["layer%d.DeltaV" % l, "new.V%d" % l]:
            np.save(os.path.join(OUT, "paper_v." + n + ".npy"), gv[n].numpy())
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("# widths %s, B %d, eta %g: golden tensors of one application, named as in the trace\n"
                % ("-".join(map(str, WIDTHS)), B, ETA))
        f.write("\n".join(names) + "\n")
    size = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d files, %d bytes, to %s" % (len(os.listdir(OUT)), size, OUT))
    print("\n".join(notes))
    print("smallest |pre-activation| of any ReLU: %.3g" % RELU_MARGIN[0])


if __name__ == "__main__":
    main()
