#include "objective/meta_objective.h"
#include <cstdint>

#include "common/error.h"

namespace mu {
namespace {
double accuracy(const at::Tensor& scores, const at::Tensor& y, int64_t classes) {
  return scores.narrow(1, 0, classes).argmax(1).eq(y).to(at::kDouble).mean().item<double>();
}
}  // namespace

at::Tensor normalised_targets(const at::Tensor& y, int64_t classes, at::ScalarType dtype, const at::Tensor& extra) {
  at::Tensor Y = at::one_hot(y, classes).to(dtype);
  if (extra.defined()) Y = at::cat({Y, extra.to(dtype)}, 1);
  at::Tensor c = Y - Y.mean();
  return c / at::sqrt((c * c).sum(1).mean());
}

MetaObjectiveResult meta_objective(const Phi& phi, const LabelledBatch& tr, const LabelledBatch& te,
                                   int64_t classes, double lambda) {
  check_batch(phi, tr.x, "labelled train batch");
  check_batch(phi, te.x, "labelled test batch");
  // One base-model pass over train + test: BN statistics of both, as the code does.
  return meta_objective_on_features(embed(phi, at::cat({tr.x, te.x}, 0)), tr, te, classes, lambda);
}

MetaObjectiveResult meta_objective_on_features(const at::Tensor& F, const LabelledBatch& tr,
                                               const LabelledBatch& te, int64_t classes, double lambda) {
  MU_CHECK(tr.y.dim() == 1 && tr.y.size(0) == tr.x.size(0) && te.y.dim() == 1 && te.y.size(0) == te.x.size(0),
           "labelled batches need one label per example");
  MU_CHECK(classes >= 2, "the meta-objective needs at least 2 classes");
  MU_CHECK(tr.y.min().item<int64_t>() >= 0 && tr.y.max().item<int64_t>() < classes &&
               te.y.min().item<int64_t>() >= 0 && te.y.max().item<int64_t>() < classes,
           "labels must lie in [0, classes)");
  const int64_t n_tr = tr.x.size(0);
  MU_CHECK(F.dim() == 2 && F.size(0) == n_tr + te.x.size(0),
           "meta-objective features must be (n_train + n_test, D)");
  const auto o = F.options();
  at::Tensor Ftr = F.narrow(0, 0, n_tr), Fte = F.narrow(0, n_tr, te.x.size(0));
  MU_CHECK(tr.extra.defined() == te.extra.defined() &&
               (!tr.extra.defined() || (tr.extra.dim() == 2 && tr.extra.size(0) == n_tr &&
                                        te.extra.dim() == 2 && te.extra.size(0) == te.x.size(0) &&
                                        tr.extra.size(1) == te.extra.size(1))),
           "extra regression targets must be (n, k) on both labelled batches");
  if (tr.extra.defined())
    MU_CHECK(at::isfinite(tr.extra).all().item<bool>() && at::isfinite(te.extra).all().item<bool>(),
             "extra regression targets contain NaN or infinite values");
  at::Tensor Ytr = normalised_targets(tr.y, classes, F.scalar_type(), tr.extra),
             Yte = normalised_targets(te.y, classes, F.scalar_type(), te.extra);
  // Ridge in double: C = (A^T A + diag(lambda, ..., lambda, 0))^{-1} A^T Yhat, bias row unpenalised.
  auto ones = [](const at::Tensor& f) { return at::ones({f.size(0), 1}, f.options()); };
  at::Tensor A = at::cat({Ftr, ones(Ftr)}, 1).to(at::kDouble);  // (n_tr, D+1)
  const int64_t D1 = A.size(1);
  at::Tensor pen = at::full({D1}, lambda, A.options());
  pen[D1 - 1].fill_(0.0);
  at::Tensor G = at::mm(A.t(), A) + at::diag(pen);
  at::Tensor Lc = at::linalg_cholesky(G);
  at::Tensor C = at::cholesky_solve(at::mm(A.t(), Ytr.to(at::kDouble)), Lc).to(o.dtype());  // (D+1, classes)
  at::Tensor P = at::mm(at::cat({Fte, ones(Fte)}, 1), C);     // (n_te, classes)
  at::Tensor Phat = P / (P.norm(2, {1}, true) + 1e-12);
  MetaObjectiveResult r;
  r.cosine = (Phat - Yte).pow(2).sum(1).mean();
  at::Tensor Cw = C.narrow(0, 0, D1 - 1);
  r.ridge_penalty = lambda * (Cw * Cw).sum() / double(n_tr);
  r.loss = r.cosine + r.ridge_penalty;
  at::NoGradGuard ng;
  at::Tensor Ptr = at::mm(at::cat({Ftr, ones(Ftr)}, 1), C);
  r.mse_train = (Ptr - Ytr).pow(2).mean().item<double>();
  r.accuracy_train = accuracy(Ptr, tr.y, classes);
  r.accuracy_test = accuracy(Phat, te.y, classes);
  r.predictions = Phat.detach();
  r.targets = Yte;
  return r;
}

}  // namespace mu
