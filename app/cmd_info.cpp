// metaunsup info [--rule FILE]: variant, parameter count and provenance of a rule.
#include <cstdint>
#include <fmt/format.h>

#include "cli.h"
#include "rule/theta.h"

namespace {
void info(const std::string& path) {
  std::map<std::string, std::string> meta;
  mu::Theta th = path.empty() ? mu::init_theta(0) : mu::load_theta(path, &meta);
  fmt::print("rule:       {}\n", path.empty() ? "freshly initialised (seed 0, untrained)" : path);
  fmt::print("variant:    {}\n", mu::variant_name(th.options));
  fmt::print("parameters: {} trainable\n", th.count());
  fmt::print("eta:        {}\n", th.options.eta);
  std::map<std::string, int64_t> blocks;
  for (const auto& n : th.names) blocks[n.substr(0, n.find('.'))] += th[n].numel();
  for (const auto& [b, c] : blocks) fmt::print("  {:<10} {:>7}\n", b, c);
  for (const auto& [k, v] : meta)
    if (k != "format" && k != "variant" && k != "parameters" && k != "eta" && k != "identical_updates")
      fmt::print("{:<11} {}\n", k + ":", v);
}
mu::cli::RegisterCommand reg("info", [](CLI::App& app) {
  auto* sub = app.add_subcommand("info", "summary of a rule: variant, parameter count, provenance");
  auto path = std::make_shared<std::string>();
  sub->add_option("--rule", *path, "rule file (default: a freshly initialised rule)");
  sub->callback([path] { info(*path); });
});
}  // namespace
