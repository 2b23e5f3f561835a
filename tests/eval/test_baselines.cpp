#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "common/random.h"
#include "data/dataset.h"
#include "eval/baselines.h"

namespace {
std::pair<at::Tensor, at::Tensor> blobs(int64_t K, int64_t n_per, int64_t D, double spread, uint64_t seed) {
  at::Generator g = mu::make_generator(seed);
  at::Tensor centres = at::normal(0.0, 1.0, {K, D}, g) * 4;
  at::Tensor y = at::arange(K, at::kLong).repeat_interleave(n_per);
  at::Tensor x = centres.index_select(0, y) + at::normal(0.0, spread, {K * n_per, D}, g);
  return {x.to(at::kFloat), y};
}
}  // namespace

TEST(EvalBaselines, EmbedReferenceEqualsBatchEmbeddingOnTheSameBatch) {
  mu::Phi phi = mu::init_phi(mu::make_arch(12, "16x2", 8), 1);
  at::Tensor x = at::rand({20, 12}, mu::make_generator(2));
  EXPECT_TRUE(at::allclose(mu::embed_reference(phi, x, x), mu::embed(phi, x), 1e-4, 1e-5));
  // With a fixed reference, an example's features do not depend on the other examples embedded with it.
  at::Tensor ref = at::rand({50, 12}, mu::make_generator(3));
  at::Tensor a = mu::embed_reference(phi, ref, x);
  at::Tensor b = mu::embed_reference(phi, ref, x.narrow(0, 0, 5));
  EXPECT_TRUE(at::allclose(a.narrow(0, 0, 5), b, 1e-5, 1e-6));
}

TEST(EvalBaselines, PcaReconstructsLowRankDataExactly) {
  at::Generator g = mu::make_generator(4);
  at::Tensor basis = at::normal(0.0, 1.0, {5, 30}, g, at::TensorOptions().dtype(at::kDouble));
  at::Tensor codes = at::normal(0.0, 1.0, {200, 5}, g, at::TensorOptions().dtype(at::kDouble));
  at::Tensor x = (at::mm(codes, basis) + 3.0).to(at::kFloat);
  mu::Pca p = mu::fit_pca(x, 5, true);
  at::Tensor z = p.transform(x);
  EXPECT_TRUE(at::allclose(p.inverse_transform(z), x, 1e-3, 1e-3));
  // Whitened: identity covariance (unbiased).
  at::Tensor zc = z.to(at::kDouble) - z.to(at::kDouble).mean(0);
  at::Tensor cov = at::mm(zc.t(), zc) / 199.0;
  EXPECT_TRUE(at::allclose(cov, at::eye(5, at::kDouble), 1e-4, 1e-4));
  // Fewer components than the rank: explained variance in decreasing order, orthonormal components.
  mu::Pca q = mu::fit_pca(x, 3, false);
  EXPECT_GE(q.variance[0].item<double>(), q.variance[1].item<double>());
  EXPECT_TRUE(at::allclose(at::mm(q.components.t(), q.components), at::eye(3, at::kDouble), 1e-8, 1e-8));
  double kept = q.variance.sum().item<double>() / q.total_variance;
  double err = (q.inverse_transform(q.transform(x)) - x).pow(2).sum(1).mean().item<double>();
  // Residual mean square equals the discarded variance (up to the n/(n-1) convention).
  EXPECT_NEAR(err, (1 - kept) * q.total_variance * 199.0 / 200.0, 1e-3 * q.total_variance);
}

TEST(EvalBaselines, KMeansConvergesAndFindsWellSeparatedCentres) {
  auto [x, y] = blobs(4, 50, 6, 0.2, 5);
  mu::KMeansResult r = mu::kmeans(x, 4, 100, 7);
  EXPECT_TRUE(r.converged);
  for (size_t i = 1; i < r.inertia.size(); ++i) EXPECT_LE(r.inertia[i], r.inertia[i - 1] * (1 + 1e-12));
  // Each cluster is exactly one blob.
  for (int64_t k = 0; k < 4; ++k) {
    at::Tensor a = r.assignment.index_select(0, (y == k).nonzero().flatten());
    EXPECT_TRUE((a == a[0]).all().item<bool>());
  }
  EXPECT_EQ(std::get<0>(at::_unique(r.assignment)).numel(), 4);
  // Same seed, same answer.
  mu::KMeansResult s = mu::kmeans(x, 4, 100, 7);
  EXPECT_TRUE(at::equal(r.centroids, s.centroids));
}

TEST(EvalBaselines, CoatesKMeansFeaturesAreTriangleEncodings) {
  auto [x, y] = blobs(3, 40, 10, 0.5, 6);
  x = x.abs();  // image-like, non-negative
  mu::CoatesOptions opt;
  opt.k = 6;
  mu::CoatesKMeans m = mu::fit_coates_kmeans(x, opt, 8);
  at::Tensor f = m.transform(x);
  ASSERT_EQ(f.size(1), 6);
  EXPECT_GE(f.min().item<float>(), 0.0f);
  // Triangle encoding zeroes the features of centroids farther than average: some are zero, not all.
  double zero = (f == 0).to(at::kDouble).mean().item<double>();
  EXPECT_GT(zero, 0.1);
  EXPECT_LT(zero, 0.95);
}

TEST(EvalBaselines, SupervisedBaselineFitsItsLabelledExamples) {
  mu::Dataset moons = mu::make_moons(100, 0.1, 3);
  mu::Phi phi0 = mu::init_phi(mu::make_arch(2, "32x2", 8), 4);
  mu::SupervisedOptions opt;
  opt.steps = 600;
  mu::SupervisedModel m = mu::train_supervised(phi0, moons.x, moons.y, 2, opt, 5);
  double acc = (m.logits(moons.x, moons.x).argmax(1) == moons.y).to(at::kDouble).mean().item<double>();
  EXPECT_GE(acc, 0.98);
  EXPECT_LT(m.loss_curve.back(), m.loss_curve.front());
  // Only W and b were trained; V and the permutation are the initial ones.
  EXPECT_TRUE(at::equal(m.phi.V[0], phi0.V[0]));
  EXPECT_FALSE(at::equal(m.phi.W[0], phi0.W[0]));
}

TEST(EvalBaselines, VaeLearnsAndIsDeterministic) {
  at::Generator g = mu::make_generator(9);
  // Binary-ish "images": two prototypes plus pixel noise, values in [0, 1].
  at::Tensor proto = (at::rand({2, 16}, g) > 0.5).to(at::kFloat);
  at::Tensor y = at::randint(2, {400}, g, at::TensorOptions().dtype(at::kLong));
  at::Tensor x = (proto.index_select(0, y) * 0.8 + 0.2 * at::rand({400, 16}, g)).clamp(0, 1);
  mu::VaeOptions opt;
  opt.hidden = 32;
  opt.latent = 4;
  opt.steps = 400;
  opt.batch = 64;
  opt.lr = 3e-3;
  mu::Vae v = mu::train_vae(x, opt, 11);
  ASSERT_GE(v.loss_curve.size(), 2u);
  EXPECT_LT(v.loss_curve.back(), v.loss_curve.front() - 5.0);
  at::Tensor z = v.encode_mean(x, x);
  EXPECT_EQ(z.size(1), 4);
  // The latent mean separates the two prototypes (a linear readout on z gets them apart).
  at::Tensor m0 = z.index_select(0, (y == 0).nonzero().flatten()).mean(0);
  at::Tensor m1 = z.index_select(0, (y == 1).nonzero().flatten()).mean(0);
  EXPECT_GT((m0 - m1).norm().item<double>(), 0.5);
  mu::Vae w = mu::train_vae(x, opt, 11);
  EXPECT_TRUE(at::equal(w.encode_mean(x, x), z));
}

TEST(EvalBaselines, AdamMinimisesAQuadratic) {
  at::Tensor p = at::full({3}, 5.0).set_requires_grad(true);
  mu::Adam adam({p}, 0.1);
  for (int i = 0; i < 500; ++i) {
    adam.zero_grad();
    at::Tensor loss = (p - at::tensor({1.0f, -2.0f, 0.5f})).pow(2).sum();
    loss.backward();
    adam.step();
  }
  EXPECT_TRUE(at::allclose(p.detach(), at::tensor({1.0f, -2.0f, 0.5f}), 1e-2, 1e-2));
}

TEST(EvalBaselines, VaeStopsOnTheValidationSplitAndKeepsItsBestStep) {
  at::Generator g = mu::make_generator(12);
  at::Tensor x = at::rand({300, 8}, g);
  mu::VaeOptions opt;
  opt.hidden = 16;
  opt.latent = 2;
  opt.batch = 32;
  opt.steps = 5000;
  opt.min_steps = 200;
  opt.eval_every = 50;
  opt.patience = 2;
  opt.lr = 0;  // the parameters never move: the first check stays the best, later ones never beat it
  mu::Vae v = mu::train_vae(x, opt, 3);
  EXPECT_EQ(v.lowest_step, 50);
  EXPECT_EQ(v.best_step, 200);  // the first check from min_steps on ...
  EXPECT_EQ(v.steps_run, 300);  // ... and `patience` checks without a better one
  ASSERT_EQ(v.validation_curve.size(), 6u);
  EXPECT_EQ(v.validation_curve[0].second, v.validation_curve[5].second);  // the same noise at every check
  // Learning: the validation loss improves, and the kept step is the best check.
  opt.lr = 3e-3;
  opt.min_steps = 400;
  opt.steps = 400;
  mu::Vae w = mu::train_vae(x, opt, 3);
  EXPECT_EQ(w.steps_run, 400);
  double best = 1e300;
  int64_t at = 0;
  for (const auto& [step, val] : w.validation_curve)
    if (val < best) best = val, at = step;
  EXPECT_EQ(w.best_step, at);
  EXPECT_LT(best, w.validation_curve.front().second);
}
