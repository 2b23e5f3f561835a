// Workers: a slot's unrolls follow the truncation schedule and begin new tasks from the seed; the
// deterministic round returns one output per slot in slot order; the async workers tag results with the
// theta version they used, take a newly published theta, and share their queue with remote workers.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "metatrain/workers.h"
#include "helpers.h"

namespace {
mu::Theta theta() {
  mu::RuleOptions ro;
  return mu::init_theta(3, ro);
}

struct FakeRemote : mu::RemoteWorkers {
  int starts = 0, stops = 0;
  int64_t seen_version = -1;
  void start(Deliver deliver, Current current) override {
    ++starts;
    seen_version = current().second;
    mu::WorkOutput out;
    out.why = "remote";
    deliver(std::move(out), 42);
  }
  void stop() override { ++stops; }
};
}  // namespace

TEST(MetaTrainWorkers, UnrollsFollowTheScheduleAndBeginNewTasks) {
  mu::MetaConfig c = mu::testing::small_config();
  c.trunc_std_start = c.trunc_std_end = 3, c.trunc_max = 3;
  mu::TaskData data = mu::load_task_data(c);
  mu::WorkContext ctx = mu::make_work_context(c, data, at::kCPU);
  mu::Theta th = theta();
  mu::SlotState s;
  std::set<int64_t> lengths;
  for (int i = 0; i < 12; ++i) {
    const mu::SlotState before = s;
    mu::WorkOutput out = mu::run_unroll(ctx, s, 0, th, 0);
    ASSERT_TRUE(out.ok) << out.why;
    auto [lo, hi] = c.unroll_range(0);
    EXPECT_GE(out.U, lo);
    EXPECT_LE(out.U, hi);
    lengths.insert(out.U);
    if (!before.active || mu::TruncationSchedule::finished(before.truncations, before.unrolls)) {
      EXPECT_EQ(s.serial, before.serial + 1);  // a new task
      EXPECT_EQ(s.unrolls, 1);
      EXPECT_EQ(s.truncations, ctx.schedule->init(s.task, 0));
    } else {
      EXPECT_EQ(s.serial, before.serial);
      EXPECT_EQ(s.unrolls, before.unrolls + 1);
    }
    EXPECT_LE(s.unrolls, s.truncations);
  }
  EXPECT_GE(s.serial, 3);  // at most 3 unrolls per task
  // A task is re-derived from (seed, slot, serial, task_step): what a checkpoint relies on.
  mu::SlotState again;
  again.serial = s.serial, again.task_step = s.task_step;
  mu::derive_task(ctx, again, 0);
  EXPECT_EQ(again.task.phi_seed, s.task.phi_seed);
  EXPECT_EQ(again.truncations, s.truncations);
  EXPECT_TRUE(again.phi.perm.equal(s.task.input_perm));
}

TEST(MetaTrainWorkers, TheDeterministicRoundReturnsOneOutputPerSlotInSlotOrder) {
  mu::MetaConfig c = mu::testing::small_config();
  mu::TaskData data = mu::load_task_data(c);
  mu::WorkContext ctx = mu::make_work_context(c, data, at::kCPU);
  mu::Theta th = theta();
  std::vector<mu::SlotState> serial(3), threaded(3);
  std::vector<mu::WorkOutput> want;
  for (int64_t j = 0; j < 3; ++j) want.push_back(mu::run_unroll(ctx, serial[size_t(j)], j, th, 0));
  std::vector<mu::WorkOutput> got = mu::unroll_every_slot(ctx, threaded, th, 0, 2, 1);
  ASSERT_EQ(got.size(), 3u);
  for (size_t j = 0; j < 3; ++j) {
    ASSERT_TRUE(got[j].ok && want[j].ok);
    EXPECT_EQ(got[j].U, want[j].U);
    EXPECT_NEAR(got[j].result.loss, want[j].result.loss, 1e-6 * std::abs(want[j].result.loss));
    EXPECT_EQ(threaded[j].serial, 0);
    EXPECT_EQ(threaded[j].task.phi_seed, serial[j].task.phi_seed);
  }
  EXPECT_NE(got[0].result.loss, got[1].result.loss);  // distinct tasks, so the order is visible
}

TEST(MetaTrainWorkers, AsyncWorkersTagTheirResultsAndShareTheQueueWithRemoteOnes) {
  mu::MetaConfig c = mu::testing::small_config();
  mu::TaskData data = mu::load_task_data(c);
  mu::WorkContext ctx = mu::make_work_context(c, data, at::kCPU);
  FakeRemote remote;
  mu::ThreadWorkers workers(ctx, std::vector<mu::SlotState>(2), 2, 1, &remote);
  workers.start(std::make_shared<const mu::Theta>(theta()), 0);
  EXPECT_EQ(remote.starts, 1);
  EXPECT_EQ(remote.seen_version, 0);
  bool remote_seen = false, republished = false;
  std::set<size_t> slots;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((!remote_seen || slots.size() < 2 || !republished) && std::chrono::steady_clock::now() < deadline) {
    auto got = workers.pop(std::chrono::milliseconds(200));
    if (!got) continue;
    if (got->slot == SIZE_MAX) {
      remote_seen = true;
      EXPECT_EQ(got->version, 42);
      EXPECT_EQ(got->out.why, "remote");
      continue;
    }
    ASSERT_LT(got->slot, 2u);
    EXPECT_TRUE(got->out.ok) << got->out.why;
    EXPECT_TRUE(got->snapshot.active);  // the slot's state after its unroll
    EXPECT_GE(got->snapshot.unrolls, 1);
    slots.insert(got->slot);
    if (got->version == 7) republished = true;
    if (slots.size() == 2) workers.publish(std::make_shared<const mu::Theta>(theta()), 7);
  }
  EXPECT_TRUE(remote_seen);
  EXPECT_EQ(slots.size(), 2u);
  EXPECT_TRUE(republished);
  workers.stop();
  workers.stop();
  EXPECT_EQ(remote.stops, 1);
}
