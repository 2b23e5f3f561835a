#include "metatrain/recompute.h"

#include <cstdint>
#include <cmath>

namespace mu {

UnrollResult unroll_grad_recompute(const Theta& theta, const Phi& phi0, const UnrollBatches& ub) {
  const int64_t n = check_unroll_batches(ub);
  const size_t U = ub.unlabelled.size();
  UnrollResult r;
  // Forward without a graph: keep every state, sum the objective.
  std::vector<Phi> states{phi0.detached()};
  {
    at::NoGradGuard ng;
    Theta th = theta.detached();
    UnrollStats s;
    at::Tensor unused;
    for (size_t t = 0; t < U; ++t) {
      states.push_back(unsupervised_step(th, states.back(), ub.unlabelled[t]).detached());
      add_step_objective(states.back(), t, ub, unused, &s);
    }
    r.loss = s.loss / double(n);
    r.cosine = s.cosine / double(n), r.ridge_penalty = s.ridge / double(n), r.accuracy = s.accuracy / double(n);
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
    add_step_objective(out, t, ub, obj, nullptr);
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
  set_gradient(r, std::move(gtheta), leaves);
  return r;
}

}  // namespace mu
