#pragma once
// Where the time goes: aggregates a chrome trace written by LibTorch's profiler
// (torch::autograd::profiler::RecordProfile) into self time per operator. Self time = an event's duration
// minus the durations of the events nested directly inside it on the same thread, so aten::linear does
// not count the aten::mm it calls twice.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mu::report {

struct OpTime {
  std::string name;
  double self_ms = 0, total_ms = 0;  // total: inclusive time of the outermost calls only
  int64_t calls = 0;
};

// events: the trace's array of {"name", "ph": "X", "ts" (us), "dur" (us), "tid"}; other phases ignored.
// Sorted by self time, largest first.
std::vector<OpTime> profile_self_times(const nlohmann::json& events);
std::vector<OpTime> profile_self_times_file(const std::string& trace_path);  // throws mu::Error

}  // namespace mu::report
