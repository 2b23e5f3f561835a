#include "rule/unsupervised_update.h"

#include <cstdint>
#include <ATen/record_function.h>

#include "common/error.h"
#include "rule/compute_h.h"
#include "rule/topd.h"
#include "rule/weight_update.h"

namespace mu {

Update compute_update(const Theta& th, const Phi& phi, const at::Tensor& x, Trace* tr) {
  MU_CHECK(th["merge.w"].scalar_type() == phi.W[0].scalar_type(), "theta and phi must have the same dtype");
  const Activations a = forward(phi, x);  // checks width, B >= 2 and finiteness
  const int64_t L = phi.layers(), B = x.size(0);
  const std::string bnc = "(B, N, C) [example, unit, channel]";
  std::vector<at::Tensor> d(L + 1), h(L + 1);
  std::vector<HReadout> R(L + 1);
  if (tr) tr->add("input", "(B, N^0) raw, unpermuted", x);
  // RECORD_FUNCTION scopes name the paper's blocks in `bench --profile` traces (free without a profiler).
  {
    RECORD_FUNCTION("mu::TopD", std::vector<c10::IValue>());
    d[L] = top_d(th, a.X[L], tr);  // (B, N^L, 32)
  }
  for (int64_t l = L; l >= 0; --l) {  // top to bottom: h^l, then delta^l and d^{l-1}
    LayerView v{a.X[l], a.Z[l], d[l], l >= 1 ? phi.b[l - 1] : at::Tensor(), l >= 1 ? phi.W[l - 1] : at::Tensor(),
                l < L ? phi.W[l] : at::Tensor()};
    {
      RECORD_FUNCTION("mu::ComputeH", std::vector<c10::IValue>());
      h[l] = compute_h(th, v);  // (B, N^l, 64)
      R[l] = read_h(th, h[l]);
    }
    const std::string ln = "layer" + std::to_string(l) + ".";
    if (tr) {
      tr->add(ln + "Z", "(B, N)", a.Z[l]);
      tr->add(ln + "X", "(B, N)", a.X[l]);
      tr->add(ln + "d", bnc, d[l]);
      tr->add(ln + "h", bnc, h[l]);
    }
    if (l == 0) break;
    // delta^l = d^l * sigmoid(Z^l) + h^l Theta_eW + theta_eB                     (B, q, 32)
    at::Tensor delta = d[l] * at::sigmoid(a.Z[l]).unsqueeze(2) + R[l].delta;
    // d^{l-1}[b, m, :] = sum_j V[m, j] delta[b, j, :], RMS-normalised over the 32 channels  (B, p, 32)
    const at::Tensor& V = phi.V[l - 1];
    const int64_t p = V.size(0), q = V.size(1);
    at::Tensor dt = at::mm(V, delta.permute({1, 0, 2}).reshape({q, -1})).view({p, B, 32}).permute({1, 0, 2});
    d[l - 1] = dt * at::rsqrt((dt * dt).mean(2, true) + 1e-6);
    if (tr) tr->add(ln + "delta", bnc, delta);
  }
  Update u;
  for (int64_t l = 1; l <= L; ++l) {  // layers are independent from here on
    RECORD_FUNCTION("mu::WeightUpdate", std::vector<c10::IValue>());
    const std::string ln = "layer" + std::to_string(l) + ".";
    PlaneInputs in{phi.W[l - 1], R[l].lowrr, R[l - 1].lowrr, standardise(a.X[l]), standardise(a.X[l - 1])};
    std::vector<at::Tensor> planes = weight_planes(in);
    at::Tensor merged, projected;
    u.dW.push_back(merge_planes(th, planes, normalised_columns(in.W), "", tr ? &merged : nullptr,
                                tr ? &projected : nullptr));
    if (th.options.identical_updates) {
      u.dV.push_back(u.dW.back());
    } else {  // the paper's variant: V's own update, computed from V with its own readouts and merge
      PlaneInputs iv{phi.V[l - 1], R[l].v_lowrr, R[l - 1].v_lowrr, in.Xt_top, in.Xt_bot};
      u.dV.push_back(merge_planes(th, weight_planes(iv), normalised_columns(iv.W), "v."));
    }
    u.db.push_back(bias_update(R[l].bias));
    if (tr) {
      for (int k = 0; k < 12; ++k) tr->add(ln + "plane." + kPlaneNames[k], "(N^{l-1}, N^l) weight-shaped", planes[k]);
      tr->add(ln + "What", "(N^{l-1}, N^l)", normalised_columns(in.W));
      tr->add(ln + "M_merged", "(N^{l-1}, N^l) merged planes, before do-not-shrink", merged);
      tr->add(ln + "M_projected", "(N^{l-1}, N^l) after do-not-shrink, before final nu", projected);
      tr->add(ln + "DeltaW", "(N^{l-1}, N^l)", u.dW.back());
      tr->add(ln + "DeltaV", "(N^{l-1}, N^l)", u.dV.back());
      tr->add(ln + "Deltab", "(N^l)", u.db.back());
    }
  }
  return u;
}

Phi apply_update(const Phi& phi, const Update& u, double eta) {
  for (const auto* v : {&u.dW, &u.dV, &u.db})
    for (const auto& t : *v)
      MU_CHECK(at::isfinite(t.detach()).all().item<bool>(),
               "the rule produced a non-finite update; phi left unchanged");
  Phi next = phi;
  for (int64_t l = 0; l < phi.layers(); ++l) {
    next.W[l] = phi.W[l] * (1 - eta) - eta * u.dW[l];
    next.V[l] = phi.V[l] * (1 - eta) - eta * u.dV[l];
    next.b[l] = phi.b[l] * (1 - eta) - eta * u.db[l];
  }
  return next;
}

Phi unsupervised_step(const Theta& th, const Phi& phi, const at::Tensor& x, Trace* tr) {
  return apply_update(phi, compute_update(th, phi, x, tr), th.options.eta);
}

}  // namespace mu
