// The truncation schedule: truncations per task 1 + floor(|N(0, std)|) from the task's own stream, std
// widening over the curriculum, capped; unroll lengths uniform over the curriculum's range, from the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "common/random.h"
#include "metatrain/tasks.h"
#include "metatrain/truncation.h"
#include "support/paths.h"

namespace {
mu::data::Task task_with_seed(uint64_t seed) {
  mu::data::Task t;
  t.seed = seed;
  return t;
}

// Inner rule steps a config's tasks reach: for `tasks` tasks begun at meta-step `step`, the step at which
// each of their truncated unrolls starts, drawn with the trainer's schedule (init, then next per unroll) from
// the test's own seeds: the same distribution as in a run, not the same draws.
std::vector<int64_t> unroll_starts(const mu::MetaConfig& c, int tasks, int64_t step) {
  mu::CurriculumTruncation sched(c);
  std::vector<int64_t> starts;
  for (uint64_t s = 0; s < uint64_t(tasks); ++s) {
    int64_t n = sched.init(task_with_seed(mu::derive_seed(c.seed, s)), step), inner = 0;
    for (int64_t k = 0; k < n; ++k) {
      starts.push_back(inner);
      inner += sched.next(step, mu::derive_seed(c.seed, s, uint64_t(k)));
    }
  }
  return starts;
}
}  // namespace

TEST(MetaTrainTruncation, InitIsTheDocumentedDrawFromTheTasksOwnStream) {
  mu::MetaConfig c;
  c.steps = 100, c.curriculum_steps = 40;
  c.trunc_std_start = 3, c.trunc_std_end = 30, c.trunc_max = 1000;
  mu::CurriculumTruncation sched(c);
  for (uint64_t seed : {1ull, 7ull, 12345ull}) {
    for (int64_t step : {0, 20, 40, 90}) {
      at::Generator g = mu::make_generator(mu::derive_seed(seed, 0x7255ULL));
      double z = std::abs(at::randn({1}, g, at::kDouble).item<double>()) * c.trunc_std(step);
      EXPECT_EQ(sched.init(task_with_seed(seed), step), 1 + int64_t(std::floor(z))) << seed << " " << step;
      EXPECT_EQ(sched.init(task_with_seed(seed), step), sched.init(task_with_seed(seed), step));
    }
  }
}

TEST(MetaTrainTruncation, InitWidensOverTheCurriculumAndIsCapped) {
  mu::MetaConfig c;
  c.steps = 100, c.curriculum_steps = 50;
  c.trunc_std_start = 1, c.trunc_std_end = 50, c.trunc_max = 40;
  mu::CurriculumTruncation sched(c);
  double early = 0, late = 0;
  for (uint64_t s = 0; s < 200; ++s) {
    int64_t a = sched.init(task_with_seed(s), 0), b = sched.init(task_with_seed(s), 60);
    EXPECT_GE(a, 1);
    EXPECT_LE(b, 40);
    EXPECT_LE(a, b);  // one normal draw, scaled by a std that only grows
    early += double(a), late += double(b);
  }
  EXPECT_GT(late, 5 * early);
  c.trunc_std_start = c.trunc_std_end = 0;  // no spread: every task is one truncation
  for (uint64_t s = 0; s < 20; ++s) EXPECT_EQ(mu::CurriculumTruncation(c).init(task_with_seed(s), 10), 1);
}

TEST(MetaTrainTruncation, NextIsUniformOverTheCurriculumsUnrollRange) {
  mu::MetaConfig c;
  c.steps = 100, c.curriculum_steps = 50;
  c.u_start_lo = 2, c.u_start_hi = 4, c.u_end_lo = 8, c.u_end_hi = 12;
  mu::CurriculumTruncation sched(c);
  for (int64_t step : {0, 25, 50, 99}) {
    auto [lo, hi] = c.unroll_range(step);
    std::set<int64_t> seen;
    for (uint64_t seed = 0; seed < 300; ++seed) {
      int64_t U = sched.next(step, seed);
      EXPECT_GE(U, lo);
      EXPECT_LE(U, hi);
      EXPECT_EQ(U, sched.next(step, seed));
      seen.insert(U);
    }
    EXPECT_EQ(int64_t(seen.size()), hi - lo + 1) << step;  // every length in the range occurs
  }
  at::Generator g = mu::make_generator(99);
  auto [lo, hi] = c.unroll_range(0);
  EXPECT_EQ(sched.next(0, 99), lo + at::randint(hi - lo + 1, {1}, g, at::kLong).item<int64_t>());
}

TEST(MetaTrainTruncation, ATaskIsFinishedAfterItsTruncations) {
  EXPECT_FALSE(mu::TruncationSchedule::finished(3, 0));
  EXPECT_FALSE(mu::TruncationSchedule::finished(3, 2));
  EXPECT_TRUE(mu::TruncationSchedule::finished(3, 3));
  EXPECT_TRUE(mu::TruncationSchedule::finished(1, 1));
}

// The long-horizon config does what its comment says: tasks carried to thousands of rule steps, so that a
// large share of meta-gradients is taken late in a network's training; the shipped rule's last stage
// never took one past 180 steps.
TEST(MetaTrainTruncation, TheLongHorizonConfigTrainsLateRuleSteps) {
  auto late_share = [](const std::vector<int64_t>& st, int64_t after) {
    return double(std::count_if(st.begin(), st.end(), [&](int64_t i) { return i >= after; })) / double(st.size());
  };
  mu::MetaConfig longer = mu::load_meta_config(mu::testing::source_dir() + "/configs/cpu-long.json");
  std::vector<int64_t> st = unroll_starts(longer, 400, 0);
  EXPECT_GT(late_share(st, 1000), 0.3);
  EXPECT_GT(late_share(st, 3000), 0.0);
  EXPECT_GE(*std::max_element(st.begin(), st.end()), 3000);
  mu::MetaConfig stage3 = mu::load_meta_config(mu::testing::source_dir() + "/configs/cpu-act-d4.json");
  std::vector<int64_t> st3 = unroll_starts(stage3, 400, 0);
  EXPECT_LT(*std::max_element(st3.begin(), st3.end()), 180);
}
