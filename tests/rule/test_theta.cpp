#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "common/error.h"
#include "rule/theta.h"

namespace mu {

TEST(Theta, ParameterCountMatchesTheCode) {
  EXPECT_EQ(init_theta(0).count(), 114670);
  RuleOptions paper;
  paper.identical_updates = false;
  EXPECT_EQ(init_theta(0, paper).count(), 114670 + 3913);  // 15 readouts + 13 merge values for V
}

TEST(Theta, InitialisersFollowSection10) {
  Theta th = init_theta(3);
  EXPECT_TRUE(th["merge.w"].eq(0.1f).all().item<bool>());
  EXPECT_EQ(th["merge.b"].item<float>(), 0.f);
  EXPECT_EQ(th["computeh.bn_in.beta"].abs().sum().item<float>(), 0.f);
  EXPECT_EQ(th["topd.conv4.b"].abs().sum().item<float>(), 0.f);
  // conv kernels TN(1/sqrt(K*Cin)): bounded by 2 sigma, std a bit below sigma (truncation: 0.88 sigma)
  at::Tensor k = th["computeh.unit1a.w"];
  double s = 1.0 / std::sqrt(3.0 * 64);
  EXPECT_LE(k.abs().max().item<double>(), 2 * s + 1e-7);
  EXPECT_NEAR(k.std().item<double>(), 0.88 * s, 0.05 * s);
  at::Tensor lin = th["readout.delta.w"];
  EXPECT_LE(lin.abs().max().item<double>(), 2 / 8.0 + 1e-7);
}

TEST(Theta, SeedsReproduceAndDiffer) {
  Theta a = init_theta(7), b = init_theta(7), c = init_theta(8);
  for (const auto& n : a.names) EXPECT_TRUE(a[n].equal(b[n])) << n;
  EXPECT_FALSE(a["topd.conv1.w"].equal(c["topd.conv1.w"]));
}

TEST(Theta, SaveLoadRoundTripIsBitExact) {
  RuleOptions o;
  o.eta = 3e-4;
  Theta a = init_theta(11, o);
  std::string path = ::testing::TempDir() + "/rule_roundtrip.pt";
  save_theta(a, path, {{"meta_steps", "42"}});
  std::map<std::string, std::string> meta;
  Theta b = load_theta(path, &meta);
  EXPECT_EQ(meta.at("meta_steps"), "42");
  EXPECT_EQ(meta.at("parameters"), "114670");
  EXPECT_DOUBLE_EQ(b.options.eta, 3e-4);
  ASSERT_EQ(a.names, b.names);
  for (const auto& n : a.names) EXPECT_TRUE(a[n].equal(b[n])) << n;
}

TEST(Theta, BadRuleFilesAreRefusedClearly) {
  EXPECT_THROW(load_theta("/nonexistent/rule.pt"), Error);
  std::string path = ::testing::TempDir() + "/rule_corrupt.pt";
  save_theta(init_theta(1), path);
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), bytes.size() / 2);  // truncated
  }
  try {
    load_theta(path);
    FAIL() << "a truncated rule file loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << "not a rule";
  }
  EXPECT_THROW(load_theta(path), Error);
}

}  // namespace mu
