// Gradient estimators: the config picks full reverse mode or recomputation, both give the same meta-loss,
// meta-gradient and new state, and share the batch checks and the non-finite handling.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "common/random.h"
#include "metatrain/gradient_estimator.h"
#include "metatrain/recompute.h"

namespace {
mu::UnrollBatches batches(int64_t U, int64_t D, int64_t B, uint64_t seed) {
  mu::UnrollBatches ub;
  ub.classes = 2;
  at::Generator g = mu::make_generator(seed);
  auto labelled = [&](int64_t n) {
    at::Tensor y = at::arange(n, at::kLong).remainder(2);
    return mu::LabelledBatch{y.to(at::kFloat).unsqueeze(1) + 0.5 * at::rand({n, D}, g), y};
  };
  for (int64_t t = 0; t < U; ++t) {
    ub.unlabelled.push_back(at::rand({B, D}, g));
    ub.evals.push_back({{labelled(6), labelled(6)}});
  }
  return ub;
}

struct Unroll {
  mu::Theta theta;
  mu::Phi phi0;
  Unroll() {
    mu::RuleOptions ro;
    ro.eta = 0.05;
    theta = mu::init_theta(4, ro);
    phi0 = mu::init_phi(mu::make_arch(6, "10", 32), 2);
  }
};
}  // namespace

TEST(MetaTrainGradientEstimator, TheConfigsRecomputeKeyPicksTheEstimator) {
  mu::MetaConfig c;
  EXPECT_EQ(mu::make_gradient_estimator(c)->name(), "full-reverse");
  c.recompute = true;
  EXPECT_EQ(mu::make_gradient_estimator(c)->name(), "recompute");
}

TEST(MetaTrainGradientEstimator, BothEstimatorsAgreeAndMatchTheUnrollFunctions) {
  Unroll s;
  mu::UnrollBatches ub = batches(3, 6, 8, 21);
  mu::UnrollResult full = mu::FullReverseMode().estimate(s.theta, s.phi0, ub);
  mu::UnrollResult rec = mu::Recompute().estimate(s.theta, s.phi0, ub);
  ASSERT_TRUE(full.finite && rec.finite);
  // The same functions the benchmarks and gradient checks call.
  mu::UnrollResult plain = mu::unroll_grad(s.theta, s.phi0, ub);
  EXPECT_EQ(full.loss, plain.loss);
  for (size_t i = 0; i < full.grad.size(); ++i) EXPECT_TRUE(full.grad[i].equal(plain.grad[i]));
  EXPECT_EQ(rec.loss, mu::unroll_grad_recompute(s.theta, s.phi0, ub).loss);
  // Full reverse mode and recomputation: one meta-loss, one gradient, one new state (up to rounding).
  EXPECT_NEAR(full.loss, rec.loss, 1e-6 * std::abs(full.loss));
  EXPECT_NEAR(full.cosine, rec.cosine, 1e-6);
  EXPECT_NEAR(full.accuracy, rec.accuracy, 1e-12);
  EXPECT_NEAR(full.loss, mu::unroll_loss(s.theta, s.phi0, ub), 1e-6 * std::abs(full.loss));
  ASSERT_EQ(full.grad.size(), rec.grad.size());
  double gmax = 0;
  for (size_t i = 0; i < full.grad.size(); ++i) {
    EXPECT_TRUE(at::allclose(full.grad[i], rec.grad[i], 1e-3, 1e-7)) << s.theta.names[i];
    gmax = std::max(gmax, full.grad[i].abs().max().item<double>());
  }
  EXPECT_GT(gmax, 0.0);
  auto pa = full.phi.tensors(), pb = rec.phi.tensors();
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_FALSE(pa[i].requires_grad());
    EXPECT_TRUE(at::allclose(pa[i], pb[i], 1e-5, 1e-7));
  }
}

TEST(MetaTrainGradientEstimator, BatchesWithoutStepsOrPairsAreRefusedByBoth) {
  Unroll s;
  mu::UnrollBatches none;
  mu::UnrollBatches no_pairs = batches(2, 6, 8, 3);
  for (auto& e : no_pairs.evals) e.clear();
  for (const mu::UnrollBatches* ub : {&none, &no_pairs}) {
    EXPECT_THROW(mu::FullReverseMode().estimate(s.theta, s.phi0, *ub), mu::Error);
    EXPECT_THROW(mu::Recompute().estimate(s.theta, s.phi0, *ub), mu::Error);
  }
  EXPECT_EQ(mu::check_unroll_batches(batches(3, 6, 8, 3)), 3);
}

TEST(MetaTrainGradientEstimator, SetGradientFillsMissingEntriesAndRejectsNonFiniteOnes) {
  std::vector<at::Tensor> leaves{at::ones({2}), at::ones({3})};
  mu::UnrollResult r;
  mu::set_gradient(r, {at::full({2}, 0.5), at::Tensor()}, leaves);
  ASSERT_TRUE(r.finite);
  ASSERT_EQ(r.grad.size(), 2u);
  EXPECT_TRUE(r.grad[1].equal(at::zeros({3})));
  mu::UnrollResult bad;
  mu::set_gradient(bad, {at::full({2}, std::numeric_limits<float>::quiet_NaN()), at::zeros({3})}, leaves);
  EXPECT_FALSE(bad.finite);
  EXPECT_TRUE(bad.grad.empty());
}
