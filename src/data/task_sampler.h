#pragma once
// The meta-training task distribution (paper appendix "Training Data Distribution"; docs/maths.md 13.1):
// a data source, an N-way class subset, augmentations with probabilities whose parameters become extra
// regression targets, a fresh input permutation, a base-model architecture and a number of inner steps.
// Task k is a pure function of (config.seed, k); its batches come from the task's own generator, so a
// run reproduces from the seed. Held-out evaluation sets (mnist, fashion-mnist) are refused.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/torch.h"
#include "data/dataset.h"

namespace mu::data {

struct TaskSamplerConfig {
  // Data sources and their sampling weights (empty weights: uniform). Names as load_dataset takes them;
  // "glyphs" enables the specialised 10-way subsets below.
  std::vector<std::string> sources = {"glyphs"};
  std::vector<double> weights;
  int64_t resolution = 14;  // image side for image sources (glyphs 14: binary renderings)
  uint64_t seed = 0;

  // Classes: random N-way subsets, or (glyph sources only, with probability p_special) a 10-way subset
  // of one specialised alphabet. N is clipped to the source's class count (spam, moons: 2).
  std::vector<int64_t> ways = {10, 13, 14, 17, 20, 30};
  double p_special = 0.25;
  std::vector<std::string> special_subsets = {"glyphs:latin", "glyphs:math", "glyphs:currency"};
  int64_t special_ways = 10;

  // Geometric augmentation (images): for half the random tasks and all specialised ones (paper).
  double p_geometric = 0.5;
  double max_rotation_deg = 360;  // angle ~ U(-max/2, max/2); targets cos, sin
  double max_shift_px = 5;        // dx, dy ~ U(-max, max); targets dx/max, dy/max
  // Further augmentations, each switched on for a task with its probability.
  double p_task_dropout = 0.2;     // one mask for all examples of the task
  double p_example_dropout = 0.2;  // a fresh mask per example
  double max_dropout = 0.5;        // the task's drop rate ~ U(0, max_dropout)
  double p_class_permutation = 0.1;  // each class permuted by one of n_fixed_permutations fixed ones
  int64_t n_fixed_permutations = 10;
  double p_x_shift = 0.2;  // images: per-image horizontal roll by s ~ U{-max_x_shift..max_x_shift}; target s/max
  int64_t max_x_shift = 3;

  // Base model: hidden layers ~ U{min_depth..max_depth}, widths log-uniform in [min_width, max_width]
  // (one width for all hidden layers unless per_layer_widths), output width `output`.
  int64_t min_depth = 2, max_depth = 5;
  int64_t min_width = 64, max_width = 512, output = 32;
  bool per_layer_widths = false;
  int64_t min_inner_steps = 100, max_inner_steps = 1000;  // ~ U{min..max}

  int64_t batch = 128;            // unlabelled batch size B
  int64_t labelled_per_class = 10;  // per class in each half of a labelled pair
};

struct Task {
  uint64_t index = 0, seed = 0;
  std::string source;                    // e.g. "glyphs", "glyphs:math", "spam"
  bool special = false;                  // a specialised 10-way glyph subset
  std::vector<int64_t> classes;          // class indices in the source data set
  std::vector<std::string> class_names;  // their names; task label k = classes[k]
  int64_t ways() const { return static_cast<int64_t>(classes.size()); }
  int64_t input_dim = 0;
  std::vector<int64_t> image_shape;  // {H, W} or {H, W, C}; empty for vectors

  // Augmentation switched on for this task.
  bool geometric = false;
  double rotation_deg = 0, shift_px = 0;  // maxima used for this task
  at::Tensor task_mask;                   // (D) float 0/1, undefined when off
  double example_dropout = 0;             // per-example drop rate; 0 when off
  std::vector<int64_t> class_permutation;  // per task class: index into the fixed set, -1 for none
  int64_t x_shift = 0;                     // max per-image horizontal roll; 0 when off
  std::vector<std::string> target_names;   // columns of TaskBatch::targets, e.g. {"cos", "sin", "dx", "dy"}

  // Base model to train on this task: widths N^0 (= input_dim) .. N^L (= output).
  std::vector<int64_t> widths;
  uint64_t phi_seed = 0;   // for init_phi (draws W, V, b and its own input permutation)
  at::Tensor input_perm;   // (D) int64, a fresh input permutation drawn for this task
  int64_t inner_steps = 0;

  at::Generator gen;  // the task's batch stream; advanced by every batch drawn
};

struct TaskBatch {
  at::Tensor x;        // (n, D) float, augmented, not input-permuted
  at::Tensor y;        // (n) int64 task label in [0, ways)
  at::Tensor targets;  // (n, target_names.size()) float augmentation parameters (regression targets)
};

class TaskSampler {
 public:
  // Loads the sources' train splits. Throws mu::Error for an evaluation set or a missing data set.
  explicit TaskSampler(TaskSamplerConfig cfg);
  const TaskSamplerConfig& config() const { return cfg_; }
  // Task `index` of the stream: the same index gives the same task.
  Task sample(uint64_t index) const;
  // B unlabelled examples (labels returned for diagnostics; the rule must not see them).
  TaskBatch unlabelled(Task& task, int64_t batch = 0) const;
  // Class-balanced train and test halves, labelled_per_class each per class, disjoint where the class
  // has enough examples.
  std::pair<TaskBatch, TaskBatch> labelled_pair(Task& task) const;
  // The fixed per-class permutations ((n_fixed_permutations, D) int64) of a source's input width.
  at::Tensor fixed_permutations(int64_t dim) const;

 private:
  struct Source {
    std::string name;
    Dataset data;                               // train split only
    std::vector<std::vector<int64_t>> by_class;  // example indices per class
  };
  const Source& source(const std::string& name) const;
  TaskBatch draw(Task& task, const std::vector<int64_t>& idx, const std::vector<int64_t>& labels) const;
  TaskSamplerConfig cfg_;
  std::map<std::string, Source> sources_;
};

}  // namespace mu::data
