#include "eval/protocol.h"

#include <cstdint>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "common/error.h"
#include "common/random.h"
#include "objective/meta_objective.h"
#include "rule/unsupervised_update.h"

namespace mu {

const std::vector<std::string>& all_methods() {
  static const std::vector<std::string> m = {"learned", "random", "supervised", "vae", "pca", "kmeans", "kmeans-32",
                                                "raw"};
  return m;
}

std::vector<std::string> parse_methods(const std::string& list) {
  if (list == "all") return all_methods();
  std::vector<std::string> wanted;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    bool known = false;
    for (const auto& m : all_methods()) known |= m == item;
    MU_CHECK(known, "unknown method '" + item + "' (expected a comma list of learned, random, supervised, vae, "
                    "pca, kmeans, kmeans-32, raw, or 'all')");
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

struct Draw {
  at::Tensor lab;    // labelled training indices
  at::Tensor paper;  // paper-style test batch indices (test split)
};

// The features one method gives for inputs; `joint` is the paper's one-BN-pass-over-the-batch form.
struct Features {
  std::function<at::Tensor(const at::Tensor&)> full;
  std::function<at::Tensor(const at::Tensor&)> joint;
};

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

EvalResult run_evaluation(const EvalConfig& cfg, const Theta* theta_in, const Split& data, int64_t resolution,
                          const EvalProgress& progress) {
  auto t_all = Clock::now();
  at::NoGradGuard ng;
  const Dataset& tr = data.train;
  const Dataset& te = data.test;
  MU_CHECK(tr.size() >= 2 && te.size() >= 1, "evaluate: the data set needs a training and a test split");
  MU_CHECK(tr.dim() == te.dim(), "evaluate: train and test splits have different widths");
  const int64_t K = class_count(data);
  MU_CHECK(K >= 2, "evaluate: the data set needs at least 2 classes");
  MU_CHECK(cfg.shots >= 1, "--shots must be at least 1");
  MU_CHECK(cfg.seeds >= 1 && cfg.draws >= 1, "--seeds and --draws must be at least 1");
  MU_CHECK(cfg.steps >= 0, "--steps must be >= 0");
  MU_CHECK(!cfg.methods.empty(), "no methods to evaluate");
  bool want_learned = false;
  for (const auto& m : cfg.methods) want_learned |= m == "learned";
  MU_CHECK(!want_learned || theta_in, "evaluate: the learned method needs a rule (--rule)");

  EvalResult R;
  R.config = cfg;
  R.dataset = tr.name;
  R.resolution = resolution;
  R.classes = K;
  R.train_examples = tr.size();
  R.test_examples = te.size();
  R.arch = make_arch(tr.dim(), cfg.hidden, cfg.embedding, cfg.activation);
  MU_CHECK(cfg.features_below_top >= 0 && cfg.features_below_top < R.arch.layers(),
           "evaluate: --features-from reaches below the first hidden layer of " + R.arch.str());
  Theta theta;
  if (theta_in) {
    theta = *theta_in;
    if (cfg.eta > 0) theta.options.eta = cfg.eta;
    R.rule_variant = variant_name(theta.options);
    R.eta = theta.options.eta;
  }

  at::Tensor xtr = tr.x.to(at::kFloat).contiguous(), ytr = tr.y.to(at::kLong);
  at::Tensor xte = te.x.to(at::kFloat).contiguous(), yte = te.y.to(at::kLong);
  auto cls_tr = by_class(ytr, K), cls_te = by_class(yte, K);
  for (int64_t k = 0; k < K; ++k) {
    MU_CHECK(cls_tr[k].size(0) >= cfg.shots,
             "evaluate: class " + std::to_string(k) + " has only " + std::to_string(cls_tr[k].size(0)) +
                 " training examples, fewer than --shots " + std::to_string(cfg.shots));
  }
  MU_CHECK(paper_per_class(cfg, cls_te) >= 1, "evaluate: every class needs at least one test example");
  int64_t curve_per = cfg.shots;  // curve batches: `shots` per class of train, 10 per class of test
  for (int64_t k = 0; k < K; ++k) curve_per = std::min(curve_per, cls_te[k].size(0));

  std::vector<int64_t> checkpoints;  // sorted, unique, within [0, steps]
  for (int64_t t : cfg.checkpoints) {
    MU_CHECK(t >= 0 && t <= cfg.steps, "--checkpoints: step " + std::to_string(t) + " is outside 0.." +
                                           std::to_string(cfg.steps) + " (--steps)");
    if (std::find(checkpoints.begin(), checkpoints.end(), t) == checkpoints.end()) checkpoints.push_back(t);
  }
  std::sort(checkpoints.begin(), checkpoints.end());
  auto checkpoint_name = [](int64_t t) { return "learned@" + std::to_string(t); };
  for (const auto& m : cfg.methods) {
    MethodResult mr;
    mr.name = m;
    R.methods.push_back(mr);
    if (m != "learned") continue;
    for (int64_t t : checkpoints) {
      MethodResult cp;
      cp.name = checkpoint_name(t);
      R.methods.push_back(cp);
    }
  }
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
    const uint64_t model_seed = derive_seed(cfg.seed, s, 1);
    Phi phi0 = init_phi(R.arch, model_seed, at::kFloat, cfg.shuffle_input);
    R.initial.push_back(phi0);
    at::Generator ref_gen = make_generator(derive_seed(cfg.seed, s, 2));
    int64_t nref = std::min<int64_t>(std::max<int64_t>(cfg.reference, 2), tr.size());
    at::Tensor ref = xtr.index_select(
        0, at::randperm(tr.size(), ref_gen, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, nref));
    const SeedRows rows = protocol_rows(cfg, data, s);
    std::vector<Draw> draws;
    for (int64_t d = 0; d < cfg.draws; ++d) draws.push_back(Draw{rows.labelled[d], rows.paper[d]});
    const at::Tensor& fit_idx = rows.fit;

    // Scores one method's features on every draw.
    auto score = [&](MethodResult& mr, int64_t d, const at::Tensor& Flab, const at::Tensor& Ftest,
                     const at::Tensor& Fpaper_lab, const at::Tensor& Fpaper_test) {
      const Draw& dr = draws[d];
      at::Tensor ylab = ytr.index_select(0, dr.lab);
      RunResult rr;
      rr.seed = s;
      rr.draw = d;
      for (ReadoutKind k : all_readouts()) {
        Readout ro = fit_readout(k, Flab, ylab, K, cfg.logistic);
        ReadoutScore sc = score_readout(ro, Ftest, yte);
        rr.readouts[to_string(k)] = sc.accuracy;
        if (k == cfg.readout) {
          rr.accuracy = sc.accuracy;
          rr.test_loss = sc.loss;
        }
      }
      Readout paper = fit_logistic_ovr(Fpaper_lab, ylab, K, cfg.logistic);
      rr.paper_accuracy = score_readout(paper, Fpaper_test, yte.index_select(0, dr.paper)).accuracy;
      mr.feature_dim = Flab.size(1);
      mr.runs.push_back(rr);
      return rr;
    };
    // Fixed features (independent of the label draw).
    auto score_fixed = [&](MethodResult& mr, const Features& f) {
      at::Tensor Ftest = f.full(xte);
      for (int64_t d = 0; d < cfg.draws; ++d) {
        const Draw& dr = draws[d];
        at::Tensor xl = xtr.index_select(0, dr.lab), xp = xte.index_select(0, dr.paper);
        at::Tensor J = f.joint(at::cat({xl, xp}));
        score(mr, d, f.full(xl), Ftest, J.narrow(0, 0, xl.size(0)), J.narrow(0, xl.size(0), xp.size(0)));
      }
    };
    auto phi_features = [&](const Phi& full) {
      const Phi phi = full.below_top(cfg.features_below_top);  // the layer the readout sees
      return Features{[&ref, phi](const at::Tensor& x) { return embed_reference(phi, ref, x); },
                      [phi](const at::Tensor& x) { return embed(phi, x); }};
    };

    for (const auto& name : cfg.methods) {
      MethodResult& mr = *method(name);
      auto t0 = Clock::now();
      report(name + " seed " + std::to_string(s));
      if (name == "learned") {
        at::Generator batch_gen = make_generator(derive_seed(cfg.seed, s, 5));
        at::Generator curve_gen = make_generator(derive_seed(cfg.seed, s, 6));
        std::vector<CurvePoint> curve;
        std::vector<std::pair<int64_t, Phi>> kept;  // the model at each checkpoint
        auto on_step = [&](int64_t t, const Phi& phi) {
          if (std::find(checkpoints.begin(), checkpoints.end(), t) != checkpoints.end()) kept.emplace_back(t, phi);
          const bool on_curve = t == 0 || t == cfg.steps || (cfg.curve_every > 0 && t % cfg.curve_every == 0);
          if (!on_curve) return;  // a checkpoint only
          at::Tensor li = balanced_draw(cls_tr, cfg.shots, curve_gen);
          at::Tensor pi = balanced_draw(cls_te, curve_per, curve_gen);
          LabelledBatch a{xtr.index_select(0, li), ytr.index_select(0, li)};
          LabelledBatch b{xte.index_select(0, pi), yte.index_select(0, pi)};
          CurvePoint cp;
          cp.step = t;
          at::Tensor F = embed(phi.below_top(cfg.features_below_top), at::cat({a.x, b.x}));
          Readout lr = fit_logistic_ovr(F.narrow(0, 0, a.x.size(0)), a.y, K, cfg.logistic);
          cp.logistic_accuracy = score_readout(lr, F.narrow(0, a.x.size(0), b.x.size(0)), b.y).accuracy;
          MetaObjectiveResult mo = meta_objective(phi, a, b, K);
          cp.ridge_accuracy = mo.accuracy_test;
          cp.ridge_loss = mo.loss.item<double>();
          curve.push_back(cp);
          if (progress && t > 0) progress("learned seed " + std::to_string(s) + " step", t, cfg.steps);
        };
        int64_t failed = -1;
        Phi phi = apply_rule(theta, phi0, xtr, cfg.steps, cfg.batch, batch_gen, cfg.curve_every, on_step, &failed,
                             checkpoints);
        if (failed >= 0)
          mr.note += "seed " + std::to_string(s) + ": the rule produced a non-finite update at step " +
                     std::to_string(failed) + "; evaluated the last finite model. ";
        R.curves.push_back(curve);
        R.learned.push_back(phi);
        score_fixed(mr, phi_features(phi));
        for (const auto& [t, at_t] : kept) {
          auto tc = Clock::now();
          MethodResult& cm = *method(checkpoint_name(t));
          score_fixed(cm, phi_features(at_t));
          cm.seconds += since(tc);
        }
        for (int64_t t : checkpoints)
          if (failed >= 0 && t >= failed)
            method(checkpoint_name(t))->note += "seed " + std::to_string(s) + ": not reached (non-finite update at step " +
                                                std::to_string(failed) + "). ";
      } else if (name == "random") {
        score_fixed(mr, phi_features(phi0));
      } else if (name == "supervised") {
        for (int64_t d = 0; d < cfg.draws; ++d) {
          const Draw& dr = draws[d];
          at::Tensor xl = xtr.index_select(0, dr.lab), yl = ytr.index_select(0, dr.lab);
          SupervisedModel sm = train_supervised(phi0, xl, yl, K, cfg.supervised, derive_seed(cfg.seed, s, 7, d));
          at::Tensor xp = xte.index_select(0, dr.paper);
          const Phi read = sm.phi.below_top(cfg.features_below_top);
          at::Tensor J = embed(read, at::cat({xl, xp}));
          RunResult rr = score(mr, d, embed_reference(read, ref, xl), embed_reference(read, ref, xte),
                               J.narrow(0, 0, xl.size(0)), J.narrow(0, xl.size(0), xp.size(0)));
          mr.runs.back().head_accuracy =
              (sm.logits(ref, xte).argmax(1) == yte).to(at::kDouble).mean().item<double>();
          (void)rr;
        }
      } else if (name == "vae") {
        Vae v = train_vae(xtr, cfg.vae, derive_seed(cfg.seed, s, 8), [&](int64_t i, int64_t n) {
          if (progress && i % 500 == 0) progress("vae seed " + std::to_string(s) + " step", i, n);
        });
        mr.note += "seed " + std::to_string(s) + ": " + std::to_string(v.steps_run) +
                   " steps, parameters of step " + std::to_string(v.best_step) +
                   " (lowest validation negative ELBO from step " + std::to_string(v.options.min_steps) +
                   " on; lowest of all at step " + std::to_string(v.lowest_step) + "). ";
        score_fixed(mr, Features{[&](const at::Tensor& x) { return v.encode_mean(x, ref); },
                                 [&](const at::Tensor& x) { return v.encode_mean(x); }});
      } else if (name == "pca") {
        Pca p = fit_pca(xtr.index_select(0, fit_idx), cfg.pca_dim, true);
        auto f = [p](const at::Tensor& x) { return p.transform(x); };
        score_fixed(mr, Features{f, f});
      } else if (name == "kmeans" || name == "kmeans-32") {
        CoatesOptions opt = cfg.kmeans;
        if (name == "kmeans-32") opt.k = 32;
        CoatesKMeans km = fit_coates_kmeans(xtr.index_select(0, fit_idx), opt, derive_seed(cfg.seed, s, 9));
        auto f = [km](const at::Tensor& x) { return km.transform(x); };
        score_fixed(mr, Features{f, f});
      } else if (name == "raw") {
        auto f = [](const at::Tensor& x) { return x; };
        score_fixed(mr, Features{f, f});
      }
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
