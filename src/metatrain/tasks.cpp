#include "metatrain/tasks.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/random.h"
#include "data/catalog.h"

namespace mu {

uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9e3779b97f4a7c15ULL + (b * 0xbf58476d1ce4e5b9ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t mix_seed(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (uint64_t p : parts) h = mix_seed(h, p);
  return h;
}

namespace {
TaskData::Set index_set(Dataset d, at::Device device) {
  TaskData::Set s;
  MU_CHECK(d.size() > 0, "meta-training data set " + d.name + " is empty");
  at::Tensor y = d.y.to(at::kCPU);
  for (int64_t c = 0; c < d.classes(); ++c) s.class_index.push_back(at::nonzero(y == c).flatten().contiguous());
  d.x = d.x.to(device, at::kFloat).contiguous();
  d.y = d.y.to(device);
  s.data = std::move(d);
  return s;
}
double uniform01(at::Generator& g) { return at::rand({1}, g, at::kDouble).item<double>(); }
int64_t uniform_int(at::Generator& g, int64_t lo, int64_t hi) {  // inclusive
  return lo + at::randint(hi - lo + 1, {1}, g, at::kLong).item<int64_t>();
}
}  // namespace

TaskData load_task_data(const MetaConfig& cfg, at::Device device) {
  TaskData td;
  td.device = device;
  for (const auto& spec : cfg.datasets) {
    MU_CHECK(!data::is_held_out(spec), "data set '" + spec + "' is held out and never used in meta-training");
    Split sp = load_dataset(spec, cfg.resolution, cfg.seed);
    td.train.push_back(index_set(std::move(sp.train), device));
    td.test.push_back(index_set(std::move(sp.test), device));
  }
  return td;
}

Task sample_task(const MetaConfig& cfg, const TaskData& data, uint64_t seed, int64_t step, bool test_split) {
  at::Generator g = make_generator(seed);
  Task t;
  t.seed = seed;
  t.test_split = test_split;
  t.dataset = uniform_int(g, 0, int64_t(cfg.datasets.size()) - 1);
  const auto& set = (test_split ? data.test : data.train)[t.dataset];
  // Only classes with at least two examples can serve a (train, test) pair.
  std::vector<int64_t> usable;
  for (int64_t c = 0; c < int64_t(set.class_index.size()); ++c)
    if (set.class_index[c].numel() >= 2) usable.push_back(c);
  MU_CHECK(usable.size() >= 2, set.data.name + ": fewer than two classes with two examples");
  int64_t way = uniform_int(g, std::min<int64_t>(cfg.way_min, usable.size()),
                            std::min<int64_t>(cfg.way_max, usable.size()));
  at::Tensor perm = at::randperm(int64_t(usable.size()), g, at::kLong);
  std::vector<at::Tensor> rows;
  for (int64_t i = 0; i < way; ++i) {
    t.classes.push_back(usable[perm[i].item<int64_t>()]);
    rows.push_back(set.class_index[t.classes.back()]);
  }
  t.pool = at::cat(rows);
  int64_t depth = uniform_int(g, cfg.depth_min, cfg.depth_max);
  t.arch.widths = {set.data.dim()};
  for (int64_t l = 0; l < depth; ++l) {
    double u = uniform01(g);
    double w = std::exp(std::log(double(cfg.width_min)) + u * (std::log(double(cfg.width_max)) -
                                                               std::log(double(cfg.width_min))));
    t.arch.widths.push_back(std::clamp<int64_t>(std::llround(w), cfg.width_min, cfg.width_max));
  }
  t.arch.widths.push_back(cfg.embed);
  double sd = cfg.trunc_std(step);
  double z = std::abs(at::randn({1}, g, at::kDouble).item<double>()) * sd;
  t.truncations = std::clamp<int64_t>(1 + int64_t(std::floor(z)), 1, cfg.trunc_max);
  t.phi_seed = mix_seed(seed, 0x9417ULL);
  return t;
}

Phi phi_to(const Phi& p, at::Device device) {
  Phi q = p;
  for (auto* v : {&q.W, &q.V, &q.b})
    for (auto& x : *v) x = x.to(device);
  q.perm = p.perm.to(device);
  return q;
}

Phi task_phi(const Task& task, at::Device device) {
  return phi_to(init_phi(task.arch, task.phi_seed, at::kFloat, true), device);
}

int64_t sample_unroll_length(const MetaConfig& cfg, int64_t step, uint64_t seed) {
  auto [lo, hi] = cfg.unroll_range(step);
  at::Generator g = make_generator(seed);
  return uniform_int(g, lo, hi);
}

UnrollBatches sample_unroll(const MetaConfig& cfg, const TaskData& data, const Task& task, int64_t U,
                            uint64_t seed) {
  MU_CHECK(U >= 1, "unroll length must be >= 1");
  at::Generator g = make_generator(seed);
  const auto& set = (task.test_split ? data.test : data.train)[task.dataset];
  const at::Tensor& X = set.data.x;
  UnrollBatches ub;
  ub.classes = int64_t(task.classes.size());
  auto rows = [&](const at::Tensor& idx) { return X.index_select(0, idx.to(data.device)); };
  for (int64_t t = 0; t < U; ++t) {
    at::Tensor pick = at::randint(task.pool.numel(), {cfg.batch}, g, at::kLong);
    ub.unlabelled.push_back(rows(task.pool.index_select(0, pick)));
    std::vector<std::pair<LabelledBatch, LabelledBatch>> pairs;
    for (int64_t m = 0; m < cfg.evals; ++m) {
      std::vector<at::Tensor> tr_idx, te_idx, tr_y, te_y;
      for (size_t k = 0; k < task.classes.size(); ++k) {
        const at::Tensor& ci = set.class_index[task.classes[k]];
        int64_t n = ci.numel();
        at::Tensor a, b;
        if (n >= 2 * cfg.shots) {
          at::Tensor p = at::randperm(n, g, at::kLong);
          a = p.slice(0, 0, cfg.shots), b = p.slice(0, cfg.shots, 2 * cfg.shots);
        } else {  // small class: halves drawn with replacement from disjoint halves of the class
          at::Tensor p = at::randperm(n, g, at::kLong);
          int64_t h = n / 2;
          a = p.slice(0, 0, h).index_select(0, at::randint(h, {cfg.shots}, g, at::kLong));
          b = p.slice(0, h, n).index_select(0, at::randint(n - h, {cfg.shots}, g, at::kLong));
        }
        tr_idx.push_back(ci.index_select(0, a));
        te_idx.push_back(ci.index_select(0, b));
        tr_y.push_back(at::full({cfg.shots}, int64_t(k), at::kLong));
        te_y.push_back(at::full({cfg.shots}, int64_t(k), at::kLong));
      }
      LabelledBatch tr{rows(at::cat(tr_idx)), at::cat(tr_y).to(data.device)};
      LabelledBatch te{rows(at::cat(te_idx)), at::cat(te_y).to(data.device)};
      pairs.emplace_back(std::move(tr), std::move(te));
    }
    ub.evals.push_back(std::move(pairs));
  }
  return ub;
}

}  // namespace mu
