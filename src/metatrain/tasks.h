#pragma once
// Meta-training tasks: thin glue over data::TaskSampler (the paper's task distribution: data source,
// N-way subset, augmentations with their parameters as extra regression targets, input permutation,
// architecture). What the glue adds is meta-training's own: a number of truncated unrolls per task (the
// config's curriculum), phi on the run's device, and unroll batches drawn from a generator re-seeded per
// unroll, so a task and every batch it serves are recomputed exactly from (run seed, slot, task serial,
// unroll index): checkpoints store counters, never generator state.
#include <cstdint>
#include <memory>
#include <vector>

#include "data/task_sampler.h"
#include "metatrain/config.h"
#include "metatrain/unroll.h"

namespace mu {

uint64_t mix_seed(uint64_t a, uint64_t b);  // splitmix64-style combination
uint64_t mix_seed(std::initializer_list<uint64_t> parts);

// The sampler configuration a meta-training config describes.
data::TaskSamplerConfig sampler_config(const MetaConfig& cfg);

struct TaskData {
  std::shared_ptr<const data::TaskSampler> sampler;  // loads the sources' train splits; refuses held-out sets
  at::Device device = at::kCPU;
};
TaskData load_task_data(const MetaConfig& cfg, at::Device device = at::kCPU);

struct Task {
  data::Task task;  // sampler.sample(index)
  int64_t truncations = 1;
  Activation activation = Activation::relu;  // the base model's, drawn from cfg.activations
};
// The sampler's task `index`; `step` sets the truncation distribution (curriculum).
Task sample_task(const MetaConfig& cfg, const TaskData& data, uint64_t index, int64_t step);
// init_phi on the task's architecture, with the sampler's input permutation.
Phi task_phi(const Task& task, at::Device device);
// U unlabelled batches of cfg.batch and, for every state, cfg.evals labelled (train, test) pairs of
// cfg.shots per class each, augmentation targets as LabelledBatch::extra. The task's batch stream is
// re-seeded from `seed` first (a new generator: copies of the task are not affected).
UnrollBatches sample_unroll(const MetaConfig& cfg, const TaskData& data, Task& task, int64_t U, uint64_t seed);
// U ~ uniform over cfg.unroll_range(step), from `seed`.
int64_t sample_unroll_length(const MetaConfig& cfg, int64_t step, uint64_t seed);

Phi phi_to(const Phi& phi, at::Device device);

}  // namespace mu
