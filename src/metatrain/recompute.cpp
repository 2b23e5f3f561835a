#include "metatrain/recompute.h"

#include <cstdint>
#include <cmath>

#include "common/error.h"

namespace mu {

UnrollResult unroll_grad_recompute(const Theta& theta, const Phi& phi0, const UnrollBatches& ub) {
  const size_t U = ub.unlabelled.size();
  MU_CHECK(U >= 1 && ub.evals.size() == U,
           "an unroll needs U >= 1 unlabelled batches and one set of labelled pairs per step");
  int64_t n = 0;
  for (const auto& e : ub.evals) n += int64_t(e.size());
  MU_CHECK(n > 0, "an unroll needs at least one labelled pair per step");
  UnrollResult r;
  // Forward without a graph: keep every state, sum the objective.
  std::vector<Phi> states{phi0.detached()};
  {
    at::NoGradGuard ng;
    Theta th = theta.detached();
    double total = 0;
    for (size_t t = 0; t < U; ++t) {
      states.push_back(unsupervised_step(th, states.back(), ub.unlabelled[t]).detached());
      for (const auto& [tr, te] : ub.evals[t]) {
        MetaObjectiveResult m = unroll_objective(states.back(), tr, te, ub);
        total += m.loss.item<double>();
        r.cosine += m.cosine.item<double>();
        r.ridge_penalty += m.ridge_penalty.item<double>();
        r.accuracy += m.accuracy_test;
      }
    }
    r.loss = total / double(n);
    r.cosine /= double(n), r.ridge_penalty /= double(n), r.accuracy /= double(n);
  }
  r.phi = states.back();
  if (!std::isfinite(r.loss)) {
    r.finite = false;
    return r;
  }
  // Backward: g holds dL/dphi_{t+1} (undefined = zero) while step t is recomputed.
  Theta th = theta.requires_grad(true);
  std::vector<at::Tensor> leaves = th.list();
  std::vector<at::Tensor> gtheta(leaves.size());
  std::vector<at::Tensor> g;
  for (size_t t = U; t-- > 0;) {
    Phi in = states[t].requires_grad(t > 0);
    Phi out = unsupervised_step(th, in, ub.unlabelled[t]);
    at::Tensor obj;
    for (const auto& [tr, te] : ub.evals[t]) {
      at::Tensor l = unroll_objective(out, tr, te, ub).loss;
      obj = obj.defined() ? obj + l : l;
    }
    obj = obj / double(n);
    std::vector<at::Tensor> outs = out.tensors();
    if (!g.empty())
      for (size_t i = 0; i < outs.size(); ++i)
        if (g[i].defined()) obj = obj + (outs[i] * g[i]).sum();
    std::vector<at::Tensor> wrt = leaves;
    std::vector<at::Tensor> ins = in.tensors();
    if (t > 0) wrt.insert(wrt.end(), ins.begin(), ins.end());
    std::vector<at::Tensor> grads = torch::autograd::grad({obj}, wrt, {}, false, false, true);
    for (size_t i = 0; i < leaves.size(); ++i)
      if (grads[i].defined()) gtheta[i] = gtheta[i].defined() ? gtheta[i] + grads[i] : grads[i];
    g.assign(grads.begin() + leaves.size(), grads.end());
  }
  r.grad = std::move(gtheta);
  for (size_t i = 0; i < r.grad.size(); ++i) {
    if (!r.grad[i].defined()) r.grad[i] = at::zeros_like(leaves[i]);
    if (!at::isfinite(r.grad[i]).all().item<bool>()) r.finite = false;
  }
  if (!r.finite) r.grad.clear();
  return r;
}

}  // namespace mu
