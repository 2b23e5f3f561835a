// `metaunsup noise-scale --config NAME|FILE [--rule FILE] [--tasks K] [--workers W] [--step S] [--seed N]
//  [--out FILE.json]`: the meta-gradient's noise scale B_simple at a rule (metatrain/noise_scale.h): the
// meta-batch a config would need before its updates are mostly signal.
#include <cstdint>
#include <cmath>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "common/error.h"
#include "common/runtime.h"
#include "metatrain/noise_scale.h"
#include "rule_arg.h"

namespace {
struct Args {
  std::string config = "cpu", rule, out;
  int64_t tasks = 24, step = -1;
  int workers = 1;
  uint64_t seed = 0;
};

// JSON has no infinity: an unresolved signal (|G|^2 <= 0) is written as null.
nlohmann::json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

void run(const Args& a) {
  mu::MetaConfig cfg = mu::load_meta_config(a.config);
  mu::Theta theta = mu::cli::rule_or_fresh(a.rule, nullptr, a.seed);
  const int64_t step = a.step >= 0 ? a.step : cfg.curriculum();  // default: the curriculum's end
  mu::TaskData data = mu::load_task_data(cfg);
  std::cerr << fmt::format("[noise-scale] {} tasks of config {} at meta-step {} ({} workers)\n", a.tasks, cfg.name,
                           step, a.workers);
  mu::NoiseProbe p = mu::probe_noise_scale(cfg, data, theta, a.tasks, step, a.workers, a.seed);
  const mu::NoiseScale& s = p.scale;
  // Progress per task relative to a noise-free step (McCandlish et al., eq. 2.6): 1 / (1 + B_simple / B).
  auto useful = [&](double B) { return std::isfinite(s.b_simple) ? 1.0 / (1.0 + s.b_simple / B) : 0.0; };
  nlohmann::json j = {{"config", cfg.name}, {"rule", a.rule.empty() ? "fresh" : a.rule}, {"step", step},
                      {"seed", a.seed}, {"tasks", a.tasks}, {"kept", s.samples}, {"dropped", p.dropped},
                      {"grad_sq", s.grad_sq}, {"trace_sigma", s.trace_sigma},
                      {"b_simple", finite_or_null(s.b_simple)}, {"b_simple_p10", finite_or_null(s.b_lo)},
                      {"b_simple_p90", finite_or_null(s.b_hi)}, {"mean_cosine", s.mean_cosine},
                      {"config_meta_batch", cfg.meta_batch}, {"step_signal_at_config_meta_batch", useful(double(cfg.meta_batch))},
                      {"loss", p.loss}, {"grad_norm", p.norm}, {"depth", p.depth}};
  // The Gram matrix, so that any other estimate can be recomputed from the same tasks.
  std::vector<std::vector<double>> gram;
  for (int64_t i = 0; i < p.gram.size(0); ++i) {
    at::Tensor row = p.gram[i].contiguous();
    gram.emplace_back(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
  }
  j["gram"] = gram;
  if (!a.out.empty()) {
    std::ofstream f(a.out);
    MU_CHECK(f.good(), "noise-scale: cannot write " + a.out);
    f << j.dump(2) << "\n";
  }
  std::cout << fmt::format(
      "tasks kept {} (dropped {})\n|G|^2 {:.4g}  tr(Sigma) {:.4g}  mean cosine between tasks {:.4f}\n"
      "B_simple {:.3g}  (bootstrap 10-90%: {:.3g} - {:.3g})\n"
      "a meta-batch of {} makes {:.1f}% of a noise-free step's progress; 16: {:.1f}%; 256: {:.1f}%\n",
      s.samples, p.dropped, s.grad_sq, s.trace_sigma, s.mean_cosine, s.b_simple, s.b_lo, s.b_hi, cfg.meta_batch,
      100 * useful(double(cfg.meta_batch)), 100 * useful(16), 100 * useful(256));
}

mu::cli::RegisterCommand reg("noise-scale", [](CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* sub = app.add_subcommand("noise-scale", "meta-gradient noise scale: the meta-batch where signal equals noise");
  sub->add_option("--config", a->config, "meta-training config whose task distribution is probed")->capture_default_str();
  sub->add_option("--rule", a->rule, "rule file (default: a freshly initialised rule)");
  sub->add_option("--tasks", a->tasks, "independent tasks, one meta-gradient each")->capture_default_str()->check(CLI::Range(2, 100000));
  sub->add_option("--workers", a->workers, "threads sharing the tasks")->capture_default_str()->check(CLI::Range(1, 1024));
  sub->add_option("--step", a->step, "meta-step whose curriculum sets unroll lengths (default: its end)");
  sub->add_option("--seed", a->seed, "task draw (apart from training's) and bootstrap")->capture_default_str();
  sub->add_option("--out", a->out, "write the estimate and per-task values as JSON");
  sub->callback([a] {
    mu::init_runtime();
    run(*a);
  });
});
}  // namespace
