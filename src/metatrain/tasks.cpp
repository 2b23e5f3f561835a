#include "metatrain/tasks.h"

#include <cstdint>
#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/random.h"

namespace mu {

data::TaskSamplerConfig sampler_config(const MetaConfig& c) {
  data::TaskSamplerConfig s;
  s.sources = c.datasets;
  s.weights = c.dataset_weights;
  s.resolution = c.resolution;
  s.seed = c.seed;
  s.ways.clear();
  if (!c.ways.empty())
    s.ways = c.ways;
  else
    for (int64_t w = c.way_min; w <= c.way_max; ++w) s.ways.push_back(w);
  s.p_special = c.p_special;
  s.special_ways = c.special_ways;
  s.p_geometric = c.p_geometric;
  s.max_rotation_deg = c.max_rotation_deg;
  s.max_shift_px = c.max_shift_px;
  s.p_task_dropout = c.p_task_dropout;
  s.p_example_dropout = c.p_example_dropout;
  s.max_dropout = c.max_dropout;
  s.p_class_permutation = c.p_class_permutation;
  s.n_fixed_permutations = c.n_fixed_permutations;
  s.p_x_shift = c.p_x_shift;
  s.max_x_shift = c.max_x_shift;
  s.min_depth = c.depth_min, s.max_depth = c.depth_max;
  s.min_width = c.width_min, s.max_width = c.width_max;
  s.output = c.embed;
  s.per_layer_widths = c.per_layer_widths;
  s.batch = c.batch;
  s.labelled_per_class = c.shots;
  // Inner steps: meta-training sets a task's length by its truncation count (trunc_* keys), so the
  // sampler's own inner-step draw is left at its default and not used.
  return s;
}

TaskData load_task_data(const MetaConfig& cfg, at::Device device) {
  TaskData td;
  td.sampler = std::make_shared<const data::TaskSampler>(sampler_config(cfg));
  td.device = device;
  return td;
}

TaskInstance sample_task(const MetaConfig& cfg, const TaskData& data, uint64_t index) {
  TaskInstance t;
  static_cast<data::Task&>(t) = data.sampler->sample(index);
  MU_CHECK(t.ways() >= 2, "task from " + t.source + " has fewer than two classes");
  // Its own stream, so a one-activation config draws exactly the tasks it drew before the option existed.
  const uint64_t n = cfg.activations.size();
  t.activation = parse_activation(cfg.activations[n > 1 ? derive_seed(t.seed, 0xAC71ULL) % n : 0]);
  return t;
}

Phi phi_to(const Phi& p, at::Device device) {
  Phi q = p;
  for (auto* v : {&q.W, &q.V, &q.b})
    for (auto& x : *v) x = x.to(device);
  q.perm = p.perm.to(device);
  return q;
}

Phi task_phi(const TaskInstance& task, at::Device device) {
  Arch arch;
  arch.widths = task.widths;
  arch.activation = task.activation;
  Phi phi = init_phi(arch, task.phi_seed, at::kFloat, /*shuffle_input=*/false);
  phi.perm = task.input_perm.clone();
  return phi_to(phi, device);
}

UnrollBatches sample_unroll(const MetaConfig& cfg, const TaskData& data, TaskInstance& task, int64_t U, uint64_t seed) {
  MU_CHECK(U >= 1, "unroll length must be >= 1");
  data::Task& t = task;
  t.gen = make_generator(seed);  // a fresh handle: copies of the task keep theirs
  const data::TaskSampler& s = *data.sampler;
  auto labelled = [&](const data::TaskBatch& b) {
    LabelledBatch lb{b.x.to(data.device), b.y.to(data.device), {}};
    if (b.targets.defined() && b.targets.size(1) > 0) lb.extra = b.targets.to(data.device);
    return lb;
  };
  UnrollBatches ub;
  ub.classes = t.ways();
  ub.readout_below_top = cfg.readout_below_top;
  ub.lambda = cfg.readout_lambda;
  for (int64_t i = 0; i < U; ++i) {
    ub.unlabelled.push_back(s.unlabelled(t, cfg.batch).x.to(data.device));
    std::vector<std::pair<LabelledBatch, LabelledBatch>> pairs;
    for (int64_t m = 0; m < cfg.evals; ++m) {
      auto [tr, te] = s.labelled_pair(t);
      pairs.emplace_back(labelled(tr), labelled(te));
    }
    ub.evals.push_back(std::move(pairs));
  }
  return ub;
}

}  // namespace mu
