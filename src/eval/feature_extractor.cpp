#include "eval/feature_extractor.h"

#include <utility>

#include "common/error.h"
#include "common/random.h"

namespace mu {

namespace {

using Factory = std::unique_ptr<FeatureExtractor> (*)();

// Name -> implementation, in the order results are reported in.
const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> r = {
      {"learned", make_learned_extractor},
      {"random", make_random_extractor},
      {"supervised", make_supervised_extractor},
      {"vae", make_vae_extractor},
      {"pca", make_pca_extractor},
      {"kmeans", [] { return make_kmeans_extractor(false); }},
      {"kmeans-32", [] { return make_kmeans_extractor(true); }},
      {"raw", make_raw_extractor},
  };
  return r;
}

// The untrained network: what the learned rule has to improve on.
class RandomInit : public FeatureExtractor {
 public:
  void run(const SeedContext& c, MethodResult& mr, EvalResult&) const override {
    c.score_fixed(mr, c.phi_features(c.phi0));
  }
};

// Whitened PCA to cfg.pca_dim, fitted on the seed's fit rows.
class PcaFeatures : public FeatureExtractor {
 public:
  void run(const SeedContext& c, MethodResult& mr, EvalResult&) const override {
    Pca p = fit_pca(c.xtr.index_select(0, c.rows.fit), c.cfg.pca_dim, true);
    auto f = [p](const at::Tensor& x) { return p.transform(x); };
    c.score_fixed(mr, Features{f, f});
  }
};

// Coates-Ng whole-image k-means; the equal-width variant has as many centres as the embedding (32).
class KMeansFeatures : public FeatureExtractor {
 public:
  explicit KMeansFeatures(bool equal_width) : equal_width_(equal_width) {}
  void run(const SeedContext& c, MethodResult& mr, EvalResult&) const override {
    CoatesOptions opt = c.cfg.kmeans;
    if (equal_width_) opt.k = 32;
    CoatesKMeans km = fit_coates_kmeans(c.xtr.index_select(0, c.rows.fit), opt, derive_seed(c.cfg.seed, c.seed_index, 9));
    auto f = [km](const at::Tensor& x) { return km.transform(x); };
    c.score_fixed(mr, Features{f, f});
  }

 private:
  bool equal_width_;
};

// The input itself.
class RawInput : public FeatureExtractor {
 public:
  void run(const SeedContext& c, MethodResult& mr, EvalResult&) const override {
    auto f = [](const at::Tensor& x) { return x; };
    c.score_fixed(mr, Features{f, f});
  }
};

}  // namespace

const std::vector<std::string>& all_methods() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, make] : registry()) n.push_back(name);
    return n;
  }();
  return names;
}

std::unique_ptr<FeatureExtractor> make_extractor(const std::string& name) {
  for (const auto& [n, make] : registry())
    if (n == name) return make();
  throw Error("unknown evaluation method '" + name + "'");
}

std::unique_ptr<FeatureExtractor> make_random_extractor() { return std::make_unique<RandomInit>(); }
std::unique_ptr<FeatureExtractor> make_pca_extractor() { return std::make_unique<PcaFeatures>(); }
std::unique_ptr<FeatureExtractor> make_kmeans_extractor(bool equal_width) {
  return std::make_unique<KMeansFeatures>(equal_width);
}
std::unique_ptr<FeatureExtractor> make_raw_extractor() { return std::make_unique<RawInput>(); }

}  // namespace mu
