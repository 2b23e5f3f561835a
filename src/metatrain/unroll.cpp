#include "metatrain/unroll.h"

#include <cstdint>
#include <cmath>

#include "common/error.h"

namespace mu {
namespace {
struct Forward {
  at::Tensor loss;
  double cosine = 0, ridge = 0, acc = 0;
  Phi phi;
};
Forward run(const Theta& th, const Phi& phi0, const UnrollBatches& ub) {
  MU_CHECK(!ub.unlabelled.empty() && ub.evals.size() == ub.unlabelled.size(),
           "an unroll needs U >= 1 unlabelled batches and one set of labelled pairs per step");
  Forward f;
  f.phi = phi0;
  at::Tensor total;
  int64_t n = 0;
  for (size_t t = 0; t < ub.unlabelled.size(); ++t) {
    f.phi = unsupervised_step(th, f.phi, ub.unlabelled[t]);
    for (const auto& [tr, te] : ub.evals[t]) {
      MetaObjectiveResult r = unroll_objective(f.phi, tr, te, ub);
      total = total.defined() ? total + r.loss : r.loss;
      f.cosine += r.cosine.item<double>();
      f.ridge += r.ridge_penalty.item<double>();
      f.acc += r.accuracy_test;
      ++n;
    }
  }
  MU_CHECK(n > 0, "an unroll needs at least one labelled pair per step");
  f.loss = total / double(n);
  f.cosine /= n, f.ridge /= n, f.acc /= n;
  return f;
}
}  // namespace

UnrollResult unroll_grad(const Theta& theta, const Phi& phi0, const UnrollBatches& ub) {
  Theta th = theta.requires_grad(true);
  std::vector<at::Tensor> leaves = th.list();
  Forward f = run(th, phi0.detached(), ub);
  UnrollResult r;
  r.loss = f.loss.item<double>();
  r.cosine = f.cosine, r.ridge_penalty = f.ridge, r.accuracy = f.acc;
  r.phi = f.phi.detached();
  if (!std::isfinite(r.loss)) {
    r.finite = false;
    return r;
  }
  r.grad = torch::autograd::grad({f.loss}, leaves, {}, false, false, true);
  for (size_t i = 0; i < r.grad.size(); ++i) {
    if (!r.grad[i].defined()) r.grad[i] = at::zeros_like(leaves[i]);
    if (!at::isfinite(r.grad[i]).all().item<bool>()) r.finite = false;
  }
  if (!r.finite) r.grad.clear();
  return r;
}

double unroll_loss(const Theta& theta, const Phi& phi0, const UnrollBatches& ub) {
  at::NoGradGuard ng;
  return run(theta.detached(), phi0.detached(), ub).loss.item<double>();
}

}  // namespace mu
