#include "report/profile.h"

#include <algorithm>
#include <fstream>
#include <map>

#include "common/error.h"

namespace mu::report {

std::vector<OpTime> profile_self_times(const nlohmann::json& events) {
  struct Ev {
    std::string name;
    double ts, dur;
  };
  std::map<std::string, std::vector<Ev>> by_thread;  // tid may be a number or a string
  for (const auto& e : events) {
    if (!e.is_object() || e.value("ph", "") != "X" || !e.contains("dur") || !e.contains("ts")) continue;
    by_thread[e.contains("tid") ? e["tid"].dump() : "0"].push_back(
        {e.value("name", "?"), e["ts"].get<double>(), e["dur"].get<double>()});
  }
  std::map<std::string, OpTime> acc;
  for (auto& [tid, evs] : by_thread) {
    // Parents first: earlier start, then longer duration.
    std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.ts != b.ts ? a.ts < b.ts : a.dur > b.dur; });
    std::vector<std::pair<size_t, double>> stack;  // (event index, end time)
    std::vector<double> self(evs.size());
    for (size_t i = 0; i < evs.size(); ++i) {
      const Ev& e = evs[i];
      while (!stack.empty() && stack.back().second <= e.ts) stack.pop_back();
      self[i] = e.dur;
      if (!stack.empty()) {
        self[stack.back().first] -= e.dur;
      } else {
        acc[e.name].total_ms += e.dur / 1e3;
      }
      stack.push_back({i, e.ts + e.dur});
    }
    for (size_t i = 0; i < evs.size(); ++i) {
      OpTime& o = acc[evs[i].name];
      o.name = evs[i].name;
      o.self_ms += std::max(0.0, self[i]) / 1e3;
      ++o.calls;
    }
  }
  std::vector<OpTime> out;
  for (auto& [n, o] : acc) out.push_back(o);
  std::sort(out.begin(), out.end(), [](const OpTime& a, const OpTime& b) { return a.self_ms > b.self_ms; });
  return out;
}

std::vector<OpTime> profile_self_times_file(const std::string& trace_path) {
  std::ifstream f(trace_path);
  MU_CHECK(f, "cannot open profiler trace " + trace_path);
  nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  MU_CHECK(!j.is_discarded(), trace_path + " is not a JSON trace");
  if (j.is_object() && j.contains("traceEvents")) j = j["traceEvents"];
  MU_CHECK(j.is_array(), trace_path + ": expected an array of trace events");
  return profile_self_times(j);
}

}  // namespace mu::report
