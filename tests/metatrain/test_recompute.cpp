// Recomputation (checkpoint every inner step, recompute in the backward pass) gives unroll_grad's gradient.
#include <gtest/gtest.h>

#include <string>

#include "common/random.h"
#include "metatrain/recompute.h"
#include "metatrain/tasks.h"

namespace {
mu::UnrollBatches batches(int64_t U, int64_t D, int64_t B, uint64_t seed) {
  mu::UnrollBatches ub;
  ub.classes = 3;
  at::Generator g = mu::make_generator(seed);
  at::Tensor centres = at::rand({3, D}, g);
  auto labelled = [&](int64_t n) {
    at::Tensor y = at::arange(n, at::kLong).remainder(3);
    return mu::LabelledBatch{centres.index_select(0, y) + 0.3 * at::rand({n, D}, g), y};
  };
  for (int64_t t = 0; t < U; ++t) {
    ub.unlabelled.push_back(at::rand({B, D}, g));
    ub.evals.push_back({{labelled(9), labelled(9)}, {labelled(9), labelled(9)}});
  }
  return ub;
}
}  // namespace

TEST(MetaTrainRecompute, GradientEqualsPlainUnroll) {
  mu::RuleOptions ro;
  ro.eta = 0.05;  // large enough that phi_t depends visibly on earlier steps
  for (bool identical : {true, false}) {
    ro.identical_updates = identical;
    mu::Theta theta = mu::init_theta(3, ro);
    mu::Phi phi0 = mu::init_phi(mu::make_arch(10, "16,12", 32), 5);
    mu::UnrollBatches ub = batches(3, 10, 8, 11);
    mu::UnrollResult a = mu::unroll_grad(theta, phi0, ub);
    mu::UnrollResult b = mu::unroll_grad_recompute(theta, phi0, ub);
    ASSERT_TRUE(a.finite && b.finite);
    EXPECT_NEAR(a.loss, b.loss, 1e-6 * std::abs(a.loss));
    EXPECT_NEAR(a.accuracy, b.accuracy, 1e-12);
    ASSERT_EQ(a.grad.size(), b.grad.size());
    double num = 0, den = 0, gmax = 0;
    for (size_t i = 0; i < a.grad.size(); ++i) {
      num += (a.grad[i] - b.grad[i]).to(at::kDouble).pow(2).sum().item<double>();
      den += a.grad[i].to(at::kDouble).pow(2).sum().item<double>();
      EXPECT_TRUE(at::allclose(a.grad[i], b.grad[i], 1e-3, 1e-7)) << theta.names[i];
      gmax = std::max(gmax, a.grad[i].abs().max().item<double>());
    }
    EXPECT_GT(gmax, 0.0);
    EXPECT_LT(std::sqrt(num / den), 1e-4);
    auto pa = a.phi.tensors(), pb = b.phi.tensors();
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(at::allclose(pa[i], pb[i], 1e-5, 1e-7));
  }
}

// The MetaObjective read out from the last hidden layer (readout_below_top = 1, ridge penalty 10): the
// unroll's loss is that readout's, and recomputation still gives the plain unroll's gradient.
TEST(MetaTrainRecompute, HiddenLayerReadoutIsTheObjectiveAndRecomputes) {
  mu::RuleOptions ro;
  ro.eta = 0.05;
  mu::Theta theta = mu::init_theta(3, ro);
  mu::Phi phi0 = mu::init_phi(mu::make_arch(10, "16,12", 32), 5);
  mu::UnrollBatches ub = batches(2, 10, 8, 12);
  mu::UnrollResult top = mu::unroll_grad(theta, phi0, ub);
  ub.readout_below_top = 1;
  ub.lambda = 10.0;
  mu::UnrollResult a = mu::unroll_grad(theta, phi0, ub), b = mu::unroll_grad_recompute(theta, phi0, ub);
  ASSERT_TRUE(a.finite && b.finite);
  EXPECT_NE(a.loss, top.loss);
  // By hand: the ridge readout (penalty 10) of the 12-unit hidden layer after each step, averaged over the
  // 2 steps x 2 pairs.
  {
    at::NoGradGuard ng;
    mu::Phi p = phi0;
    double want = 0;
    for (size_t t = 0; t < 2; ++t) {
      p = mu::unsupervised_step(theta, p, ub.unlabelled[t]);
      for (const auto& [tr, te] : ub.evals[t]) want += mu::meta_objective(p.below_top(1), tr, te, 3, 10.0).loss.item<double>();
    }
    EXPECT_NEAR(a.loss, want / 4, 1e-5 * std::abs(want));
  }
  EXPECT_NEAR(a.loss, b.loss, 1e-6 * std::abs(a.loss));
  double num = 0, den = 0;
  for (size_t i = 0; i < a.grad.size(); ++i) {
    num += (a.grad[i] - b.grad[i]).to(at::kDouble).pow(2).sum().item<double>();
    den += a.grad[i].to(at::kDouble).pow(2).sum().item<double>();
  }
  EXPECT_GT(den, 0.0);
  EXPECT_LT(std::sqrt(num / den), 1e-4);
  ub.readout_below_top = 3;  // below the first hidden layer of a 2-hidden-layer network
  EXPECT_THROW(mu::unroll_grad(theta, phi0, ub), std::exception);
}

TEST(MetaTrainRecompute, GradientsThroughLaterStepsMatter) {
  // The backward pass must carry dL/dphi through the steps: dropping that carry (recomputing each step
  // from its own state only) changes the gradient, so the equality above is not vacuous.
  mu::RuleOptions ro;
  ro.eta = 0.05;
  mu::Theta theta = mu::init_theta(3, ro);
  mu::Phi phi0 = mu::init_phi(mu::make_arch(10, "16,12", 32), 5);
  mu::UnrollBatches ub = batches(3, 10, 8, 11);
  mu::UnrollResult full = mu::unroll_grad(theta, phi0, ub);
  // Sum of per-step one-step gradients, each weighted like in the full unroll.
  std::vector<at::Tensor> local;
  mu::Phi phi = phi0;
  for (size_t t = 0; t < 3; ++t) {
    mu::UnrollBatches one;
    one.classes = ub.classes;
    one.unlabelled = {ub.unlabelled[t]};
    one.evals = {ub.evals[t]};
    mu::UnrollResult r = mu::unroll_grad(theta, phi, one);
    for (size_t i = 0; i < r.grad.size(); ++i) {
      at::Tensor g = r.grad[i] / 3.0;
      if (local.size() <= i) local.push_back(g); else local[i] = local[i] + g;
    }
    phi = r.phi;
  }
  double diff = 0;
  for (size_t i = 0; i < local.size(); ++i) diff += (local[i] - full.grad[i]).abs().sum().item<double>();
  EXPECT_GT(diff, 0.0);
}
