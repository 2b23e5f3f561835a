#include "data/task_sampler.h"

#include <cstdint>
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"
#include "common/random.h"
#include "data/catalog.h"

namespace mu::data {
namespace {

double uniform(at::Generator& g) { return at::rand({1}, g, at::TensorOptions().dtype(at::kDouble)).item<double>(); }
int64_t uniform_int(at::Generator& g, int64_t lo, int64_t hi) {  // inclusive
  return lo + std::min<int64_t>(hi - lo, static_cast<int64_t>(uniform(g) * (hi - lo + 1)));
}
bool coin(at::Generator& g, double p) { return p > 0 && uniform(g) < p; }
std::vector<int64_t> choose(at::Generator& g, int64_t n, int64_t k) {
  at::Tensor p = at::randperm(n, g, at::TensorOptions().dtype(at::kLong)).slice(0, 0, k);
  return std::vector<int64_t>(p.data_ptr<int64_t>(), p.data_ptr<int64_t>() + k);
}

}  // namespace

TaskSampler::TaskSampler(TaskSamplerConfig cfg) : cfg_(std::move(cfg)) {
  MU_CHECK(!cfg_.sources.empty(), "task sampler: no data sources");
  MU_CHECK(cfg_.weights.empty() || cfg_.weights.size() == cfg_.sources.size(),
           "task sampler: one weight per source, or none");
  MU_CHECK(!cfg_.ways.empty(), "task sampler: empty list of ways");
  MU_CHECK(cfg_.min_depth >= 1 && cfg_.min_depth <= cfg_.max_depth, "task sampler: need 1 <= min_depth <= max_depth");
  MU_CHECK(cfg_.min_width >= 1 && cfg_.min_width <= cfg_.max_width, "task sampler: need 1 <= min_width <= max_width");
  MU_CHECK(cfg_.min_inner_steps >= 1 && cfg_.min_inner_steps <= cfg_.max_inner_steps,
           "task sampler: need 1 <= min_inner_steps <= max_inner_steps");
  MU_CHECK(cfg_.batch >= 2 && cfg_.labelled_per_class >= 1, "task sampler: batch >= 2 and labelled_per_class >= 1");
  std::vector<std::string> names = cfg_.sources;
  bool any_glyphs = false;
  for (const auto& s : cfg_.sources) any_glyphs = any_glyphs || s.rfind("glyphs", 0) == 0;
  if (any_glyphs && cfg_.p_special > 0) names.insert(names.end(), cfg_.special_subsets.begin(), cfg_.special_subsets.end());
  for (const auto& n : names)  // refuse before loading anything: the answer must not depend on what is fetched
    MU_CHECK(!is_held_out(n), "task sampler: '" + n +
                                  "' is a held-out evaluation set and is never used for meta-training; remove it "
                                  "from the sources");
  for (const auto& n : names) {
    if (sources_.count(n)) continue;
    Source s;
    s.name = n;
    s.data = load_dataset(n, LoadOptions{cfg_.resolution, cfg_.seed, "area"}).train;
    MU_CHECK(s.data.classes() >= 2, "task sampler: '" + n + "' has fewer than 2 classes");
    s.by_class.resize(s.data.classes());
    auto y = s.data.y.accessor<int64_t, 1>();
    for (int64_t i = 0; i < s.data.size(); ++i) s.by_class[y[i]].push_back(i);
    sources_.emplace(n, std::move(s));
  }
}

const TaskSampler::Source& TaskSampler::source(const std::string& name) const { return sources_.at(name); }

at::Tensor TaskSampler::fixed_permutations(int64_t dim) const {
  // Fixed for the whole run: drawn from the config seed and the width only.
  at::Generator g = make_generator(derive_seed(cfg_.seed, 0x5045524Dull, static_cast<uint64_t>(dim)));
  std::vector<at::Tensor> p;
  for (int64_t i = 0; i < cfg_.n_fixed_permutations; ++i)
    p.push_back(at::randperm(dim, g, at::TensorOptions().dtype(at::kLong)));
  return p.empty() ? at::empty({0, dim}, at::kLong) : at::stack(p);
}

Task TaskSampler::sample(uint64_t index) const {
  Task t;
  t.index = index;
  t.seed = derive_seed(cfg_.seed, index);
  at::Generator g = make_generator(t.seed);
  // Source.
  size_t si = 0;
  if (cfg_.sources.size() > 1) {
    std::vector<double> w = cfg_.weights.empty() ? std::vector<double>(cfg_.sources.size(), 1.0) : cfg_.weights;
    double total = 0, u;
    for (double x : w) total += x;
    u = uniform(g) * total;
    for (si = 0; si + 1 < w.size() && u >= w[si]; ++si) u -= w[si];
  }
  t.source = cfg_.sources[si];
  bool glyph_source = t.source.rfind("glyphs", 0) == 0;
  t.special = glyph_source && !cfg_.special_subsets.empty() && coin(g, cfg_.p_special);
  if (t.special) t.source = cfg_.special_subsets[uniform_int(g, 0, cfg_.special_subsets.size() - 1)];
  const Source& src = source(t.source);
  // Classes.
  int64_t ways = t.special ? cfg_.special_ways : cfg_.ways[uniform_int(g, 0, cfg_.ways.size() - 1)];
  ways = std::min(ways, src.data.classes());
  t.classes = choose(g, src.data.classes(), ways);
  for (int64_t c : t.classes) t.class_names.push_back(src.data.class_names[c]);
  t.input_dim = src.data.dim();
  t.image_shape = src.data.image_shape;
  const int64_t D = t.input_dim;
  const bool image = t.image_shape.size() >= 2;
  // Augmentations.
  t.geometric = image && (t.special || coin(g, cfg_.p_geometric));
  if (t.geometric) {
    t.rotation_deg = cfg_.max_rotation_deg;
    t.shift_px = cfg_.max_shift_px;
    if (t.rotation_deg > 0) t.target_names.insert(t.target_names.end(), {"cos", "sin"});
    if (t.shift_px > 0) t.target_names.insert(t.target_names.end(), {"dx", "dy"});
  }
  if (coin(g, cfg_.p_task_dropout)) {
    double rate = uniform(g) * cfg_.max_dropout;
    t.task_mask = at::rand({D}, g).ge(rate).to(at::kFloat);
  }
  if (coin(g, cfg_.p_example_dropout)) t.example_dropout = uniform(g) * cfg_.max_dropout;
  t.class_permutation.assign(ways, -1);
  if (cfg_.n_fixed_permutations > 0 && coin(g, cfg_.p_class_permutation))
    for (auto& p : t.class_permutation) p = uniform_int(g, 0, cfg_.n_fixed_permutations - 1);
  if (image && cfg_.max_x_shift > 0 && coin(g, cfg_.p_x_shift)) {
    t.x_shift = cfg_.max_x_shift;
    t.target_names.push_back("xshift");
  }
  // Base model.
  int64_t depth = uniform_int(g, cfg_.min_depth, cfg_.max_depth);
  auto log_uniform_width = [&] {
    double lo = std::log(static_cast<double>(cfg_.min_width)), hi = std::log(static_cast<double>(cfg_.max_width));
    return static_cast<int64_t>(std::lround(std::exp(lo + uniform(g) * (hi - lo))));
  };
  t.widths = {D};
  int64_t w = log_uniform_width();
  for (int64_t l = 0; l < depth; ++l) t.widths.push_back(cfg_.per_layer_widths ? log_uniform_width() : w);
  t.widths.push_back(cfg_.output);
  t.phi_seed = derive_seed(t.seed, 0x504849ull);
  t.input_perm = at::randperm(D, g, at::TensorOptions().dtype(at::kLong));
  t.inner_steps = uniform_int(g, cfg_.min_inner_steps, cfg_.max_inner_steps);
  t.gen = make_generator(derive_seed(t.seed, 0x42415443ull));
  return t;
}

TaskBatch TaskSampler::draw(Task& t, const std::vector<int64_t>& idx, const std::vector<int64_t>& labels) const {
  const Source& src = source(t.source);
  const int64_t n = idx.size(), D = t.input_dim;
  at::Generator& g = t.gen;
  TaskBatch b;
  at::Tensor x = src.data.x.index_select(0, at::tensor(idx, at::kLong)).to(at::kFloat);  // (n, D)
  b.y = at::tensor(labels, at::kLong);
  std::vector<at::Tensor> targets;
  if (t.geometric) {
    int64_t H = t.image_shape[0], W = t.image_shape[1], C = t.image_shape.size() == 3 ? t.image_shape[2] : 1;
    at::Tensor ang = (at::rand({n}, g, at::TensorOptions().dtype(at::kDouble)) - 0.5) * (t.rotation_deg * M_PI / 180);
    at::Tensor dx = (at::rand({n}, g, at::TensorOptions().dtype(at::kDouble)) * 2 - 1) * t.shift_px;
    at::Tensor dy = (at::rand({n}, g, at::TensorOptions().dtype(at::kDouble)) * 2 - 1) * t.shift_px;
    // Inverse map for grid_sampler (normalised coordinates, align_corners=false): output pixel p reads
    // input R(-a) (p - s), i.e. the image is rotated by a and then shifted by (dx, dy) pixels.
    at::Tensor c = at::cos(ang), s = at::sin(ang);
    at::Tensor tx = -(dx * 2.0 / W), ty = -(dy * 2.0 / H);
    at::Tensor theta = at::stack({at::stack({c, s, c * tx + s * ty}, 1), at::stack({-s, c, -s * tx + c * ty}, 1)}, 1)
                           .to(at::kFloat);  // (n, 2, 3)
    at::Tensor img = x.reshape({n, H, W, C}).permute({0, 3, 1, 2}).contiguous();
    at::Tensor grid = at::affine_grid_generator(theta, {n, C, H, W}, false);
    img = at::grid_sampler(img, grid, /*bilinear*/ 0, /*zeros*/ 0, false);
    x = img.permute({0, 2, 3, 1}).reshape({n, D});
    if (t.rotation_deg > 0) targets.insert(targets.end(), {c.to(at::kFloat), s.to(at::kFloat)});
    if (t.shift_px > 0) targets.insert(targets.end(), {(dx / t.shift_px).to(at::kFloat), (dy / t.shift_px).to(at::kFloat)});
  }
  if (t.x_shift > 0) {
    int64_t H = t.image_shape[0], W = t.image_shape[1], C = t.image_shape.size() == 3 ? t.image_shape[2] : 1;
    at::Tensor sh = at::randint(-t.x_shift, t.x_shift + 1, {n}, g, at::TensorOptions().dtype(at::kLong));
    at::Tensor img = x.reshape({n, H, W, C});
    std::vector<at::Tensor> rows;
    for (int64_t i = 0; i < n; ++i) rows.push_back(at::roll(img[i], {sh[i].item<int64_t>()}, {1}));
    x = at::stack(rows).reshape({n, D});
    targets.push_back(sh.to(at::kFloat) / static_cast<float>(t.x_shift));
  }
  if (std::any_of(t.class_permutation.begin(), t.class_permutation.end(), [](int64_t p) { return p >= 0; })) {
    at::Tensor perms = fixed_permutations(D);
    std::vector<at::Tensor> rows;
    for (int64_t i = 0; i < n; ++i) {
      int64_t p = t.class_permutation[labels[i]];
      rows.push_back(p >= 0 ? x[i].index_select(0, perms[p]) : x[i]);
    }
    x = at::stack(rows);
  }
  if (t.task_mask.defined()) x = x * t.task_mask;
  if (t.example_dropout > 0) x = x * at::rand({n, D}, g).ge(t.example_dropout).to(at::kFloat);
  b.x = x.contiguous();
  b.targets = targets.empty() ? at::zeros({n, 0}) : at::stack(targets, 1).contiguous();
  return b;
}

TaskBatch TaskSampler::unlabelled(Task& t, int64_t batch) const {
  if (batch <= 0) batch = cfg_.batch;
  const Source& src = source(t.source);
  // Uniform over the task's examples: class c with probability proportional to its size.
  std::vector<int64_t> sizes;
  int64_t total = 0;
  for (int64_t c : t.classes) total += src.by_class[c].size();
  at::Tensor pick = at::randint(0, total, {batch}, t.gen, at::TensorOptions().dtype(at::kLong));
  std::vector<int64_t> idx, labels;
  for (int64_t i = 0; i < batch; ++i) {
    int64_t r = pick[i].item<int64_t>();
    for (int64_t k = 0; k < t.ways(); ++k) {
      const auto& pool = src.by_class[t.classes[k]];
      if (r < static_cast<int64_t>(pool.size())) {
        idx.push_back(pool[r]);
        labels.push_back(k);
        break;
      }
      r -= pool.size();
    }
  }
  return draw(t, idx, labels);
}

std::pair<TaskBatch, TaskBatch> TaskSampler::labelled_pair(Task& t) const {
  const Source& src = source(t.source);
  const int64_t m = cfg_.labelled_per_class;
  std::vector<at::Tensor> pools;
  for (int64_t k = 0; k < t.ways(); ++k) pools.push_back(at::tensor(src.by_class[t.classes[k]], at::kLong));
  // 2m distinct examples of each class when it has them; otherwise with replacement. First half: train.
  at::Tensor picked = balanced_indices(pools, 2 * m, t.gen, /*replace_short=*/true);  // (ways, 2m)
  const auto at_ = picked.accessor<int64_t, 2>();
  std::vector<int64_t> itr, ite, ltr, lte;
  for (int64_t k = 0; k < t.ways(); ++k)
    for (int64_t j = 0; j < 2 * m; ++j) {
      (j < m ? itr : ite).push_back(at_[k][j]);
      (j < m ? ltr : lte).push_back(k);
    }
  TaskBatch tr = draw(t, itr, ltr);
  TaskBatch te = draw(t, ite, lte);
  return {tr, te};
}

}  // namespace mu::data
