#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "common/random.h"
#include "eval/experiment.h"
#include "eval/protocol.h"
#include "report/results.h"
#include "rule/theta.h"

namespace {

// Three Gaussian classes in 16-d, values in [0, 1]-ish like pixels.
mu::Split toy_split(uint64_t seed) {
  at::Generator g = mu::make_generator(seed);
  at::Tensor centres = at::rand({3, 16}, g);
  auto make = [&](int64_t n) {
    mu::Dataset d;
    d.name = "toy";
    d.y = at::randint(3, {n}, g, at::TensorOptions().dtype(at::kLong));
    d.x = (centres.index_select(0, d.y) + 0.05 * at::normal(0.0, 1.0, {n, 16}, g)).to(at::kFloat);
    d.class_names = {"a", "b", "c"};
    return d;
  };
  return mu::Split{make(300), make(150)};
}

mu::EvalConfig small_config() {
  mu::EvalConfig c;
  c.hidden = "16x2";
  c.steps = 3;
  c.batch = 32;
  c.curve_every = 1;
  c.shots = 5;
  c.seeds = 2;
  c.draws = 2;
  c.reference = 100;
  c.fit_examples = 200;
  c.pca_dim = 8;
  c.kmeans.k = 8;
  c.paper_test_per_class = 5;
  c.vae.steps = 30;
  c.vae.eval_every = 10;
  c.vae.hidden = 16;
  c.vae.latent = 8;
  c.supervised.steps = 30;
  return c;
}

}  // namespace

TEST(EvalProtocol, SameSeedSameNumbersAndValidResults) {
  mu::Split data = toy_split(1);
  mu::Theta theta = mu::init_theta(0);
  mu::EvalConfig cfg = small_config();
  mu::EvalResult a = mu::run_evaluation(cfg, &theta, data, 0);
  mu::EvalResult b = mu::run_evaluation(cfg, &theta, data, 0);
  ASSERT_EQ(a.methods.size(), mu::all_methods().size());
  for (size_t i = 0; i < a.methods.size(); ++i) {
    ASSERT_EQ(a.methods[i].runs.size(), 4u) << a.methods[i].name;
    for (size_t k = 0; k < a.methods[i].runs.size(); ++k) {
      EXPECT_EQ(a.methods[i].runs[k].accuracy, b.methods[i].runs[k].accuracy) << a.methods[i].name;
      EXPECT_EQ(a.methods[i].runs[k].readouts, b.methods[i].runs[k].readouts) << a.methods[i].name;
      EXPECT_EQ(a.methods[i].runs[k].paper_accuracy, b.methods[i].runs[k].paper_accuracy);
    }
  }
  ASSERT_EQ(a.curves.size(), 2u);
  ASSERT_EQ(a.curves[0].size(), 4u);  // steps 0, 1, 2, 3
  EXPECT_EQ(a.curves[0][3].step, 3);
  EXPECT_EQ(a.curves[1][2].logistic_accuracy, b.curves[1][2].logistic_accuracy);
  // A different seed gives different label draws, hence (almost surely) different numbers.
  cfg.seed = 7;
  cfg.methods = {"random"};
  mu::EvalResult c = mu::run_evaluation(cfg, &theta, data, 0);
  bool differs = false;
  for (size_t k = 0; k < 4; ++k) differs |= c.find("random")->runs[k].accuracy != a.find("random")->runs[k].accuracy;
  EXPECT_TRUE(differs);

  nlohmann::json j = mu::to_json(a, {"rule.pt", "abc"});
  auto errors = mu::report::validate(j, mu::report::results_schema());
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(j["methods"]["learned"]["runs"], 4);
  EXPECT_EQ(j["architecture"], nlohmann::json({16, 16, 16, 32}));
  // Raw pixels of well-separated classes are easy: the protocol's plumbing must show it.
  EXPECT_GT(a.find("raw")->mean(), 0.95);
  EXPECT_GT(a.find("pca")->mean(), 0.95);
}

TEST(EvalProtocol, ZeroStepsLearnedEqualsRandomInit) {
  // With no rule applications the learned model is phi_0: same architecture, permutation, reference
  // batch, readout and label draws make every number identical to the random-init baseline.
  mu::Split data = toy_split(2);
  mu::Theta theta = mu::init_theta(0);
  mu::EvalConfig cfg = small_config();
  cfg.steps = 0;
  cfg.methods = {"learned", "random"};
  mu::EvalResult r = mu::run_evaluation(cfg, &theta, data, 0);
  const auto* l = r.find("learned");
  const auto* q = r.find("random");
  ASSERT_TRUE(l && q);
  for (size_t k = 0; k < l->runs.size(); ++k) {
    EXPECT_EQ(l->runs[k].accuracy, q->runs[k].accuracy);
    EXPECT_EQ(l->runs[k].paper_accuracy, q->runs[k].paper_accuracy);
  }
}

// --features-from hidden: the network methods (learned, random, supervised) are read out from the last
// hidden layer; the others do not depend on it.
TEST(EvalProtocol, FeaturesFromTheLastHiddenLayer) {
  mu::Split data = toy_split(4);
  mu::Theta theta = mu::init_theta(0);
  mu::EvalConfig cfg = small_config();
  cfg.hidden = "12x2";
  cfg.seeds = 1;
  cfg.methods = {"learned", "random", "supervised", "raw"};
  mu::EvalResult top = mu::run_evaluation(cfg, &theta, data, 0);
  cfg.features_below_top = 1;
  mu::EvalResult hid = mu::run_evaluation(cfg, &theta, data, 0);
  for (const char* m : {"learned", "random", "supervised"}) {
    EXPECT_EQ(top.find(m)->feature_dim, 32) << m;
    EXPECT_EQ(hid.find(m)->feature_dim, 12) << m;
  }
  EXPECT_EQ(hid.find("raw")->runs[0].accuracy, top.find("raw")->runs[0].accuracy);
  nlohmann::json j = mu::to_json(hid, {"rule.pt", "abc"});
  EXPECT_EQ(j["features_below_top"], 1);
  EXPECT_TRUE(mu::report::validate(j, mu::report::results_schema()).empty());
  EXPECT_NE(mu::report::results_markdown(j).find("the last hidden layer"), std::string::npos);
  cfg.features_below_top = 3;  // 2 hidden layers + the embedding: nothing 3 layers below the top
  EXPECT_THROW(mu::run_evaluation(cfg, &theta, data, 0), mu::Error);
}

TEST(EvalProtocol, RejectsBadConfigurations) {
  mu::Split data = toy_split(3);
  mu::Theta theta = mu::init_theta(0);
  mu::EvalConfig cfg = small_config();
  cfg.shots = 1000;  // more than any class has
  EXPECT_THROW(mu::run_evaluation(cfg, &theta, data, 0), mu::Error);
  cfg = small_config();
  EXPECT_THROW(mu::run_evaluation(cfg, nullptr, data, 0), mu::Error);  // learned needs a rule
  EXPECT_THROW(mu::parse_methods("learned,gan"), mu::Error);
  EXPECT_EQ(mu::parse_methods("raw,random"), (std::vector<std::string>{"random", "raw"}));
  EXPECT_THROW(mu::study_points("colour", cfg, "mnist", 14), mu::Error);
  EXPECT_THROW(mu::study_points("width", cfg, "mnist", 14, "64,abc"), mu::Error);
}

TEST(EvalProtocol, StudyPointsCoverThePaperSweeps) {
  mu::EvalConfig cfg = small_config();
  cfg.hidden = "128x4";
  auto depth = mu::study_points("depth", cfg, "mnist", 14);
  EXPECT_EQ(depth.front().label, "2");
  EXPECT_EQ(depth.back().label, "11");
  EXPECT_EQ(depth.back().config.hidden, "128x10");
  auto width = mu::study_points("width", cfg, "mnist", 14, "32,10000");
  EXPECT_EQ(width.back().config.hidden, "10000x4");
  auto act = mu::study_points("activation", cfg, "mnist", 14);
  EXPECT_EQ(act.size(), 9u);
  auto dom = mu::study_points("domain", cfg, "mnist", 14);
  EXPECT_EQ(dom.front().data, "spam");
  EXPECT_EQ(dom[2].resolution, 28);
  // Memory estimate grows with width; 10,000 units at B=128 needs gigabytes.
  EXPECT_GT(mu::rule_memory_bytes(mu::make_arch(196, "10000x4"), 128), 1e9);
  EXPECT_LT(mu::rule_memory_bytes(mu::make_arch(196, "128x4"), 128), 1e9);
}

TEST(EvalProtocol, ExperimentRecordsSkippedPoints) {
  mu::EvalConfig cfg = small_config();
  cfg.steps = 1;
  cfg.seeds = 1;
  cfg.draws = 1;
  cfg.methods = {"learned", "random"};
  // moons is built in (2 classes); a made-up data set is reported as skipped, not fatal.
  auto pts = mu::study_points("domain", cfg, "moons", 14, "moons,no-such-data");
  mu::Theta theta = mu::init_theta(0);
  nlohmann::json j = mu::run_study("domain", pts, theta);
  j["rule"] = {{"file", "x"}, {"sha256", ""}};
  auto errors = mu::report::validate(j, mu::report::experiment_schema());
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_TRUE(j["points"][0].contains("methods"));
  EXPECT_TRUE(j["points"][1].contains("skipped"));
}

TEST(EvalProtocol, CheckpointsScoreTheLearnedRuleInFullAlongTheWay) {
  mu::Split data = toy_split(3);
  mu::Theta theta = mu::init_theta(0);
  mu::EvalConfig cfg = small_config();
  cfg.methods = {"learned", "random"};
  cfg.checkpoints = {3, 0, 2};
  mu::EvalResult r = mu::run_evaluation(cfg, &theta, data, 0);
  ASSERT_NE(r.find("learned@0"), nullptr);
  ASSERT_NE(r.find("learned@2"), nullptr);
  ASSERT_NE(r.find("learned@3"), nullptr);
  // Step 0 is the network at initialisation: random's numbers, run for run; the last step is learned's.
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(r.find("learned@0")->runs[k].readouts, r.find("random")->runs[k].readouts);
    EXPECT_EQ(r.find("learned@3")->runs[k].readouts, r.find("learned")->runs[k].readouts);
  }
  EXPECT_EQ(r.curves[0].size(), 4u);  // the curve is unchanged by the checkpoints
  nlohmann::json j = mu::to_json(r, {"rule.pt", "abc"});
  EXPECT_TRUE(mu::report::validate(j, mu::report::results_schema()).empty());
  cfg.checkpoints = {4};
  EXPECT_THROW(mu::run_evaluation(cfg, &theta, data, 0), mu::Error);
}
