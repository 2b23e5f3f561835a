#include "metatrain/config.h"

#include <cstdint>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/activation.h"
#include "base/base_model.h"
#include "common/error.h"
#include "common/runtime.h"
#include "eval/experiment.h"
#include "data/catalog.h"

namespace mu {
namespace fs = std::filesystem;

#define MU_CFG_FIELDS(X)                                                                                     \
  X(name) X(seed) X(steps) X(datasets) X(resolution) X(way_min) X(way_max) X(batch) X(shots) X(evals)        \
  X(depth_min) X(depth_max) X(width_min) X(width_max) X(embed) X(eta) X(identical_updates) X(u_start_lo)     \
  X(u_start_hi) X(u_end_lo) X(u_end_hi) X(curriculum_steps) X(trunc_std_start) X(trunc_std_end) X(trunc_max) \
  X(lr) X(lr_breaks) X(beta1) X(beta2) X(adam_eps) X(clip) X(meta_batch) X(max_staleness) X(recompute)      \
  X(checkpoint_every) X(validate_every) X(val_tasks) X(val_steps) X(dataset_weights) X(ways) X(p_special)      \
  X(special_ways) X(p_geometric) X(max_rotation_deg) X(max_shift_px) X(p_task_dropout) X(p_example_dropout)  \
  X(max_dropout) X(p_class_permutation) X(n_fixed_permutations) X(p_x_shift) X(max_x_shift) X(per_layer_widths)    \
  X(activations) X(readout_below_top) X(readout_lambda)

nlohmann::json MetaConfig::to_json() const {
  nlohmann::json j;
#define X(f) j[#f] = f;
  MU_CFG_FIELDS(X)
#undef X
  return j;
}

MetaConfig MetaConfig::from_json(const nlohmann::json& j) {
  MU_CHECK(j.is_object(), "meta-training config: expected a JSON object");
  MetaConfig c;
  std::set<std::string> known;
#define X(f) known.insert(#f);
  MU_CFG_FIELDS(X)
#undef X
  for (auto it = j.begin(); it != j.end(); ++it)
    MU_CHECK(known.count(it.key()) || it.key().rfind("_comment", 0) == 0,
             "meta-training config: unknown key '" + it.key() + "'");
  // nlohmann converts a negative number into an unsigned field by wrapping it: refuse it instead.
  if (j.contains("seed") && !(j["seed"].is_number_unsigned()))
    throw Error("meta-training config: seed must be a non-negative integer, got " + j["seed"].dump());
  try {
#define X(f) \
  if (j.contains(#f)) j.at(#f).get_to(c.f);
    MU_CFG_FIELDS(X)
#undef X
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("meta-training config: ") + e.what());
  }
  c.validate();
  return c;
}

void MetaConfig::validate() const {
  auto bad = [](const std::string& m) { throw Error("meta-training config: " + m); };
  if (steps < 1 || steps > 1000000000) bad("steps must be in 1..1e9");
  if (datasets.empty()) bad("datasets is empty");
  for (const auto& d : datasets)
    if (data::is_held_out(d))
      bad("data set '" + d + "' is held out for evaluation and must never be used in meta-training");
  if (way_min < 2 || way_max < way_min) bad("need 2 <= way_min <= way_max");
  if (!dataset_weights.empty() && dataset_weights.size() != datasets.size())
    bad("dataset_weights needs one weight per data set (or none)");
  for (double w : dataset_weights)
    if (!(w >= 0) || !std::isfinite(w)) bad("dataset_weights must be finite and >= 0");
  for (int64_t w : ways)
    if (w < 2) bad("every entry of ways must be >= 2");
  if (special_ways < 2) bad("special_ways must be >= 2");
  for (double p : {p_special, p_geometric, p_task_dropout, p_example_dropout, p_class_permutation, p_x_shift})
    if (!(p >= 0 && p <= 1)) bad("augmentation probabilities (p_*) must be in [0, 1]");
  if (!(max_rotation_deg >= 0 && max_rotation_deg <= 360)) bad("max_rotation_deg must be in [0, 360]");
  if (!(max_shift_px >= 0) || !std::isfinite(max_shift_px)) bad("max_shift_px must be >= 0");
  if (!(max_dropout >= 0 && max_dropout < 1)) bad("max_dropout must be in [0, 1)");
  if (n_fixed_permutations < 0 || max_x_shift < 0) bad("n_fixed_permutations and max_x_shift must be >= 0");
  if (batch < 2) bad("batch must be >= 2");
  if (shots < 1 || evals < 1) bad("shots and evals must be >= 1");
  if (depth_min < 1 || depth_max < depth_min) bad("need 1 <= depth_min <= depth_max");
  if (width_min < 1 || width_max < width_min) bad("need 1 <= width_min <= width_max");
  if (activations.empty()) bad("activations is empty");
  for (const auto& a : activations) parse_activation(a);  // throws, naming the valid activations
  if (readout_below_top < 0 || readout_below_top > depth_min)
    bad("readout_below_top must be in [0, depth_min]: the readout needs a layer in every task's network");
  if (!(readout_lambda > 0) || !std::isfinite(readout_lambda)) bad("readout_lambda must be positive");
  if (embed != 32) bad("embed must be 32 (the rule's TopD works on a 32-wide embedding)");
  if (!(eta > 0) || !(eta < 1)) bad("eta must be in (0, 1)");
  if (u_start_lo < 1 || u_start_hi < u_start_lo || u_end_lo < 1 || u_end_hi < u_end_lo)
    bad("unroll ranges must satisfy 1 <= lo <= hi");
  if (trunc_std_start < 0 || trunc_std_end < 0 || trunc_max < 1) bad("bad truncation distribution");
  if (lr.empty() || lr_breaks.size() + 1 != lr.size()) bad("lr needs exactly one more entry than lr_breaks");
  for (double v : lr)
    if (!(v >= 0)) bad("learning rates must be >= 0");
  if (!std::is_sorted(lr_breaks.begin(), lr_breaks.end())) bad("lr_breaks must be ascending");
  if (!(clip > 0) || !std::isfinite(clip)) bad("clip must be positive and finite");
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) bad("beta1 and beta2 must be in [0, 1)");
  if (!(adam_eps > 0) || !std::isfinite(adam_eps)) bad("adam_eps must be positive and finite");
  for (double v : lr)
    if (!std::isfinite(v)) bad("learning rates must be finite");
  if (!std::isfinite(trunc_std_start) || !std::isfinite(trunc_std_end)) bad("trunc_std_* must be finite");
  if (meta_batch < 1) bad("meta_batch must be >= 1");
  if (max_staleness < 0) bad("max_staleness must be >= 0");
  if (checkpoint_every < 1) bad("checkpoint_every must be >= 1");
  if (validate_every < 0 || val_tasks < 0 || val_steps < 0) bad("validation settings must be >= 0");
  // Bounds on the shapes, then their memory (a lower bound: one rule step on the widest network, inputs
  // not counted) against what this machine has, before anything is allocated.
  if (width_max > 65536 || depth_max > 64) bad("width_max must be <= 65536 and depth_max <= 64");
  if (batch > 1000000 || shots > 1000000 || evals > 1000000) bad("batch, shots and evals must be <= 1e6");
  if (meta_batch > 1000000 || val_tasks > 100000 || val_steps > 1000000) bad("meta_batch, val_tasks or val_steps is absurdly large");
  Arch widest;
  widest.widths.push_back(1);
  widest.widths.insert(widest.widths.end(), size_t(depth_max), width_max);
  widest.widths.push_back(embed);
  check_memory(rule_memory_bytes(widest, std::max(batch, shots * way_max)),
               "meta-training config: depth_max " + std::to_string(depth_max) + " x width_max " +
                   std::to_string(width_max) + " with batch " + std::to_string(batch));
}

void MetaConfig::fix_arch(const std::string& hidden) {
  // The sampler draws one width for all hidden layers, so only WxD (D >= 1) can be pinned; make_arch
  // checks the numbers.
  const std::string why = "bad --arch '" + hidden + "' (expected WIDTHxDEPTH like 512x2)";
  MU_CHECK(hidden.find('x') != std::string::npos, why);
  Arch a;
  try {
    a = make_arch(1, hidden);
  } catch (const Error&) {
    throw Error(why);
  }
  MU_CHECK(a.layers() >= 2 && a.widths[1] <= 65536, why);
  width_min = width_max = a.widths[1];
  depth_min = depth_max = a.layers() - 1;
  validate();
}

double MetaConfig::lr_at(int64_t step) const {
  size_t i = 0;
  while (i < lr_breaks.size() && double(step) >= lr_breaks[i] * double(steps)) ++i;
  return lr[i];
}

std::pair<int64_t, int64_t> MetaConfig::unroll_range(int64_t step) const {
  double f = std::min(1.0, double(step) / double(curriculum()));
  auto lerp = [f](int64_t a, int64_t b) { return int64_t(std::llround(a + f * double(b - a))); };
  int64_t lo = lerp(u_start_lo, u_end_lo), hi = lerp(u_start_hi, u_end_hi);
  return {lo, std::max(lo, hi)};
}

double MetaConfig::trunc_std(int64_t step) const {
  double f = std::min(1.0, double(step) / double(curriculum()));
  return trunc_std_start + f * (trunc_std_end - trunc_std_start);
}

std::string find_config_file(const std::string& s) {
  if (fs::is_regular_file(s)) return s;
  std::vector<fs::path> dirs;
  if (const char* e = std::getenv("METAUNSUP_CONFIGS")) dirs.emplace_back(e);
  dirs.emplace_back("configs");
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
      dirs.push_back(p / "configs");
  for (const auto& d : dirs) {
    fs::path f = d / (s + ".json");
    if (fs::is_regular_file(f)) return f.string();
  }
  throw Error("meta-training config '" + s + "': no such file, and no configs/" + s +
              ".json found (set METAUNSUP_CONFIGS to the configs folder)");
}

MetaConfig load_meta_config(const std::string& s) {
  std::string path = find_config_file(s);
  std::ifstream in(path);
  MU_CHECK(in, "cannot read " + path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  try {
    return MetaConfig::from_json(j);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

}  // namespace mu
