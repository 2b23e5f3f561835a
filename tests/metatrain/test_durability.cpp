// Durability of a run's files: atomic writes leave no temporaries, stale ones from a killed run are removed
// at start, a torn or garbage metrics.csv row is dropped on --resume (with a warning) instead of surviving
// as junk or blocking the resume, and `--threads` bounds what meta-train uses.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/fsio.h"
#include "metatrain/trainer.h"
#include "helpers.h"
#include "support/paths.h"

namespace fs = std::filesystem;
using mu::testing::csv_rows;
using mu::testing::small_config;

namespace {
std::string fresh_dir(const std::string& name) {
  std::string d = (fs::temp_directory_path() / ("mu_dur_" + name + "_" + std::to_string(getpid()))).string();
  fs::remove_all(d);
  return d;
}
mu::TrainOptions opts(const std::string& dir) {
  mu::TrainOptions o;
  o.out_dir = dir;
  o.deterministic = true;
  return o;
}
std::vector<std::string> lines_of(const std::string& p) {
  std::ifstream in(p);
  std::vector<std::string> v;
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}
bool has_temporary(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) return true;
  return false;
}
}  // namespace

TEST(Durability, AtomicWriteLeavesNoTemporaryOnSuccessOrFailure) {
  std::string d = fresh_dir("atomic");
  fs::create_directories(d + "/sub");
  mu::write_file_atomic(d + "/a.txt", "hello");
  EXPECT_EQ(lines_of(d + "/a.txt"), std::vector<std::string>{"hello"});
  EXPECT_THROW(mu::write_file_atomic(d + "/sub", "x"), mu::Error);  // a folder: refused, nothing left
  EXPECT_THROW(mu::write_file_atomic(d + "/missing/b.txt", "x"), mu::Error);
  EXPECT_FALSE(has_temporary(d));
  EXPECT_FALSE(has_temporary(d + "/sub"));
  fs::remove_all(d);
}

TEST(Durability, StaleTemporariesOfAKilledRunAreRemovedAtStart) {
  mu::MetaConfig c = small_config();
  c.steps = 2;
  std::string d = fresh_dir("stale");
  fs::create_directories(d);
  // A writer pid that cannot be running (above the kernel's pid limit) and one that is (this process's
  // parent, e.g. the shell): only the first is stale.
  std::ofstream(d + "/checkpoint.pt.tmp.999999999") << "half a checkpoint";
  std::ofstream(d + "/theta.pt.tmp.999999998") << "half a rule";
  const std::string live = d + "/other.pt.tmp." + std::to_string(getppid());
  std::ofstream(live) << "someone else's write in progress";
  mu::meta_train(c, opts(d));
  EXPECT_FALSE(fs::exists(d + "/checkpoint.pt.tmp.999999999"));
  EXPECT_FALSE(fs::exists(d + "/theta.pt.tmp.999999998"));
  EXPECT_TRUE(fs::exists(live));
  fs::remove(live);
  EXPECT_FALSE(has_temporary(d));
  fs::remove_all(d);
}

TEST(Durability, TornAndGarbageMetricsRowsAreDroppedOnResume) {
  mu::MetaConfig c = small_config();
  c.steps = 4;  // checkpoint_every 2: a checkpoint at step 4
  std::string d = fresh_dir("torn");
  mu::meta_train(c, opts(d));
  ASSERT_EQ(csv_rows(d + "/metrics.csv"), 4);
  {
    // A garbage line in the middle and a row torn by a kill at the end (no newline; its step reads as 1).
    auto rows = lines_of(d + "/metrics.csv");
    rows.insert(rows.begin() + 2, "#### garbage, not a row");
    std::ofstream out(d + "/metrics.csv", std::ios::trunc);
    for (const auto& r : rows) out << r << "\n";
    out << "1,0.6";
  }
  mu::TrainOptions r = opts(d);
  r.resume = true;
  mu::MetaConfig longer = c;
  longer.steps = 6;
  testing::internal::CaptureStderr();
  mu::TrainResult res = mu::meta_train(longer, r);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(res.step, 6);
  EXPECT_NE(err.find("torn last row"), std::string::npos) << err;
  EXPECT_NE(err.find("1 malformed row"), std::string::npos) << err;
  auto rows = lines_of(d + "/metrics.csv");
  ASSERT_EQ(rows.size(), 7u);  // header + steps 1..6, each exactly once, in order
  for (int s = 1; s <= 6; ++s) EXPECT_EQ(rows[size_t(s)].rfind(std::to_string(s) + ",", 0), 0u) << rows[size_t(s)];
  EXPECT_FALSE(has_temporary(d));
  fs::remove_all(d);
}

// `--threads 1` must bound meta-train's CPU use to one core (it used to be reset to every core).
TEST(Durability, ThreadsOptionBoundsMetaTrain) {
  std::string d = fresh_dir("threads");
  std::string cmd = mu::testing::binary() + " --threads 1 meta-train --config " + mu::testing::source_dir() +
                    "/configs/tiny.json --steps 3 --out " + d + " > " + d + ".log 2>&1";
  struct rusage before {}, after {};
  getrusage(RUSAGE_CHILDREN, &before);
  auto t0 = std::chrono::steady_clock::now();
  int rc = std::system(cmd.c_str());
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  getrusage(RUSAGE_CHILDREN, &after);
  auto secs = [](const timeval& t) { return double(t.tv_sec) + 1e-6 * double(t.tv_usec); };
  double cpu = secs(after.ru_utime) - secs(before.ru_utime) + secs(after.ru_stime) - secs(before.ru_stime);
  std::ifstream in(d + ".log");
  std::string log((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(rc, 0) << log;
  EXPECT_NE(log.find("1 worker x 1 thread"), std::string::npos) << log;
  EXPECT_LT(cpu, 1.25 * wall + 0.5) << "cpu " << cpu << " s in " << wall << " s of wall time\n" << log;
  fs::remove_all(d), fs::remove(d + ".log");
}
