// The learner: Adam and clipping, counting and dropping failed and stale outputs, averaging a meta-batch into
// one update, skipping an update that would write a non-finite theta.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "metatrain/learner.h"

namespace {
mu::LearnerState state() {
  mu::LearnerState s;
  mu::RuleOptions ro;
  s.theta = mu::init_theta(1, ro);
  s.adam.init(s.theta.list());
  return s;
}
mu::WorkOutput output(const mu::LearnerState& s, float g, double loss = 1.0, int64_t U = 3) {
  mu::WorkOutput w;
  w.ok = true;
  w.U = U;
  w.result.loss = loss;
  w.result.accuracy = 0.5;
  for (const auto& t : s.theta.list()) w.result.grad.push_back(at::full_like(t, g));
  return w;
}
mu::MetaConfig config() {
  mu::MetaConfig c;
  c.lr = {1e-2}, c.lr_breaks = {};
  c.clip = 1e9;
  c.max_staleness = 1;
  return c;
}
}  // namespace

TEST(MetaTrainAdam, MatchesTheClosedFormFirstStepAndClips) {
  mu::Adam adam;
  std::vector<at::Tensor> p{at::ones({3})}, g{at::tensor({0.5f, -2.0f, 0.0f})};
  adam.init(p);
  auto out = adam.step(p, g, 0.1, 0.9, 0.999, 1e-8);
  // First Adam step moves each non-zero coordinate by lr * sign(g).
  EXPECT_NEAR(out[0][0].item<double>(), 0.9, 1e-6);
  EXPECT_NEAR(out[0][1].item<double>(), 1.1, 1e-6);
  EXPECT_NEAR(out[0][2].item<double>(), 1.0, 1e-6);
  std::vector<at::Tensor> big{at::full({4}, 10.0f)};
  double n = mu::clip_global_norm(big, 5.0);
  EXPECT_NEAR(n, 20.0, 1e-9);
  EXPECT_NEAR(big[0].norm().item<double>(), 5.0, 1e-5);
  std::vector<at::Tensor> small{at::full({4}, 1.0f)};
  EXPECT_NEAR(mu::clip_global_norm(small, 5.0), 2.0, 1e-9);
  EXPECT_TRUE(small[0].equal(at::full({4}, 1.0f)));  // under the norm: untouched
}

TEST(MetaTrainLearner, OfferCountsDropsFailedAndStaleOutputsAndAddsTheRest) {
  mu::Learner learner(config());
  mu::LearnerState s = state();
  s.step = 5;
  mu::MetaBatch b;
  mu::WorkOutput failed;
  failed.why = "non-finite";
  EXPECT_FALSE(learner.offer(s, failed, 5, b));
  EXPECT_FALSE(learner.offer(s, output(s, 1), 3, b));  // two updates old, max_staleness 1
  EXPECT_TRUE(learner.offer(s, output(s, 1), 4, b));
  EXPECT_TRUE(learner.offer(s, output(s, 3), 5, b));
  EXPECT_EQ(s.unrolls, 4);
  EXPECT_EQ(s.dropped_nonfinite, 1);
  EXPECT_EQ(s.dropped_stale, 1);
  ASSERT_EQ(b.n, 2);
  EXPECT_TRUE(b.sum[0].equal(at::full_like(b.sum[0], 4.0f)));
  EXPECT_DOUBLE_EQ(b.U, 6.0);
}

TEST(MetaTrainLearner, FiftyFailuresInARowStopTraining) {
  mu::Learner learner(config());
  mu::LearnerState s = state();
  mu::MetaBatch b;
  mu::WorkOutput failed;
  failed.why = "the rule diverged";
  for (int i = 0; i < 49; ++i) learner.offer(s, failed, 0, b);
  learner.offer(s, output(s, 1), 0, b);  // a success resets the count
  for (int i = 0; i < 49; ++i) learner.offer(s, failed, 0, b);
  try {
    learner.offer(s, failed, 0, b);
    FAIL() << "the 50th failure in a row must throw";
  } catch (const mu::Error& e) {
    EXPECT_NE(std::string(e.what()).find("the rule diverged"), std::string::npos);
  }
}

TEST(MetaTrainLearner, UpdateIsOneAdamStepOnTheBatchMean) {
  mu::MetaConfig c = config();
  mu::Learner learner(c);
  mu::LearnerState s = state(), ref = state();
  mu::MetaBatch b;
  learner.offer(s, output(s, 1, 2.0, 2), 0, b);
  learner.offer(s, output(s, 3, 4.0, 4), 0, b);
  mu::StepRecord r = learner.update(s, b);
  EXPECT_EQ(s.step, 1);
  EXPECT_EQ(r.step, 1);
  EXPECT_EQ(r.used, 2);
  EXPECT_DOUBLE_EQ(r.loss, 3.0);
  EXPECT_DOUBLE_EQ(r.u_mean, 3.0);
  EXPECT_DOUBLE_EQ(r.lr, 1e-2);
  std::vector<at::Tensor> mean;
  for (const auto& t : ref.theta.list()) mean.push_back(at::full_like(t, 2.0f));
  auto want = ref.adam.step(ref.theta.list(), mean, 1e-2, c.beta1, c.beta2, c.adam_eps);
  auto got = s.theta.list();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(at::allclose(got[i], want[i], 1e-6, 1e-7));
  EXPECT_EQ(s.adam.t, 1);
  EXPECT_NEAR(r.grad_norm, 2.0 * std::sqrt(double(s.theta.count())), 1e-3);
}

TEST(MetaTrainLearner, ANonFiniteUpdateIsSkippedAndAnEmptyBatchStillAdvances) {
  mu::Learner learner(config());
  mu::LearnerState s = state();
  const auto before = s.theta.list();
  mu::MetaBatch b;
  learner.offer(s, output(s, std::numeric_limits<float>::infinity()), 0, b);
  mu::StepRecord r = learner.update(s, b);
  EXPECT_FALSE(std::isfinite(r.grad_norm));
  EXPECT_EQ(s.dropped_nonfinite, 1);
  EXPECT_EQ(s.adam.t, 0);  // Adam's moments are not advanced either
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(s.theta.list()[i].equal(before[i]));
  mu::StepRecord e = learner.update(s, mu::MetaBatch{});
  EXPECT_EQ(s.step, 2);
  EXPECT_EQ(e.used, 0);
  EXPECT_TRUE(std::isnan(e.loss));
}
