#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/npy.h"
#include "report/results.h"
#include "support/paths.h"

namespace {
struct CliRun {
  int code;
  std::string err;
};
CliRun run(const std::string& args) {
  std::string errfile = (std::filesystem::temp_directory_path() / "metaunsup_cli_eval.err").string();
  std::string cmd = mu::testing::binary() + " --threads 1 " + args + " >/dev/null 2>" + errfile;
  int st = std::system(cmd.c_str());
  std::ifstream f(errfile);
  std::string err((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), err};
}
std::string fresh_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("metaunsup_cli_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}
}  // namespace

TEST(EvalCli, BadInputExitsWithOneLine) {
  std::string d = fresh_dir("bad");
  for (const std::string& args :
       {"evaluate --data moons --out " + d + " --shots 0", "evaluate --data moons --out " + d + " --baselines gan",
        "evaluate --data no-such-set --out " + d, "evaluate --data moons --out " + d + " --readout svm",
        "evaluate --data moons --out " + d + " --activation cube",
        "evaluate --data moons --out " + d + " --steps 2 --checkpoints 0,5",
        "evaluate --data moons --out " + d + " --readout standardized-ish",
        "embed --model /nonexistent/phi --data moons --out " + d + "/f.npy",
        "experiment colour --out " + d, "experiment width --values 64,x --data moons --out " + d}) {
    CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 2) << args << "\n" << r.err;
  }
}

TEST(EvalCli, EvaluateThenEmbedEndToEnd) {
  std::string d = fresh_dir("e2e");
  CliRun r = run("evaluate --data moons --arch 16x2 --steps 2 --curve-every 1 --seeds 1 --draws 2 "
              "--baselines random,pca,raw --out " + d);
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream f(d + "/results.json");
  nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_TRUE(mu::report::validate(j, mu::report::results_schema()).empty());
  EXPECT_EQ(j["methods"].size(), 4u);
  EXPECT_EQ(j["curve"].size(), 3u);
  for (const char* file : {"report.md", "accuracy.png", "curve.png", "pca_variance.png", "pca_variance.csv", "phi"})
    EXPECT_TRUE(std::filesystem::exists(d + "/" + file)) << file;
  r = run("embed --model " + d + "/phi --data moons --out " + d + "/f.npy --labels " + d + "/y.npy");
  ASSERT_EQ(r.code, 0) << r.err;
  at::Tensor feat = mu::load_npy(d + "/f.npy"), y = mu::load_npy(d + "/y.npy");
  EXPECT_EQ(feat.size(0), 1000);
  EXPECT_EQ(feat.size(1), 32);
  EXPECT_EQ(y.size(0), 1000);
}
