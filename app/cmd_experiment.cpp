// metaunsup experiment width|depth|activation|permutation|domain: the paper's generalization studies.
#include <cstdint>
#include <iostream>

#include <fmt/format.h>

#include "cli.h"
#include "common/error.h"
#include "eval/analysis.h"
#include "eval/experiment.h"
#include "eval_common.h"
#include "report/plot.h"
#include "report/results.h"
#include "rule_arg.h"

namespace {

void moons_analysis(const mu::Theta& theta, const mu::cli::EvalArgs& a, const std::string& out, nlohmann::json* j) {
  namespace rp = mu::report;
  mu::MoonsStudy s = mu::moons_study(theta, a.arch, a.cfg.steps, a.cfg.batch, a.cfg.seed);
  auto scatter = [&](const at::Tensor& p, const std::string& file, const std::string& title) {
    std::vector<rp::Series> ser(2);
    ser[0].label = "upper moon";
    ser[1].label = "lower moon";
    for (int64_t i = 0; i < p.size(0); ++i) {
      auto& t = ser[s.y[i].item<int64_t>()];
      t.x.push_back(p[i][0].item<double>());
      t.y.push_back(p[i][1].item<double>());
    }
    rp::PlotOptions o;
    o.title = title;
    o.xlabel = "PC 1 of the 32-d embedding";
    o.ylabel = "PC 2";
    rp::scatter_plot(out + "/" + file, ser, o);
  };
  scatter(s.before, "moons_before.png", "two moons, random init");
  scatter(s.after, "moons_after.png", fmt::format("two moons, after {} rule steps", a.cfg.steps));
  (*j)["moons"] = {{"logistic_accuracy_before", s.logistic_before},
                   {"logistic_accuracy_after", s.logistic_after},
                   {"explained_variance_before", s.variance_before},
                   {"explained_variance_after", s.variance_after}};
}

mu::cli::RegisterCommand reg("experiment", [](CLI::App& app) {
  auto a = std::make_shared<mu::cli::EvalArgs>();
  auto study = std::make_shared<std::string>();
  auto values = std::make_shared<std::string>();
  a->baselines = "none";
  a->cfg.steps = 1000;
  a->cfg.seeds = 2;
  a->cfg.draws = 3;
  a->cfg.curve_every = 100;
  auto* sub = app.add_subcommand("experiment", "generalization studies: width, depth, activation, permutation, domain");
  sub->add_option("study", *study, "width | depth | activation | permutation | domain")
      ->required()
      ->check(CLI::IsMember({"width", "depth", "activation", "permutation", "domain"}));
  sub->add_option("--values", *values,
                  "comma list overriding the sweep (widths; hidden-layer counts; activations; permuted,unpermuted; "
                  "data specs with @resolution, e.g. mnist@28)");
  mu::cli::add_eval_options(sub, a.get(), true);
  sub->callback([a, study, values] {
    mu::cli::finish_eval_args(a.get(), true);
    std::map<std::string, std::string> meta;
    mu::Theta theta = mu::cli::rule_or_fresh(a->rule, &meta);
    auto points = mu::study_points(*study, a->cfg, a->data, a->resolution, *values);
    mu::report::ensure_dir(a->out);
    mu::cli::ProgressPrinter pp;
    auto outer = [](const std::string& label, int64_t i, int64_t n) {
      std::cerr << fmt::format("[experiment] point {}/{}: {}\n", i + 1, n, label);
    };
    nlohmann::json j = mu::run_study(*study, points, theta, outer, std::ref(pp));
    j["rule"] = {{"file", a->rule.empty() ? "(fresh, untrained rule: init_theta(0))" : a->rule},
                 {"sha256", a->rule.empty() ? "" : mu::report::sha256_file(a->rule)}};
    if (*study == "domain") moons_analysis(theta, *a, a->out, &j);
    auto errors = mu::report::validate(j, mu::report::experiment_schema());
    MU_CHECK(errors.empty(), "internal error: results.json does not match its schema: " + errors.front());
    mu::report::write_text(a->out + "/results.json", j.dump(2) + "\n");
    std::string md = mu::report::experiment_markdown(j);
    if (j.contains("moons"))
      md += fmt::format("\nTwo moons (logistic readout on the 32-d embedding): {:.3f} at random init, {:.3f} after "
                        "training.\n\n![before](moons_before.png) ![after](moons_after.png)\n",
                        j["moons"]["logistic_accuracy_before"].get<double>(),
                        j["moons"]["logistic_accuracy_after"].get<double>());
    mu::report::write_text(a->out + "/report.md", md);
    mu::report::plot_experiment(j, a->out);
    std::cout << md;
  });
});

}  // namespace
