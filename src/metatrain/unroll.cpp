#include "metatrain/unroll.h"

#include <cstdint>
#include <cmath>

#include "common/error.h"

namespace mu {

int64_t check_unroll_batches(const UnrollBatches& ub) {
  MU_CHECK(!ub.unlabelled.empty() && ub.evals.size() == ub.unlabelled.size(),
           "an unroll needs U >= 1 unlabelled batches and one set of labelled pairs per step");
  int64_t n = 0;
  for (const auto& e : ub.evals) n += int64_t(e.size());
  MU_CHECK(n > 0, "an unroll needs at least one labelled pair per step");
  return n;
}

void add_step_objective(const Phi& phi, size_t t, const UnrollBatches& ub, at::Tensor& total, UnrollStats* stats) {
  for (const auto& [tr, te] : ub.evals[t]) {
    MetaObjectiveResult r = unroll_objective(phi, tr, te, ub);
    total = total.defined() ? total + r.loss : r.loss;
    if (!stats) continue;
    stats->loss += r.loss.item<double>();
    stats->cosine += r.cosine.item<double>();
    stats->ridge += r.ridge_penalty.item<double>();
    stats->accuracy += r.accuracy_test;
  }
}

void set_gradient(UnrollResult& r, std::vector<at::Tensor> grads, const std::vector<at::Tensor>& leaves) {
  r.grad = std::move(grads);
  for (size_t i = 0; i < r.grad.size(); ++i) {
    if (!r.grad[i].defined()) r.grad[i] = at::zeros_like(leaves[i]);
    if (!at::isfinite(r.grad[i]).all().item<bool>()) r.finite = false;
  }
  if (!r.finite) r.grad.clear();
}

namespace {
struct Forward {
  at::Tensor loss;  // scalar, J averaged over the U*M evaluations
  UnrollStats stats;
  Phi phi;
};
Forward run(const Theta& th, const Phi& phi0, const UnrollBatches& ub) {
  const int64_t n = check_unroll_batches(ub);
  Forward f;
  f.phi = phi0;
  at::Tensor total;
  for (size_t t = 0; t < ub.unlabelled.size(); ++t) {
    f.phi = unsupervised_step(th, f.phi, ub.unlabelled[t]);
    add_step_objective(f.phi, t, ub, total, &f.stats);
  }
  f.loss = total / double(n);
  return f;
}
}  // namespace

UnrollResult unroll_grad(const Theta& theta, const Phi& phi0, const UnrollBatches& ub) {
  Theta th = theta.requires_grad(true);
  std::vector<at::Tensor> leaves = th.list();
  Forward f = run(th, phi0.detached(), ub);
  const double n = double(check_unroll_batches(ub));
  UnrollResult r;
  r.loss = f.loss.item<double>();
  r.cosine = f.stats.cosine / n, r.ridge_penalty = f.stats.ridge / n, r.accuracy = f.stats.accuracy / n;
  r.phi = f.phi.detached();
  if (!std::isfinite(r.loss)) {
    r.finite = false;
    return r;
  }
  set_gradient(r, torch::autograd::grad({f.loss}, leaves, {}, false, false, true), leaves);
  return r;
}

double unroll_loss(const Theta& theta, const Phi& phi0, const UnrollBatches& ub) {
  at::NoGradGuard ng;
  return run(theta.detached(), phi0.detached(), ub).loss.item<double>();
}

}  // namespace mu
