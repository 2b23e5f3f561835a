#include <gtest/gtest.h>

#include "common/error.h"
#include "support/model_fixtures.h"

namespace mu {
using namespace mu::testing;

TEST(MetaObjective, TargetsAndPredictionsHaveUnitRows) {
  at::Tensor y = at::arange(30, at::kLong).remainder(10);
  at::Tensor Y = normalised_targets(y, 10, at::kDouble);
  EXPECT_LT(max_abs(Y.norm(2, {1}) - 1), 1e-12);
  Phi phi = init_phi(make_arch(20, "16"), 1);
  MetaObjectiveResult r = meta_objective(phi, labelled(100, 20, 10, 1), labelled(100, 20, 10, 2), 10);
  EXPECT_LT(max_abs(r.predictions.norm(2, {1}) - 1), 1e-5);
  double c = r.cosine.item<double>();
  EXPECT_GE(c, 0.0);
  EXPECT_LE(c, 4.0);
  EXPECT_NEAR(r.loss.item<double>(), c + r.ridge_penalty.item<double>(), 1e-6);
  EXPECT_GE(r.accuracy_test, 0.0);
  EXPECT_LE(r.accuracy_test, 1.0);
}

TEST(MetaObjective, RidgeMatchesAnIndependentSolve) {
  // With lambda = 0 on separable data the ridge fit is exact least squares; compare J with lstsq.
  Phi phi = init_phi(make_arch(20, "16"), 3, at::kDouble);
  LabelledBatch tr = labelled(60, 20, 3, 4, at::kDouble), te = labelled(60, 20, 3, 5, at::kDouble);
  const double lambda = 0.1;
  MetaObjectiveResult r = meta_objective(phi, tr, te, 3, lambda);
  at::Tensor F = embed(phi, at::cat({tr.x, te.x}, 0));
  at::Tensor A = at::cat({F.narrow(0, 0, 60), at::ones({60, 1}, F.options())}, 1);
  at::Tensor Pen = at::eye(33, F.options()) * lambda;
  Pen[32][32].fill_(0.0);
  at::Tensor C = at::linalg_solve(at::mm(A.t(), A) + Pen, at::mm(A.t(), normalised_targets(tr.y, 3, at::kDouble)));
  at::Tensor P = at::mm(at::cat({F.narrow(0, 60, 60), at::ones({60, 1}, F.options())}, 1), C);
  P = P / P.norm(2, {1}, true);
  double cos = (P - normalised_targets(te.y, 3, at::kDouble)).pow(2).sum(1).mean().item<double>();
  double pen = lambda * C.narrow(0, 0, 32).pow(2).sum().item<double>() / 60;
  EXPECT_NEAR(r.cosine.item<double>(), cos, 1e-9);
  EXPECT_NEAR(r.ridge_penalty.item<double>(), pen, 1e-9);
}

TEST(MetaObjective, SeparableFeaturesGiveHighAccuracy) {
  // Identity-activation, one wide layer: features keep the class structure of well-separated blobs.
  Arch a = make_arch(20, "", 32, Activation::identity);
  Phi phi = init_phi(a, 2);
  MetaObjectiveResult r = meta_objective(phi, labelled(100, 20, 5, 7), labelled(100, 20, 5, 7), 5);
  EXPECT_GT(r.accuracy_test, 0.95);
  EXPECT_LT(r.cosine.item<double>(), 1.0);
}

TEST(MetaObjective, BadLabelsAreRejected) {
  Phi phi = init_phi(make_arch(20, "16"), 1);
  LabelledBatch tr = labelled(20, 20, 5, 1), te = labelled(20, 20, 5, 2);
  EXPECT_THROW(meta_objective(phi, tr, te, 4), Error);  // label 4 out of range
  tr.x = tr.x.narrow(1, 0, 19);
  EXPECT_THROW(meta_objective(phi, tr, te, 5), Error);  // wrong input width
}

}  // namespace mu

namespace mu {
TEST(MetaObjective, ExtraRegressionTargetsAreAppended) {
  using namespace mu::testing;
  Phi phi = init_phi(make_arch(20, "16"), 1);
  LabelledBatch tr = labelled(40, 20, 4, 1), te = labelled(40, 20, 4, 2);
  at::Generator g = make_generator(3);
  tr.extra = at::rand({40, 3}, g) * 2 - 1;
  te.extra = at::rand({40, 3}, g) * 2 - 1;
  MetaObjectiveResult r = meta_objective(phi, tr, te, 4);
  EXPECT_EQ(r.predictions.sizes(), (std::vector<int64_t>{40, 7}));
  EXPECT_TRUE(std::isfinite(r.loss.item<double>()));
  at::Tensor Y = normalised_targets(tr.y, 4, at::kDouble, tr.extra);
  EXPECT_NEAR((Y * Y).sum(1).mean().item<double>(), 1.0, 1e-9);  // same normaliser as the paper's targets
  te.extra = at::Tensor();
  EXPECT_THROW(meta_objective(phi, tr, te, 4), Error);
}
}  // namespace mu
