// The `metaunsup data` command line: exit codes and one-line errors.
#include <algorithm>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "fixtures.h"
#include "support/paths.h"

namespace {
// Runs the binary with `args`; returns (exit code, combined output).
std::pair<int, std::string> run(const std::string& args, const std::string& env = "") {
  std::string cmd = env + mu::testing::binary() + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}
}  // namespace

TEST(DataCli, ListShowAndErrors) {
  mu::test::TempDir t;
  std::string env = "METAUNSUP_DATA=" + t.path + " ";
  auto [rc, out] = run("data list");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("fashion-mnist"), std::string::npos);
  EXPECT_NE(out.find("moons"), std::string::npos);

  std::tie(rc, out) = run("data show moons --out " + t / "m.png");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(mu::test::read_bytes(t / "m.png").substr(1, 3), "PNG");

  // Bad input: exit 2 with one line.
  std::tie(rc, out) = run("data fetch no-such-set");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("unknown data set 'no-such-set'"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;

  std::tie(rc, out) = run("data show csv:" + t / "missing.csv --out " + t / "x.png");
  EXPECT_EQ(rc, 2);
  std::tie(rc, out) = run("data fetch");
  EXPECT_EQ(rc, 2);
  // A missing data set names the fetch command.
  std::tie(rc, out) = run("data show mnist --out " + t / "x.png", env);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("metaunsup data fetch mnist"), std::string::npos) << out;
}
