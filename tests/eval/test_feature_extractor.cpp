#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/random.h"
#include "eval/feature_extractor.h"

namespace {

// A seed's context on synthetic data (48 training rows of 6 features in 3 classes, 12 test rows) whose
// scoring records the features it is given instead of fitting readouts.
struct Probe {
  mu::EvalConfig cfg;
  at::Tensor xtr, ytr, xte, yte, ref;
  std::vector<at::Tensor> cls_tr, cls_te;
  mu::Phi phi0;
  mu::SeedRows rows;
  std::vector<int64_t> checkpoints;
  mu::EvalProgress progress;
  std::vector<at::Tensor> full_test;  // Features::full(xte) of every score_fixed call

  Probe() {
    at::Generator g = mu::make_generator(5);
    xtr = at::rand({48, 6}, g);
    ytr = at::arange(48, at::kLong) % 3;
    xte = at::rand({12, 6}, g);
    yte = at::arange(12, at::kLong) % 3;
    ref = xtr.narrow(0, 0, 16);
    for (int64_t k = 0; k < 3; ++k) {
      cls_tr.push_back((ytr == k).nonzero().flatten());
      cls_te.push_back((yte == k).nonzero().flatten());
    }
    phi0 = mu::init_phi(mu::make_arch(6, "8", 4), 1);
    rows.fit = at::arange(48, at::kLong);
    cfg.pca_dim = 3;
    cfg.draws = 1;
  }
  mu::SeedContext context() {
    mu::SeedContext c{cfg, 0, 3, xtr, ytr, xte, yte, cls_tr, cls_te, ref, phi0, rows, nullptr, checkpoints, progress,
                      {}, {}, {}, {}};
    c.score_fixed = [this](mu::MethodResult&, const mu::Features& f) { full_test.push_back(f.full(xte)); };
    c.phi_features = [this](const mu::Phi& phi) {
      return mu::Features{[this, phi](const at::Tensor& x) { return mu::embed_reference(phi, ref, x); },
                          [phi](const at::Tensor& x) { return mu::embed(phi, x); }};
    };
    return c;
  }
};

}  // namespace

TEST(FeatureExtractor, RegistryListsTheDocumentedMethodsInReportOrder) {
  const std::vector<std::string> documented = {"learned", "random", "supervised", "vae", "pca", "kmeans",
                                               "kmeans-32", "raw"};
  EXPECT_EQ(mu::all_methods(), documented);
  for (const auto& m : documented) EXPECT_NE(mu::make_extractor(m), nullptr) << m;
  EXPECT_THROW(mu::make_extractor("gan"), mu::Error);
  EXPECT_THROW(mu::make_extractor(""), mu::Error);
}

TEST(FeatureExtractor, RawPcaAndRandomGiveTheirFeaturesThroughTheInterface) {
  Probe p;
  mu::MethodResult mr;
  mu::EvalResult out;
  mu::make_extractor("raw")->run(p.context(), mr, out);
  mu::make_extractor("pca")->run(p.context(), mr, out);
  mu::make_extractor("random")->run(p.context(), mr, out);
  ASSERT_EQ(p.full_test.size(), 3u);
  EXPECT_TRUE(p.full_test[0].equal(p.xte));  // raw: the input itself
  // PCA: pca_dim whitened components fitted on the fit rows, so the training rows' features have unit
  // variance and no correlation; the test rows go through the same map.
  const at::Tensor Ptr = mu::fit_pca(p.xtr, 3, true).transform(p.xtr);  // (48, 3)
  const at::Tensor cov = Ptr.t().matmul(Ptr - Ptr.mean(0)) / (Ptr.size(0) - 1);
  EXPECT_LT((cov - at::eye(3)).abs().max().item<double>(), 0.05);
  EXPECT_EQ(p.full_test[1].sizes(), (at::IntArrayRef{12, 3}));
  EXPECT_TRUE(p.full_test[1].allclose(mu::fit_pca(p.xtr, 3, true).transform(p.xte)));
  // random: the untrained network's embedding with the reference batch's statistics
  EXPECT_TRUE(p.full_test[2].allclose(mu::embed_reference(p.phi0, p.ref, p.xte)));
  EXPECT_TRUE(mr.note.empty());
}
