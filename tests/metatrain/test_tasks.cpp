// Meta-training draws its tasks from data::TaskSampler: config mapping, augmentation targets reaching the
// MetaObjective as LabelledBatch::extra, the sampler's input permutation as phi.perm, reproducible and
// fixed batches; the augmentation config keys; curves.png.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/error.h"
#include "data/idx.h"
#include "metatrain/config.h"
#include "metatrain/curves.h"
#include "metatrain/trainer.h"
#include "report/canvas.h"

namespace fs = std::filesystem;

namespace {

// 12 classes x 30 images of 14x14 (class c: a bar at row c), written as IDX: an image source whose
// augmentations (rotation, shifts, x shift) produce regression targets.
struct ImageSource {
  std::string dir, spec;
  ImageSource() {
    dir = (fs::temp_directory_path() / ("mu_mt_tasks_" + std::to_string(getpid()))).string();
    fs::create_directories(dir);
    at::Tensor im = at::zeros({360, 14, 14}, at::kByte), lb = at::zeros({360}, at::kByte);
    for (int i = 0; i < 360; ++i) {
      im[i][1 + i % 12].slice(0, 2, 12).fill_(255);
      lb[i] = i % 12;
    }
    mu::data::write_idx(dir + "/im", im);
    mu::data::write_idx(dir + "/lb", lb);
    spec = "idx:" + dir + "/im," + dir + "/lb";
  }
  ~ImageSource() { fs::remove_all(dir); }
};

mu::MetaConfig image_config(const std::string& spec) {
  mu::MetaConfig c;
  c.name = "test-images";
  c.seed = 3;
  c.steps = 2;
  c.datasets = {spec};
  c.ways = {3};
  c.batch = 8, c.shots = 2, c.evals = 2;
  c.depth_min = 1, c.depth_max = 1, c.width_min = 8, c.width_max = 8;
  c.p_geometric = 1, c.p_x_shift = 1;  // targets cos, sin, dx, dy, xshift on every task
  c.p_task_dropout = c.p_example_dropout = 0.5;
  c.u_start_lo = c.u_start_hi = c.u_end_lo = c.u_end_hi = 2;
  c.trunc_std_start = c.trunc_std_end = 1, c.trunc_max = 2;
  c.lr = {1e-3}, c.lr_breaks = {};
  c.meta_batch = 2, c.checkpoint_every = 1, c.validate_every = 1, c.val_tasks = 1, c.val_steps = 2;
  return c;
}

bool equal_batches(const mu::UnrollBatches& a, const mu::UnrollBatches& b) {
  if (a.unlabelled.size() != b.unlabelled.size() || a.classes != b.classes) return false;
  for (size_t t = 0; t < a.unlabelled.size(); ++t) {
    if (!a.unlabelled[t].equal(b.unlabelled[t])) return false;
    for (size_t m = 0; m < a.evals[t].size(); ++m)
      for (auto [x, y] : {std::make_pair(&a.evals[t][m].first, &b.evals[t][m].first),
                          std::make_pair(&a.evals[t][m].second, &b.evals[t][m].second)})
        if (!x->x.equal(y->x) || !x->y.equal(y->y) || x->extra.defined() != y->extra.defined() ||
            (x->extra.defined() && !x->extra.equal(y->extra)))
          return false;
  }
  return true;
}

std::string fresh_dir(const std::string& name) {
  std::string d = (fs::temp_directory_path() / ("mu_mt_" + name + "_" + std::to_string(getpid()))).string();
  fs::remove_all(d);
  return d;
}

}  // namespace

TEST(MetaTrainTasks, ConfigMapsOntoTheSampler) {
  mu::MetaConfig c;
  c.datasets = {"glyphs", "stamps"};
  c.dataset_weights = {2, 1};
  c.way_min = 3, c.way_max = 5;
  c.depth_min = 2, c.depth_max = 3, c.width_min = 16, c.width_max = 40;
  c.batch = 24, c.shots = 4, c.p_geometric = 0.3, c.p_x_shift = 0.7, c.per_layer_widths = true;
  mu::data::TaskSamplerConfig s = mu::sampler_config(c);
  EXPECT_EQ(s.sources, c.datasets);
  EXPECT_EQ(s.weights, c.dataset_weights);
  EXPECT_EQ(s.ways, (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(s.min_depth, 2);
  EXPECT_EQ(s.max_width, 40);
  EXPECT_EQ(s.output, 32);
  EXPECT_EQ(s.batch, 24);
  EXPECT_EQ(s.labelled_per_class, 4);
  EXPECT_DOUBLE_EQ(s.p_geometric, 0.3);
  EXPECT_DOUBLE_EQ(s.p_x_shift, 0.7);
  EXPECT_TRUE(s.per_layer_widths);
  EXPECT_EQ(s.seed, c.seed);
  c.ways = {10, 13, 30};  // an explicit list wins over the range
  EXPECT_EQ(mu::sampler_config(c).ways, c.ways);
}

TEST(MetaTrainTasks, ActivationsAreDrawnPerTaskAndDefaultToRelu) {
  ImageSource src;
  mu::MetaConfig c = image_config(src.spec);
  mu::TaskData data = mu::load_task_data(c);
  mu::MetaConfig mixed = c;
  mixed.activations = {"tanh", "relu"};
  mixed.validate();
  std::set<std::string> seen;
  for (uint64_t i = 0; i < 16; ++i) {
    mu::TaskInstance plain = mu::sample_task(c, data, i), t = mu::sample_task(mixed, data, i);
    EXPECT_EQ(plain.activation, mu::Activation::relu);
    // The activation draw leaves every other draw alone.
    EXPECT_EQ(mu::CurriculumTruncation(mixed).init(t, 0), mu::CurriculumTruncation(c).init(plain, 0));
    EXPECT_EQ(t.phi_seed, plain.phi_seed);
    EXPECT_EQ(mu::task_phi(t, at::kCPU).activation, t.activation);
    EXPECT_EQ(mu::sample_task(mixed, data, i).activation, t.activation);  // a function of the task
    seen.insert(mu::to_string(t.activation));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"tanh", "relu"}));
  mixed.activations = {"relu", "nope"};
  EXPECT_THROW(mixed.validate(), mu::Error);
  mixed.activations = {};
  EXPECT_THROW(mixed.validate(), mu::Error);
  // Configs written before the key existed read back with the default.
  nlohmann::json j = c.to_json();
  j.erase("activations");
  EXPECT_EQ(mu::MetaConfig::from_json(j).activations, std::vector<std::string>{"relu"});
}

TEST(MetaTrainTasks, AugmentedUnrollCarriesTargetsAndTheSamplersPermutation) {
  ImageSource src;
  mu::MetaConfig c = image_config(src.spec);
  mu::TaskData data = mu::load_task_data(c);
  mu::TaskInstance t = mu::sample_task(c, data, 5);
  EXPECT_EQ(t.ways(), 3);
  EXPECT_TRUE(t.geometric);
  EXPECT_EQ(t.target_names, (std::vector<std::string>{"cos", "sin", "dx", "dy", "xshift"}));
  EXPECT_GE(mu::CurriculumTruncation(c).init(t, 0), 1);
  mu::Phi phi = mu::task_phi(t, at::kCPU);
  EXPECT_TRUE(phi.perm.equal(t.input_perm));
  EXPECT_EQ(phi.width(0), 196);
  EXPECT_EQ(phi.width(phi.layers()), 32);

  mu::TaskInstance copy = t;
  mu::UnrollBatches a = mu::sample_unroll(c, data, t, 2, 99);
  ASSERT_EQ(a.unlabelled.size(), 2u);
  EXPECT_EQ(a.unlabelled[0].sizes(), (std::vector<int64_t>{8, 196}));
  ASSERT_EQ(a.evals[1].size(), 2u);
  const mu::LabelledBatch& tr = a.evals[1][0].first;
  EXPECT_EQ(tr.x.size(0), 6);
  ASSERT_TRUE(tr.extra.defined());
  EXPECT_EQ(tr.extra.sizes(), (std::vector<int64_t>{6, 5}));
  // cos^2 + sin^2 = 1 for the rotation targets.
  EXPECT_TRUE(at::allclose(tr.extra.slice(1, 0, 1).pow(2) + tr.extra.slice(1, 1, 2).pow(2), at::ones({6, 1}), 1e-4, 1e-5));
  // Re-seeded per unroll: the same seed gives the same batches even on a copy made before, a new seed others.
  EXPECT_TRUE(equal_batches(a, mu::sample_unroll(c, data, copy, 2, 99)));
  EXPECT_TRUE(equal_batches(a, mu::sample_unroll(c, data, t, 2, 99)));
  EXPECT_FALSE(equal_batches(a, mu::sample_unroll(c, data, t, 2, 100)));
  // The targets take part in the meta-gradient.
  mu::RuleOptions ro;
  ro.eta = c.eta;
  mu::UnrollResult r = mu::unroll_grad(mu::init_theta(1, ro), phi, a);
  EXPECT_TRUE(r.finite);
  EXPECT_TRUE(std::isfinite(r.loss));
}

TEST(MetaTrainTasks, ValidationTasksAreFixed) {
  ImageSource src;
  mu::MetaConfig c = image_config(src.spec);
  c.val_tasks = 2;
  mu::TaskData data = mu::load_task_data(c);
  mu::Validation v1 = mu::make_validation(c, data, at::kCPU), v2 = mu::make_validation(c, data, at::kCPU);
  ASSERT_EQ(v1.items.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto &a = v1.items[i], &b = v2.items[i];
    auto pa = a.phi0.tensors(), pb = b.phi0.tensors();
    for (size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(pa[k].equal(pb[k]));
    EXPECT_TRUE(a.phi0.perm.equal(b.phi0.perm));
    ASSERT_EQ(a.unlabelled.size(), 2u);
    for (size_t k = 0; k < a.unlabelled.size(); ++k) EXPECT_TRUE(a.unlabelled[k].equal(b.unlabelled[k]));
    ASSERT_EQ(a.evals.size(), b.evals.size());
    for (size_t m = 0; m < a.evals.size(); ++m) {
      EXPECT_TRUE(a.evals[m].first.x.equal(b.evals[m].first.x));
      ASSERT_TRUE(a.evals[m].second.extra.defined());
      EXPECT_TRUE(a.evals[m].second.extra.equal(b.evals[m].second.extra));
    }
  }
  mu::RuleOptions ro;
  ro.eta = c.eta;
  mu::Theta th = mu::init_theta(2, ro);
  EXPECT_EQ(v1.evaluate(th), v2.evaluate(th));
}

TEST(MetaTrainTasks, DeterministicRunOnAugmentedImagesIsReproducibleAndDrawsCurves) {
  ImageSource src;
  mu::MetaConfig c = image_config(src.spec);
  std::string d1 = fresh_dir("img1"), d2 = fresh_dir("img2");
  mu::TrainOptions o;
  o.deterministic = true;
  o.out_dir = d1;
  mu::TrainResult a = mu::meta_train(c, o);
  o.out_dir = d2;
  mu::TrainResult b = mu::meta_train(c, o);
  EXPECT_EQ(a.dropped_nonfinite, 0);
  auto x = a.theta.list(), y = b.theta.list();
  for (size_t i = 0; i < x.size(); ++i) EXPECT_TRUE(x[i].equal(y[i]));
  ASSERT_TRUE(fs::exists(d1 + "/curves.png"));
  mu::report::Canvas png = mu::report::load_png(d1 + "/curves.png");
  EXPECT_EQ(png.width(), 900);
  EXPECT_EQ(png.height(), 840);
  fs::remove_all(d1), fs::remove_all(d2);
}

TEST(MetaTrainConfig, AugmentationKeysAndRefusals) {
  mu::MetaConfig c;
  nlohmann::json j = c.to_json();
  for (const char* k : {"p_geometric", "max_rotation_deg", "max_shift_px", "p_task_dropout", "p_example_dropout",
                        "max_dropout", "p_class_permutation", "n_fixed_permutations", "p_x_shift", "max_x_shift",
                        "p_special", "ways", "dataset_weights", "per_layer_widths"})
    EXPECT_TRUE(j.contains(k)) << k;
  j["p_geometric"] = 0.9;
  j["ways"] = {10, 13};
  mu::MetaConfig d = mu::MetaConfig::from_json(j);
  EXPECT_DOUBLE_EQ(d.p_geometric, 0.9);
  EXPECT_EQ(d.ways, (std::vector<int64_t>{10, 13}));
  for (auto [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"p_geometric", 1.5}, {"p_x_shift", -0.1}, {"max_dropout", 1.0}, {"ways", {1, 10}},
           {"dataset_weights", {1.0, 2.0}}, {"max_rotation_deg", 720}, {"p_rotation", 0.5}}) {
    nlohmann::json k = c.to_json();
    k[key] = value;
    EXPECT_THROW(mu::MetaConfig::from_json(k), mu::Error) << key;
  }
}

TEST(MetaTrainCurves, DrawsFromMetricsCsvAndSkipsAnEmptyOne) {
  std::string d = fresh_dir("curves");
  fs::create_directories(d);
  std::ofstream(d + "/empty.csv") << mu::metrics_header() << "\n";
  EXPECT_FALSE(mu::write_curves(d + "/empty.csv", d + "/empty.png"));
  EXPECT_FALSE(fs::exists(d + "/empty.png"));
  {
    std::ofstream out(d + "/m.csv");
    out << mu::metrics_header() << "\n";
    for (int s = 1; s <= 60; ++s) {
      mu::StepRecord r;
      r.step = s;
      r.loss = 1.5 - 0.01 * s + 0.1 * std::sin(s);
      r.accuracy = 0.3 + 0.005 * s;
      if (s % 10 == 0) r.val_loss = 1.4 - 0.01 * s, r.val_loss_theta0 = 1.4, r.val_acc = 0.35 + 0.004 * s;
      out << mu::metrics_row(r) << "\n";
    }
  }
  EXPECT_TRUE(mu::write_curves(d + "/m.csv", d + "/m.png"));
  mu::report::Canvas png = mu::report::load_png(d + "/m.png");
  EXPECT_EQ(png.height(), 840);
  std::ofstream(d + "/bad.csv") << "step,loss\n1,2\n";
  EXPECT_THROW(mu::write_curves(d + "/bad.csv", d + "/bad.png"), mu::Error);
  fs::remove_all(d);
}
