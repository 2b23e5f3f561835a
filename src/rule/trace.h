#pragma once
// Optional recorder of every intermediate of one rule application (metaunsup trace).
#include <string>
#include <vector>

#include "common/torch.h"

namespace mu {
struct TraceEntry {
  std::string name;    // e.g. "layer2.h"
  std::string layout;  // e.g. "(B, N, 64) [example, unit, channel]"
  at::Tensor value;
};
struct Trace {
  std::vector<TraceEntry> entries;
  void add(const std::string& name, const std::string& layout, const at::Tensor& t) {
    entries.push_back({name, layout, t.detach().clone()});
  }
};
}  // namespace mu
