// Checkpoints and metrics.csv: a checkpoint round-trips the learner's state and the slots (tasks re-derived,
// phi restored), refuses another config or a damaged file, and the shipped checkpoints still load;
// metrics.csv keeps the rows up to the checkpoint's step and drops torn and malformed ones.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/archive.h"
#include "common/error.h"
#include "metatrain/checkpoint.h"
#include "metatrain/metrics.h"
#include "helpers.h"
#include "support/paths.h"

namespace fs = std::filesystem;

namespace {
std::string fresh_dir(const std::string& name) {
  std::string d = (fs::temp_directory_path() / ("mu_ckpt_" + name + "_" + std::to_string(getpid()))).string();
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

bool equal(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!a[i].equal(b[i])) return false;
  return true;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A state as meta-training leaves it: one Adam step, counters, an active slot and one that never began.
struct Saved {
  mu::MetaConfig cfg = mu::testing::small_config();
  mu::TaskData data = mu::load_task_data(cfg);
  mu::WorkContext ctx = mu::make_work_context(cfg, data, at::kCPU);
  mu::Theta like = mu::init_theta(0, mu::RuleOptions{});
  mu::TrainState st;
  Saved() {
    st.theta = mu::init_theta(5, mu::RuleOptions{});
    st.adam.init(st.theta.list());
    std::vector<at::Tensor> g;
    for (const auto& t : st.theta.list()) g.push_back(at::full_like(t, 0.1));
    st.theta = st.theta.with(st.adam.step(st.theta.list(), g, 1e-3, 0.9, 0.999, 1e-8));
    st.step = 3, st.dropped_nonfinite = 1, st.dropped_stale = 2, st.unrolls = 9, st.tasks = 4;
    st.wall_offset = 12.5, st.val0 = 0.75;
    st.slots.resize(2);
    for (int i = 0; i < 2; ++i) EXPECT_TRUE(mu::run_unroll(ctx, st.slots[0], 0, st.theta, 1).ok);
  }
};
}  // namespace

TEST(MetaTrainCheckpoint, RoundTripsTheLearnerAndTheSlots) {
  Saved s;
  std::string d = fresh_dir("roundtrip");
  mu::save_checkpoint(d + "/checkpoint.pt", s.cfg, s.st, true);
  EXPECT_EQ(mu::load_archive(d + "/checkpoint.pt").meta.at("mode"), "deterministic");
  mu::TrainState r = mu::load_checkpoint(d + "/checkpoint.pt", s.cfg, s.ctx, s.like, 3);
  EXPECT_TRUE(equal(r.theta.list(), s.st.theta.list()));
  EXPECT_TRUE(equal(r.adam.m, s.st.adam.m));
  EXPECT_TRUE(equal(r.adam.v, s.st.adam.v));
  EXPECT_EQ(r.adam.t, 1);
  EXPECT_EQ(r.step, 3);
  EXPECT_EQ(r.dropped_nonfinite, 1);
  EXPECT_EQ(r.dropped_stale, 2);
  EXPECT_EQ(r.unrolls, 9);
  EXPECT_EQ(r.tasks, 4);
  EXPECT_DOUBLE_EQ(r.wall_offset, 12.5);
  EXPECT_DOUBLE_EQ(r.val0, 0.75);
  ASSERT_EQ(r.slots.size(), 3u);  // a third slot begins a new task
  const mu::SlotState &a = s.st.slots[0], &b = r.slots[0];
  EXPECT_EQ(b.serial, a.serial);
  EXPECT_EQ(b.task_step, a.task_step);
  EXPECT_EQ(b.unrolls, a.unrolls);
  EXPECT_EQ(b.truncations, a.truncations);
  EXPECT_TRUE(b.active);
  EXPECT_TRUE(equal(b.phi.tensors(), a.phi.tensors()));  // phi after its unrolls, not the task's phi_0
  EXPECT_TRUE(b.phi.perm.equal(a.phi.perm));
  EXPECT_EQ(b.task.phi_seed, a.task.phi_seed);
  EXPECT_FALSE(r.slots[1].active);
  EXPECT_EQ(r.slots[1].serial, -1);
  EXPECT_FALSE(r.slots[2].active);
  // A continued run may change steps, checkpoint_every, validate_every and name.
  mu::MetaConfig longer = s.cfg;
  longer.steps = 50, longer.name = "longer";
  EXPECT_EQ(mu::load_checkpoint(d + "/checkpoint.pt", longer, s.ctx, s.like, 1).step, 3);
  fs::remove_all(d);
}

TEST(MetaTrainCheckpoint, AnotherConfigOrADamagedFileIsRefused) {
  Saved s;
  std::string d = fresh_dir("refuse");
  const std::string p = d + "/checkpoint.pt";
  mu::save_checkpoint(p, s.cfg, s.st, false);
  mu::MetaConfig other = s.cfg;
  other.clip = 1.0;
  try {
    mu::load_checkpoint(p, other, s.ctx, s.like, 2);
    FAIL() << "a checkpoint of another config must be refused";
  } catch (const mu::Error& e) {
    EXPECT_NE(std::string(e.what()).find("clip (checkpoint 5.0, now 1.0)"), std::string::npos) << e.what();
  }
  mu::Archive a = mu::load_archive(p);
  a.meta.erase("counters");
  mu::save_archive(d + "/nocounters.pt", a);
  EXPECT_THROW(mu::load_checkpoint(d + "/nocounters.pt", s.cfg, s.ctx, s.like, 2), mu::Error);
  std::string bytes = read(p);
  std::ofstream(d + "/torn.pt", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_THROW(mu::load_checkpoint(d + "/torn.pt", s.cfg, s.ctx, s.like, 2), mu::Error);
  // A rule file warm-starts theta only; a checkpoint carries Adam's moments too.
  mu::save_theta(s.st.theta, d + "/theta.pt");
  EXPECT_FALSE(mu::load_warm_start(d + "/theta.pt", s.like).adam.has_value());
  mu::WarmStart w = mu::load_warm_start(p, s.like);
  ASSERT_TRUE(w.adam.has_value());
  EXPECT_TRUE(equal(w.adam->m, s.st.adam.m));
  fs::remove_all(d);
}

TEST(MetaTrainCheckpoint, ShippedCheckpointsStillLoad) {
  int found = 0;
  for (const auto& e : fs::directory_iterator(mu::testing::source_dir() + "/models")) {
    const std::string p = e.path().string() + "/checkpoint.pt";
    if (!fs::exists(p)) continue;
    ++found;
    mu::Archive a = mu::load_archive(p, mu::checkpoint_format());
    mu::MetaConfig cfg = mu::MetaConfig::from_json(nlohmann::json::parse(a.meta.at("config")));
    mu::RuleOptions ro;
    ro.eta = cfg.eta, ro.identical_updates = cfg.identical_updates;
    mu::WorkContext ctx;  // no slots asked for: the tasks (and their data) are not needed
    mu::TrainState st = mu::load_checkpoint(p, cfg, ctx, mu::init_theta(0, ro), 0);
    EXPECT_GT(st.step, 0) << p;
    EXPECT_EQ(st.adam.m.size(), st.theta.list().size());
    EXPECT_TRUE(mu::all_finite(st.theta.list())) << p;
    EXPECT_TRUE(mu::load_warm_start(p, mu::init_theta(0, ro)).adam.has_value()) << p;
  }
  EXPECT_GT(found, 0);
}

TEST(MetaTrainMetrics, ResumeKeepsRowsUpToTheStepAndDropsTornAndMalformedOnes) {
  std::string d = fresh_dir("metrics");
  const std::string p = d + "/metrics.csv";
  {
    std::ofstream out(p);
    out << mu::metrics_header() << "\n";
    for (int s = 1; s <= 4; ++s) {
      mu::StepRecord r;
      r.step = s, r.loss = 1.0 / s;
      out << mu::metrics_row(r) << "\n";
    }
    out << "garbage,row\n";
    out << "5,0.5,0.1";  // torn: no final newline
  }
  {
    std::ofstream m = mu::open_metrics(p, true, 3);
    mu::StepRecord r;
    r.step = 4;
    m << mu::metrics_row(r) << "\n";
  }
  EXPECT_EQ(mu::testing::csv_rows(p), 4);
  const std::string text = read(p);
  EXPECT_EQ(text.find("garbage"), std::string::npos);
  EXPECT_EQ(text.find("5,0.5,0.1"), std::string::npos);
  EXPECT_EQ(text.substr(0, mu::metrics_header().size()), mu::metrics_header());
  EXPECT_NE(text.find("\n3,0.333333,"), std::string::npos);
  // A fresh run starts from the header alone.
  mu::open_metrics(p, false, 0);
  EXPECT_EQ(mu::testing::csv_rows(p), 0);
  fs::remove_all(d);
}
