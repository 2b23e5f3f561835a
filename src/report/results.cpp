#include "report/results.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/archive.h"
#include "common/error.h"
#include "report/plot.h"

namespace mu::report {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------------
namespace {
const json& stats_schema() {
  static const json s = json::parse(R"({
    "type": "object", "required": ["mean", "std"],
    "properties": {"mean": {"type": "number"}, "std": {"type": "number", "minimum": 0}}
  })");
  return s;
}
json method_schema() {
  json m = json::parse(R"({
    "type": "object",
    "required": ["accuracy_mean", "accuracy_std", "runs", "readout"],
    "properties": {
      "accuracy_mean": {"type": "number", "minimum": 0, "maximum": 1},
      "accuracy_std": {"type": "number", "minimum": 0, "maximum": 1},
      "runs": {"type": "integer", "minimum": 1},
      "readout": {"enum": ["logistic", "standardised", "multinomial", "ridge"]},
      "feature_dim": {"type": "integer", "minimum": 1},
      "seconds": {"type": "number", "minimum": 0},
      "accuracies": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}},
      "readouts": {"type": "object"},
      "note": {"type": "string"}
    }
  })");
  m["properties"]["readouts"]["additionalProperties"] = stats_schema();
  m["properties"]["paper_metric"] = stats_schema();
  m["properties"]["test_loss"] = stats_schema();
  m["properties"]["softmax_head"] = stats_schema();
  return m;
}
}  // namespace

const json& results_schema() {
  static const json s = [] {
    json j = json::parse(R"({
      "$schema": "http://json-schema.org/draft-07/schema#",
      "title": "metaunsup evaluate results",
      "type": "object",
      "required": ["dataset", "resolution", "shots", "architecture", "activation", "steps", "rule", "methods"],
      "properties": {
        "format": {"enum": ["metaunsup-results-v1"]},
        "dataset": {"type": "string"},
        "resolution": {"type": "integer", "minimum": 0},
        "shots": {"type": "integer", "minimum": 1},
        "architecture": {"type": "array", "minItems": 2, "items": {"type": "integer", "minimum": 1}},
        "activation": {"type": "string"},
        "steps": {"type": "integer", "minimum": 0},
        "batch": {"type": "integer", "minimum": 2},
        "seeds": {"type": "integer", "minimum": 1},
        "draws": {"type": "integer", "minimum": 1},
        "classes": {"type": "integer", "minimum": 2},
        "features_below_top": {"type": "integer", "minimum": 0},
        "test_examples": {"type": "integer", "minimum": 1},
        "rule": {"type": "object", "required": ["file", "sha256"],
                 "properties": {"file": {"type": "string"}, "sha256": {"type": "string"}}},
        "methods": {"type": "object", "minProperties": 1},
        "curve": {"type": "array", "items": {"type": "object", "required": ["step", "accuracy_mean"],
                  "properties": {"step": {"type": "integer", "minimum": 0},
                                 "accuracy_mean": {"type": "number", "minimum": 0, "maximum": 1}}}}
      }
    })");
    j["properties"]["methods"]["additionalProperties"] = method_schema();
    return j;
  }();
  return s;
}

const json& experiment_schema() {
  static const json s = [] {
    json j = json::parse(R"({
      "$schema": "http://json-schema.org/draft-07/schema#",
      "title": "metaunsup experiment results",
      "type": "object",
      "required": ["study", "variable", "points", "rule"],
      "properties": {
        "format": {"enum": ["metaunsup-experiment-v1"]},
        "study": {"enum": ["width", "depth", "activation", "permutation", "domain"]},
        "variable": {"type": "string"},
        "rule": {"type": "object", "required": ["file", "sha256"]},
        "points": {"type": "array", "minItems": 1, "items": {
          "type": "object", "required": ["label"],
          "properties": {"label": {"type": "string"}, "value": {"type": ["number", "null"]},
                         "skipped": {"type": "string"}, "methods": {"type": "object"}}}}
      }
    })");
    j["properties"]["points"]["items"]["properties"]["methods"]["additionalProperties"] = method_schema();
    return j;
  }();
  return s;
}

namespace {
bool has_type(const json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "number") return v.is_number();
  if (t == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  return false;
}

void check(const json& v, const json& s, const std::string& where, std::vector<std::string>& out) {
  if (s.is_boolean()) {
    if (!s.get<bool>()) out.push_back(where + ": not allowed");
    return;
  }
  if (s.contains("type")) {
    bool ok = false;
    if (s["type"].is_array()) {
      for (const auto& t : s["type"]) ok |= has_type(v, t.get<std::string>());
    } else {
      ok = has_type(v, s["type"].get<std::string>());
    }
    if (!ok) {
      out.push_back(where + ": expected type " + s["type"].dump());
      return;
    }
  }
  if (s.contains("enum")) {
    bool ok = false;
    for (const auto& e : s["enum"]) ok |= e == v;
    if (!ok) out.push_back(where + ": " + v.dump() + " is not one of " + s["enum"].dump());
  }
  if (v.is_number()) {
    double x = v.get<double>();
    if (!std::isfinite(x)) out.push_back(where + ": not a finite number");
    if (s.contains("minimum") && x < s["minimum"].get<double>()) out.push_back(where + ": below minimum");
    if (s.contains("maximum") && x > s["maximum"].get<double>()) out.push_back(where + ": above maximum");
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) out.push_back(where + ": too few items");
    if (s.contains("items"))
      for (size_t i = 0; i < v.size(); ++i) check(v[i], s["items"], where + "[" + std::to_string(i) + "]", out);
  }
  if (v.is_object()) {
    if (s.contains("required"))
      for (const auto& r : s["required"])
        if (!v.contains(r.get<std::string>())) out.push_back(where + ": missing required '" + r.get<std::string>() + "'");
    if (s.contains("minProperties") && v.size() < s["minProperties"].get<size_t>())
      out.push_back(where + ": too few properties");
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string w = where + "." + it.key();
      if (s.contains("properties") && s["properties"].contains(it.key())) {
        check(it.value(), s["properties"][it.key()], w, out);
      } else if (s.contains("additionalProperties")) {
        check(it.value(), s["additionalProperties"], w, out);
      }
    }
  }
}
}  // namespace

std::vector<std::string> validate(const json& doc, const json& schema) {
  std::vector<std::string> out;
  check(doc, schema, "$", out);
  return out;
}

// ---------------------------------------------------------------------------------------------------
void ensure_dir(const std::string& dir) {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  MU_CHECK(!ec, "cannot create directory " + dir + ": " + ec.message());
}

void write_text(const std::string& path, const std::string& text) {
  ensure_dir(std::filesystem::path(path).parent_path().string());
  write_file_atomic(path, text);
}

namespace {
std::string pm(const json& m, const char* mean, const char* sd) {
  return fmt::format("{:.3f} ± {:.3f}", m.value(mean, 0.0), m.value(sd, 0.0));
}
std::string stat(const json& m, const std::string& key) {
  if (!m.contains(key)) return "–";
  return fmt::format("{:.3f} ± {:.3f}", m[key].value("mean", 0.0), m[key].value("std", 0.0));
}
std::string arch_str(const json& a) {
  std::string s;
  for (size_t i = 0; i < a.size(); ++i) s += (i ? "-" : "") + std::to_string(a[i].get<int64_t>());
  return s;
}
// Method names in the protocol's canonical order (learned first), then any others alphabetically.
std::vector<std::string> method_order(const json& methods) {
  static const std::vector<std::string> canon = {"learned", "random", "supervised", "vae", "pca", "kmeans", "kmeans-32",
                                                "raw"};
  std::vector<std::string> out;
  for (const auto& m : canon) {
    if (methods.contains(m)) out.push_back(m);
    if (m != "learned") continue;
    std::vector<std::pair<long, std::string>> at;  // learned@STEP, by step, right after learned
    for (auto it = methods.begin(); it != methods.end(); ++it)
      if (it.key().rfind("learned@", 0) == 0) at.emplace_back(std::atol(it.key().c_str() + 8), it.key());
    std::sort(at.begin(), at.end());
    for (const auto& p : at) out.push_back(p.second);
  }
  for (auto it = methods.begin(); it != methods.end(); ++it)
    if (std::find(out.begin(), out.end(), it.key()) == out.end()) out.push_back(it.key());
  return out;
}
}  // namespace

std::string results_markdown(const json& r) {
  std::ostringstream o;
  o << "# Few-shot evaluation: " << r.value("dataset", "?") << " " << r.value("resolution", 0) << "x"
    << r.value("resolution", 0) << "\n\n";
  o << "| setting | value |\n|---|---|\n";
  o << "| base model | " << arch_str(r["architecture"]) << " " << r.value("activation", "") << " |\n";
  o << "| learned rule | `" << r["rule"].value("file", "") << "` (sha256 " << r["rule"].value("sha256", "").substr(0, 12)
    << "…, " << r["rule"].value("variant", "") << ", eta " << r["rule"].value("eta", 0.0) << ") |\n";
  if (r.value("features_below_top", 0) > 0)
    o << "| features read out | X^(L-" << r.value("features_below_top", 0) << ") for the network methods ("
      << (r.value("features_below_top", 0) == 1 ? "the last hidden layer" : "a hidden layer") << "), not the embedding |\n";
  o << "| inner steps | " << r.value("steps", 0) << " (batch " << r.value("batch", 0) << ") |\n";
  o << "| labelled examples | " << r.value("shots", 0) << " per class (" << r.value("classes", 0)
    << " classes), drawn from the training split |\n";
  o << "| scored on | the whole test split (" << r.value("test_examples", 0) << " examples) |\n";
  o << "| repetitions | " << r.value("seeds", 0) << " base-model seeds x " << r.value("draws", 0) << " label draws |\n";
  o << "| headline readout | " << r.value("readout", "") << " |\n";
  o << "| input permutation | " << (r.value("permuted_input", true) ? "fresh random per seed" : "none") << " |\n\n";
  o << "Accuracy on the held-out test split, mean ± std over runs:\n\n";
  o << "| method | accuracy (" << r.value("readout", "") << ", the headline) | logistic OvR | standardised logistic OvR | multinomial | ridge | paper metric (100 vs 100) | features | runs | wall time |\n";
  o << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& name : method_order(r["methods"])) {
    const json& m = r["methods"][name];
    json ro = m.value("readouts", json::object());
    o << "| " << name << " | **" << pm(m, "accuracy_mean", "accuracy_std") << "** | " << stat(ro, "logistic")
      << " | " << stat(ro, "standardised") << " | " << stat(ro, "multinomial") << " | " << stat(ro, "ridge") << " | " << stat(m, "paper_metric") << " | "
      << m.value("feature_dim", 0) << " | " << m.value("runs", 0) << " | " << fmt::format("{:.1f} s", m.value("seconds", 0.0))
      << " |\n";
  }
  o << "\n";
  for (const auto& name : method_order(r["methods"])) {
    const json& m = r["methods"][name];
    if (m.contains("softmax_head"))
      o << "- `" << name << "`: its own softmax layer scores " << stat(m, "softmax_head") << " on the test split.\n";
    if (m.contains("note")) o << "- `" << name << "`: " << m["note"].get<std::string>() << "\n";
  }
  o << "\nThe headline column is the " << r.value("readout", "") << " readout. Logistic OvR is liblinear's "
       "one-vs-rest logistic regression (C = 1) on the features as they are; standardised logistic OvR is the same "
       "on features standardised by the labelled examples' mean and standard deviation (scikit-learn's "
       "make_pipeline(StandardScaler(), LogisticRegression())). `learned@N` is the learned rule's network after N "
       "rule steps (`learned` after all of them); `learned@0` is the network at initialisation, the same as `random`.\n";
  o << "\nThe paper metric is section 13's: logistic OvR fitted on the 100 labelled examples and scored on 10 "
       "test examples per class, the base model run once over those 200 (batch-norm statistics of the batch). "
       "All other columns embed with batch-norm statistics of a fixed reference batch of unlabelled training "
       "examples.\n\n";
  o << "![accuracy per method](accuracy.png)\n\n";
  if (r.contains("curve") && !r["curve"].empty()) o << "![accuracy over inner steps](curve.png)\n";
  return o.str();
}

std::vector<std::string> plot_results(const json& r, const std::string& dir) {
  ensure_dir(dir);
  std::vector<std::string> files;
  std::vector<std::string> names;
  Series s;
  for (const auto& name : method_order(r["methods"])) {
    names.push_back(name);
    s.y.push_back(r["methods"][name].value("accuracy_mean", 0.0));
    s.err.push_back(r["methods"][name].value("accuracy_std", 0.0));
  }
  PlotOptions o;
  o.title = fmt::format("{} {}x{}: {}-shot accuracy on the test split", r.value("dataset", ""), r.value("resolution", 0),
                        r.value("resolution", 0), r.value("shots", 0));
  o.ylabel = "test accuracy (" + r.value("readout", std::string("logistic")) + " readout)";
  o.xlabel = "method";
  o.ymin = 0;
  o.ymax = 1;
  bar_plot(dir + "/accuracy.png", names, {s}, o);
  files.push_back(dir + "/accuracy.png");
  if (r.contains("curve") && r["curve"].size() >= 2) {
    Series a{"learned: logistic OvR", {}, {}, {}}, b{"learned: ridge (MetaObjective)", {}, {}, {}};
    for (const auto& p : r["curve"]) {
      a.x.push_back(p["step"].get<double>());
      a.y.push_back(p["accuracy_mean"].get<double>());
      a.err.push_back(p.value("accuracy_std", 0.0));
      b.x.push_back(p["step"].get<double>());
      b.y.push_back(p.value("ridge_accuracy_mean", 0.0));
    }
    std::vector<Series> ss = {a, b};
    if (r["methods"].contains("random") && r["methods"]["random"].contains("paper_metric")) {
      double v = r["methods"]["random"]["paper_metric"].value("mean", 0.0);
      ss.push_back(Series{"random init (paper metric)", {a.x.front(), a.x.back()}, {v, v}, {}});
    }
    PlotOptions c;
    c.title = fmt::format("{} {}x{}: accuracy while the rule trains", r.value("dataset", ""), r.value("resolution", 0),
                          r.value("resolution", 0));
    c.xlabel = "applications of the learned rule (inner steps)";
    c.ylabel = "accuracy, 100 labelled vs 100 test";
    c.ymin = 0;
    c.ymax = 1;
    line_plot(dir + "/curve.png", ss, c);
    files.push_back(dir + "/curve.png");
  }
  return files;
}

std::string experiment_markdown(const json& e) {
  std::ostringstream o;
  o << "# Generalization study: " << e.value("study", "") << "\n\n";
  o << "Rule `" << e["rule"].value("file", "") << "`, " << e.value("steps", 0) << " inner steps, "
    << e.value("shots", 0) << " labelled examples per class, " << e.value("seeds", 0) << " seeds x "
    << e.value("draws", 0) << " label draws; accuracy on the whole test split (mean ± std).\n\n";
  std::vector<std::string> methods;
  for (const auto& p : e["points"])
    if (p.contains("methods"))
      for (const auto& m : method_order(p["methods"]))
        if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  o << "| " << e.value("variable", "value") << " | data | architecture |";
  for (const auto& m : methods) o << " " << m << " |";
  o << " wall time |\n|---|---|---|";
  for (size_t i = 0; i < methods.size(); ++i) o << "---|";
  o << "---|\n";
  for (const auto& p : e["points"]) {
    o << "| " << p.value("label", "") << " | " << p.value("dataset", "") << " | "
      << (p.contains("architecture") ? arch_str(p["architecture"]) + " " + p.value("activation", "") : "") << " |";
    if (p.contains("skipped")) {
      for (size_t i = 0; i < methods.size(); ++i) o << " skipped |";
      o << " – |\n";
      continue;
    }
    for (const auto& m : methods)
      o << " " << (p["methods"].contains(m) ? pm(p["methods"][m], "accuracy_mean", "accuracy_std") : "–") << " |";
    o << fmt::format(" {:.1f} s |\n", p.value("seconds", 0.0));
  }
  o << "\n";
  for (const auto& p : e["points"]) {
    if (p.contains("skipped")) o << "- " << p.value("label", "") << ": skipped, " << p["skipped"].get<std::string>() << "\n";
    if (p.contains("methods"))
      for (auto it = p["methods"].begin(); it != p["methods"].end(); ++it)
        if (it.value().contains("note"))
          o << "- " << p.value("label", "") << " / " << it.key() << ": " << it.value()["note"].get<std::string>() << "\n";
  }
  o << "\n![sweep](sweep.png)\n\n![curves](curves.png)\n";
  return o.str();
}

std::vector<std::string> plot_experiment(const json& e, const std::string& dir) {
  ensure_dir(dir);
  std::vector<std::string> files;
  bool numeric = true;
  for (const auto& p : e["points"]) numeric &= p.contains("value") && p["value"].is_number();
  std::vector<std::string> methods;
  for (const auto& p : e["points"])
    if (p.contains("methods"))
      for (const auto& m : method_order(p["methods"]))
        if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  PlotOptions o;
  o.title = "generalization: " + e.value("study", std::string());
  o.xlabel = e.value("variable", std::string());
  o.ylabel = "test accuracy (" + std::to_string(e.value("shots", 0)) + " shots)";
  o.ymin = 0;
  o.ymax = 1;
  std::vector<Series> series;
  std::vector<std::string> cats;
  for (const auto& p : e["points"]) cats.push_back(p.value("label", ""));
  for (const auto& m : methods) {
    Series s;
    s.label = m;
    for (const auto& p : e["points"]) {
      bool has = p.contains("methods") && p["methods"].contains(m);
      if (numeric && !has) continue;
      if (numeric) s.x.push_back(p["value"].get<double>());
      s.y.push_back(has ? p["methods"][m].value("accuracy_mean", 0.0) : NAN);
      s.err.push_back(has ? p["methods"][m].value("accuracy_std", 0.0) : 0.0);
    }
    series.push_back(s);
  }
  if (numeric) {
    double lo = 1e300, hi = -1e300;
    for (const auto& s : series)
      for (double x : s.x) lo = std::min(lo, x), hi = std::max(hi, x);
    o.log_x = lo > 0 && hi / lo >= 16;
    line_plot(dir + "/sweep.png", series, o);
  } else {
    bar_plot(dir + "/sweep.png", cats, series, o);
  }
  files.push_back(dir + "/sweep.png");
  // Learned-rule curves, one line per point.
  std::vector<Series> curves;
  for (const auto& p : e["points"]) {
    if (!p.contains("curve") || p["curve"].size() < 2) continue;
    Series s;
    s.label = p.value("label", "");
    for (const auto& c : p["curve"]) {
      s.x.push_back(c["step"].get<double>());
      s.y.push_back(c["accuracy_mean"].get<double>());
    }
    curves.push_back(s);
  }
  if (!curves.empty()) {
    PlotOptions c;
    c.title = "learned rule over inner steps: " + e.value("study", std::string());
    c.xlabel = "applications of the learned rule";
    c.ylabel = "accuracy, 100 labelled vs 100 test";
    c.ymin = 0;
    c.ymax = 1;
    line_plot(dir + "/curves.png", curves, c);
    files.push_back(dir + "/curves.png");
  }
  return files;
}

// ---------------------------------------------------------------------------------------------------
namespace {
struct Sha256 {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
  void block(const uint8_t* p) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t(p[4 * i]) << 24) | (uint32_t(p[4 * i + 1]) << 16) | (uint32_t(p[4 * i + 2]) << 8) | p[4 * i + 3];
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t t1 = hh + S1 + ch + k[i] + w[i];
      uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t2 = S0 + mj;
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
};
}  // namespace

std::string sha256_hex(const std::string& bytes) {
  Sha256 s;
  size_t n = bytes.size(), i = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (; i + 64 <= n; i += 64) s.block(p + i);
  uint8_t tail[128] = {0};
  size_t rem = n - i;
  std::memcpy(tail, p + i, rem);
  tail[rem] = 0x80;
  size_t len = rem + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = static_cast<uint64_t>(n) * 8;
  for (int b = 0; b < 8; ++b) tail[len - 1 - b] = static_cast<uint8_t>(bits >> (8 * b));
  s.block(tail);
  if (len == 128) s.block(tail + 64);
  std::string out;
  for (uint32_t v : s.h) out += fmt::format("{:08x}", v);
  return out;
}

std::string sha256_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  MU_CHECK(f.good(), "cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return sha256_hex(ss.str());
}

}  // namespace mu::report
