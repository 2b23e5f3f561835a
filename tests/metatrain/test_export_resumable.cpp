// export --resumable: a checkpoint without the workers' in-flight tasks that --resume continues.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "common/archive.h"
#include "common/error.h"
#include "metatrain/export.h"
#include "metatrain/trainer.h"
#include "helpers.h"

namespace fs = std::filesystem;

TEST(MetaTrainExport, ResumableCheckpointDropsTasksKeepsLearnerAndResumes) {
  mu::MetaConfig c = mu::testing::small_config();
  c.steps = 4;
  const std::string d = (fs::temp_directory_path() / ("mu_resumable_" + std::to_string(getpid()))).string();
  fs::remove_all(d);
  mu::TrainOptions o;
  o.out_dir = d + "/run";
  o.deterministic = true;
  o.handle_signals = true;
  o.on_step = [](const mu::StepRecord& r) {
    if (r.step == 2) raise(SIGTERM);  // stop mid-run, with every slot inside a task
  };
  mu::TrainResult a = mu::meta_train(c, o);
  ASSERT_TRUE(a.interrupted);

  fs::create_directories(d + "/next");
  mu::export_resumable(o.out_dir, d + "/next/checkpoint.pt");
  mu::Archive full = mu::load_archive(o.out_dir + "/checkpoint.pt"), slim = mu::load_archive(d + "/next/checkpoint.pt");
  int64_t full_slot_tensors = 0;
  for (const auto& [name, t] : full.tensors) full_slot_tensors += name.rfind("slot.", 0) == 0;
  ASSERT_GT(full_slot_tensors, 0) << "the interrupted run should hold its tasks' phi";
  EXPECT_EQ(slim.tensors.size(), full.tensors.size() - size_t(full_slot_tensors));
  for (const auto& [name, t] : slim.tensors) {
    EXPECT_NE(name.rfind("slot.", 0), 0u) << name;
    EXPECT_TRUE(t.equal(full.at(name))) << name;  // theta and Adam's moments unchanged
  }
  EXPECT_EQ(slim.meta.at("step"), "2");
  EXPECT_EQ(slim.meta.at("slot.0").back(), '0');  // idle

  mu::TrainOptions r = o;
  r.out_dir = d + "/next";
  r.resume = true;
  r.on_step = nullptr;
  mu::TrainResult b = mu::meta_train(c, r);
  EXPECT_EQ(b.step, 4);
  EXPECT_EQ(mu::testing::csv_rows(d + "/next/metrics.csv"), 2);  // steps 3 and 4: it continued at 2

  EXPECT_THROW(mu::export_resumable(d + "/missing", d + "/x.pt"), mu::Error);
  fs::remove_all(d);
}
