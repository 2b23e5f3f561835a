#include "eval/analysis.h"
#include <cstdint>

#include "common/error.h"
#include "common/random.h"
#include "data/dataset.h"
#include "eval/baselines.h"
#include "eval/protocol.h"
#include "eval/readout.h"

namespace mu {

std::vector<std::vector<float>> first_layer_filters(const Phi& phi, int64_t max_units) {
  at::NoGradGuard ng;
  at::Tensor W = phi.W[0].to(at::kFloat);  // (N0, N1); row j multiplies x[perm[j]]
  at::Tensor inv = at::empty_like(phi.perm);
  inv.index_put_({phi.perm}, at::arange(phi.perm.numel(), phi.perm.options()));
  at::Tensor Wp = W.index_select(0, inv).contiguous();  // row p multiplies pixel p
  std::vector<std::vector<float>> tiles;
  for (int64_t u = 0; u < std::min(max_units, W.size(1)); ++u) {
    at::Tensor col = Wp.select(1, u).contiguous();
    tiles.emplace_back(col.data_ptr<float>(), col.data_ptr<float>() + col.numel());
  }
  return tiles;
}

std::vector<double> cumulative_explained_variance(const at::Tensor& features) {
  at::NoGradGuard ng;
  at::Tensor f = features.to(at::kDouble);
  at::Tensor c = f - f.mean(0);
  at::Tensor ev = at::linalg_eigvalsh(at::mm(c.t(), c)).flip(0).clamp_min(0);
  double total = ev.sum().item<double>();
  std::vector<double> out;
  double acc = 0;
  for (int64_t i = 0; i < ev.numel(); ++i) {
    acc += ev[i].item<double>();
    out.push_back(total > 0 ? acc / total : 0.0);
  }
  return out;
}

at::Tensor pca_project(const at::Tensor& features, int64_t k) {
  Pca p = fit_pca(features, k, false);
  return p.transform(features);
}

MoonsStudy moons_study(const Theta& theta, const std::string& hidden, int64_t steps, int64_t batch, uint64_t seed) {
  at::NoGradGuard ng;
  Dataset train = make_moons(2000, 0.05, derive_seed(seed, 1));
  Dataset test = make_moons(1000, 0.05, derive_seed(seed, 2));
  Phi phi0 = init_phi(make_arch(2, hidden, 32), derive_seed(seed, 3));
  at::Generator gen = make_generator(derive_seed(seed, 4));
  Phi phi = apply_rule(theta, phi0, train.x.to(at::kFloat), steps, batch, gen, 0, {});
  at::Tensor ref = train.x.narrow(0, 0, 1000).to(at::kFloat);
  MoonsStudy s;
  s.y = test.y;
  at::Tensor fb = embed_reference(phi0, ref, test.x), fa = embed_reference(phi, ref, test.x);
  s.before = pca_project(fb, 2);
  s.after = pca_project(fa, 2);
  s.variance_before = cumulative_explained_variance(fb);
  s.variance_after = cumulative_explained_variance(fa);
  auto acc = [&](const at::Tensor& f) {
    int64_t h = f.size(0) / 2;
    Readout r = fit_logistic_ovr(f.narrow(0, 0, h), test.y.narrow(0, 0, h), 2);
    return score_readout(r, f.narrow(0, h, f.size(0) - h), test.y.narrow(0, h, f.size(0) - h)).accuracy;
  };
  s.logistic_before = acc(fb);
  s.logistic_after = acc(fa);
  return s;
}

}  // namespace mu
