// The learned rule as an evaluation method: the seed's network trained by the rule for cfg.steps unlabelled
// batches, with the paper's curve every cfg.curve_every steps and the network scored in full at each
// checkpoint step (learned@STEP).
#include <algorithm>
#include <chrono>
#include <utility>

#include "common/random.h"
#include "eval/feature_extractor.h"
#include "objective/meta_objective.h"

namespace mu {

namespace {

// The paper's few-shot metric on one fresh curve batch: `shots` per class of train, at most that many per
// class of test, logistic and ridge (the MetaObjective) readouts.
CurvePoint curve_point(const SeedContext& c, int64_t t, const Phi& phi, at::Generator& curve_gen) {
  int64_t curve_per = c.cfg.shots;
  for (const auto& k : c.cls_te) curve_per = std::min(curve_per, k.size(0));
  at::Tensor li = balanced_indices(c.cls_tr, c.cfg.shots, curve_gen).reshape(-1);
  at::Tensor pi = balanced_indices(c.cls_te, curve_per, curve_gen).reshape(-1);
  LabelledBatch a{c.xtr.index_select(0, li), c.ytr.index_select(0, li)};
  LabelledBatch b{c.xte.index_select(0, pi), c.yte.index_select(0, pi)};
  CurvePoint cp;
  cp.step = t;
  at::Tensor F = embed(phi.below_top(c.cfg.features_below_top), at::cat({a.x, b.x}));  // (n_a + n_b, D)
  Readout lr = fit_logistic_ovr(F.narrow(0, 0, a.x.size(0)), a.y, c.classes, c.cfg.logistic);
  cp.logistic_accuracy = score_readout(lr, F.narrow(0, a.x.size(0), b.x.size(0)), b.y).accuracy;
  MetaObjectiveResult mo = meta_objective(phi, a, b, c.classes);
  cp.ridge_accuracy = mo.accuracy_test;
  cp.ridge_loss = mo.loss.item<double>();
  return cp;
}

std::string checkpoint_name(int64_t t) { return "learned@" + std::to_string(t); }

class LearnedRule : public FeatureExtractor {
 public:
  void run(const SeedContext& c, MethodResult& mr, EvalResult& out) const override {
    const int64_t s = c.seed_index;
    at::Generator batch_gen = make_generator(derive_seed(c.cfg.seed, s, 5));
    at::Generator curve_gen = make_generator(derive_seed(c.cfg.seed, s, 6));
    std::vector<CurvePoint> curve;
    std::vector<std::pair<int64_t, Phi>> kept;  // the model at each checkpoint
    auto on_step = [&](int64_t t, const Phi& phi) {
      if (std::find(c.checkpoints.begin(), c.checkpoints.end(), t) != c.checkpoints.end()) kept.emplace_back(t, phi);
      const bool on_curve = t == 0 || t == c.cfg.steps || (c.cfg.curve_every > 0 && t % c.cfg.curve_every == 0);
      if (!on_curve) return;  // a checkpoint only
      curve.push_back(curve_point(c, t, phi, curve_gen));
      if (c.progress && t > 0) c.progress("learned seed " + std::to_string(s) + " step", t, c.cfg.steps);
    };
    int64_t failed = -1;
    Phi phi = apply_rule(*c.theta, c.phi0, c.xtr, c.cfg.steps, c.cfg.batch, batch_gen, c.cfg.curve_every, on_step,
                         &failed, c.checkpoints);
    if (failed >= 0)
      mr.note += "seed " + std::to_string(s) + ": the rule produced a non-finite update at step " +
                 std::to_string(failed) + "; evaluated the last finite model. ";
    out.curves.push_back(curve);
    out.learned.push_back(phi);
    c.score_fixed(mr, c.phi_features(phi));
    score_checkpoints(c, kept, failed);
  }

 private:
  static void score_checkpoints(const SeedContext& c, const std::vector<std::pair<int64_t, Phi>>& kept,
                                int64_t failed) {
    using Clock = std::chrono::steady_clock;
    for (const auto& [t, at_t] : kept) {
      auto tc = Clock::now();
      MethodResult& cm = *c.method(checkpoint_name(t));
      c.score_fixed(cm, c.phi_features(at_t));
      cm.seconds += std::chrono::duration<double>(Clock::now() - tc).count();
    }
    for (int64_t t : c.checkpoints)
      if (failed >= 0 && t >= failed)
        c.method(checkpoint_name(t))->note += "seed " + std::to_string(c.seed_index) +
                                              ": not reached (non-finite update at step " +
                                              std::to_string(failed) + "). ";
  }
};

}  // namespace

std::unique_ptr<FeatureExtractor> make_learned_extractor() { return std::make_unique<LearnedRule>(); }

}  // namespace mu
