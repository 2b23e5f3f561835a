#include "eval/experiment.h"

#include <cstdint>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"

namespace mu {

namespace {
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

int64_t parse_int(const std::string& s, const std::string& what) {
  try {
    size_t pos = 0;
    int64_t v = std::stoll(s, &pos);
    MU_CHECK(pos == s.size() && v >= 1, "");
    return v;
  } catch (const std::exception&) {
    throw Error("bad " + what + " '" + s + "' (expected a positive integer)");
  }
}

// The hidden-layer spec of the base configuration: its width and depth.
std::pair<int64_t, int64_t> width_depth(const std::string& hidden) {
  Arch a = make_arch(1, hidden, 1);
  int64_t depth = a.layers() - 1;
  int64_t width = depth > 0 ? a.widths[1] : 128;
  return {width, std::max<int64_t>(depth, 1)};
}
}  // namespace

std::vector<StudyPoint> study_points(const std::string& study, const EvalConfig& base, const std::string& data,
                                     int64_t resolution, const std::string& values) {
  std::vector<StudyPoint> pts;
  auto point = [&](const std::string& label, double value) {
    StudyPoint p;
    p.label = label;
    p.value = value;
    p.config = base;
    p.data = data;
    p.resolution = resolution;
    return p;
  };
  auto [width, depth] = width_depth(base.hidden);
  if (study == "width") {
    auto v = split_list(values.empty() ? "32,64,128,256,512,1024" : values);
    for (const auto& s : v) {
      int64_t w = parse_int(s, "width");
      StudyPoint p = point(s, static_cast<double>(w));
      p.config.hidden = fmt::format("{}x{}", w, depth);
      pts.push_back(p);
    }
  } else if (study == "depth") {
    auto v = split_list(values.empty() ? "1,2,3,4,6,8,10" : values);
    for (const auto& s : v) {
      int64_t d = parse_int(s, "depth");
      // Layers counted as in the paper: hidden layers plus the 32-unit embedding layer.
      StudyPoint p = point(std::to_string(d + 1), static_cast<double>(d + 1));
      p.config.hidden = fmt::format("{}x{}", width, d);
      pts.push_back(p);
    }
  } else if (study == "activation") {
    std::vector<std::string> v;
    if (values.empty()) {
      for (Activation a : all_activations()) v.push_back(to_string(a));
    } else {
      v = split_list(values);
    }
    for (const auto& s : v) {
      StudyPoint p = point(s, NAN);
      p.config.activation = parse_activation(s);
      pts.push_back(p);
    }
  } else if (study == "permutation") {
    auto v = split_list(values.empty() ? "permuted,unpermuted" : values);
    for (const auto& s : v) {
      MU_CHECK(s == "permuted" || s == "unpermuted", "permutation values are 'permuted' and 'unpermuted'");
      StudyPoint p = point(s, NAN);
      p.config.shuffle_input = s == "permuted";
      pts.push_back(p);
    }
  } else if (study == "domain") {
    auto v = split_list(values.empty() ? "spam,mnist@14,mnist@28,fashion-mnist@14,fashion-mnist@28" : values);
    for (const auto& s : v) {
      StudyPoint p = point(s, NAN);
      auto at = s.find('@');
      p.data = s.substr(0, at);
      if (at != std::string::npos) p.resolution = parse_int(s.substr(at + 1), "resolution");
      p.label = at == std::string::npos ? p.data : fmt::format("{} {}x{}", p.data, p.resolution, p.resolution);
      pts.push_back(p);
    }
  } else {
    throw Error("unknown study '" + study + "' (expected width, depth, activation, permutation or domain)");
  }
  MU_CHECK(!pts.empty(), "no values to sweep");
  return pts;
}

double rule_memory_bytes(const Arch& arch, int64_t batch) {
  double sumN = 0, pq = 0;
  for (size_t l = 0; l < arch.widths.size(); ++l) sumN += static_cast<double>(arch.widths[l]);
  for (size_t l = 1; l < arch.widths.size(); ++l) pq += static_cast<double>(arch.widths[l - 1] * arch.widths[l]);
  // ComputeH: ~13 tensors of B*N*64 floats alive per layer (section 17), one layer at a time plus the
  // h of every layer kept for the readouts; phi-sized planes: ~30 p*q floats.
  double per_layer_max = 0;
  for (auto n : arch.widths) per_layer_max = std::max(per_layer_max, static_cast<double>(n));
  return 4.0 * (13.0 * batch * per_layer_max * 64 + 2.0 * batch * sumN * 64 + 30.0 * pq);
}

double available_memory_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (f >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024.0;
  return 0;
}

nlohmann::json run_study(const std::string& study, const std::vector<StudyPoint>& points, const Theta& theta,
                         const StudyProgress& progress, const EvalProgress& inner) {
  using nlohmann::json;
  json out;
  out["format"] = "metaunsup-experiment-v1";
  out["study"] = study;
  static const std::map<std::string, std::string> var = {{"width", "units per hidden layer"},
                                                         {"depth", "layers (hidden + embedding)"},
                                                         {"activation", "activation"},
                                                         {"permutation", "input order"},
                                                         {"domain", "data set"}};
  out["variable"] = var.count(study) ? var.at(study) : study;
  const EvalConfig& c0 = points.front().config;
  out["steps"] = c0.steps;
  out["shots"] = c0.shots;
  out["seeds"] = c0.seeds;
  out["draws"] = c0.draws;
  out["batch"] = c0.batch;
  json pts = json::array();
  std::map<std::string, Split> cache;
  for (size_t i = 0; i < points.size(); ++i) {
    const StudyPoint& p = points[i];
    if (progress) progress(p.label, static_cast<int64_t>(i), static_cast<int64_t>(points.size()));
    json e;
    e["label"] = p.label;
    e["value"] = std::isnan(p.value) ? json(nullptr) : json(p.value);
    e["dataset"] = p.data;
    e["resolution"] = p.resolution;
    auto t0 = std::chrono::steady_clock::now();
    try {
      std::string key = p.data + "@" + std::to_string(p.resolution);
      if (!cache.count(key)) cache[key] = load_dataset(p.data, p.resolution, p.config.seed);
      const Split& split = cache[key];
      Arch arch = make_arch(split.train.dim(), p.config.hidden, p.config.embedding, p.config.activation);
      e["architecture"] = arch.widths;
      e["activation"] = to_string(arch.activation);
      double need = rule_memory_bytes(arch, p.config.batch), have = available_memory_bytes();
      if (have > 0 && need > 0.6 * have) {
        e["skipped"] = fmt::format("one rule application needs about {:.1f} GB, more than 60% of the {:.1f} GB "
                                   "available",
                                   need / 1e9, have / 1e9);
        pts.push_back(e);
        continue;
      }
      EvalResult r = run_evaluation(p.config, &theta, split, p.resolution, inner);
      json full = to_json(r, {});
      e["methods"] = full["methods"];
      e["curve"] = full["curve"];
    } catch (const Error& err) {
      e["skipped"] = err.what();
    } catch (const std::bad_alloc&) {
      e["skipped"] = "out of memory";
    } catch (const c10::Error& err) {
      e["skipped"] = err.what_without_backtrace();
    }
    e["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    pts.push_back(e);
  }
  out["points"] = pts;
  return out;
}

}  // namespace mu
