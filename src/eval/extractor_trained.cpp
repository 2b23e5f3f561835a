// The two trained baselines: the supervised MLP (the same network trained on each draw's labelled rows)
// and the VAE (trained on the unlabelled training split, its step chosen on a validation split of it).
#include "common/random.h"
#include "eval/feature_extractor.h"

namespace mu {

namespace {

class Supervised : public FeatureExtractor {
 public:
  void run(const SeedContext& c, MethodResult& mr, EvalResult&) const override {
    const int64_t s = c.seed_index;
    for (int64_t d = 0; d < c.cfg.draws; ++d) {
      const at::Tensor& lab = c.rows.labelled[d];
      at::Tensor xl = c.xtr.index_select(0, lab), yl = c.ytr.index_select(0, lab);  // (shots*K, N^0), (shots*K)
      SupervisedModel sm = train_supervised(c.phi0, xl, yl, c.classes, c.cfg.supervised, derive_seed(c.cfg.seed, s, 7, d));
      at::Tensor xp = c.xte.index_select(0, c.rows.paper[d]);
      const Phi read = sm.phi.below_top(c.cfg.features_below_top);
      at::Tensor J = embed(read, at::cat({xl, xp}));  // one BN pass over labelled + paper rows
      c.score(mr, d, embed_reference(read, c.reference, xl), embed_reference(read, c.reference, c.xte),
              J.narrow(0, 0, xl.size(0)), J.narrow(0, xl.size(0), xp.size(0)));
      // The network's own softmax head on the whole test split, beside the readouts on its features.
      mr.runs.back().head_accuracy =
          (sm.logits(c.reference, c.xte).argmax(1) == c.yte).to(at::kDouble).mean().item<double>();
    }
  }
};

class VaeFeatures : public FeatureExtractor {
 public:
  void run(const SeedContext& c, MethodResult& mr, EvalResult&) const override {
    const std::string seed = "seed " + std::to_string(c.seed_index);
    Vae v = train_vae(c.xtr, c.cfg.vae, derive_seed(c.cfg.seed, c.seed_index, 8), [&](int64_t i, int64_t n) {
      if (c.progress && i % 500 == 0) c.progress("vae " + seed + " step", i, n);
    });
    mr.note += seed + ": " + std::to_string(v.steps_run) + " steps, parameters of step " +
               std::to_string(v.best_step) + " (lowest validation negative ELBO from step " +
               std::to_string(v.options.min_steps) + " on; lowest of all at step " + std::to_string(v.lowest_step) +
               "). ";
    const at::Tensor& ref = c.reference;
    c.score_fixed(mr, Features{[&v, &ref](const at::Tensor& x) { return v.encode_mean(x, ref); },
                               [&v](const at::Tensor& x) { return v.encode_mean(x); }});
  }
};

}  // namespace

std::unique_ptr<FeatureExtractor> make_supervised_extractor() { return std::make_unique<Supervised>(); }
std::unique_ptr<FeatureExtractor> make_vae_extractor() { return std::make_unique<VaeFeatures>(); }

}  // namespace mu
