#include "metatrain/learner.h"

#include <cmath>

#include "common/error.h"

namespace mu {

void Adam::init(const std::vector<at::Tensor>& params) {
  m.clear(), v.clear(), t = 0;
  for (const auto& p : params) m.push_back(at::zeros_like(p)), v.push_back(at::zeros_like(p));
}

std::vector<at::Tensor> Adam::step(const std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads,
                                   double lr, double b1, double b2, double eps) {
  MU_CHECK(params.size() == grads.size() && params.size() == m.size(), "Adam: parameter count mismatch");
  ++t;
  double c1 = 1.0 - std::pow(b1, double(t)), c2 = 1.0 - std::pow(b2, double(t));
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < params.size(); ++i) {
    m[i] = m[i] * b1 + grads[i] * (1.0 - b1);  // out of place: copies of an Adam share nothing mutable
    v[i] = v[i] * b2 + grads[i] * grads[i] * (1.0 - b2);
    out.push_back(params[i] - (m[i] / c1) / ((v[i] / c2).sqrt() + eps) * lr);
  }
  return out;
}

double clip_global_norm(std::vector<at::Tensor>& grads, double max_norm) {
  double sq = 0;
  for (const auto& g : grads) sq += g.to(at::kDouble).pow(2).sum().item<double>();
  double norm = std::sqrt(sq);
  if (norm > max_norm && std::isfinite(norm))
    for (auto& g : grads) g = g * (max_norm / norm);
  return norm;
}

bool all_finite(const std::vector<at::Tensor>& v) {
  for (const auto& t : v)
    if (!t.defined() || !at::isfinite(t).all().item<bool>()) return false;
  return true;
}

void MetaBatch::add(const WorkOutput& w) {
  if (sum.empty())
    sum = w.result.grad;
  else
    for (size_t i = 0; i < sum.size(); ++i) sum[i] = sum[i] + w.result.grad[i];
  ++n;
  loss += w.result.loss, cosine += w.result.cosine, ridge += w.result.ridge_penalty, acc += w.result.accuracy;
  U += double(w.U);
}

bool Learner::offer(LearnerState& s, const WorkOutput& w, int64_t version, MetaBatch& batch) {
  ++s.unrolls;
  if (!w.ok) {
    ++s.dropped_nonfinite;
    if (++consecutive_failures_ >= 50) throw Error("meta-train: 50 unrolls in a row failed; last: " + w.why);
    return false;
  }
  consecutive_failures_ = 0;
  if (s.step - version > cfg_.max_staleness) {
    ++s.dropped_stale;
    return false;
  }
  batch.add(w);
  return true;
}

StepRecord Learner::update(LearnerState& s, const MetaBatch& b) const {
  StepRecord r;
  r.lr = cfg_.lr_at(s.step);
  if (b.n > 0) {
    std::vector<at::Tensor> g;
    for (const auto& x : b.sum) g.push_back(x / double(b.n));
    r.grad_norm = clip_global_norm(g, cfg_.clip);
    Adam next = s.adam;
    std::vector<at::Tensor> vals = next.step(s.theta.list(), g, r.lr, cfg_.beta1, cfg_.beta2, cfg_.adam_eps);
    if (std::isfinite(r.grad_norm) && all_finite(vals)) {
      s.theta = s.theta.with(vals);
      s.adam = next;
    } else {
      ++s.dropped_nonfinite;
    }
    r.loss = b.loss / b.n, r.cosine = b.cosine / b.n, r.ridge = b.ridge / b.n;
    r.accuracy = b.acc / b.n, r.u_mean = b.U / b.n;
  } else {
    r.loss = r.cosine = r.ridge = r.accuracy = r.u_mean = NAN;
  }
  ++s.step;
  r.step = s.step;
  r.used = b.n;
  r.dropped_nonfinite = s.dropped_nonfinite, r.dropped_stale = s.dropped_stale;
  return r;
}

}  // namespace mu
