#pragma once
// Shared by the meta-training tests.
#include <cstdint>
#include <fstream>
#include <string>

#include "metatrain/config.h"

namespace mu::testing {
// Data rows of a CSV file (non-empty lines after the header).
inline int64_t csv_rows(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int64_t n = -1;
  while (std::getline(in, line))
    if (!line.empty()) ++n;
  return n;
}
// A meta-training config small enough for a test: two moons, 1-2 hidden layers of 8-12 units.
inline mu::MetaConfig small_config() {
  mu::MetaConfig c;
  c.name = "test";
  c.seed = 7;
  c.steps = 6;
  c.datasets = {"moons"};
  c.way_min = c.way_max = 2;
  c.batch = 8;
  c.shots = 3;
  c.evals = 1;
  c.depth_min = 1, c.depth_max = 2, c.width_min = 8, c.width_max = 12;
  c.u_start_lo = 1, c.u_start_hi = 2, c.u_end_lo = 2, c.u_end_hi = 2;
  c.trunc_std_start = 1, c.trunc_std_end = 2, c.trunc_max = 3;
  c.lr = {1e-3};
  c.lr_breaks = {};
  c.meta_batch = 2;
  c.checkpoint_every = 2;
  c.validate_every = 3;
  c.val_tasks = 1;
  c.val_steps = 2;
  return c;
}
}  // namespace mu::testing
