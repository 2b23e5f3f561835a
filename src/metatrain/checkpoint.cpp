#include "metatrain/checkpoint.h"

#include <sstream>

#include <fmt/format.h>

#include "common/archive.h"
#include "common/error.h"
#include "common/parse.h"

namespace mu {

std::string checkpoint_format() { return "metaunsup-metatrain-checkpoint-v1"; }

Theta move_theta(const Theta& th, at::Device d) {
  std::vector<at::Tensor> v;
  for (const auto& t : th.list()) v.push_back(t.to(d));
  return th.with(v);
}

Adam adam_to(Adam adam, at::Device d) {
  for (auto* ts : {&adam.m, &adam.v})
    for (auto& t : *ts) t = t.to(d);
  return adam;
}

void save_checkpoint(const std::string& path, const MetaConfig& cfg, const TrainState& s, bool deterministic) {
  Archive a;
  a.meta["format"] = checkpoint_format();
  a.meta["config"] = cfg.to_json().dump();
  a.meta["mode"] = deterministic ? "deterministic" : "async";
  a.meta["variant"] = variant_name(s.theta.options);
  a.meta["step"] = std::to_string(s.step);
  a.meta["adam_t"] = std::to_string(s.adam.t);
  a.meta["counters"] = fmt::format("{} {} {} {}", s.dropped_nonfinite, s.dropped_stale, s.unrolls, s.tasks);
  a.meta["wall"] = fmt::format("{:.17g}", s.wall_offset);
  a.meta["val0"] = fmt::format("{:.17g}", s.val0);
  a.meta["slots"] = std::to_string(s.slots.size());
  const auto& names = s.theta.names;
  auto th = s.theta.list();
  for (size_t i = 0; i < names.size(); ++i) {
    a.tensors.emplace_back("theta/" + names[i], th[i].detach().cpu());
    a.tensors.emplace_back("adam.m/" + names[i], s.adam.m[i].cpu());
    a.tensors.emplace_back("adam.v/" + names[i], s.adam.v[i].cpu());
  }
  for (size_t j = 0; j < s.slots.size(); ++j) {
    const SlotState& sl = s.slots[j];
    a.meta[fmt::format("slot.{}", j)] =
        fmt::format("{} {} {} {}", sl.serial, sl.task_step, sl.unrolls, sl.active ? 1 : 0);
    if (!sl.active) continue;
    auto ts = sl.phi.tensors();
    for (size_t k = 0; k < ts.size(); ++k) a.tensors.emplace_back(fmt::format("slot.{}/phi.{}", j, k), ts[k].cpu());
    a.tensors.emplace_back(fmt::format("slot.{}/perm", j), sl.phi.perm.cpu());
  }
  save_archive(path, a);
}

namespace {
std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> v;
  for (std::string w; in >> w;) v.push_back(w);
  return v;
}

// A checkpoint's meta field, or `refuse` naming the missing one (a bare map::at says nothing).
template <class Refuse>
const std::string& meta_text(const Archive& a, const std::string& key, const Refuse& refuse) {
  auto it = a.meta.find(key);
  if (it == a.meta.end()) refuse("meta field '" + key + "' is missing");
  return it->second;
}
template <class Refuse>
int64_t meta_int(const Archive& a, const std::string& key, const Refuse& refuse) {
  const std::string& v = meta_text(a, key, refuse);
  try {
    return parse_int(v, "meta field '" + key + "'");
  } catch (const Error& e) {
    refuse(e.what());
  }
  return 0;
}

// theta and Adam's moments from a checkpoint archive, each tensor checked against `like` (shape, type,
// finite); `refuse` throws.
struct LearnedState {
  std::vector<at::Tensor> theta;
  Adam adam;
};
template <class Refuse>
at::Tensor checked_tensor(const Archive& a, const std::string& name, const at::Tensor& ref, const Refuse& refuse) {
  if (!a.has(name)) refuse("tensor " + name + " is missing");
  at::Tensor t = a.at(name);
  if (t.sizes() != ref.sizes() || t.scalar_type() != ref.scalar_type())
    refuse("tensor " + name + " has the wrong shape or type");
  if (!at::isfinite(t).all().item<bool>()) refuse("tensor " + name + " holds non-finite values");
  return t;
}
template <class Refuse>
LearnedState read_learned_state(const Archive& a, const Theta& like, const Refuse& refuse) {
  LearnedState ls;
  auto ref = like.list();
  for (size_t i = 0; i < like.names.size(); ++i) {
    ls.theta.push_back(checked_tensor(a, "theta/" + like.names[i], ref[i], refuse));
    ls.adam.m.push_back(checked_tensor(a, "adam.m/" + like.names[i], ref[i], refuse));
    ls.adam.v.push_back(checked_tensor(a, "adam.v/" + like.names[i], ref[i], refuse));
  }
  ls.adam.t = meta_int(a, "adam_t", refuse);
  return ls;
}

// The saved config must equal the run's, except for the keys a continued run may change. Through
// MetaConfig, so keys added since the checkpoint was written compare at their defaults.
template <class Refuse>
void check_config(const Archive& a, const MetaConfig& cfg, const Refuse& refuse) {
  nlohmann::json saved = MetaConfig::from_json(nlohmann::json::parse(meta_text(a, "config", refuse))).to_json();
  nlohmann::json now = cfg.to_json();
  for (const char* k : {"steps", "checkpoint_every", "validate_every", "name"}) saved.erase(k), now.erase(k);
  if (saved == now) return;
  std::string diff;
  for (auto it = now.begin(); it != now.end(); ++it)
    if (!saved.contains(it.key()) || saved[it.key()] != it.value())
      diff += (diff.empty() ? "" : ", ") + it.key() + " (checkpoint " +
              (saved.contains(it.key()) ? saved[it.key()].dump() : "absent") + ", now " + it.value().dump() + ")";
  refuse("it was written with a different config: " + diff);
}

// Slot j's counters and, when active, its re-derived task with phi's saved values.
template <class Refuse>
void read_slot(const Archive& a, const std::string& path, const WorkContext& ctx, size_t j, SlotState& sl,
               const Refuse& refuse) {
  const std::string key = fmt::format("slot.{}", j);
  auto f = split_ws(meta_text(a, key, refuse));
  if (f.size() != 4) refuse("meta field '" + key + "': expected 4 fields");
  const std::string where = "checkpoint " + path + ": meta field '" + key + "'";
  sl.serial = parse_int(f[0], where), sl.task_step = parse_int(f[1], where), sl.unrolls = parse_int(f[2], where);
  sl.active = f[3] == "1";
  if (!sl.active) return;
  derive_task(ctx, sl, int64_t(j));
  Phi& p = sl.phi;
  std::vector<at::Tensor*> dst;
  for (auto* vv : {&p.W, &p.V, &p.b})
    for (auto& t : *vv) dst.push_back(&t);
  for (size_t k = 0; k < dst.size(); ++k)
    *dst[k] = checked_tensor(a, fmt::format("slot.{}/phi.{}", j, k), *dst[k], refuse).to(ctx.device);
  std::string pn = fmt::format("slot.{}/perm", j);
  if (!a.has(pn) || !a.at(pn).equal(p.perm.cpu())) refuse(fmt::format("slot {}: input permutation differs", j));
}

template <class Refuse>
void read_counters(const Archive& a, const std::string& path, TrainState& s, const Refuse& refuse) {
  auto c = split_ws(meta_text(a, "counters", refuse));
  if (c.size() != 4) refuse("meta field 'counters': expected 4 integers");
  const std::string where = "checkpoint " + path + ": meta field 'counters'";
  s.dropped_nonfinite = parse_int(c[0], where), s.dropped_stale = parse_int(c[1], where);
  s.unrolls = parse_int(c[2], where), s.tasks = parse_int(c[3], where);
  s.wall_offset = parse_real(meta_text(a, "wall", refuse), "checkpoint " + path + ": meta field 'wall'");
  s.val0 = parse_real(meta_text(a, "val0", refuse), "checkpoint " + path + ": meta field 'val0'");
}
}  // namespace

TrainState load_checkpoint(const std::string& path, const MetaConfig& cfg, const WorkContext& ctx, const Theta& like,
                           size_t nslots) {
  auto refuse = [&](const std::string& why) { throw Error("checkpoint " + path + " refused: " + why); };
  Archive a;
  try {
    a = load_archive(path, checkpoint_format());
  } catch (const Error& e) {
    refuse(e.what());
  }
  TrainState s;
  try {
    check_config(a, cfg, refuse);
    if (meta_text(a, "variant", refuse) != variant_name(like.options)) refuse("rule variant " + a.meta.at("variant") + " differs");
    s.step = meta_int(a, "step", refuse);
    if (s.step < 0) refuse("meta field 'step' is negative");
    LearnedState ls = read_learned_state(a, like, refuse);
    s.theta = move_theta(like.with(ls.theta), ctx.device);
    s.adam = adam_to(ls.adam, ctx.device);
    read_counters(a, path, s, refuse);
    const int64_t saved_slots = meta_int(a, "slots", refuse);
    if (saved_slots < 0) refuse("meta field 'slots' is negative");
    s.slots.resize(nslots);
    for (size_t j = 0; j < std::min(nslots, size_t(saved_slots)); ++j) read_slot(a, path, ctx, j, s.slots[j], refuse);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    refuse(std::string("malformed: ") + one_line(e.what(), 160));
  }
  return s;
}

WarmStart load_warm_start(const std::string& path, const Theta& like) {
  Archive a = load_archive(path);  // throws mu::Error for a missing, truncated or foreign file
  auto f = a.meta.find("format");
  if (f == a.meta.end() || f->second != checkpoint_format()) return {load_theta(path), std::nullopt};
  auto refuse = [&](const std::string& why) { throw Error("--init " + path + " refused: " + why); };
  try {
    MetaConfig saved = MetaConfig::from_json(nlohmann::json::parse(a.meta.at("config")));
    LearnedState ls = read_learned_state(a, like, refuse);
    WarmStart w{like.with(ls.theta), ls.adam};
    w.theta.options.eta = saved.eta;
    w.theta.options.identical_updates = saved.identical_updates;
    if (a.meta.at("variant") != variant_name(w.theta.options)) refuse("rule variant " + a.meta.at("variant") + " differs");
    return w;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // a missing field, a config that does not parse, a bad number
    refuse(e.what());
  }
  return {};
}

}  // namespace mu
