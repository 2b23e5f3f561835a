#include "eval/protocol.h"

#include <cstdint>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "common/error.h"
#include "common/random.h"
#include "eval/feature_extractor.h"
#include "objective/meta_objective.h"
#include "rule/unsupervised_update.h"

namespace mu {

std::vector<std::string> parse_methods(const std::string& list) {
  if (list == "all") return all_methods();
  std::vector<std::string> wanted;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    bool known = false;
    for (const auto& m : all_methods()) known |= m == item;
    if (!known) {
      std::string names;
      for (const auto& m : all_methods()) names += m + ", ";
      throw Error("unknown method '" + item + "' (expected a comma list of " + names + "or 'all')");
    }
    wanted.push_back(item);
  }
  std::vector<std::string> out;  // canonical order, no duplicates
  for (const auto& m : all_methods())
    for (const auto& w : wanted)
      if (w == m) {
        out.push_back(m);
        break;
      }
  return out;
}

double MethodResult::mean() const {
  if (runs.empty()) return 0;
  double s = 0;
  for (const auto& r : runs) s += r.accuracy;
  return s / static_cast<double>(runs.size());
}

double MethodResult::stddev() const {
  if (runs.size() < 2) return 0;
  double m = mean(), s = 0;
  for (const auto& r : runs) s += (r.accuracy - m) * (r.accuracy - m);
  return std::sqrt(s / static_cast<double>(runs.size()));
}

const MethodResult* EvalResult::find(const std::string& name) const {
  for (const auto& m : methods)
    if (m.name == name) return &m;
  return nullptr;
}

Phi apply_rule(const Theta& theta, Phi phi, const at::Tensor& x, int64_t steps, int64_t batch, at::Generator& gen,
               int64_t every, const std::function<void(int64_t, const Phi&)>& on_step, int64_t* failed_at,
               const std::vector<int64_t>& also) {
  at::NoGradGuard ng;
  if (failed_at) *failed_at = -1;
  const int64_t n = x.size(0);
  MU_CHECK(batch >= 2, "--batch must be at least 2");
  if (on_step) on_step(0, phi);
  for (int64_t t = 1; t <= steps; ++t) {
    at::Tensor idx = at::randint(n, {batch}, gen, at::TensorOptions().dtype(at::kLong));
    try {
      phi = unsupervised_step(theta, phi, x.index_select(0, idx));
    } catch (const Error&) {
      if (!failed_at) throw;
      *failed_at = t;
      if (on_step) on_step(t - 1, phi);
      return phi;
    }
    const bool listed = std::find(also.begin(), also.end(), t) != also.end();
    if (on_step && ((every > 0 && t % every == 0) || t == steps || listed)) on_step(t, phi);
  }
  return phi;
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Indices of the training examples of each class.
std::vector<at::Tensor> by_class(const at::Tensor& y, int64_t classes) {
  std::vector<at::Tensor> out;
  for (int64_t k = 0; k < classes; ++k) out.push_back((y == k).nonzero().flatten());
  return out;
}

// `per` examples of every class, without replacement, class-major order.
at::Tensor balanced_draw(const std::vector<at::Tensor>& idx, int64_t per, at::Generator& gen) {
  return balanced_indices(idx, per, gen).reshape(-1);
}

// The paper metric's test examples per class: paper_test_per_class, at most the smallest test class.
int64_t paper_per_class(const EvalConfig& cfg, const std::vector<at::Tensor>& cls_te) {
  int64_t per = cfg.paper_test_per_class;
  for (const auto& c : cls_te) per = std::min(per, c.size(0));
  return per;
}

int64_t class_count(const Split& data) { return std::max(data.train.classes(), data.test.classes()); }

}  // namespace

SeedRows protocol_rows(const EvalConfig& cfg, const Split& data, int64_t s) {
  const int64_t K = class_count(data);
  auto cls_tr = by_class(data.train.y.to(at::kLong), K), cls_te = by_class(data.test.y.to(at::kLong), K);
  const int64_t paper_per = paper_per_class(cfg, cls_te);
  SeedRows rows;
  for (int64_t d = 0; d < cfg.draws; ++d) {
    at::Generator g = make_generator(derive_seed(cfg.seed, s, 3, d));
    rows.labelled.push_back(balanced_draw(cls_tr, cfg.shots, g));
    rows.paper.push_back(balanced_draw(cls_te, paper_per, g));
  }
  const int64_t n = data.train.size();
  at::Generator fit_gen = make_generator(derive_seed(cfg.seed, s, 4));
  rows.fit = at::randperm(n, fit_gen, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, std::min(cfg.fit_examples, n));
  return rows;
}

namespace {

// Refuses what the protocol cannot run, each with the option to change.
void check_protocol(const EvalConfig& cfg, const Split& data, const Theta* theta) {
  const Dataset& tr = data.train;
  const Dataset& te = data.test;
  MU_CHECK(tr.size() >= 2 && te.size() >= 1, "evaluate: the data set needs a training and a test split");
  MU_CHECK(tr.dim() == te.dim(), "evaluate: train and test splits have different widths");
  MU_CHECK(class_count(data) >= 2, "evaluate: the data set needs at least 2 classes");
  MU_CHECK(cfg.shots >= 1, "--shots must be at least 1");
  MU_CHECK(cfg.seeds >= 1 && cfg.draws >= 1, "--seeds and --draws must be at least 1");
  MU_CHECK(cfg.steps >= 0, "--steps must be >= 0");
  MU_CHECK(!cfg.methods.empty(), "no methods to evaluate");
  bool want_learned = false;
  for (const auto& m : cfg.methods) want_learned |= m == "learned";
  MU_CHECK(!want_learned || theta, "evaluate: the learned method needs a rule (--rule)");
}

// The checkpoint steps, sorted and unique, each within [0, steps].
std::vector<int64_t> sorted_checkpoints(const EvalConfig& cfg) {
  std::vector<int64_t> out;
  for (int64_t t : cfg.checkpoints) {
    MU_CHECK(t >= 0 && t <= cfg.steps, "--checkpoints: step " + std::to_string(t) + " is outside 0.." +
                                           std::to_string(cfg.steps) + " (--steps)");
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The result's header and one empty row per method (learned followed by its learned@STEP rows).
EvalResult empty_result(const EvalConfig& cfg, const Split& data, int64_t resolution,
                        const std::vector<int64_t>& checkpoints) {
  EvalResult R;
  R.config = cfg;
  R.dataset = data.train.name;
  R.resolution = resolution;
  R.classes = class_count(data);
  R.train_examples = data.train.size();
  R.test_examples = data.test.size();
  R.arch = make_arch(data.train.dim(), cfg.hidden, cfg.embedding, cfg.activation);
  MU_CHECK(cfg.features_below_top >= 0 && cfg.features_below_top < R.arch.layers(),
           "evaluate: --features-from reaches below the first hidden layer of " + R.arch.str());
  for (const auto& m : cfg.methods) {
    MethodResult mr;
    mr.name = m;
    R.methods.push_back(mr);
    if (m != "learned") continue;
    for (int64_t t : checkpoints) {
      MethodResult cp;
      cp.name = "learned@" + std::to_string(t);
      R.methods.push_back(cp);
    }
  }
  return R;
}

// Every readout fitted on one draw's labelled features and scored on the whole test split, plus the paper
// metric on the draw's paper rows.
RunResult score_draw(const SeedContext& c, MethodResult& mr, int64_t d, const at::Tensor& Flab,
                     const at::Tensor& Ftest, const at::Tensor& Fpaper_lab, const at::Tensor& Fpaper_test) {
  at::Tensor ylab = c.ytr.index_select(0, c.rows.labelled[d]);
  RunResult rr;
  rr.seed = c.seed_index;
  rr.draw = d;
  for (ReadoutKind k : all_readouts()) {
    Readout ro = fit_readout(k, Flab, ylab, c.classes, c.cfg.logistic);
    ReadoutScore sc = score_readout(ro, Ftest, c.yte);
    rr.readouts[to_string(k)] = sc.accuracy;
    if (k == c.cfg.readout) {
      rr.accuracy = sc.accuracy;
      rr.test_loss = sc.loss;
    }
  }
  Readout paper = fit_logistic_ovr(Fpaper_lab, ylab, c.classes, c.cfg.logistic);
  rr.paper_accuracy = score_readout(paper, Fpaper_test, c.yte.index_select(0, c.rows.paper[d])).accuracy;
  mr.feature_dim = Flab.size(1);
  mr.runs.push_back(rr);
  return rr;
}

// Features independent of the label draw, scored on every draw.
void score_fixed_features(const SeedContext& c, MethodResult& mr, const Features& f) {
  at::Tensor Ftest = f.full(c.xte);
  for (int64_t d = 0; d < c.cfg.draws; ++d) {
    at::Tensor xl = c.xtr.index_select(0, c.rows.labelled[d]), xp = c.xte.index_select(0, c.rows.paper[d]);
    at::Tensor J = f.joint(at::cat({xl, xp}));
    c.score(mr, d, f.full(xl), Ftest, J.narrow(0, 0, xl.size(0)), J.narrow(0, xl.size(0), xp.size(0)));
  }
}

// The seed's batch-norm reference batch: `reference` random training examples (at least 2).
at::Tensor reference_batch(const EvalConfig& cfg, const at::Tensor& xtr, int64_t s) {
  at::Generator ref_gen = make_generator(derive_seed(cfg.seed, s, 2));
  const int64_t n = xtr.size(0), nref = std::min<int64_t>(std::max<int64_t>(cfg.reference, 2), n);
  return xtr.index_select(0, at::randperm(n, ref_gen, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, nref));
}

}  // namespace

EvalResult run_evaluation(const EvalConfig& cfg, const Theta* theta_in, const Split& data, int64_t resolution,
                          const EvalProgress& progress) {
  auto t_all = Clock::now();
  at::NoGradGuard ng;
  check_protocol(cfg, data, theta_in);
  const int64_t K = class_count(data);
  const std::vector<int64_t> checkpoints = sorted_checkpoints(cfg);
  EvalResult R = empty_result(cfg, data, resolution, checkpoints);
  Theta theta;
  if (theta_in) {
    theta = *theta_in;
    if (cfg.eta > 0) theta.options.eta = cfg.eta;
    R.rule_variant = variant_name(theta.options);
    R.eta = theta.options.eta;
  }

  at::Tensor xtr = data.train.x.to(at::kFloat).contiguous(), ytr = data.train.y.to(at::kLong);
  at::Tensor xte = data.test.x.to(at::kFloat).contiguous(), yte = data.test.y.to(at::kLong);
  auto cls_tr = by_class(ytr, K), cls_te = by_class(yte, K);
  for (int64_t k = 0; k < K; ++k) {
    MU_CHECK(cls_tr[k].size(0) >= cfg.shots,
             "evaluate: class " + std::to_string(k) + " has only " + std::to_string(cls_tr[k].size(0)) +
                 " training examples, fewer than --shots " + std::to_string(cfg.shots));
  }
  MU_CHECK(paper_per_class(cfg, cls_te) >= 1, "evaluate: every class needs at least one test example");
  auto method = [&](const std::string& name) -> MethodResult* {
    for (auto& m : R.methods)
      if (m.name == name) return &m;
    return nullptr;
  };
  const int64_t total_units = cfg.seeds * static_cast<int64_t>(cfg.methods.size());
  int64_t done_units = 0;
  auto report = [&](const std::string& what) {
    if (progress) progress(what, done_units, total_units);
  };

  for (int64_t s = 0; s < cfg.seeds; ++s) {
    Phi phi0 = init_phi(R.arch, derive_seed(cfg.seed, s, 1), at::kFloat, cfg.shuffle_input);
    R.initial.push_back(phi0);
    const at::Tensor ref = reference_batch(cfg, xtr, s);
    const SeedRows rows = protocol_rows(cfg, data, s);
    SeedContext c{cfg, s, K, xtr, ytr, xte, yte, cls_tr, cls_te, ref, phi0, rows, theta_in ? &theta : nullptr,
                  checkpoints, progress, {}, {}, {}, method};
    c.score = [&c](MethodResult& mr, int64_t d, const at::Tensor& a, const at::Tensor& b, const at::Tensor& pa,
                   const at::Tensor& pb) { return score_draw(c, mr, d, a, b, pa, pb); };
    c.score_fixed = [&c](MethodResult& mr, const Features& f) { score_fixed_features(c, mr, f); };
    c.phi_features = [&ref, &cfg](const Phi& full) {
      const Phi phi = full.below_top(cfg.features_below_top);  // the layer the readout sees
      return Features{[&ref, phi](const at::Tensor& x) { return embed_reference(phi, ref, x); },
                      [phi](const at::Tensor& x) { return embed(phi, x); }};
    };
    for (const auto& name : cfg.methods) {
      MethodResult& mr = *method(name);
      auto t0 = Clock::now();
      report(name + " seed " + std::to_string(s));
      make_extractor(name)->run(c, mr, R);
      mr.seconds += since(t0);
      ++done_units;
    }
  }
  report("done");
  R.seconds = since(t_all);
  return R;
}

nlohmann::json to_json(const EvalResult& r, const RuleInfo& rule) {
  using nlohmann::json;
  json j;
  j["format"] = "metaunsup-results-v1";
  j["dataset"] = r.dataset;
  j["resolution"] = r.resolution;
  j["shots"] = r.config.shots;
  j["architecture"] = r.arch.widths;
  j["activation"] = to_string(r.arch.activation);
  j["steps"] = r.config.steps;
  j["batch"] = r.config.batch;
  j["seeds"] = r.config.seeds;
  j["draws"] = r.config.draws;
  j["permuted_input"] = r.config.shuffle_input;
  j["readout"] = to_string(r.config.readout);
  j["features_below_top"] = r.config.features_below_top;  // 0: the embedding X^L
  j["classes"] = r.classes;
  j["train_examples"] = r.train_examples;
  j["test_examples"] = r.test_examples;
  j["seed"] = r.config.seed;
  j["rule"] = {{"file", rule.file}, {"sha256", rule.sha256}, {"variant", r.rule_variant}, {"eta", r.eta}};
  j["seconds"] = r.seconds;
  json methods = json::object();
  for (const auto& m : r.methods) {
    json e;
    e["accuracy_mean"] = m.mean();
    e["accuracy_std"] = m.stddev();
    e["runs"] = m.runs.size();
    e["readout"] = to_string(r.config.readout);
    e["feature_dim"] = m.feature_dim;
    e["seconds"] = m.seconds;
    json acc = json::array(), per = json::object();
    std::map<std::string, std::vector<double>> by;
    std::vector<double> paper, head, loss;
    for (const auto& run : m.runs) {
      acc.push_back(run.accuracy);
      for (const auto& [k, v] : run.readouts) by[k].push_back(v);
      paper.push_back(run.paper_accuracy);
      loss.push_back(run.test_loss);
      if (run.head_accuracy >= 0) head.push_back(run.head_accuracy);
    }
    auto stats = [](const std::vector<double>& v) {
      double mean = 0, sd = 0;
      for (double x : v) mean += x;
      mean /= std::max<size_t>(1, v.size());
      for (double x : v) sd += (x - mean) * (x - mean);
      sd = v.size() > 1 ? std::sqrt(sd / v.size()) : 0.0;
      return json{{"mean", mean}, {"std", sd}};
    };
    for (const auto& [k, v] : by) per[k] = stats(v);
    e["accuracies"] = acc;
    e["readouts"] = per;
    e["test_loss"] = stats(loss);
    e["paper_metric"] = stats(paper);
    if (!head.empty()) e["softmax_head"] = stats(head);
    if (!m.note.empty()) e["note"] = m.note;
    methods[m.name] = e;
  }
  j["methods"] = methods;
  json curve = json::array();
  if (!r.curves.empty()) {
    size_t len = r.curves[0].size();
    for (const auto& c : r.curves) len = std::min(len, c.size());
    for (size_t i = 0; i < len; ++i) {
      double la = 0, la2 = 0, ra = 0, rl = 0;
      for (const auto& c : r.curves) {
        la += c[i].logistic_accuracy;
        la2 += c[i].logistic_accuracy * c[i].logistic_accuracy;
        ra += c[i].ridge_accuracy;
        rl += c[i].ridge_loss;
      }
      double n = static_cast<double>(r.curves.size());
      double m = la / n;
      curve.push_back({{"step", r.curves[0][i].step},
                       {"accuracy_mean", m},
                       {"accuracy_std", std::sqrt(std::max(0.0, la2 / n - m * m))},
                       {"ridge_accuracy_mean", ra / n},
                       {"ridge_loss_mean", rl / n}});
    }
  }
  j["curve"] = curve;
  return j;
}

}  // namespace mu
