#include <cmath>

#include <gtest/gtest.h>

#include "common/error.h"
#include "data/idx.h"
#include "data/task_sampler.h"
#include "fixtures.h"

using mu::data::Task;
using mu::data::TaskSampler;
using mu::data::TaskSamplerConfig;

namespace {
// 12 classes x 30 images of 14x14: class c is a bar at row c (so augmentations are visible).
struct Fixture {
  mu::test::TempDir dir;
  std::string spec;
  Fixture() {
    at::Tensor im = at::zeros({360, 14, 14}, at::kByte), lb = at::zeros({360}, at::kByte);
    for (int i = 0; i < 360; ++i) {
      im[i][1 + i % 12].slice(0, 2, 12).fill_(255);
      lb[i] = i % 12;
    }
    mu::data::write_idx(dir / "im", im);
    mu::data::write_idx(dir / "lb", lb);
    spec = "idx:" + dir / "im" + "," + dir / "lb";
  }
};
TaskSamplerConfig plain(const std::string& spec) {
  TaskSamplerConfig c;
  c.sources = {spec};
  c.ways = {5};
  c.p_geometric = c.p_task_dropout = c.p_example_dropout = c.p_class_permutation = c.p_x_shift = 0;
  c.seed = 7;
  return c;
}
}  // namespace

TEST(DataTaskSampler, TasksAreSeededAndReproducible) {
  Fixture f;
  TaskSamplerConfig c = plain(f.spec);
  c.ways = {3, 5, 7};
  c.p_geometric = 0.5;
  TaskSampler s(c), s2(c);
  for (uint64_t k = 0; k < 5; ++k) {
    Task a = s.sample(k), b = s2.sample(k);
    EXPECT_EQ(a.classes, b.classes);
    EXPECT_EQ(a.widths, b.widths);
    EXPECT_EQ(a.inner_steps, b.inner_steps);
    EXPECT_TRUE(a.input_perm.equal(b.input_perm));
    EXPECT_EQ(a.phi_seed, b.phi_seed);
    auto ua = s.unlabelled(a), ub = s2.unlabelled(b);
    EXPECT_TRUE(ua.x.equal(ub.x));
    EXPECT_TRUE(ua.targets.equal(ub.targets));
  }
  Task t0 = s.sample(0), t1 = s.sample(1);
  EXPECT_FALSE(t0.input_perm.equal(t1.input_perm));  // a fresh permutation per task
  EXPECT_NE(t0.phi_seed, t1.phi_seed);
}

TEST(DataTaskSampler, ArchitectureWaysAndSteps) {
  Fixture f;
  TaskSamplerConfig c = plain(f.spec);
  c.min_inner_steps = 10;
  c.max_inner_steps = 20;
  TaskSampler s(c);
  for (uint64_t k = 0; k < 30; ++k) {
    Task t = s.sample(k);
    EXPECT_EQ(t.ways(), 5);
    EXPECT_EQ(t.input_dim, 196);
    ASSERT_GE(t.widths.size(), 4u);  // input, 2..5 hidden, output
    ASSERT_LE(t.widths.size(), 7u);
    EXPECT_EQ(t.widths.front(), 196);
    EXPECT_EQ(t.widths.back(), 32);
    for (size_t l = 1; l + 1 < t.widths.size(); ++l) {
      EXPECT_GE(t.widths[l], 64);
      EXPECT_LE(t.widths[l], 512);
    }
    EXPECT_GE(t.inner_steps, 10);
    EXPECT_LE(t.inner_steps, 20);
    std::vector<int64_t> cl = t.classes;
    std::sort(cl.begin(), cl.end());
    EXPECT_EQ(std::unique(cl.begin(), cl.end()), cl.end());
  }
}

TEST(DataTaskSampler, BatchesAreBalancedAndLabelled) {
  Fixture f;
  TaskSampler s(plain(f.spec));
  Task t = s.sample(3);
  auto u = s.unlabelled(t, 64);
  EXPECT_EQ(u.x.sizes(), (std::vector<int64_t>{64, 196}));
  EXPECT_LT(u.y.max().item<int64_t>(), 5);
  EXPECT_EQ(u.targets.size(1), 0);
  // The bar row identifies the class: label k <-> source class t.classes[k].
  for (int64_t i = 0; i < 64; ++i) {
    int64_t row = u.x[i].reshape({14, 14}).sum(1).argmax().item<int64_t>();
    EXPECT_EQ(row, 1 + t.classes[u.y[i].item<int64_t>()]);
  }
  auto [tr, te] = s.labelled_pair(t);
  EXPECT_EQ(tr.x.size(0), 50);
  EXPECT_EQ(te.x.size(0), 50);
  EXPECT_TRUE(at::bincount(tr.y).eq(10).all().item<bool>());
  EXPECT_TRUE(at::bincount(te.y).eq(10).all().item<bool>());
}

TEST(DataTaskSampler, AugmentationsAndTheirTargets) {
  Fixture f;
  TaskSamplerConfig c = plain(f.spec);
  c.p_geometric = 1;
  c.p_x_shift = 1;
  TaskSampler s(c);
  Task t = s.sample(0);
  EXPECT_EQ(t.target_names, (std::vector<std::string>{"cos", "sin", "dx", "dy", "xshift"}));
  auto b = s.unlabelled(t, 32);
  ASSERT_EQ(b.targets.sizes(), (std::vector<int64_t>{32, 5}));
  at::Tensor r = b.targets.select(1, 0).pow(2) + b.targets.select(1, 1).pow(2);
  EXPECT_TRUE(r.allclose(at::ones({32}), 1e-4, 1e-5));
  EXPECT_LE(b.targets.slice(1, 2, 5).abs().max().item<float>(), 1.f);
  // Rotation 0 and shift 0: the geometric warp is the identity.
  c.max_rotation_deg = 0;
  c.max_shift_px = 0;
  c.p_x_shift = 0;
  TaskSampler s0(c);
  Task t0 = s0.sample(0);
  EXPECT_TRUE(t0.geometric);
  TaskSampler plain_s(plain(f.spec));
  Task tp = plain_s.sample(0);
  EXPECT_TRUE(s0.unlabelled(t0, 16).x.allclose(plain_s.unlabelled(tp, 16).x, 0, 1e-5));
}

TEST(DataTaskSampler, DropoutAndClassPermutations) {
  Fixture f;
  TaskSamplerConfig c = plain(f.spec);
  c.p_task_dropout = 1;
  c.max_dropout = 0.9;
  TaskSampler s(c);
  Task t = s.sample(1);
  ASSERT_TRUE(t.task_mask.defined());
  auto b = s.unlabelled(t, 20);
  // Dropped pixels are zero in every example.
  at::Tensor off = t.task_mask.eq(0);
  EXPECT_EQ(b.x.index({at::indexing::Slice(), off}).abs().sum().item<float>(), 0.f);
  c = plain(f.spec);
  c.p_class_permutation = 1;
  TaskSampler sp(c);
  Task tp = sp.sample(2);
  for (int64_t p : tp.class_permutation) EXPECT_GE(p, 0);
  EXPECT_TRUE(sp.fixed_permutations(196).equal(sp.fixed_permutations(196)));
  EXPECT_EQ(sp.fixed_permutations(196).size(0), 10);
}

TEST(DataTaskSampler, RefusesHeldOutSetsAndClipsWays) {
  EXPECT_MU_ERROR(TaskSampler(plain("mnist")), "held-out evaluation set");
  EXPECT_MU_ERROR(TaskSampler(plain("fashion-mnist")), "held-out");
  TaskSamplerConfig c = plain("moons");
  c.ways = {10};
  c.p_geometric = 1;  // vectors: no geometric augmentation
  TaskSampler s(c);
  Task t = s.sample(0);
  EXPECT_EQ(t.ways(), 2);
  EXPECT_EQ(t.input_dim, 2);
  EXPECT_FALSE(t.geometric);
  EXPECT_EQ(s.unlabelled(t, 8).x.sizes(), (std::vector<int64_t>{8, 2}));
}
