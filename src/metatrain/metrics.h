#pragma once
// metrics.csv: one row per meta-step (StepRecord), appended and flushed as the run goes; on resume the rows
// after the checkpoint's step, a torn last row and malformed rows are dropped.
#include <cstdint>
#include <fstream>
#include <string>

#include "metatrain/learner.h"

namespace mu {

std::string metrics_header();
std::string metrics_row(const StepRecord& r);
// Rewrites `path` (atomically) as the header plus, when resuming, its well-formed rows with step <= last_step;
// returns an append stream. Dropped rows are reported on stderr.
std::ofstream open_metrics(const std::string& path, bool resume, int64_t last_step);

}  // namespace mu
