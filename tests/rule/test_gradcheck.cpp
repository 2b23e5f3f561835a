// Finite-difference check of d(meta-loss)/d(theta) through 3 unrolled steps, in double precision with
// smooth nonlinearities everywhere (ReLU kinks defeat finite differences: docs/maths.md section 17).
#include <gtest/gtest.h>

#include "support/model_fixtures.h"
#include "metatrain/unroll.h"

namespace mu {
using namespace mu::testing;

TEST(GradCheck, MetaGradientThroughThreeStepsMatchesFiniteDifferences) {
  RuleOptions o;
  o.smooth = true;
  o.eta = 0.05;
  Theta th = init_theta(5, o, at::kDouble);
  Phi phi = init_phi(make_arch(16, "12,10", 32, Activation::softplus), 6, at::kDouble);
  UnrollBatches ub;
  ub.classes = 3;
  for (int t = 0; t < 3; ++t) {
    ub.unlabelled.push_back(batch(8, 16, 10 + t, at::kDouble));
    ub.evals.push_back({{labelled(9, 16, 3, 20 + t, at::kDouble), labelled(9, 16, 3, 30 + t, at::kDouble)}});
  }
  UnrollResult r = unroll_grad(th, phi, ub);
  ASSERT_TRUE(r.finite);
  EXPECT_NEAR(r.loss, unroll_loss(th, phi, ub), 1e-12);
  at::Generator g = make_generator(77);
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<at::Tensor> dir, plus, minus;
    double analytic = 0, norm2 = 0;
    for (const auto& t : th.list()) dir.push_back(at::randn(t.sizes(), g, t.options()));
    for (const auto& d : dir) norm2 += (d * d).sum().item<double>();
    const double eps = 1e-3 / std::sqrt(norm2);  // a perturbation of norm 1e-3: well above the loss's rounding noise
    auto list = th.list();
    for (size_t i = 0; i < list.size(); ++i) {
      analytic += (r.grad[i] * dir[i]).sum().item<double>();
      plus.push_back(list[i] + eps * dir[i]);
      minus.push_back(list[i] - eps * dir[i]);
    }
    double fd = (unroll_loss(th.with(plus), phi, ub) - unroll_loss(th.with(minus), phi, ub)) / (2 * eps);
    double rel = std::abs(fd - analytic) / std::max(std::abs(fd), std::abs(analytic));
    EXPECT_LT(rel, 1e-5) << "trial " << trial << ": analytic " << analytic << " fd " << fd;
    EXPECT_GT(std::abs(analytic), 1e-8) << "the check must not pass on a vanishing gradient";
  }
}

TEST(GradCheck, EveryThetaTensorReceivesGradient) {
  Theta th = init_theta(5);
  Phi phi = init_phi(make_arch(16, "12"), 6);
  UnrollBatches ub;
  ub.classes = 3;
  for (int t = 0; t < 2; ++t) {
    ub.unlabelled.push_back(batch(8, 16, t));
    ub.evals.push_back({{labelled(9, 16, 3, 20 + t), labelled(9, 16, 3, 30 + t)}});
  }
  UnrollResult r = unroll_grad(th, phi, ub);
  ASSERT_TRUE(r.finite);
  for (size_t i = 0; i < th.names.size(); ++i) {
    const std::string& n = th.names[i];
    if (n.find("topd.bn") != std::string::npos && n != "topd.bn1.beta") continue;
    // A conv bias right before a batch-statistics BN cancels exactly (ops::conv_bn leaves it out): every
    // conv except TopD's output conv. Its gradient is exactly zero, not merely small.
    const bool before_bn = n.size() > 2 && n.compare(n.size() - 2, 2, ".b") == 0 &&
                           (n.rfind("computeh.", 0) == 0 || n.rfind("topd.", 0) == 0) && n != "topd.out.b";
    if (before_bn) EXPECT_EQ(r.grad[i].abs().max().item<double>(), 0.0) << n;
    else EXPECT_GT(r.grad[i].abs().max().item<double>(), 0.0) << n;
  }
  // phi comes out detached and moved
  EXPECT_FALSE(r.phi.W[0].requires_grad());
  EXPECT_FALSE(r.phi.W[0].equal(phi.W[0]));
}

}  // namespace mu
