#pragma once
// Meta-training configuration (configs/*.json; docs/maths.md 13.1 for the paper's values).
// Every field has a default; a config file names only what it changes. Unknown keys are refused.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mu {

struct MetaConfig {
  std::string name = "custom";
  uint64_t seed = 0;
  int64_t steps = 1000;  // meta-steps (theta updates)

  // Task distribution (data::TaskSampler, data/task_sampler.h). Held-out sets (mnist, fashion-mnist) are
  // refused.
  std::vector<std::string> datasets = {"moons"};
  std::vector<double> dataset_weights;  // sampling weight per data set; empty = uniform
  int64_t resolution = 14;
  // N-way class subsets (capped by the data set's class count): N from `ways` when given (the paper's
  // {10, 13, 14, 17, 20, 30}), else uniform over way_min..way_max.
  int64_t way_min = 2, way_max = 10;
  std::vector<int64_t> ways;
  double p_special = 0.25;     // glyph sources: a specialised 10-way alphabet / math / currency subset
  int64_t special_ways = 10;
  // Augmentations (each switched on per task with its probability; parameters become extra regression
  // targets of the MetaObjective): rotation + shift (images), task / example dropout masks, a fixed
  // permutation per class, per-image horizontal roll.
  double p_geometric = 0.5, max_rotation_deg = 360, max_shift_px = 5;
  double p_task_dropout = 0.2, p_example_dropout = 0.2, max_dropout = 0.5;
  double p_class_permutation = 0.1;
  int64_t n_fixed_permutations = 10;
  double p_x_shift = 0.2;
  int64_t max_x_shift = 3;
  int64_t batch = 64;                 // unlabelled batch per rule step
  int64_t shots = 10;                 // labelled examples per class in each train and each test half
  int64_t evals = 5;                  // M ridge evaluations per state
  // Architecture: depth (hidden layers) uniform, widths log-uniform, embedding fixed.
  int64_t depth_min = 2, depth_max = 5;
  int64_t width_min = 64, width_max = 512;
  int64_t embed = 32;
  // The MetaObjective's readout: X^{L - readout_below_top} (0: the embedding, as in the paper; 1: the last
  // hidden layer, which reads out better on wide networks) and its ridge penalty (0.1 in the paper).
  int64_t readout_below_top = 0;
  double readout_lambda = 0.1;
  bool per_layer_widths = false;  // false: one log-uniform width shared by all hidden layers
  // Base-model activation per task, uniform over this list (the paper meta-trained on ReLU only; the
  // activation study shows what that costs on tanh, sigmoid, ELU, softplus and identity networks).
  std::vector<std::string> activations = {"relu"};

  // Rule.
  double eta = 1e-3;
  bool identical_updates = true;

  // Unroll length: U ~ uniform[u_lo, u_hi], both widening linearly from the start to the end pair over
  // curriculum_steps (fraction of steps if < 1... given in steps; 0 = steps/4).
  int64_t u_start_lo = 2, u_start_hi = 4, u_end_lo = 8, u_end_hi = 15;
  int64_t curriculum_steps = 0;
  // Truncations per task: 1 + floor(|N(0, std)|), std widening linearly from trunc_std_start to
  // trunc_std_end over curriculum_steps, capped at trunc_max.
  double trunc_std_start = 20, trunc_std_end = 20000;
  int64_t trunc_max = 1000000;

  // Meta-optimiser: Adam; lr[i] applies from lr_breaks[i-1] * steps on (breaks are fractions of steps).
  std::vector<double> lr = {3e-4, 1e-4, 2e-5};
  std::vector<double> lr_breaks = {0.5, 0.75};
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  double clip = 5.0;
  int64_t meta_batch = 4;     // gradients averaged per theta update
  int64_t max_staleness = 2;  // async: gradients computed from theta older than this many updates are dropped

  // Memory: recompute each inner step in the backward pass (peak memory flat in U).
  bool recompute = false;

  // Book-keeping.
  int64_t checkpoint_every = 50;
  int64_t validate_every = 50;    // 0 = never
  int64_t val_tasks = 4;          // fixed validation tasks (sampler tasks from an index range training never uses)
  int64_t val_steps = 20;         // rule steps applied on each validation task before the meta-objective

  nlohmann::json to_json() const;
  static MetaConfig from_json(const nlohmann::json& j);  // throws mu::Error on unknown keys / bad values
  void validate() const;
  // Pins the task distribution to one architecture, "WxD" (D hidden layers of W units), e.g. to read a rule
  // out on a wider network than it was meta-trained on (`validate --arch`). Throws mu::Error on bad input.
  void fix_arch(const std::string& hidden);
  int64_t curriculum() const { return curriculum_steps > 0 ? curriculum_steps : std::max<int64_t>(1, steps / 4); }
  double lr_at(int64_t step) const;
  std::pair<int64_t, int64_t> unroll_range(int64_t step) const;
  double trunc_std(int64_t step) const;
};

// NAME ("tiny", "cpu", "paper": configs/NAME.json next to the source tree or the binary) or a file path.
MetaConfig load_meta_config(const std::string& name_or_path);
std::string find_config_file(const std::string& name_or_path);

}  // namespace mu
