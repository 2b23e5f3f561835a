#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "common/random.h"
#include "common/error.h"
#include "eval/readout.h"

namespace {

// Gaussian blobs around well-separated centres: (n_per * K, D) features, labels 0..K-1.
std::pair<at::Tensor, at::Tensor> blobs(int64_t K, int64_t n_per, int64_t D, double spread, uint64_t seed) {
  at::Generator g = mu::make_generator(seed);
  at::Tensor centres = at::normal(0.0, 1.0, {K, D}, g) * 10;
  at::Tensor y = at::arange(K, at::kLong).repeat_interleave(n_per);
  at::Tensor x = centres.index_select(0, y) + at::normal(0.0, spread, {K * n_per, D}, g);
  return {x.to(at::kFloat), y};
}

double solve_scalar(const std::function<double(double)>& f, double lo, double hi) {  // f(lo) < 0 < f(hi)
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    (f(mid) < 0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

TEST(EvalReadout, OvrMatchesClosedFormOnSymmetricPair) {
  // Points x = +1 (class 1) and x = -1 (class 0). By symmetry the intercept is 0 and the weight w of
  // class 1 solves the stationarity condition w = 2 C sigmoid(-w); class 0's weight is -w.
  at::Tensor x = at::tensor({1.0, -1.0}).view({2, 1});
  at::Tensor y = at::tensor({1, 0}, at::kLong);
  for (double C : {0.5, 1.0, 4.0}) {
    mu::LogisticOptions opt;
    opt.C = C;
    opt.tol = 1e-12;
    mu::Readout r = mu::fit_logistic_ovr(x, y, 2, opt);
    double w = solve_scalar([C](double v) { return v - 2 * C / (1 + std::exp(v)); }, 0, 10);
    EXPECT_NEAR(r.coef[0][1].item<double>(), w, 1e-9) << "C=" << C;
    EXPECT_NEAR(r.coef[0][0].item<double>(), -w, 1e-9);
    EXPECT_NEAR(r.coef[1][1].item<double>(), 0, 1e-9);
  }
}

TEST(EvalReadout, MultinomialMatchesClosedFormOnSymmetricPair) {
  // Two classes, W = [-v, v]: 0.5 * 2 v^2 + 2 C log(1 + exp(-2 v)) -> v = 2 C sigmoid(-2 v).
  at::Tensor x = at::tensor({1.0, -1.0}).view({2, 1});
  at::Tensor y = at::tensor({1, 0}, at::kLong);
  mu::LogisticOptions opt;
  opt.tol = 1e-12;
  mu::Readout r = mu::fit_logistic_multinomial(x, y, 2, opt);
  double v = solve_scalar([](double v) { return v - 2 / (1 + std::exp(2 * v)); }, 0, 10);
  EXPECT_NEAR(r.coef[0][1].item<double>(), v, 1e-7);
  EXPECT_NEAR(r.coef[0][0].item<double>(), -v, 1e-7);
}

TEST(EvalReadout, LogisticGradientVanishesAtOptimum) {
  auto [x, y] = blobs(4, 15, 6, 8.0, 3);  // overlapping: a non-trivial optimum
  mu::LogisticOptions opt;
  opt.tol = 1e-12;
  mu::Readout r = mu::fit_logistic_ovr(x, y, 4, opt);
  at::Tensor A = at::cat({x.to(at::kDouble), at::ones({x.size(0), 1}, at::kDouble)}, 1);
  // Relative to the gradient at w = 0 (the problem's scale): the last digits of the solver's iterates differ
  // between CPUs' BLAS kernels (1.4e-8 absolute on an AMD EPYC).
  for (int64_t k = 0; k < 4; ++k) {
    at::Tensor s = (y == k).to(at::kDouble) * 2 - 1;
    at::Tensor w = r.coef.select(1, k);
    at::Tensor g = w - at::mv(A.t(), s * at::sigmoid(-s * at::mv(A, w)));
    const double g0 = (at::mv(A.t(), s) * 0.5).abs().max().item<double>();
    EXPECT_LT(g.abs().max().item<double>(), 1e-9 * g0) << "g0 " << g0;
  }
  mu::Readout m = mu::fit_logistic_multinomial(x, y, 4, opt);
  at::Tensor Y = at::one_hot(y, 4).to(at::kDouble);
  at::Tensor G = m.coef - at::mm(A.t(), Y - at::softmax(at::mm(A, m.coef), 1));
  G[A.size(1) - 1] -= m.coef[A.size(1) - 1];  // intercept is not penalised
  EXPECT_LT(G.abs().max().item<double>(), 1e-6) << "iterations " << m.iterations;
}

TEST(EvalReadout, RidgeMatchesClosedForm) {
  auto [x, y] = blobs(3, 10, 5, 2.0, 4);
  mu::Readout r = mu::fit_ridge(x, y, 3, 0.1);
  at::Tensor A = at::cat({x.to(at::kDouble), at::ones({30, 1}, at::kDouble)}, 1);
  at::Tensor Y = at::one_hot(y, 3).to(at::kDouble);
  at::Tensor Yc = Y - 1.0 / 3;
  at::Tensor Yhat = Yc / std::sqrt(2.0 / 3);  // row norm of a centred one-hot over 3 classes
  at::Tensor reg = at::diag(at::tensor({0.1, 0.1, 0.1, 0.1, 0.1, 0.0}, at::kDouble));
  at::Tensor want = at::mm(at::inverse(at::mm(A.t(), A) + reg), at::mm(A.t(), Yhat));
  EXPECT_LT((r.coef - want).abs().max().item<double>(), 1e-8);
}

TEST(EvalReadout, AllReadoutsSeparateSeparableBlobs) {
  auto [x, y] = blobs(5, 20, 8, 0.5, 5);
  auto [xt, yt] = blobs(5, 50, 8, 0.5, 5);  // same centres (same seed), new noise draws below
  xt = xt + at::normal(0.0, 0.1, xt.sizes(), mu::make_generator(9)).to(at::kFloat);
  for (auto k : mu::all_readouts()) {
    mu::Readout r = mu::fit_readout(k, x, y, 5);
    EXPECT_EQ(mu::score_readout(r, x, y).accuracy, 1.0) << mu::to_string(k);
    EXPECT_EQ(mu::score_readout(r, xt, yt).accuracy, 1.0) << mu::to_string(k);
  }
}

TEST(EvalReadout, WideFeaturesUseWoodburyAndAgree) {
  // D + 1 > n takes the Woodbury branch; it must reach the same optimum as the primal one would.
  auto [x, y] = blobs(3, 4, 40, 3.0, 6);
  mu::LogisticOptions opt;
  opt.tol = 1e-12;
  mu::Readout r = mu::fit_logistic_ovr(x, y, 3, opt);
  at::Tensor A = at::cat({x.to(at::kDouble), at::ones({x.size(0), 1}, at::kDouble)}, 1);
  for (int64_t k = 0; k < 3; ++k) {
    at::Tensor s = (y == k).to(at::kDouble) * 2 - 1;
    at::Tensor w = r.coef.select(1, k);
    at::Tensor g = w - at::mv(A.t(), s * at::sigmoid(-s * at::mv(A, w)));
    EXPECT_LT(g.abs().max().item<double>(), 1e-8);
  }
}

TEST(EvalReadout, RejectsBadInput) {
  at::Tensor x = at::zeros({4, 2});
  EXPECT_THROW(mu::fit_logistic_ovr(x, at::tensor({0, 0, 1, 1}, at::kLong), 3), mu::Error);  // class 2 missing
  EXPECT_THROW(mu::fit_ridge(x, at::tensor({0, 5, 1, 1}, at::kLong), 3), mu::Error);
  EXPECT_THROW(mu::parse_readout("svm"), mu::Error);
}

TEST(EvalReadout, MultinomialLbfgsAgreesWithNewton) {
  auto [x, y] = blobs(3, 12, 9, 6.0, 8);
  mu::LogisticOptions newton;
  newton.tol = 1e-12;
  mu::LogisticOptions lbfgs = newton;
  lbfgs.newton_max_params = 0;
  lbfgs.tol = 1e-9;
  lbfgs.max_iter = 400;
  mu::Readout a = mu::fit_logistic_multinomial(x, y, 3, newton);
  mu::Readout b = mu::fit_logistic_multinomial(x, y, 3, lbfgs);
  // Intercepts are defined up to a common shift: compare centred coefficients.
  at::Tensor ca = a.coef - a.coef.mean(1, true), cb = b.coef - b.coef.mean(1, true);
  EXPECT_LT((ca - cb).abs().max().item<double>(), 1e-4 * std::max(1.0, ca.abs().max().item<double>()));
}

TEST(EvalReadout, StandardisedIsOvrOnStandardisedFeaturesFoldedBack) {
  // Features on very different scales, one constant: the standardised readout must equal OvR fitted on
  // (F - mean) / std of the labelled examples (std 1 for the constant one), applied to unscaled features.
  auto [x, y] = blobs(3, 8, 4, 2.0, 11);
  at::Tensor f = x.to(at::kDouble) * at::tensor({1e-3, 1.0, 50.0, 0.0}, at::kDouble) + at::tensor({0.0, 5.0, -2.0, 7.0}, at::kDouble);
  mu::LogisticOptions opt;
  opt.tol = 1e-12;
  mu::Readout s = mu::fit_logistic_standardised(f, y, 3, opt);
  EXPECT_EQ(mu::to_string(s.kind), "standardised");
  at::Tensor sd = f.std(0, false);
  sd = at::where(sd > 0, sd, at::ones_like(sd));
  at::Tensor fs = (f - f.mean(0)) / sd;
  mu::Readout o = mu::fit_logistic_ovr(fs, y, 3, opt);
  at::Tensor ft = f + 0.1;  // other inputs: the fold-back must hold off the training points too
  EXPECT_LT((s.decision(ft) - o.decision((ft - f.mean(0)) / sd)).abs().max().item<double>(), 1e-8);
  EXPECT_EQ(mu::parse_readout("standardised"), mu::ReadoutKind::logistic_standardised);
}
