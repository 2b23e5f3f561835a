#pragma once
// `--rule FILE` handling shared by the subcommands: load it, or say on stderr that a fresh rule is used.
#include <cstdint>
#include <iostream>
#include <map>
#include <string>

#include "rule/theta.h"

namespace mu::cli {
inline Theta rule_or_fresh(const std::string& path, std::map<std::string, std::string>* meta = nullptr,
                           uint64_t seed = 0) {
  if (!path.empty()) return load_theta(path, meta);
  std::cerr << "metaunsup: no --rule given: using a freshly initialised (untrained) rule, seed " << seed << "\n";
  return init_theta(seed);
}
}  // namespace mu::cli
