// Meta-training loop: determinism, kill/resume equality, refusal of bad checkpoints, non-finite handling,
// async workers, configs.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/archive.h"
#include "common/error.h"
#include "common/random.h"
#include "metatrain/config.h"
#include "metatrain/export.h"
#include "metatrain/trainer.h"
#include "helpers.h"
#include "support/paths.h"

namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  std::string d = (fs::temp_directory_path() / ("mu_mt_" + name + "_" + std::to_string(getpid()))).string();
  fs::remove_all(d);
  return d;
}

bool same(const mu::Theta& a, const mu::Theta& b) {
  auto x = a.list(), y = b.list();
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (!x[i].equal(y[i])) return false;
  return true;
}

using mu::testing::csv_rows;
using mu::testing::small_config;

mu::TrainOptions opts(const std::string& dir, bool det = true) {
  mu::TrainOptions o;
  o.out_dir = dir;
  o.deterministic = det;
  o.handle_signals = true;
  return o;
}

}  // namespace

TEST(MetaTrain, DeterministicRunsAreBitIdenticalAndMoveTheta) {
  mu::MetaConfig c = small_config();
  c.steps = 4;
  std::string d1 = fresh_dir("det1"), d2 = fresh_dir("det2");
  mu::TrainResult a = mu::meta_train(c, opts(d1));
  mu::TrainResult b = mu::meta_train(c, opts(d2));
  EXPECT_FALSE(a.interrupted);
  EXPECT_EQ(a.step, 4);
  EXPECT_TRUE(same(a.theta, b.theta));
  // Training changed theta (and a different seed gives a different theta).
  mu::RuleOptions ro;
  ro.eta = c.eta;
  EXPECT_FALSE(same(a.theta, mu::init_theta(mu::derive_seed(c.seed, 0x7e7a), ro)));
  c.seed = 8;
  std::string d3 = fresh_dir("det3");
  EXPECT_FALSE(same(a.theta, mu::meta_train(c, opts(d3)).theta));
  EXPECT_EQ(csv_rows(d1 + "/metrics.csv"), 4);
  EXPECT_TRUE(fs::exists(d1 + "/theta.pt"));
  EXPECT_TRUE(same(mu::load_theta(d1 + "/theta.pt"), a.theta));
  // An existing run is not silently overwritten.
  EXPECT_THROW(mu::meta_train(c, opts(d1)), mu::Error);
  for (auto& d : {d1, d2, d3}) fs::remove_all(d);
}

TEST(MetaTrain, DeterministicWithTwoWorkerThreadsMatchesItself) {
  mu::MetaConfig c = small_config();
  c.steps = 3;
  std::string d1 = fresh_dir("w2a"), d2 = fresh_dir("w2b");
  mu::TrainOptions o1 = opts(d1), o2 = opts(d2);
  o1.workers = o2.workers = 2;
  EXPECT_TRUE(same(mu::meta_train(c, o1).theta, mu::meta_train(c, o2).theta));
  fs::remove_all(d1), fs::remove_all(d2);
}

TEST(MetaTrain, InterruptedAndResumedRunEqualsUninterrupted) {
  mu::MetaConfig c = small_config();
  c.steps = 5;  // checkpoint_every 2: the stop at 3 is between periodic checkpoints
  std::string full = fresh_dir("full"), cut = fresh_dir("cut");
  mu::TrainResult a = mu::meta_train(c, opts(full));
  ASSERT_EQ(a.step, c.steps);

  mu::TrainOptions o = opts(cut);
  o.on_step = [](const mu::StepRecord& r) {
    if (r.step == 3) raise(SIGTERM);  // the real signal path: handler sets the flag, loop checkpoints
  };
  mu::TrainResult b = mu::meta_train(c, o);
  EXPECT_TRUE(b.interrupted);
  EXPECT_EQ(b.step, 3);
  EXPECT_FALSE(same(a.theta, b.theta));

  mu::TrainOptions r = opts(cut);
  r.resume = true;
  mu::TrainResult d = mu::meta_train(c, r);
  EXPECT_FALSE(d.interrupted);
  EXPECT_EQ(d.step, c.steps);
  EXPECT_TRUE(same(a.theta, d.theta)) << "resumed theta differs from the uninterrupted run";
  EXPECT_EQ(csv_rows(cut + "/metrics.csv"), c.steps);
  // The metrics agree row by row except wall-clock columns: compare the loss column.
  auto losses = [](const std::string& p) {
    std::ifstream in(p);
    std::string line;
    std::vector<std::string> v;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::stringstream ss(line);
      std::string step, loss;
      std::getline(ss, step, ',');
      std::getline(ss, loss, ',');
      v.push_back(step + ":" + loss);
    }
    return v;
  };
  EXPECT_EQ(losses(full + "/metrics.csv"), losses(cut + "/metrics.csv"));
  fs::remove_all(full), fs::remove_all(cut);
}

TEST(MetaTrain, CorruptOrIncompatibleCheckpointIsRefused) {
  mu::MetaConfig c = small_config();
  c.steps = 2;
  std::string d = fresh_dir("corrupt");
  mu::meta_train(c, opts(d));
  const std::string ck = d + "/checkpoint.pt";
  std::string bytes;
  {
    std::ifstream in(ck, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  mu::TrainOptions r = opts(d);
  r.resume = true;
  r.steps = 4;
  // Incompatible: another batch size.
  mu::MetaConfig other = c;
  other.batch = 10;
  try {
    mu::meta_train(other, r);
    FAIL() << "an incompatible checkpoint was accepted";
  } catch (const mu::Error& e) {
    EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("batch"), std::string::npos) << e.what();
  }
  // Corrupt: truncated file.
  {
    std::ofstream out(ck, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size() / 2));
  }
  try {
    mu::meta_train(c, r);
    FAIL() << "a truncated checkpoint was accepted";
  } catch (const mu::Error& e) {
    EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << e.what();
  }
  // Garbage.
  {
    std::ofstream out(ck, std::ios::binary | std::ios::trunc);
    out << "this is not a checkpoint";
  }
  EXPECT_THROW(mu::meta_train(c, r), mu::Error);
  // The intact file still resumes.
  {
    std::ofstream out(ck, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }
  EXPECT_EQ(mu::meta_train(c, r).step, 4);
  fs::remove_all(d);
}

TEST(MetaTrain, NonFiniteGradientIsDroppedCountedAndTaskRestarted) {
  mu::MetaConfig c = small_config();
  c.steps = 4;
  c.trunc_std_start = c.trunc_std_end = 0;  // would never restart by itself... (truncations 1)
  c.trunc_max = 1;
  c.trunc_std_start = c.trunc_std_end = 0;
  std::string d = fresh_dir("nan");
  mu::TrainOptions o = opts(d);
  int64_t tampered = 0;
  o.tamper = [&](int64_t step, int64_t slot, mu::UnrollResult& r) {
    if (step == 1 && slot == 0) {
      r.grad[0] = r.grad[0].clone();
      r.grad[0].view(-1)[0] = NAN;
      ++tampered;
    }
    if (step == 2 && slot == 1) {
      r.loss = INFINITY;
      ++tampered;
    }
  };
  std::vector<mu::StepRecord> recs;
  o.on_step = [&](const mu::StepRecord& r) { recs.push_back(r); };
  mu::TrainResult res = mu::meta_train(c, o);
  EXPECT_EQ(tampered, 2);
  EXPECT_EQ(res.dropped_nonfinite, 2);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].used, 2);
  EXPECT_EQ(recs[1].used, 1);
  EXPECT_EQ(recs[1].dropped_nonfinite, 1);
  EXPECT_EQ(recs[2].used, 1);
  EXPECT_EQ(recs[2].dropped_nonfinite, 2);
  for (const auto& t : res.theta.list()) EXPECT_TRUE(at::isfinite(t).all().item<bool>());
  fs::remove_all(d);
}

TEST(MetaTrain, NonFiniteTaskRestartsWithANewTask) {
  mu::MetaConfig c = small_config();
  c.steps = 3;
  c.meta_batch = 1;
  c.trunc_max = 1000;
  c.trunc_std_start = c.trunc_std_end = 1000;  // tasks last long: only the failure can restart them
  std::string d1 = fresh_dir("restart1");
  mu::TrainOptions o = opts(d1);
  o.tamper = [](int64_t step, int64_t, mu::UnrollResult& r) {
    if (step == 0) r.finite = false;
  };
  std::vector<mu::StepRecord> recs;
  o.on_step = [&](const mu::StepRecord& r) { recs.push_back(r); };
  mu::meta_train(c, o);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].tasks, 1);
  EXPECT_EQ(recs[0].used, 0);
  EXPECT_EQ(recs[1].tasks, 2);  // the failed task was replaced
  EXPECT_EQ(recs[2].tasks, 2);
  fs::remove_all(d1);
}

TEST(MetaTrain, AsyncWorkersTrainAndAccountForEveryUnroll) {
  mu::MetaConfig c = small_config();
  c.steps = 4;
  c.max_staleness = 0;
  std::string d = fresh_dir("async");
  mu::TrainOptions o = opts(d, false);
  o.workers = 2;
  int64_t used = 0;
  o.on_step = [&](const mu::StepRecord& r) { used += r.used; };
  mu::TrainResult res = mu::meta_train(c, o);
  EXPECT_EQ(res.step, 4);
  EXPECT_EQ(used, 4 * c.meta_batch);
  EXPECT_EQ(res.unrolls, used + res.dropped_nonfinite + res.dropped_stale);
  for (const auto& t : res.theta.list()) EXPECT_TRUE(at::isfinite(t).all().item<bool>());
  // Resume in async mode continues from the checkpoint.
  mu::TrainOptions r = o;
  r.resume = true;
  r.steps = 6;
  EXPECT_EQ(mu::meta_train(c, r).step, 6);
  EXPECT_EQ(csv_rows(d + "/metrics.csv"), 6);
  fs::remove_all(d);
}

TEST(MetaTrainConfig, SchedulesAndRefusals) {
  mu::MetaConfig c;
  c.steps = 200000;
  EXPECT_DOUBLE_EQ(c.lr_at(0), 3e-4);
  EXPECT_DOUBLE_EQ(c.lr_at(99999), 3e-4);
  EXPECT_DOUBLE_EQ(c.lr_at(100000), 1e-4);
  EXPECT_DOUBLE_EQ(c.lr_at(150000), 2e-5);
  c.curriculum_steps = 50000;
  EXPECT_EQ(c.unroll_range(0), std::make_pair(int64_t(2), int64_t(4)));
  EXPECT_EQ(c.unroll_range(25000), std::make_pair(int64_t(5), int64_t(10)));  // 2+3, 4+5.5 rounded
  EXPECT_EQ(c.unroll_range(60000), std::make_pair(int64_t(8), int64_t(15)));
  nlohmann::json j = c.to_json();
  EXPECT_EQ(mu::MetaConfig::from_json(j).to_json(), j);
  j["datasets"] = {"fashion-mnist"};
  EXPECT_THROW(mu::MetaConfig::from_json(j), mu::Error);
  j = c.to_json();
  j["datasets"] = {"mnist"};
  EXPECT_THROW(mu::MetaConfig::from_json(j), mu::Error);
  j = c.to_json();
  j["no_such_key"] = 1;
  EXPECT_THROW(mu::MetaConfig::from_json(j), mu::Error);
  // The MetaObjective's readout layer must exist in every task's network; its penalty must be positive.
  j = c.to_json();
  j["readout_below_top"] = 1;
  j["readout_lambda"] = 10.0;
  EXPECT_EQ(mu::MetaConfig::from_json(j).readout_below_top, 1);
  j["readout_below_top"] = c.depth_min + 1;
  EXPECT_THROW(mu::MetaConfig::from_json(j), mu::Error);
  j["readout_below_top"] = -1;
  EXPECT_THROW(mu::MetaConfig::from_json(j), mu::Error);
  j["readout_below_top"] = 0;
  j["readout_lambda"] = 0.0;
  EXPECT_THROW(mu::MetaConfig::from_json(j), mu::Error);
  // Every shipped config loads (and the ones the README names are there).
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(mu::testing::source_dir() + "/configs")) {
    if (e.path().extension() != ".json") continue;
    EXPECT_NO_THROW(mu::load_meta_config(e.path().string())) << e.path();
    ++n;
  }
  EXPECT_GE(n, 4);
  for (const char* name : {"tiny", "cpu", "gpu-d4-relu128", "paper"})
    EXPECT_TRUE(std::filesystem::exists(mu::testing::source_dir() + "/configs/" + name + ".json")) << name;
}

TEST(MetaTrainCli, TinyConfigEndToEndWithResume) {
  std::string d = fresh_dir("cli");
  std::string bin = mu::testing::binary() + " meta-train --config " + mu::testing::source_dir() +
                    "/configs/tiny.json --out " + d + " --deterministic";
  ASSERT_EQ(std::system((bin + " --steps 3 2> " + d + ".log").c_str()), 0);
  EXPECT_EQ(csv_rows(d + "/metrics.csv"), 3);
  // Without --resume an existing run is refused with exit status 2; with it, the run continues.
  EXPECT_NE(std::system((bin + " --steps 5 2> /dev/null").c_str()), 0);
  ASSERT_EQ(std::system((bin + " --steps 5 --resume 2>> " + d + ".log").c_str()), 0);
  EXPECT_EQ(csv_rows(d + "/metrics.csv"), 5);
  mu::Theta th = mu::load_theta(d + "/theta.pt");
  for (const auto& t : th.list()) EXPECT_TRUE(at::isfinite(t).all().item<bool>());
  // A held-out data set in a config is refused.
  std::ofstream(d + "/bad.json") << R"({"datasets": ["fashion-mnist"]})";
  EXPECT_NE(std::system((mu::testing::binary() + " meta-train --config " + d + "/bad.json --out " + d +
                         "/bad 2> /dev/null").c_str()),
            0);
  fs::remove_all(d);
  fs::remove(d + ".log");
}

TEST(MetaTrainExport, RuleFileCarriesThetaAndProvenance) {
  mu::MetaConfig c = small_config();
  c.steps = 3;
  std::string d = fresh_dir("export");
  mu::TrainResult r = mu::meta_train(c, opts(d));
  const std::string out = d + "/rule.pt";
  mu::export_rule(d, out, "0123abc");
  std::map<std::string, std::string> meta;
  mu::Theta th = mu::load_theta(out, &meta);
  EXPECT_TRUE(same(th, r.theta));
  EXPECT_DOUBLE_EQ(th.options.eta, c.eta);
  EXPECT_EQ(meta["meta_step"], "3");
  EXPECT_EQ(meta["config"], "test");
  EXPECT_EQ(meta["git_commit"], "0123abc");
  EXPECT_NE(meta["data"].find("moons"), std::string::npos);
  EXPECT_NE(meta["validation"].find("step 3"), std::string::npos) << meta["validation"];
  EXPECT_EQ(mu::MetaConfig::from_json(nlohmann::json::parse(meta["config_json"])).to_json(), c.to_json());
  // A folder without a checkpoint, or with a foreign file in its place, is refused.
  EXPECT_THROW(mu::export_rule(d + "/missing", out, ""), mu::Error);
  fs::create_directories(d + "/foreign");
  fs::copy_file(out, d + "/foreign/checkpoint.pt");
  EXPECT_THROW(mu::export_rule(d + "/foreign", d + "/x.pt", ""), mu::Error);
  fs::remove_all(d);
}

TEST(MetaTrainExport, AverageIsTheElementwiseMeanAndRefusesMixedVariants) {
  std::string d = fresh_dir("average");
  fs::create_directories(d);
  mu::RuleOptions ro;
  ro.eta = 1e-3;
  mu::Theta a = mu::init_theta(1, ro), b = mu::init_theta(2, ro), c = mu::init_theta(3, ro);
  mu::save_theta(a, d + "/a.pt", {{"meta_step", "10"}, {"config", "x"}});
  mu::save_theta(b, d + "/b.pt", {{"meta_step", "20"}});
  mu::save_theta(c, d + "/c.pt", {{"meta_step", "30"}});
  std::map<std::string, std::string> meta;
  mu::Theta m = mu::averaged_rule({d + "/a.pt", d + "/b.pt", d + "/c.pt"}, &meta);
  auto la = a.list(), lb = b.list(), lc = c.list(), lm = m.list();
  for (size_t i = 0; i < lm.size(); ++i) {
    EXPECT_EQ(lm[i].scalar_type(), at::kFloat);
    EXPECT_TRUE(at::allclose(lm[i], (la[i] + lb[i] + lc[i]) / 3, 1e-6, 1e-7)) << m.names[i];
  }
  EXPECT_DOUBLE_EQ(m.options.eta, 1e-3);
  EXPECT_EQ(meta["config"], "x");  // the first file's provenance, plus what was averaged
  EXPECT_NE(meta["averaged_from"].find("b.pt@20"), std::string::npos) << meta["averaged_from"];
  EXPECT_NE(meta["meta_step"].find("mean of 3"), std::string::npos);
  // One file: itself. Another eta, or a missing file: refused.
  EXPECT_TRUE(same(mu::averaged_rule({d + "/a.pt"}, &meta), a));
  mu::RuleOptions other = ro;
  other.eta = 2e-3;
  mu::save_theta(mu::init_theta(4, other), d + "/e.pt");
  EXPECT_THROW(mu::averaged_rule({d + "/a.pt", d + "/e.pt"}, &meta), mu::Error);
  EXPECT_THROW(mu::averaged_rule({d + "/a.pt", d + "/missing.pt"}, &meta), mu::Error);
  EXPECT_THROW(mu::averaged_rule({}, &meta), mu::Error);
  // Weights: -0.5, 1.5 is half a step beyond b along a -> b; a wrong count or sum, or a NaN, is refused.
  mu::Theta x = mu::averaged_rule({d + "/a.pt", d + "/b.pt"}, &meta, {-0.5, 1.5});
  auto lx = x.list();
  for (size_t i = 0; i < lx.size(); ++i)
    EXPECT_TRUE(at::allclose(lx[i], lb[i] + 0.5 * (lb[i] - la[i]), 1e-5, 1e-6)) << x.names[i];
  EXPECT_NE(meta["averaged_from"].find("-0.5 x"), std::string::npos) << meta["averaged_from"];
  EXPECT_THROW(mu::averaged_rule({d + "/a.pt", d + "/b.pt"}, &meta, {1.0}), mu::Error);
  EXPECT_THROW(mu::averaged_rule({d + "/a.pt", d + "/b.pt"}, &meta, {0.5, 0.6}), mu::Error);
  EXPECT_THROW(mu::averaged_rule({d + "/a.pt", d + "/b.pt"}, &meta, {std::nan(""), 1.0}), mu::Error);
  fs::remove_all(d);
}

TEST(MetaTrainWarmStart, FreshRunBeginsFromTheRuleAndRefusesAnotherEta) {
  mu::MetaConfig c = small_config();
  c.steps = 2;
  std::string d1 = fresh_dir("warm1"), d2 = fresh_dir("warm2"), d3 = fresh_dir("warm3");
  mu::TrainResult first = mu::meta_train(c, opts(d1));
  mu::TrainOptions o = opts(d2);
  o.init_rule = d1 + "/theta.pt";
  c.steps = 1;
  mu::TrainResult second = mu::meta_train(c, o);
  // One step from `first` moves theta by at most lr (Adam) per coordinate; from a fresh init it would not
  // be near `first` at all.
  auto a = first.theta.list(), b = second.theta.list();
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  EXPECT_LE(worst, c.lr[0] * 1.0001);
  EXPECT_GT(worst, 0.0);
  mu::MetaConfig other = c;
  other.eta = c.eta * 2;
  mu::TrainOptions o3 = opts(d3);
  o3.init_rule = d1 + "/theta.pt";
  EXPECT_THROW(mu::meta_train(other, o3), mu::Error);
  for (auto& d : {d1, d2, d3}) fs::remove_all(d);
}

TEST(MetaTrainWarmStart, FromACheckpointCarriesAdamsMomentsAndRefusesABadOne) {
  mu::MetaConfig c = small_config();
  c.steps = 2;
  std::string d1 = fresh_dir("warmc1"), d2 = fresh_dir("warmc2"), d3 = fresh_dir("warmc3");
  mu::TrainResult first = mu::meta_train(c, opts(d1));
  // The checkpoint gives theta and Adam's state; a rule file gives theta only.
  mu::WarmStart w = mu::load_warm_start(d1 + "/checkpoint.pt", first.theta);
  ASSERT_TRUE(w.adam.has_value());
  EXPECT_TRUE(same(w.theta, first.theta));
  EXPECT_EQ(w.adam->t, 2);
  EXPECT_DOUBLE_EQ(w.theta.options.eta, c.eta);
  EXPECT_GT(w.adam->v[0].abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(mu::load_warm_start(d1 + "/theta.pt", first.theta).adam.has_value());
  // One more step from the checkpoint (another config: rate and seed differ) continues Adam at t = 3, so
  // it differs from the same step begun with fresh moments (which moves each coordinate by about lr).
  mu::MetaConfig next = c;
  next.steps = 1, next.lr = {c.lr[0] / 3}, next.seed = c.seed + 1;
  mu::TrainOptions o2 = opts(d2), o3 = opts(d3);
  o2.init_rule = d1 + "/checkpoint.pt", o3.init_rule = d1 + "/theta.pt";
  mu::TrainResult from_ckpt = mu::meta_train(next, o2), from_rule = mu::meta_train(next, o3);
  EXPECT_EQ(mu::load_archive(d2 + "/checkpoint.pt").meta.at("adam_t"), "3");
  EXPECT_EQ(mu::load_archive(d3 + "/checkpoint.pt").meta.at("adam_t"), "1");
  EXPECT_FALSE(same(from_ckpt.theta, from_rule.theta));
  // A checkpoint holding a non-finite moment, or one for another eta, is refused with a clear error.
  mu::Archive a = mu::load_archive(d1 + "/checkpoint.pt");
  for (auto& [name, t] : a.tensors)
    if (name.rfind("adam.v/", 0) == 0) { t = t.clone(); t.view(-1)[0] = NAN; break; }
  mu::save_archive(d1 + "/bad.pt", a);
  EXPECT_THROW(mu::load_warm_start(d1 + "/bad.pt", first.theta), mu::Error);
  mu::MetaConfig other = next;
  other.eta = c.eta * 2;
  o3 = opts(fresh_dir("warmc3"));
  o3.init_rule = d1 + "/checkpoint.pt";
  EXPECT_THROW(mu::meta_train(other, o3), mu::Error);
  for (auto& d : {d1, d2, d3}) fs::remove_all(d);
}
