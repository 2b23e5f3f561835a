// Validation per task (Validation::evaluate_items) and `metaunsup validate`: the per-task values average to
// the validation meta-training logs, pc1 is a variance share, and the CLI pairs rules on the same tasks.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "eval/analysis.h"
#include "metatrain/trainer.h"
#include "rule/theta.h"
#include "helpers.h"
#include "support/paths.h"

namespace {

TEST(Validate, PerTaskValuesAverageToTheValidationAndAreReproducible) {
  mu::MetaConfig c = mu::testing::small_config();
  c.val_tasks = 3;
  mu::TaskData data = mu::load_task_data(c);
  mu::Validation v = mu::make_validation(c, data, at::kCPU);
  mu::Theta th = mu::init_theta(4);
  auto items = v.evaluate_items(th);
  ASSERT_EQ(items.size(), 3u);
  double loss = 0, acc = 0;
  for (const auto& r : items) {
    ASSERT_TRUE(std::isfinite(r.loss));
    EXPECT_GE(r.accuracy, 0);
    EXPECT_LE(r.accuracy, 1);
    // The first principal component's share of the top features' variance: at least 1 / N^L, at most 1.
    EXPECT_GE(r.pc1, 1.0 / double(c.embed) - 1e-9);
    EXPECT_LE(r.pc1, 1 + 1e-9);
    loss += r.loss / 3, acc += r.accuracy / 3;
  }
  auto [l, a] = v.evaluate(th);
  EXPECT_NEAR(l, loss, 1e-12);
  EXPECT_NEAR(a, acc, 1e-12);
  auto again = v.evaluate_items(th);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(again[i].loss, items[i].loss);
  // Another ridge penalty reads the same features out differently.
  EXPECT_NE(v.evaluate_items(th, 10.0)[0].loss, items[0].loss);
  EXPECT_EQ(v.evaluate_items(th, 10.0)[0].pc1, items[0].pc1);
  // Another rule gives other values on the same tasks.
  EXPECT_NE(v.evaluate_items(mu::init_theta(5))[0].loss, items[0].loss);
}

TEST(Validate, ReferencesScoreTheUntrainedNetworkAndTheRawInputs) {
  mu::MetaConfig c = mu::testing::small_config();
  c.val_tasks = 2;
  mu::TaskData data = mu::load_task_data(c);
  mu::Validation v = mu::make_validation(c, data, at::kCPU);
  ASSERT_FALSE(v.items[0].unlabelled.empty());
  // "init" is the validation with no rule step, whatever the rule.
  mu::Validation no_steps = v;
  for (auto& it : no_steps.items) it.unlabelled.clear();
  auto init = v.evaluate_reference("init"), raw = v.evaluate_reference("raw");
  auto zero = no_steps.evaluate_items(mu::init_theta(3));
  ASSERT_EQ(init.size(), 2u);
  ASSERT_EQ(raw.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(init[i].loss, zero[i].loss);
    EXPECT_EQ(init[i].pc1, zero[i].pc1);
    ASSERT_TRUE(std::isfinite(raw[i].loss));
    EXPECT_GE(raw[i].accuracy, 0);
    EXPECT_LE(raw[i].accuracy, 1);
    EXPECT_NE(raw[i].loss, init[i].loss);
  }
  // "raw" does not see the network: another phi0 changes init, not raw.
  mu::Validation other = v;
  for (auto& it : other.items) it.phi0.W[0] = it.phi0.W[0] * 2.0;
  auto raw2 = other.evaluate_reference("raw"), init2 = other.evaluate_reference("init");
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(raw2[i].loss, raw[i].loss);
    EXPECT_NE(init2[i].loss, init[i].loss);
  }
  // Its pc1 is the inputs' own first principal component share.
  std::vector<at::Tensor> xs;
  for (const auto& [tr, te] : v.items[0].evals) xs.push_back(tr.x), xs.push_back(te.x);
  EXPECT_NEAR(raw[0].pc1, mu::cumulative_explained_variance(at::cat(xs))[0], 1e-12);
  EXPECT_THROW(v.evaluate_reference("pca"), std::exception);
  EXPECT_THROW(v.evaluate_reference("raw", 0.0), std::exception);
  // Another ridge penalty reads the same inputs out differently (its pc1 does not involve the readout).
  auto raw10 = v.evaluate_reference("raw", 10.0);
  EXPECT_NE(raw10[0].loss, raw[0].loss);
  EXPECT_EQ(raw10[0].pc1, raw[0].pc1);
}

TEST(Validate, CliPairsRulesOnTheSameTasksAndRefusesAMissingRule) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("mu_validate_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string a = (dir / "a.pt").string(), b = (dir / "b.pt").string(), csv = (dir / "v.csv").string();
  mu::save_theta(mu::init_theta(1), a);
  mu::save_theta(mu::init_theta(2), b);
  std::string bin = mu::testing::binary() + " --threads 1 validate --config " + mu::testing::source_dir() +
                    "/configs/tiny.json --tasks 2 --steps 2";
  std::string txt = (dir / "v.txt").string();
  ASSERT_EQ(std::system((bin + " --rules " + a + "," + b + "," + a + ",raw:0.1," + a + ":0.1 --out " + csv + " > " + txt + " 2>&1").c_str()), 0);
  std::ifstream in(csv);
  std::string line;
  std::vector<std::vector<std::string>> rows;
  std::getline(in, line);
  EXPECT_EQ(line, "rule,task,meta_objective,accuracy,pc1");
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    size_t p = 0, q;
    while ((q = line.find(',', p)) != std::string::npos) f.push_back(line.substr(p, q - p)), p = q + 1;
    f.push_back(line.substr(p));
    rows.push_back(f);
  }
  ASSERT_EQ(rows.size(), 10u);  // 3 rules, the raw reference and the first rule again at lambda 0.1, x 2 tasks
  EXPECT_EQ(rows[8][2], rows[0][2]);  // 0.1 is the MetaObjective's penalty
  EXPECT_EQ(rows[6][0], "raw:0.1");
  EXPECT_TRUE(std::isfinite(std::stod(rows[6][2])));
  EXPECT_NE(rows[6][2], rows[0][2]);
  EXPECT_EQ(rows[0][2], rows[4][2]);  // the same rule twice: the same tasks give the same values
  EXPECT_EQ(rows[1][2], rows[5][2]);
  // another rule, the same tasks: other values (compared over both tasks and all columns, since six printed
  // digits of one task's objective can coincide after two steps)
  auto values = [&](size_t r) { return rows[r][2] + rows[r][3] + rows[r][4] + rows[r + 1][2] + rows[r + 1][4]; };
  EXPECT_NE(values(0), values(2));
  std::ifstream t(txt);
  std::string all((std::istreambuf_iterator<char>(t)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find("+0.0000 +- 0.0000"), std::string::npos) << all;  // paired difference of a rule with itself
  EXPECT_NE(std::system((bin + " --rules " + a + "," + (dir / "missing.pt").string() + " > " + txt + " 2>&1").c_str()), 0);
  EXPECT_NE(std::system((bin + " --rules raw:ten > " + txt + " 2>&1").c_str()), 0);
  EXPECT_NE(std::system((bin + " --rules " + a + " --features-from middle > " + txt + " 2>&1").c_str()), 0);
  EXPECT_NE(std::system((bin + " --rules " + a + " --features-from 9 > " + txt + " 2>&1").c_str()), 0);
  ASSERT_EQ(std::system((bin + " --rules " + a + ",init --features-from hidden > " + txt + " 2>&1").c_str()), 0);
  fs::remove_all(dir);
}

// `validate --arch WxD`: the same tasks read out through another network, and a clear error on bad input.
TEST(Validate, FixArchPinsTheNetworkAndKeepsTheTasks) {
  mu::MetaConfig c = mu::testing::small_config();
  c.val_tasks = 2;
  mu::TaskData data = mu::load_task_data(c);
  mu::Validation v = mu::make_validation(c, data, at::kCPU);
  mu::MetaConfig wide = c;
  wide.fix_arch("48x3");
  mu::TaskData wide_data = mu::load_task_data(wide);  // the sampler draws the architectures
  mu::Validation w = mu::make_validation(wide, wide_data, at::kCPU);
  ASSERT_EQ(w.items.size(), 2u);
  for (const auto& it : w.items) {
    ASSERT_EQ(it.phi0.layers(), 4);  // 3 hidden layers + the 32-unit embedding
    for (int64_t l = 1; l <= 3; ++l) EXPECT_EQ(it.phi0.width(l), 48);
    EXPECT_EQ(it.phi0.width(4), 32);
  }
  auto raw = v.evaluate_reference("raw"), raw_wide = w.evaluate_reference("raw");
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(raw[i].loss, raw_wide[i].loss);  // same labelled batches
  // --features-from hidden: the same tasks read out from the last hidden layer (48 wide); raw is unchanged.
  mu::Validation h = w;
  h.features_below_top = 1;
  auto top = w.evaluate_items(mu::init_theta(3)), hidden = h.evaluate_items(mu::init_theta(3));
  auto init_top = w.evaluate_reference("init"), init_hidden = h.evaluate_reference("init");
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NE(hidden[i].loss, top[i].loss);
    EXPECT_NE(init_hidden[i].loss, init_top[i].loss);
    EXPECT_GE(hidden[i].pc1, 1.0 / 48 - 1e-9);
    EXPECT_EQ(h.evaluate_reference("raw")[i].loss, raw_wide[i].loss);
  }
  h.features_below_top = 4;  // below the first hidden layer
  EXPECT_THROW(h.evaluate_items(mu::init_theta(3)), mu::Error);
  for (const char* bad : {"", "48", "x3", "48x", "48x0", "0x3", "48x3x2", "-4x2", "4.5x2", "48,32"}) {
    mu::MetaConfig b = c;
    EXPECT_THROW(b.fix_arch(bad), mu::Error) << bad;
  }
}
}  // namespace
