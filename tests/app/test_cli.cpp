// The CLI contract for the core commands: outputs written, bad input -> one line and exit status 2.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <unistd.h>

#include <cstdio>
#include <set>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/npy.h"
#include "support/paths.h"

namespace {
struct CliRun {
  int status;
  std::string out;
};
CliRun run(const std::string& args) {
  std::string cmd = mu::testing::binary() + " --threads 1 " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}
std::string tmpdir(const std::string& name) {
  std::string d = ::testing::TempDir() + "/mu_cli_" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(d);
  return d;
}
}  // namespace

TEST(Cli, InfoDescribesAFreshRule) {
  CliRun r = run("info");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("114670"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("freshly initialised"), std::string::npos);
}

TEST(Cli, TraceWritesEveryIntermediateWithAManifest) {
  std::string d = tmpdir("trace");
  CliRun r = run("trace --arch 16,12 --input 20 --batch 9 --seed 3 --out " + d);
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream f(d + "/manifest.json");
  nlohmann::json m = nlohmann::json::parse(f);
  std::set<std::string> names;
  for (const auto& t : m["tensors"]) {
    names.insert(t["name"].get<std::string>());
    ASSERT_TRUE(std::filesystem::exists(d + "/" + t["file"].get<std::string>()));
  }
  for (const char* n : {"input", "theta.topd.conv1.w", "phi_before.W1", "phi_after.W3", "layer0.h", "layer1.d",
                        "layer2.delta", "layer3.Z", "layer1.plane.hebb", "layer3.plane.w_base", "layer2.DeltaW",
                        "layer1.Deltab", "topd.d"})
    EXPECT_TRUE(names.count(n)) << n;
  at::Tensor h = mu::load_npy(d + "/layer1.h.npy");
  EXPECT_EQ(h.sizes(), (std::vector<int64_t>{9, 16, 64}));
  EXPECT_GE(h.min().item<float>(), 0.f);
}

TEST(Cli, LearnOnMoonsWritesACurveAndAModel) {
  std::string d = tmpdir("learn");
  CliRun r = run("learn --data moons --steps 6 --every 3 --arch 16x2 --batch 16 --out " + d);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("freshly initialised"), std::string::npos) << "must say a fresh rule is used";
  std::ifstream f(d + "/curve.csv");
  std::string line;
  int rows = 0;
  while (std::getline(f, line)) ++rows;
  EXPECT_EQ(rows, 1 + 3);  // header + steps 0, 3, 6
  EXPECT_TRUE(std::filesystem::exists(d + "/phi.pt"));
}

TEST(Cli, BadInputGivesOneLineAndStatus2) {
  for (const std::string& args : {std::string("info --rule /nonexistent.pt"), std::string("learn --data moons --batch 1 --out /tmp/x"),
                                  std::string("trace --arch 12x --out /tmp/x"), std::string("learn --data moons --activation nope --out /tmp/x"),
                                  std::string("nosuchcommand")}) {
    CliRun r = run(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.out;
    EXPECT_EQ(r.out.find("terminate"), std::string::npos) << args;
  }
  // a corrupt rule file
  std::string bad = ::testing::TempDir() + "/corrupt_rule.pt";
  std::ofstream(bad) << "PK\x03\x04 garbage";
  CliRun r = run("info --rule " + bad);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("error"), std::string::npos) << r.out;
}
