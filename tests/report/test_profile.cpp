// report::profile_self_times: self time per operator from a LibTorch chrome trace.
#include <gtest/gtest.h>

#include <filesystem>

#include <torch/csrc/autograd/profiler_legacy.h>

#include "common/error.h"
#include "common/torch.h"
#include "report/profile.h"

namespace {
const mu::report::OpTime* find(const std::vector<mu::report::OpTime>& v, const std::string& n) {
  for (const auto& o : v)
    if (o.name == n) return &o;
  return nullptr;
}
}  // namespace

TEST(Profile, SelfTimeSubtractsNestedCallsPerThread) {
  // thread 1: linear [0,100] calls mm [10,80] and add [85,95]; thread 2: an add [0,5] overlapping in time.
  auto ev = nlohmann::json::parse(R"([
    {"name": "aten::linear", "ph": "X", "ts": 0, "dur": 100, "tid": 1},
    {"name": "aten::mm", "ph": "X", "ts": 10, "dur": 70, "tid": 1},
    {"name": "aten::add", "ph": "X", "ts": 85, "dur": 10, "tid": 1},
    {"name": "aten::add", "ph": "X", "ts": 0, "dur": 5, "tid": 2},
    {"name": "ignored", "ph": "i", "ts": 0, "tid": 1}
  ])");
  auto t = mu::report::profile_self_times(ev);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].name, "aten::mm");  // sorted by self time
  EXPECT_NEAR(find(t, "aten::mm")->self_ms, 0.070, 1e-12);
  EXPECT_NEAR(find(t, "aten::linear")->self_ms, 0.020, 1e-12);
  EXPECT_NEAR(find(t, "aten::linear")->total_ms, 0.100, 1e-12);
  EXPECT_NEAR(find(t, "aten::add")->self_ms, 0.015, 1e-12);
  EXPECT_EQ(find(t, "aten::add")->calls, 2);
  EXPECT_NEAR(find(t, "aten::mm")->total_ms, 0.0, 1e-12);  // nested: not an outermost call
}

TEST(Profile, ReadsLibTorchsOwnTrace) {
  auto p = (std::filesystem::temp_directory_path() / "metaunsup_profile_trace.json").string();
  {
    torch::autograd::profiler::RecordProfile guard(p);
    at::Tensor a = at::rand({64, 64});
    at::Tensor c = at::mm(a, a).relu();
    (void)c;
  }
  auto t = mu::report::profile_self_times_file(p);
  ASSERT_NE(find(t, "aten::mm"), nullptr);
  EXPECT_GE(find(t, "aten::mm")->calls, 1);
  EXPECT_GT(find(t, "aten::mm")->self_ms, 0.0);
  std::filesystem::remove(p);
  EXPECT_THROW(mu::report::profile_self_times_file(p), mu::Error);
}
