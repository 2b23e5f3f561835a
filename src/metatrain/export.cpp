#include "metatrain/export.h"

#include <cstdint>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/archive.h"
#include "common/error.h"
#include "common/parse.h"
#include "metatrain/config.h"
#include "metatrain/curves.h"
#include "metatrain/trainer.h"

namespace mu {
namespace {
// The last metrics.csv row that carries a validation result, as {column: value}.
std::map<std::string, std::string> last_validation(const std::string& csv) {
  std::ifstream in(csv);
  std::map<std::string, std::string> out;
  std::string header, line, last;
  if (!std::getline(in, header)) return out;
  const std::vector<std::string> cols = split_csv(header);
  while (std::getline(in, line)) {
    auto f = split_csv(line);
    for (size_t i = 0; i < cols.size() && i < f.size(); ++i)
      if (cols[i] == "val_loss" && !f[i].empty()) last = line;
  }
  auto f = split_csv(last);
  for (size_t i = 0; i < cols.size() && i < f.size(); ++i) out[cols[i]] = f[i];
  return out;
}
}  // namespace

Theta exported_rule(const std::string& run_dir, const std::string& commit, std::map<std::string, std::string>* meta) {
  const std::string ckpt = run_dir + "/checkpoint.pt";
  Archive a = load_archive(ckpt, checkpoint_format());
  MetaConfig cfg;
  try {
    cfg = MetaConfig::from_json(nlohmann::json::parse(a.meta.at("config")));
  } catch (const std::exception& e) {
    throw Error("checkpoint " + ckpt + " has no readable config: " + e.what());
  }
  RuleOptions ro;
  ro.identical_updates = cfg.identical_updates;
  ro.eta = cfg.eta;
  Theta th = init_theta(0, ro);
  MU_CHECK(a.meta.count("variant") && a.meta.at("variant") == variant_name(ro),
           "checkpoint " + ckpt + ": rule variant does not match its config");
  std::vector<at::Tensor> vals;
  for (const auto& n : th.names) {
    const at::Tensor& t = a.at("theta/" + n);
    MU_CHECK(t.sizes() == th[n].sizes() && t.scalar_type() == th[n].scalar_type(),
             "checkpoint " + ckpt + ": tensor theta/" + n + " has the wrong shape or type");
    MU_CHECK(at::isfinite(t).all().item<bool>(), "checkpoint " + ckpt + ": theta/" + n + " is not finite");
    vals.push_back(t.clone());
  }
  th = th.with(vals);
  std::map<std::string, std::string>& m = *meta;
  m["config"] = cfg.name;
  m["config_json"] = cfg.to_json().dump();
  m["meta_step"] = a.meta.at("step");
  std::string datasets;
  for (const auto& d : cfg.datasets) datasets += (datasets.empty() ? "" : ",") + d;
  m["data"] = fmt::format("{} at {}x{} (meta-training sets only)", datasets, cfg.resolution, cfg.resolution);
  if (a.meta.count("wall"))
    m["wall_s"] = fmt::format("{:.0f}", parse_real(a.meta.at("wall"), "checkpoint " + ckpt + ": meta field 'wall'"));
  if (a.meta.count("counters")) {
    std::istringstream c(a.meta.at("counters"));
    int64_t nonfinite = 0, stale = 0, unrolls = 0, tasks = 0;
    c >> nonfinite >> stale >> unrolls >> tasks;
    m["unrolls"] = fmt::format("{} ({} non-finite and {} stale dropped)", unrolls, nonfinite, stale);
  }
  auto v = last_validation(run_dir + "/metrics.csv");
  if (v.count("val_loss"))
    m["validation"] = fmt::format("step {}: meta-objective {} (initial rule {}), accuracy {}", v["step"], v["val_loss"],
                                  v["val_loss_theta0"], v["val_accuracy"]);
  m["git_commit"] = commit.empty() ? "unknown" : commit;
  m["eta"] = fmt::format("{}", cfg.eta);
  return th;
}

Theta averaged_rule(const std::vector<std::string>& rules, std::map<std::string, std::string>* meta,
                    const std::vector<double>& weights) {
  MU_CHECK(!rules.empty(), "average: no rule files given");
  std::vector<double> w = weights.empty() ? std::vector<double>(rules.size(), 1.0 / double(rules.size())) : weights;
  MU_CHECK(w.size() == rules.size(),
           fmt::format("average: {} weights for {} rule files", w.size(), rules.size()));
  double total = 0;
  for (double x : w) {
    MU_CHECK(std::isfinite(x), "average: a weight is not finite");
    total += x;
  }
  MU_CHECK(std::abs(total - 1.0) < 1e-6, fmt::format("average: the weights sum to {}, not 1", total));
  std::map<std::string, std::string> first;
  Theta t0 = load_theta(rules[0], &first);
  std::vector<at::Tensor> sum = t0.to(at::kDouble).list();  // float64 sums: the order of files does not matter
  for (auto& v : sum) v = v * w[0];
  auto name = [&](size_t i, const std::map<std::string, std::string>& m) {
    std::string s = rules[i] + "@" + (m.count("meta_step") ? m.at("meta_step") : "?");
    return weights.empty() ? s : fmt::format("{} x {}", w[i], s);
  };
  std::string from = name(0, first);
  for (size_t i = 1; i < rules.size(); ++i) {
    std::map<std::string, std::string> m;
    Theta t = load_theta(rules[i], &m);
    MU_CHECK(variant_name(t.options) == variant_name(t0.options) && t.options.eta == t0.options.eta,
             fmt::format("average: {} is the {} variant with eta {}, {} the {} variant with eta {}", rules[i],
                         variant_name(t.options), t.options.eta, rules[0], variant_name(t0.options), t0.options.eta));
    std::vector<at::Tensor> add = t.list();
    for (size_t k = 0; k < sum.size(); ++k) sum[k] += add[k].to(at::kDouble) * w[i];
    from += ", " + name(i, m);
  }
  for (auto& v : sum) v = v.to(at::kFloat);
  // Provenance: the first file's (config, data, commit), plus what was averaged; meta_step names them all.
  *meta = first;
  (*meta)["averaged_from"] = from;
  (*meta)["meta_step"] = fmt::format("{} of {} rules ({})", weights.empty() ? "mean" : "weighted sum",
                                     rules.size(), from);
  return t0.with(sum);
}

void export_rule(const std::string& run_dir, const std::string& out, const std::string& commit) {
  std::map<std::string, std::string> meta;
  Theta th = exported_rule(run_dir, commit, &meta);
  save_theta(th, out, meta);
}

void export_resumable(const std::string& run_dir, const std::string& out) {
  const std::string path = run_dir + "/checkpoint.pt";
  Archive a = load_archive(path, checkpoint_format());
  Archive slim;
  slim.meta = a.meta;
  try {
    const size_t slots = std::stoull(a.meta.at("slots"));
    for (size_t j = 0; j < slots; ++j) {  // "serial task_step unrolls active": keep the counts, go idle
      std::istringstream f(a.meta.at(fmt::format("slot.{}", j)));
      int64_t serial, task_step, unrolls;
      MU_CHECK(static_cast<bool>(f >> serial >> task_step >> unrolls), fmt::format("slot {} is malformed", j));
      slim.meta[fmt::format("slot.{}", j)] = fmt::format("{} {} {} 0", serial, task_step, unrolls);
    }
  } catch (const std::exception& e) {
    throw Error("export: " + path + " refused: " + e.what());
  }
  for (const auto& [name, t] : a.tensors)
    if (name.rfind("slot.", 0) != 0) slim.tensors.emplace_back(name, t);
  save_archive(out, slim);
}

}  // namespace mu
