// The invariants of docs/maths.md sections 16-17, checked on one traced application of the rule.
#include <gtest/gtest.h>

#include <cmath>

#include "support/model_fixtures.h"
#include "rule/ops.h"
#include "rule/unsupervised_update.h"

namespace mu {
using namespace mu::testing;

namespace {
const at::Tensor& get(const Trace& t, const std::string& name) {
  for (const auto& e : t.entries)
    if (e.name == name) return e.value;
  throw std::runtime_error("trace has no " + name);
}
struct Traced : ::testing::Test {
  Theta th = init_theta(1);
  Phi phi = init_phi(make_arch(20, "16,12"), 2);
  at::Tensor x = batch(17, 20, 3);
  Trace tr;
  Update u;
  void SetUp() override { u = compute_update(th, phi, x, &tr); }
};
}  // namespace

TEST_F(Traced, HIsNonNegative) {
  for (int l = 0; l <= 3; ++l) {
    at::Tensor h = get(tr, "layer" + std::to_string(l) + ".h");
    EXPECT_EQ(h.sizes(), (std::vector<int64_t>{17, phi.width(l), 64}));
    EXPECT_GE(h.min().item<float>(), 0.f) << l;
  }
}

TEST_F(Traced, PropagatedDHasExactRmsOverChannels) {
  for (int l = 1; l <= 3; ++l) {  // d^{l-1} = normalise(delta^l V^l^T)
    at::Tensor delta = get(tr, "layer" + std::to_string(l) + ".delta").to(at::kDouble);
    at::Tensor V = phi.V[l - 1].to(at::kDouble);
    at::Tensor dt = at::einsum("bjc,mj->bmc", {delta, V});
    at::Tensor ms = (dt * dt).mean(2);
    at::Tensor want = at::sqrt(ms / (ms + 1e-6));
    at::Tensor d = get(tr, "layer" + std::to_string(l - 1) + ".d").to(at::kDouble);
    at::Tensor rms = at::sqrt((d * d).mean(2));
    EXPECT_LT(max_abs(rms - want), 1e-5) << l;
  }
}

TEST_F(Traced, NormalisedColumnsHaveExactRms) {
  for (int l = 1; l <= 3; ++l) {
    at::Tensor W = phi.W[l - 1].to(at::kDouble), What = get(tr, "layer" + std::to_string(l) + ".What").to(at::kDouble);
    at::Tensor ms = (W * W).mean(0);
    EXPECT_LT(max_abs(at::sqrt((What * What).mean(0)) - at::sqrt(ms / (ms + 1e-6))), 1e-5);
  }
}

TEST_F(Traced, DoNotShrinkLeavesOnlyTheExactResidue) {
  for (int l = 1; l <= 3; ++l) {
    std::string ln = "layer" + std::to_string(l) + ".";
    at::Tensor What = get(tr, ln + "What").to(at::kDouble), M = get(tr, ln + "M_merged").to(at::kDouble);
    at::Tensor P = get(tr, ln + "M_projected").to(at::kDouble);
    double s = std::max(0.0, (M * What).mean().item<double>());
    double after = (P * What).mean().item<double>();
    if (s > 0)
      EXPECT_NEAR(after, s * (1 - (What * What).mean().item<double>()), 1e-6) << l;
    else
      EXPECT_LE(after, 1e-9) << l;
  }
}

TEST_F(Traced, BiasUpdateHasNonNegativeMean) {
  for (const auto& db : u.db) EXPECT_GE(db.mean().item<double>(), -1e-7);
}

TEST_F(Traced, TwelvePlanesAndShapes) {
  for (int l = 1; l <= 3; ++l) {
    int n = 0;
    for (const auto& e : tr.entries)
      if (e.name.rfind("layer" + std::to_string(l) + ".plane.", 0) == 0) {
        ++n;
        EXPECT_EQ(e.value.sizes(), phi.W[l - 1].sizes()) << e.name;
        EXPECT_TRUE(at::isfinite(e.value).all().item<bool>()) << e.name;
      }
    EXPECT_EQ(n, 12);
  }
  EXPECT_EQ(get(tr, "topd.d").sizes(), (std::vector<int64_t>{17, 32, 32}));
}

TEST(Invariants, IdenticalUpdatesDecayVMinusW) {
  RuleOptions o;
  o.eta = 0.05;  // large enough that (1 - eta)^t is far from 1 after a few steps
  Theta th = init_theta(4, o);
  Phi p0 = init_phi(make_arch(12, "10"), 5), p = p0;
  const int T = 4;
  for (int t = 0; t < T; ++t) p = unsupervised_step(th, p, batch(9, 12, 100 + t));
  for (int64_t l = 0; l < p.layers(); ++l) {
    at::Tensor want = std::pow(1 - o.eta, T) * (p0.V[l] - p0.W[l]);
    EXPECT_LT(max_abs((p.V[l] - p.W[l]) - want), 1e-6) << l;
  }
}

TEST(Invariants, PaperVariantGivesVItsOwnUpdate) {
  RuleOptions o;
  o.identical_updates = false;
  Theta th = init_theta(4, o);
  Phi p = init_phi(make_arch(12, "10"), 5);
  Update u = compute_update(th, p, batch(9, 12, 1));
  EXPECT_FALSE(u.dV[0].equal(u.dW[0]));
  EXPECT_EQ(u.dV[0].sizes(), u.dW[0].sizes());
}

TEST(Ops, ConvAlongMatchesTheDefinition) {
  at::Generator g = make_generator(0);
  auto o = at::TensorOptions().dtype(at::kDouble);
  at::Tensor x = at::randn({5, 4, 3}, g, o), k = at::randn({3, 3, 2}, g, o), b = at::randn({2}, g, o);
  for (int64_t dim : {0, 1}) {
    at::Tensor y = ops::conv_along(x, dim, k, b);
    EXPECT_LT(max_abs(y - ops::conv_along_im2col(x, dim, k, b)), 1e-12);
    auto xa = x.accessor<double, 3>(), ka = k.accessor<double, 3>();
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 4; ++j)
        for (int64_t co = 0; co < 2; ++co) {
          double want = b[co].item<double>();
          for (int64_t t = 0; t < 3; ++t) {  // y[t] = sum_k x[t + k - 1] Ker[k]  (cross-correlation)
            int64_t ii = dim == 0 ? i + t - 1 : i, jj = dim == 1 ? j + t - 1 : j;
            if (ii < 0 || ii >= 5 || jj < 0 || jj >= 4) continue;
            for (int64_t ci = 0; ci < 3; ++ci) want += xa[ii][jj][ci] * ka[t][ci][co];
          }
          EXPECT_NEAR(y[i][j][co].item<double>(), want, 1e-12);
        }
  }
}

TEST(Ops, ConvAlongHandlesWideKernelsShortAxesAndGradients) {
  at::Generator g = make_generator(1);
  auto o = at::TensorOptions().dtype(at::kDouble);
  for (int64_t len : {1, 2, 3, 7}) for (int64_t dim : {0, 1}) {
    at::Tensor x = at::randn({len, len + 1, 2}, g, o).set_requires_grad(true);
    at::Tensor k = at::randn({5, 2, 4}, g, o).set_requires_grad(true);
    at::Tensor b = at::randn({4}, g, o).set_requires_grad(true);
    // conv_along (hand-written backward) against autograd through the same forward and through im2col.
    at::Tensor y1 = ops::conv_along(x, dim, k, b), y2 = ops::conv_along_im2col(x, dim, k, b);
    at::Tensor y3 = ops::conv_along_plain(x, dim, k, b);
    EXPECT_LT(max_abs(y1 - y2), 1e-12) << len;
    EXPECT_LT(max_abs(y1 - y3), 1e-12) << len;
    at::Tensor w = at::randn(y1.sizes(), g, o);
    auto g1 = torch::autograd::grad({(y1 * w).sum()}, {x, k, b}, {}, /*retain_graph=*/true, /*create_graph=*/true);
    auto g2 = torch::autograd::grad({(y2 * w).sum()}, {x, k, b}, {}, true, true);
    auto g3 = torch::autograd::grad({(y3 * w).sum()}, {x, k, b});
    for (int i = 0; i < 3; ++i) {
      EXPECT_LT(max_abs(g1[i] - g2[i]), 1e-12) << len << " " << dim << " input " << i;
      EXPECT_LT(max_abs(g1[i] - g3[i]), 1e-12) << len << " " << dim << " input " << i;
    }
    // The hand-written backward is itself differentiable (second order, e.g. for create_graph users).
    auto h1 = torch::autograd::grad({(g1[0] * g1[0]).sum()}, {k});
    auto h2 = torch::autograd::grad({(g2[0] * g2[0]).sum()}, {k});
    EXPECT_LT(max_abs(h1[0] - h2[0]), 1e-10) << len << " " << dim;
  }
}

TEST(Ops, ConvBnLeavesOutABiasTheBatchNormCancels) {
  at::Generator g = make_generator(2);
  auto o = at::TensorOptions().dtype(at::kDouble);
  at::Tensor x = at::randn({6, 5, 3}, g, o), k = at::randn({3, 3, 4}, g, o);
  at::Tensor b = at::randn({4}, g, o) * 10, beta = at::randn({4}, g, o);
  for (int64_t dim : {0, 1})
    for (bool smooth : {false, true}) {
      at::Tensor want = ops::nonlin(ops::bn_lead(ops::conv_along_im2col(x, dim, k, b), beta), smooth);
      EXPECT_LT(max_abs(ops::conv_bn(x, dim, k, beta, smooth) - want), 1e-12) << dim << smooth;
    }
}

TEST(Ops, ThetaBatchNormUsesBothLeadingAxes) {
  at::Generator g = make_generator(0);
  at::Tensor x = at::randn({6, 5, 3}, g, at::TensorOptions().dtype(at::kDouble)) * 3 + 2;
  at::Tensor beta = at::tensor({0.5, -1.0, 0.0}, at::kDouble);
  at::Tensor y = ops::bn_lead(x, beta);
  at::Tensor mu = x.mean(at::IntArrayRef{0, 1});
  at::Tensor var = x.var(at::IntArrayRef{0, 1}, /*unbiased=*/false);
  EXPECT_LT(max_abs(y - ((x - mu) / at::sqrt(var + 1e-3) + beta)), 1e-12);
}

}  // namespace mu
