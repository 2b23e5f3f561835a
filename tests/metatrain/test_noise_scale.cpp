// The meta-gradient noise scale: the estimator against gradients of known mean and covariance, its
// degenerate cases, and the probe on a small config (finite, reproducible, independent of worker count).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "metatrain/noise_scale.h"
#include "rule/theta.h"
#include "helpers.h"
#include "support/paths.h"

namespace {

// K gradients g_i = G + noise, noise iid N(0, sd^2) in each of P entries: |G|^2 = g2, tr(Sigma) = P sd^2.
at::Tensor gram_of(int64_t K, int64_t P, double g2, double sd, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor G = at::full({P}, std::sqrt(g2 / double(P)), at::kDouble);
  at::Tensor g = G.unsqueeze(0) + at::randn({K, P}, at::kDouble) * sd;  // (K, P)
  return at::mm(g, g.t());
}

TEST(NoiseScale, RecoversKnownSignalAndNoise) {
  // |G|^2 = 4, tr(Sigma) = 2000 * 0.05^2 = 5: B_simple = 1.25; cosine between two draws = 4 / (4 + 5).
  mu::NoiseScale s = mu::noise_scale(gram_of(400, 2000, 4.0, 0.05, 1), 300, 2);
  EXPECT_EQ(s.samples, 400);
  EXPECT_NEAR(s.trace_sigma, 5.0, 0.25);
  EXPECT_NEAR(s.grad_sq, 4.0, 0.3);
  EXPECT_NEAR(s.b_simple, 1.25, 0.15);
  EXPECT_NEAR(s.mean_cosine, 4.0 / 9.0, 0.03);
  EXPECT_LE(s.b_lo, s.b_simple);  // the bootstrap interval: around the estimate and the truth, narrow at 400 tasks
  EXPECT_GE(s.b_hi, s.b_simple);
  EXPECT_GT(s.b_lo, 1.0);
  EXPECT_LT(s.b_hi, 1.5);
  // Noise 100 times the signal's energy: B_simple near 100 (loosely: 64 gradients resolve it only roughly).
  mu::NoiseScale n = mu::noise_scale(gram_of(64, 4000, 1.0, 0.158, 3), 0);
  EXPECT_GT(n.b_simple, 40);
  EXPECT_NEAR(n.mean_cosine, 0.01, 0.01);
}

TEST(NoiseScale, DegenerateCases) {
  // Identical gradients: no noise, every task agrees.
  at::Tensor g = at::randn({1, 50}, at::kDouble).repeat({5, 1});
  mu::NoiseScale same = mu::noise_scale(at::mm(g, g.t()), 50);
  EXPECT_NEAR(same.trace_sigma, 0.0, 1e-9);
  EXPECT_NEAR(same.b_simple, 0.0, 1e-9);
  EXPECT_NEAR(same.mean_cosine, 1.0, 1e-9);
  // Pure noise of mean zero: the signal estimate is about zero, B_simple huge or infinite (never negative).
  mu::NoiseScale pure = mu::noise_scale(gram_of(8, 1000, 0.0, 1.0, 4), 50);
  EXPECT_LT(std::abs(pure.grad_sq), 0.1 * pure.trace_sigma);
  EXPECT_TRUE(std::isinf(pure.b_simple) || pure.b_simple > 10);
  EXPECT_THROW(mu::noise_scale(at::ones({1, 1}, at::kDouble)), mu::Error);
  EXPECT_THROW(mu::noise_scale(at::ones({2, 3}, at::kDouble)), mu::Error);
}

TEST(NoiseScale, ProbeIsFiniteReproducibleAndIndependentOfWorkers) {
  mu::MetaConfig c = mu::testing::small_config();
  mu::TaskData data = mu::load_task_data(c);
  mu::Theta th = mu::init_theta(5);
  mu::NoiseProbe a = mu::probe_noise_scale(c, data, th, 4, 0, 1, 9);
  ASSERT_EQ(a.scale.samples, 4);
  EXPECT_EQ(a.dropped, 0);
  ASSERT_EQ(a.loss.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::isfinite(a.loss[i]));
    EXPECT_GT(a.norm[i], 0);
    EXPECT_GE(a.depth[i], 0);
    EXPECT_LT(a.depth[i], c.trunc_max);
  }
  EXPECT_GT(a.scale.trace_sigma, 0);
  ASSERT_EQ(a.gram.sizes(), (std::vector<int64_t>{4, 4}));
  EXPECT_NEAR(a.gram[0][0].item<double>(), a.norm[0] * a.norm[0], 1e-9 * a.norm[0] * a.norm[0]);
  mu::NoiseProbe b = mu::probe_noise_scale(c, data, th, 4, 0, 2, 9);
  // float32 meta-gradients through unrolls; the split over workers changes summation orders, and how much
  // that shows depends on the CPU's kernels (3.3e-4 relative on an AMD EPYC). A lost or doubled task would
  // be off by far more.
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(a.norm[i], b.norm[i], 2e-3 * a.norm[i]);
  EXPECT_NEAR(a.scale.trace_sigma, b.scale.trace_sigma, 2e-3 * a.scale.trace_sigma);
  mu::NoiseProbe other = mu::probe_noise_scale(c, data, th, 4, 0, 1, 10);
  EXPECT_NE(a.norm[0], other.norm[0]);
  EXPECT_THROW(mu::probe_noise_scale(c, data, th, 1, 0, 1, 9), mu::Error);
}

TEST(NoiseScale, CliWritesTheEstimateAndRefusesOneTask) {
  std::string out = (std::filesystem::temp_directory_path() / ("mu_noise_" + std::to_string(getpid()))).string();
  std::string bin = mu::testing::binary() + " --threads 1 noise-scale --config " + mu::testing::source_dir() +
                    "/configs/tiny.json --seed 2";
  ASSERT_EQ(std::system((bin + " --tasks 3 --out " + out + ".json > " + out + ".txt 2>&1").c_str()), 0);
  nlohmann::json j = nlohmann::json::parse(std::ifstream(out + ".json"));
  EXPECT_EQ(j["kept"].get<int>() + j["dropped"].get<int>(), 3);
  EXPECT_GT(j["trace_sigma"].get<double>(), 0);
  EXPECT_EQ(j["loss"].size(), j["kept"].get<size_t>());
  EXPECT_EQ(j["gram"].size(), j["kept"].get<size_t>());
  std::ifstream txt(out + ".txt");
  std::string all((std::istreambuf_iterator<char>(txt)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find("B_simple"), std::string::npos) << all;
  EXPECT_NE(std::system((bin + " --tasks 1 > /dev/null 2>&1").c_str()), 0);
  std::filesystem::remove(out + ".json");
  std::filesystem::remove(out + ".txt");
}

}  // namespace
