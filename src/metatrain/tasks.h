#pragma once
// Meta-training tasks: thin glue over data::TaskSampler (the paper's task distribution: data source,
// N-way subset, augmentations with their parameters as extra regression targets, input permutation,
// architecture). What the glue adds is meta-training's own: the base model's activation, phi on the run's
// device, and unroll batches drawn from a generator re-seeded per unroll, so a task and every batch it
// serves are recomputed exactly from (run seed, slot, task serial, unroll index): checkpoints store
// counters, never generator state. How long a task lasts is the truncation schedule's (truncation.h).
#include <cstdint>
#include <memory>
#include <vector>

#include "data/task_sampler.h"
#include "metatrain/config.h"
#include "metatrain/unroll.h"

namespace mu {


// The sampler configuration a meta-training config describes.
data::TaskSamplerConfig sampler_config(const MetaConfig& cfg);

struct TaskData {
  std::shared_ptr<const data::TaskSampler> sampler;  // loads the sources' train splits; refuses held-out sets
  at::Device device = at::kCPU;
};
TaskData load_task_data(const MetaConfig& cfg, at::Device device = at::kCPU);

// A data::Task (sampler.sample(index)) as meta-training runs it: with the activation of the base model
// trained on it.
struct TaskInstance : data::Task {
  Activation activation = Activation::relu;  // the base model's, drawn from cfg.activations
};
// The sampler's task `index`.
TaskInstance sample_task(const MetaConfig& cfg, const TaskData& data, uint64_t index);
// init_phi on the task's architecture, with the sampler's input permutation.
Phi task_phi(const TaskInstance& task, at::Device device);
// U unlabelled batches of cfg.batch and, for every state, cfg.evals labelled (train, test) pairs of
// cfg.shots per class each, augmentation targets as LabelledBatch::extra. The task's batch stream is
// re-seeded from `seed` first (a new generator: copies of the task are not affected).
UnrollBatches sample_unroll(const MetaConfig& cfg, const TaskData& data, TaskInstance& task, int64_t U, uint64_t seed);

Phi phi_to(const Phi& phi, at::Device device);

}  // namespace mu
