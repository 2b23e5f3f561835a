#pragma once
// The few-shot evaluation protocol (docs/maths.md 13).
//
// For every base-model seed: a fresh base model phi_0 (init_phi, with a fresh input permutation) is
// trained by the learned rule for `steps` unlabelled batches of the training split, recording a curve
// of the paper's 100-example metrics every `curve_every` steps. Then, for every label draw, `shots`
// labelled examples per class are drawn from the training split; each method's features of those
// examples fit the readout, which is scored on the WHOLE held-out test split. Every method shares the
// seed's architecture, input permutation, batch-norm reference batch, readout and label draws.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/base_model.h"
#include "common/random.h"
#include "data/dataset.h"
#include "eval/baselines.h"
#include "eval/readout.h"
#include "rule/theta.h"

namespace mu {

// learned, random, supervised, vae, pca, kmeans, kmeans-32, raw (the order results are reported in).
// kmeans is Coates-Ng k-means with EvalConfig::kmeans.k centres (256); kmeans-32 the same with 32 centres,
// the comparison at the learned embedding's width.
const std::vector<std::string>& all_methods();
// "all", or a comma list of method names ("learned" may be listed too). Throws mu::Error on unknown names.
std::vector<std::string> parse_methods(const std::string& list);

struct EvalConfig {
  std::string hidden = "128x4";  // hidden widths (make_arch syntax); input from the data, output below
  int64_t embedding = 32;        // N^L
  int64_t features_below_top = 0;  // network methods read out X^{L-k}: 0 the embedding (the paper's), 1 the last hidden layer
  Activation activation = Activation::relu;
  bool shuffle_input = true;     // fresh random input permutation per base-model seed
  int64_t steps = 3000;          // applications of the learned rule
  int64_t batch = 128;           // unlabelled batch per application
  int64_t curve_every = 100;     // curve sampling interval (0: only start and end)
  int64_t shots = 10;            // labelled examples per class
  int64_t seeds = 3;             // base-model seeds
  int64_t draws = 5;             // label draws per seed
  std::vector<std::string> methods = all_methods();
  ReadoutKind readout = ReadoutKind::logistic_ovr;  // the headline readout; every readout is also reported
  LogisticOptions logistic;
  int64_t reference = 1000;      // batch-norm reference batch (unlabelled training examples)
  int64_t fit_examples = 10000;  // unlabelled training examples that PCA and k-means are fitted on
  int64_t pca_dim = 32;
  CoatesOptions kmeans;          // the kmeans method (256 centres); kmeans-32 is the same with 32
  std::vector<int64_t> checkpoints;  // rule steps (<= steps) at which the learned method is also scored in
                                     // full (every draw, whole test split): methods "learned@STEP"
  int64_t paper_test_per_class = 10;  // the paper-style metric's test batch (10 per class = 100)
  double eta = 0;                // inner step; 0 keeps the rule file's value
  VaeOptions vae;
  SupervisedOptions supervised;
  uint64_t seed = 0;
};

struct RunResult {
  int64_t seed = 0, draw = 0;
  double accuracy = 0;                   // headline readout, whole test split
  double test_loss = 0;                  // mean -log p(true class), headline readout
  std::map<std::string, double> readouts;  // accuracy per readout kind ("logistic", "multinomial", "ridge")
  double paper_accuracy = 0;             // logistic OvR, 100 labelled vs 10 per class of test, one BN pass
  double head_accuracy = -1;             // supervised only: its own softmax layer on the whole test split
};

struct MethodResult {
  std::string name;
  int64_t feature_dim = 0;
  double seconds = 0;                   // wall time of everything the method needed
  std::vector<RunResult> runs;
  std::string note;                     // e.g. where the rule stopped on a non-finite update
  double mean() const;
  double stddev() const;                // population standard deviation over runs
};

struct CurvePoint {
  int64_t step = 0;
  double logistic_accuracy = 0;  // paper metric: OvR logistic on 100 labelled vs 100 test examples
  double ridge_accuracy = 0;     // MetaObjective's accuracy_test
  double ridge_loss = 0;         // MetaObjective J
};

struct EvalResult {
  EvalConfig config;
  std::string dataset;
  int64_t resolution = 0;
  Arch arch;
  int64_t classes = 0, train_examples = 0, test_examples = 0;
  std::string rule_variant;
  double eta = 0;
  std::vector<MethodResult> methods;
  std::vector<std::vector<CurvePoint>> curves;  // per seed (learned only)
  std::vector<Phi> learned;                     // final learned phi per seed (learned only)
  std::vector<Phi> initial;                     // phi_0 per seed
  double seconds = 0;
  const MethodResult* find(const std::string& name) const;
};

using EvalProgress = std::function<void(const std::string& label, int64_t i, int64_t n)>;

// theta may be null when "learned" is not among the methods. Throws mu::Error on bad configuration
// (a class with fewer than `shots` training examples, an input width the data does not have, ...).
EvalResult run_evaluation(const EvalConfig& cfg, const Theta* theta, const Split& data, int64_t resolution = 0,
                          const EvalProgress& progress = {});

// The training and test rows the protocol uses for base-model seed s (shared by every method): the
// unlabelled rows PCA and k-means are fitted on, and per label draw the labelled training rows (`shots`
// per class, class-major) and the paper metric's test rows. For independent re-implementations.
struct SeedRows {
  at::Tensor fit;                    // (min(fit_examples, n_train)) int64 training rows
  std::vector<at::Tensor> labelled;  // per draw: (shots * classes) int64 training rows
  std::vector<at::Tensor> paper;     // per draw: (paper_per * classes) int64 test rows
};
SeedRows protocol_rows(const EvalConfig& cfg, const Split& data, int64_t s);

// Applies the rule to phi for `steps` batches drawn from x with `gen`; calls on_step(t, phi) at t = 0,
// every `every` steps, at every step listed in `also`, and at the end. Stops early (returning the last finite phi and setting
// *failed_at) if the rule produces a non-finite update.
Phi apply_rule(const Theta& theta, Phi phi, const at::Tensor& x, int64_t steps, int64_t batch, at::Generator& gen,
               int64_t every, const std::function<void(int64_t, const Phi&)>& on_step, int64_t* failed_at = nullptr,
               const std::vector<int64_t>& also = {});

// results.json content (product.md schema, plus per-readout numbers, curves and timings).
struct RuleInfo {
  std::string file, sha256;
};
nlohmann::json to_json(const EvalResult& r, const RuleInfo& rule);

}  // namespace mu
