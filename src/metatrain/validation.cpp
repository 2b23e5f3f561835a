#include "metatrain/validation.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "common/error.h"
#include "common/random.h"
#include "eval/analysis.h"

namespace mu {

Validation make_validation(const MetaConfig& cfg, const TaskData& data, at::Device device) {
  Validation v;
  v.features_below_top = cfg.readout_below_top;  // validate what meta-training optimises
  v.lambda = cfg.readout_lambda;
  for (int64_t i = 0; i < cfg.val_tasks; ++i) {
    // Sampler indices of their own (training draws derive_seed(seed, 1, slot, serial)): the same tasks,
    // networks and batches for every theta, and on resume.
    uint64_t seed = derive_seed(cfg.seed, 0x7a1, uint64_t(i));
    TaskInstance t = sample_task(cfg, data, seed);
    UnrollBatches ub = sample_unroll(cfg, data, t, std::max<int64_t>(1, cfg.val_steps), derive_seed(seed, 5));
    Validation::Item it;
    it.phi0 = task_phi(t, device);
    it.unlabelled.assign(ub.unlabelled.begin(), ub.unlabelled.begin() + cfg.val_steps);
    it.evals = ub.evals.back();
    it.classes = ub.classes;
    v.items.push_back(std::move(it));
  }
  return v;
}

namespace {
void check_ridge_penalty(double lambda) {
  MU_CHECK(lambda > 0 && std::isfinite(lambda), "the ridge penalty must be positive and finite");
}

// MetaObjective, ridge accuracy and pc1 of one task's features; `features` maps inputs (n, N^0) to (n, D).
template <class Features>
Validation::ItemResult score_item(const Validation::Item& it, const Features& features, double lambda = 0.1) {
  Validation::ItemResult r;
  double loss = 0, acc = 0;
  std::vector<at::Tensor> xs;
  for (const auto& [tr, te] : it.evals) {
    MetaObjectiveResult m = meta_objective_on_features(features(at::cat({tr.x, te.x}, 0)), tr, te, it.classes, lambda);
    loss += m.loss.item<double>();
    acc += m.accuracy_test;
    xs.push_back(tr.x);
    xs.push_back(te.x);
  }
  r.loss = loss / double(it.evals.size());
  r.accuracy = acc / double(it.evals.size());
  r.pc1 = cumulative_explained_variance(features(at::cat(xs)))[0];  // features (n, D)
  return r;
}
}  // namespace

std::vector<Validation::ItemResult> Validation::evaluate_items(const Theta& theta, double lambda) const {
  check_ridge_penalty(lambda);
  at::NoGradGuard ng;
  Theta th = theta.detached();
  std::vector<ItemResult> out;
  for (const auto& it : items) {
    Phi phi = it.phi0;
    try {
      for (const auto& x : it.unlabelled) phi = unsupervised_step(th, phi, x);
    } catch (const std::exception&) {
      out.push_back(ItemResult{});
      continue;
    }
    const Phi read = phi.below_top(features_below_top);
    out.push_back(score_item(it, [&](const at::Tensor& x) { return embed(read, x); }, lambda));
  }
  return out;
}

std::vector<Validation::ItemResult> Validation::evaluate_reference(const std::string& kind, double lambda) const {
  MU_CHECK(kind == "raw" || kind == "init", "validation reference must be raw or init, not " + kind);
  check_ridge_penalty(lambda);
  at::NoGradGuard ng;
  std::vector<ItemResult> out;
  for (const auto& it : items) {
    if (kind == "raw")
      out.push_back(score_item(it, [](const at::Tensor& x) { return x; }, lambda));
    else
      out.push_back(score_item(it, [&](const at::Tensor& x) { return embed(it.phi0.below_top(features_below_top), x); }, lambda));
  }
  return out;
}

std::pair<double, double> Validation::evaluate(const Theta& theta) const {
  if (items.empty()) return {NAN, NAN};
  double loss = 0, acc = 0;
  for (const ItemResult& r : evaluate_items(theta, lambda)) {
    if (!std::isfinite(r.loss)) return {NAN, NAN};  // one failed task fails the validation
    loss += r.loss;
    acc += r.accuracy;
  }
  return {loss / double(items.size()), acc / double(items.size())};
}

}  // namespace mu
