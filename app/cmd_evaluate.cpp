// metaunsup evaluate: the few-shot protocol: the learned rule against the baselines, with the
// same architecture, input permutation, readout and label draws; results.json, report.md and plots.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli.h"
#include "common/error.h"
#include "common/npy.h"
#include "data/dataset.h"
#include "eval/analysis.h"
#include "eval_common.h"
#include "report/plot.h"
#include "report/results.h"
#include "rule_arg.h"

namespace {

void write_analysis(const mu::EvalResult& r, const mu::Split& data, const std::string& out, nlohmann::json* j) {
  namespace rp = mu::report;
  if (r.learned.empty()) return;
  // Base model of seed 0, reloadable by `metaunsup embed --model DIR/phi`.
  mu::save_phi(r.learned[0], out + "/phi");
  const auto& shape = data.train.image_shape;
  if (shape.size() >= 2) {
    int64_t rows = shape[0], cols = shape[1] * (shape.size() > 2 ? shape[2] : 1);
    auto tiles = mu::first_layer_filters(r.learned[0], 64);
    rp::image_grid(out + "/filters.png", tiles, static_cast<int>(rows), static_cast<int>(cols), 16,
                   rows <= 16 ? 4 : 2, fmt::format("first-layer filters after {} steps", r.config.steps));
  }
  // PCA spectrum of the 32-d representation on the test split, learned against random init.
  at::Tensor ref = data.train.x.narrow(0, 0, std::min<int64_t>(1000, data.train.size())).to(at::kFloat);
  at::Tensor xt = data.test.x.narrow(0, 0, std::min<int64_t>(5000, data.test.size())).to(at::kFloat);
  auto after = mu::cumulative_explained_variance(mu::embed_reference(r.learned[0], ref, xt));
  auto before = mu::cumulative_explained_variance(mu::embed_reference(r.initial[0], ref, xt));
  std::string csv = "components,random_init,learned\n";
  rp::Series a{"learned rule", {}, {}, {}}, b{"random init", {}, {}, {}};
  for (size_t i = 0; i < after.size(); ++i) {
    csv += fmt::format("{},{:.6f},{:.6f}\n", i + 1, before[i], after[i]);
    a.x.push_back(i + 1.0);
    a.y.push_back(after[i]);
    b.x.push_back(i + 1.0);
    b.y.push_back(before[i]);
  }
  rp::write_text(out + "/pca_variance.csv", csv);
  rp::PlotOptions o;
  o.title = "cumulative variance explained by the embedding's PCs";
  o.xlabel = "principal components";
  o.ylabel = "fraction of variance";
  o.ymin = 0;
  o.ymax = 1.02;
  rp::line_plot(out + "/pca_variance.png", {a, b}, o);
  (*j)["analysis"] = {{"filters", shape.size() >= 2 ? "filters.png" : ""},
                      {"pca_variance", "pca_variance.csv"},
                      {"phi", "phi"}};
}

mu::cli::RegisterCommand reg("evaluate", [](CLI::App& app) {
  auto a = std::make_shared<mu::cli::EvalArgs>();
  auto* sub = app.add_subcommand("evaluate",
                                 "few-shot protocol: the learned rule against baselines (results.json, report.md, PNG)");
  mu::cli::add_eval_options(sub, a.get(), false);
  sub->callback([a] {
    mu::cli::finish_eval_args(a.get(), false);
    std::map<std::string, std::string> meta;
    mu::Theta theta = mu::cli::rule_or_fresh(a->rule, &meta);
    mu::Split data = mu::load_dataset(a->data, a->resolution, a->cfg.seed);
    mu::report::ensure_dir(a->out);
    mu::cli::ProgressPrinter pp;
    mu::EvalResult r = mu::run_evaluation(a->cfg, &theta, data, a->resolution, std::ref(pp));
    mu::RuleInfo info;
    info.file = a->rule.empty() ? "(fresh, untrained rule: init_theta(0))" : a->rule;
    info.sha256 = a->rule.empty() ? "" : mu::report::sha256_file(a->rule);
    nlohmann::json j = mu::to_json(r, info);
    j["dataset"] = a->data;
    write_analysis(r, data, a->out, &j);
    auto errors = mu::report::validate(j, mu::report::results_schema());
    MU_CHECK(errors.empty(), "internal error: results.json does not match its schema: " + errors.front());
    mu::report::write_text(a->out + "/results.json", j.dump(2) + "\n");
    mu::report::write_text(a->out + "/report.md", mu::report::results_markdown(j));
    mu::report::plot_results(j, a->out);
    std::cout << mu::report::results_markdown(j);
    std::cerr << fmt::format("metaunsup: evaluate finished in {:.1f} s; wrote {}/results.json\n", r.seconds, a->out);
  });
});

}  // namespace
