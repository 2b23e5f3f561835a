// `metaunsup validate --config NAME|FILE --rules A.pt,B.pt,.. [--tasks K] [--steps S] [--seed N] [--arch WxD]
//  [--eta E] [--features-from top|hidden|K] [--out F.csv]`:
// the MetaObjective of several rules on the same K fixed tasks of a config's distribution (meta-training's
// validation, with as many tasks as asked): mean and standard error per rule, and each rule's paired
// difference from the first one, since the tasks are shared. Also the accuracy of the ridge readout and the
// share of the top features' variance in their first principal component (pc1; 1 = collapsed features).
// Two names are references rather than files: `init` (the base model before any rule step) and `raw` (the
// same ridge readout on the raw inputs), so that a rule's number can be read against both. Any entry may end
// in `:L` (raw:10, R.pt:10): the ridge readout then uses the penalty L instead of the MetaObjective's 0.1.
#include <cstdint>
#include <cmath>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "base/base_model.h"
#include "cli.h"
#include "common/error.h"
#include "common/runtime.h"
#include "metatrain/trainer.h"
#include "rule/theta.h"

namespace {
struct Args {
  std::string config = "cpu-act-d4", out, arch, features_from;  // empty: the config's readout layer
  std::vector<std::string> rules;
  int64_t tasks = 32, steps = -1;
  int64_t seed = -1;
  double eta = 0;  // 0: each rule file's own inner step
};

struct Stat {
  double mean = NAN, se = NAN;
  int64_t n = 0;
};
Stat stat(const std::vector<double>& v) {
  Stat s;
  double sum = 0, sq = 0;
  for (double x : v)
    if (std::isfinite(x)) sum += x, sq += x * x, ++s.n;
  if (s.n == 0) return s;
  s.mean = sum / double(s.n);
  if (s.n > 1) s.se = std::sqrt(std::max(0.0, (sq - double(s.n) * s.mean * s.mean) / double(s.n - 1)) / double(s.n));
  return s;
}

struct Entry {
  std::string name;
  double lambda = NAN;  // NAN: the MetaObjective's ridge penalty (the config's readout_lambda, 0.1 by default)
  bool reference = false;
  mu::Theta theta;  // a rule file's; empty for a reference
};
// "FILE", "raw" or "init", with an optional ":L" (a positive number: the ridge penalty).
Entry parse_entry(const std::string& r) {
  Entry e{r};
  const size_t colon = r.rfind(':');
  if (colon != std::string::npos) {
    const std::string tail = r.substr(colon + 1);
    size_t used = 0;
    double lambda = NAN;
    try {
      lambda = std::stod(tail, &used);
    } catch (const std::exception&) {
    }
    if (used > 0 && used == tail.size()) {
      MU_CHECK(lambda > 0 && std::isfinite(lambda), "validate: the ridge penalty in '" + r + "' must be positive");
      e.name = r.substr(0, colon), e.lambda = lambda;
    }
  }
  e.reference = e.name == "raw" || e.name == "init";
  MU_CHECK(e.reference || (e.name.rfind("raw:", 0) != 0 && e.name.rfind("init:", 0) != 0),
           "validate: '" + r + "' needs a positive ridge penalty after the colon, e.g. raw:10");
  return e;
}

void run(const Args& a) {
  mu::MetaConfig cfg = mu::load_meta_config(a.config);
  cfg.val_tasks = a.tasks;
  if (a.steps >= 0) cfg.val_steps = a.steps;
  if (!a.arch.empty()) cfg.fix_arch(a.arch);  // same tasks and seeds, another network
  if (a.seed >= 0) cfg.seed = uint64_t(a.seed);  // the tasks are drawn from the config's seed
  // Each entry is a rule file or a reference (raw, init), optionally with `:L`, the ridge penalty.
  std::vector<Entry> entries;
  for (const auto& r : a.rules) {  // fail on a bad name or file before any work
    entries.push_back(parse_entry(r));
    if (!entries.back().reference) entries.back().theta = mu::load_theta(entries.back().name);
    if (a.eta > 0) entries.back().theta.options.eta = a.eta;  // the inner step is a choice made on this side too
  }
  mu::TaskData data = mu::load_task_data(cfg);
  mu::Validation val = mu::make_validation(cfg, data, at::kCPU);
  if (!a.features_from.empty()) val.features_below_top = mu::parse_features_from(a.features_from);
  MU_CHECK(val.features_below_top <= cfg.depth_min, "validate: --features-from " + a.features_from +
                                                        " reaches below the first hidden layer of the shallowest task");
  for (auto& e : entries)
    if (std::isnan(e.lambda)) e.lambda = val.lambda;
  std::cerr << fmt::format("[validate] {} tasks of config {} (seed {}), {} rule steps each\n", cfg.val_tasks,
                           cfg.name, cfg.seed, cfg.val_steps);
  std::ofstream csv;
  if (!a.out.empty()) {
    csv.open(a.out);
    MU_CHECK(csv.good(), "validate: cannot write " + a.out);
    csv << "rule,task,meta_objective,accuracy,pc1\n";
  }
  std::cout << fmt::format("{:40s} {:>17s} {:>22s} {:>8s} {:>6s} {:>6s}\n", "rule", "meta-objective",
                           "minus the first rule", "accuracy", "pc1", "failed");
  std::vector<double> first;
  for (size_t k = 0; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    std::vector<mu::Validation::ItemResult> items =
        e.reference ? val.evaluate_reference(e.name, e.lambda) : val.evaluate_items(e.theta, e.lambda);
    std::vector<double> loss, acc, pc1, diff;
    for (size_t i = 0; i < items.size(); ++i) {
      loss.push_back(items[i].loss), acc.push_back(items[i].accuracy), pc1.push_back(items[i].pc1);
      if (k > 0) diff.push_back(items[i].loss - first[i]);
      if (csv.is_open())
        csv << fmt::format("{},{},{:.6f},{:.6f},{:.6f}\n", a.rules[k], i, items[i].loss, items[i].accuracy, items[i].pc1);
    }
    if (csv.is_open()) csv.flush();  // a long comparison stopped part-way keeps the rules it finished
    if (k == 0) first = loss;
    Stat l = stat(loss), d = stat(diff);
    std::string dcell = k == 0 ? "" : fmt::format("{:+.4f} +- {:.4f}", d.mean, d.se);
    std::cout << fmt::format("{:40s} {:.4f} +- {:.4f} {:>22s} {:8.4f} {:6.3f} {:6d}\n", a.rules[k], l.mean, l.se, dcell,
                             stat(acc).mean, stat(pc1).mean, int64_t(items.size()) - l.n)
              << std::flush;
  }
}

mu::cli::RegisterCommand reg("validate", [](CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* sub = app.add_subcommand("validate", "MetaObjective of several rules on the same fixed tasks of a config");
  sub->add_option("--config", a->config, "meta-training config whose task distribution is drawn")->capture_default_str();
  sub->add_option("--rules", a->rules, "rule files, comma-separated; differences are paired with the first; `init` and `raw` "
                  "stand for the base model before any rule step and for the raw inputs; NAME:L reads out with ridge penalty L")
      ->required()
      ->delimiter(',');
  sub->add_option("--tasks", a->tasks, "fixed tasks")->capture_default_str()->check(CLI::Range(1, 100000));
  sub->add_option("--steps", a->steps, "rule steps before the MetaObjective (default: the config's val_steps)")
      ->check(CLI::Range(0, 1000000));
  sub->add_option("--seed", a->seed, "task draw (default: the config's seed, i.e. its validation tasks and more)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 62));
  sub->add_option("--arch", a->arch, "hidden layers WIDTHxDEPTH (e.g. 512x1) instead of the config's widths and depths");
  sub->add_option("--features-from", a->features_from,
                  "layer read out: top (the embedding), hidden (the last hidden layer) or a number of layers below "
                  "the top (default: the config's readout_below_top, 0 unless set)");
  sub->add_option("--eta", a->eta, "inner step size for every rule (default: each rule file's own)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--out", a->out, "write every rule's per-task values as CSV");
  sub->callback([a] {
    mu::init_runtime();
    run(*a);
  });
});
}  // namespace
