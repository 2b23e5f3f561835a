#pragma once
// The evaluation's methods behind one interface: a FeatureExtractor turns one base-model seed's unlabelled
// training data into features and scores them on every label draw of that seed (docs/maths.md 13). The
// protocol (run_evaluation) owns the seeds, rows and readouts and asks the registry for each method by name,
// so that adding a method is one implementation and one registry line.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/base_model.h"
#include "eval/protocol.h"
#include "rule/theta.h"

namespace mu {

// The features one method gives for inputs (n, N^0) -> (n, D). `full` embeds with the seed's fixed
// batch-norm reference batch; `joint` is the paper's one-BN-pass-over-the-batch form.
struct Features {
  std::function<at::Tensor(const at::Tensor&)> full;
  std::function<at::Tensor(const at::Tensor&)> joint;
};

// What every method sees of one base-model seed: the data, the seed's rows and network, and the protocol's
// scoring, which fits every readout on the labelled rows of a draw and scores it on the whole test split.
struct SeedContext {
  const EvalConfig& cfg;
  int64_t seed_index;              // s in derive_seed(cfg.seed, s, ...)
  int64_t classes;                 // K
  const at::Tensor& xtr;           // (n_tr, N^0) float
  const at::Tensor& ytr;           // (n_tr) int64
  const at::Tensor& xte;           // (n_te, N^0) float
  const at::Tensor& yte;           // (n_te) int64
  const std::vector<at::Tensor>& cls_tr;  // training indices of each class
  const std::vector<at::Tensor>& cls_te;  // test indices of each class
  const at::Tensor& reference;     // (n_ref, N^0) the batch-norm reference batch
  const Phi& phi0;                 // the seed's network at initialisation
  const SeedRows& rows;            // label draws, paper-metric rows, PCA/k-means fit rows
  const Theta* theta;              // the learned rule (null without one)
  const std::vector<int64_t>& checkpoints;  // sorted rule steps scored in full as learned@STEP
  const EvalProgress& progress;
  // Scores features of draw d: Flab (shots*K, D) and Ftest (n_te, D) for every readout, the paper metric on
  // Fpaper_lab / Fpaper_test (one BN pass over labelled + paper rows).
  std::function<RunResult(MethodResult&, int64_t d, const at::Tensor& Flab, const at::Tensor& Ftest,
                          const at::Tensor& Fpaper_lab, const at::Tensor& Fpaper_test)>
      score;
  std::function<void(MethodResult&, const Features&)> score_fixed;  // features independent of the draw
  std::function<Features(const Phi&)> phi_features;  // a network's features at cfg.features_below_top
  std::function<MethodResult*(const std::string&)> method;  // another result row (learned@STEP)
};

class FeatureExtractor {
 public:
  virtual ~FeatureExtractor() = default;
  // Fits on the seed's unlabelled training data (or on the labelled rows, for the supervised baseline) and
  // appends one RunResult per draw to `mr`; may add notes, curves and models to `out`.
  virtual void run(const SeedContext& c, MethodResult& mr, EvalResult& out) const = 0;
};

// The registry, in the order results are reported in (the same list as all_methods()). Throws mu::Error on
// an unknown name.
std::unique_ptr<FeatureExtractor> make_extractor(const std::string& name);

// The implementations (one factory each; see extractor_*.cpp).
std::unique_ptr<FeatureExtractor> make_learned_extractor();
std::unique_ptr<FeatureExtractor> make_supervised_extractor();
std::unique_ptr<FeatureExtractor> make_vae_extractor();
std::unique_ptr<FeatureExtractor> make_random_extractor();
std::unique_ptr<FeatureExtractor> make_pca_extractor();
std::unique_ptr<FeatureExtractor> make_kmeans_extractor(bool equal_width);  // kmeans-32 when true
std::unique_ptr<FeatureExtractor> make_raw_extractor();

}  // namespace mu
