// metaunsup export --run DIR --out FILE: a meta-training run's theta as a rule file with provenance;
// metaunsup average --rules A,B,.. [--weights ..] --out FILE: the (weighted) mean of several rule files.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "common/error.h"
#include "metatrain/export.h"

namespace {
// The source tree's commit when run inside a git checkout (the shipped rule records it), else "".
std::string current_commit() {
  FILE* p = popen("git rev-parse HEAD 2>/dev/null", "r");
  if (!p) return "";
  char buf[64] = {0};
  std::string s = fgets(buf, sizeof buf, p) ? std::string(buf) : "";
  pclose(p);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

mu::cli::RegisterCommand reg("export", [](CLI::App& app) {
  auto run = std::make_shared<std::string>(), out = std::make_shared<std::string>();
  auto commit = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("export", "write a meta-training run's theta as a rule file with its provenance");
  sub->add_option("--run", *run, "meta-train output folder (checkpoint.pt, metrics.csv)")->required();
  auto resumable = std::make_shared<std::string>();
  sub->add_option("--out", *out, "rule file to write, e.g. models/rule.pt");
  sub->add_option("--resumable", *resumable,
                            "also (or only) write a small checkpoint that --resume continues: the run without its "
                            "workers' in-flight tasks");
  sub->add_option("--commit", *commit, "source commit to record (default: git rev-parse HEAD here)");
  sub->callback([run, out, commit, resumable] {
    if (out->empty() && resumable->empty()) throw mu::Error("export: --out or --resumable is needed");
    if (!out->empty()) {
      mu::export_rule(*run, *out, commit->empty() ? current_commit() : *commit);
      std::cerr << "[export] wrote " << *out << "\n";
    }
    if (!resumable->empty()) {
      mu::export_resumable(*run, *resumable);
      std::cerr << "[export] wrote " << *resumable << "\n";
    }
  });
});

mu::cli::RegisterCommand reg_average("average", [](CLI::App& app) {
  auto rules = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("average", "write the mean of several rule files (snapshots of one run) as a rule file");
  sub->add_option("--rules", *rules, "rule files to average (same variant and eta)")->required()->delimiter(',');
  sub->add_option("--out", *out, "rule file to write")->required();
  auto weights = std::make_shared<std::vector<double>>();
  sub->add_option("--weights", *weights,
                  "one weight per file, summing to 1 (default: equal); negative extrapolates, e.g. -0.5,1.5")
      ->delimiter(',');
  sub->callback([rules, out, weights] {
    std::map<std::string, std::string> meta;
    mu::Theta th = mu::averaged_rule(*rules, &meta, *weights);
    mu::save_theta(th, *out, meta);
    std::cerr << "[average] wrote " << *out << " (" << meta["meta_step"] << ")\n";
  });
});
}  // namespace
