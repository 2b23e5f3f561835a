#pragma once
// The paper's generalization studies: the learned rule (and random initialisation, plus any
// other requested baselines) evaluated with the few-shot protocol while one factor varies.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/protocol.h"

namespace mu {

struct StudyPoint {
  std::string label;         // "256", "tanh", "spam", "mnist 28x28", "permuted"
  double value = 0;          // numeric x for width/depth; NaN for categorical points
  EvalConfig config;         // the protocol configuration at this point
  std::string data;          // data spec
  int64_t resolution = 14;
};

// width | depth | activation | permutation | domain. `values` overrides the default list (comma
// separated: widths, hidden-layer counts, activation names, "permuted,unpermuted", or data specs
// with an optional "@resolution", e.g. "mnist@28"). `base` supplies everything else.
std::vector<StudyPoint> study_points(const std::string& study, const EvalConfig& base, const std::string& data,
                                     int64_t resolution, const std::string& values = "");

// Rough peak memory of one rule application (bytes) at this architecture and batch, from
// docs/maths.md 17 (about 13 B*N*64 floats per layer in ComputeH plus the phi-sized terms).
double rule_memory_bytes(const Arch& arch, int64_t batch);
double available_memory_bytes();  // MemAvailable from /proc/meminfo (0 if unknown)

using StudyProgress = std::function<void(const std::string& label, int64_t point, int64_t points)>;
// Runs every point (loading data as needed, skipping with a reason those that cannot run) and returns
// the experiment's results.json (report/results.h experiment_schema) without the "rule" entry.
nlohmann::json run_study(const std::string& study, const std::vector<StudyPoint>& points, const Theta& theta,
                         const StudyProgress& progress = {}, const EvalProgress& inner = {});

}  // namespace mu
