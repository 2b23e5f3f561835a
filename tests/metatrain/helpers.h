#pragma once
// Shared by the meta-training tests.
#include <cstdint>
#include <fstream>
#include <string>

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
}  // namespace mu::testing
