#pragma once
// Meta-training tasks (paper appendix): a data set, an N-way class subset, a sampled architecture, a
// fresh phi, and a number of truncated unrolls. Everything random derives from a 64-bit seed, so a task
// and every batch it serves are recomputed exactly from (run seed, slot, task serial, unroll index):
// checkpoints store counters, never generator state.
// Thin glue over load_dataset: it switches to data/task_sampler.h when that lands.
#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "metatrain/config.h"
#include "metatrain/unroll.h"

namespace mu {

uint64_t mix_seed(uint64_t a, uint64_t b);  // splitmix64-style combination
uint64_t mix_seed(std::initializer_list<uint64_t> parts);

struct TaskData {
  struct Set {
    Dataset data;                        // one split of one data set (on the run's device)
    std::vector<at::Tensor> class_index;  // per class: int64 row indices (CPU)
  };
  std::vector<Set> train, test;  // per config.datasets entry
  at::Device device = at::kCPU;
};
// Loads every configured data set (refusing held-out ones) and indexes rows by class.
TaskData load_task_data(const MetaConfig& cfg, at::Device device = at::kCPU);

struct Task {
  uint64_t seed = 0;
  int64_t dataset = 0;
  bool test_split = false;
  std::vector<int64_t> classes;  // original class ids; labels are their positions
  at::Tensor pool;               // rows of every chosen class (unlabelled batches draw from here)
  Arch arch;
  int64_t truncations = 1;
  uint64_t phi_seed = 0;
};
// `step` sets the truncation distribution (curriculum).
Task sample_task(const MetaConfig& cfg, const TaskData& data, uint64_t seed, int64_t step, bool test_split);
Phi task_phi(const Task& task, at::Device device);
// U unlabelled batches of cfg.batch and, for every state, cfg.evals labelled (train, test) pairs of
// cfg.shots per class each (disjoint within a pair when the class is large enough).
UnrollBatches sample_unroll(const MetaConfig& cfg, const TaskData& data, const Task& task, int64_t U,
                            uint64_t seed);
// U ~ uniform over cfg.unroll_range(step), from `seed`.
int64_t sample_unroll_length(const MetaConfig& cfg, int64_t step, uint64_t seed);

Phi phi_to(const Phi& phi, at::Device device);

}  // namespace mu
