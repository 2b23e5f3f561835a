#include "metatrain/trainer.h"

#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "common/archive.h"
#include "common/error.h"
#include "common/fsio.h"
#include "common/parse.h"
#include "common/runtime.h"
#include "eval/analysis.h"
#include "metatrain/curves.h"
#include "metatrain/recompute.h"

namespace mu {
namespace fs = std::filesystem;

// ---------------------------------------------------------------- Adam, clipping
void Adam::init(const std::vector<at::Tensor>& params) {
  m.clear(), v.clear(), t = 0;
  for (const auto& p : params) m.push_back(at::zeros_like(p)), v.push_back(at::zeros_like(p));
}

std::vector<at::Tensor> Adam::step(const std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads,
                                   double lr, double b1, double b2, double eps) {
  MU_CHECK(params.size() == grads.size() && params.size() == m.size(), "Adam: parameter count mismatch");
  ++t;
  double c1 = 1.0 - std::pow(b1, double(t)), c2 = 1.0 - std::pow(b2, double(t));
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < params.size(); ++i) {
    m[i] = m[i] * b1 + grads[i] * (1.0 - b1);  // out of place: copies of an Adam share nothing mutable
    v[i] = v[i] * b2 + grads[i] * grads[i] * (1.0 - b2);
    out.push_back(params[i] - (m[i] / c1) / ((v[i] / c2).sqrt() + eps) * lr);
  }
  return out;
}

double clip_global_norm(std::vector<at::Tensor>& grads, double max_norm) {
  double sq = 0;
  for (const auto& g : grads) sq += g.to(at::kDouble).pow(2).sum().item<double>();
  double norm = std::sqrt(sq);
  if (norm > max_norm && std::isfinite(norm))
    for (auto& g : grads) g = g * (max_norm / norm);
  return norm;
}

// ---------------------------------------------------------------- signals
std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}
namespace {
extern "C" void mu_on_stop_signal(int) { stop_requested().store(true); }
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGUSR1};
}  // namespace

StopSignalScope::StopSignalScope(bool enable) : on_(enable) {
  if (!on_) return;
  struct sigaction sa {};
  sa.sa_handler = mu_on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // blocking reads and writes resume; the flag is polled at safe points
  for (size_t i = 0; i < 3; ++i) sigaction(kStopSignals[i], &sa, &old_[i]);
}
StopSignalScope::~StopSignalScope() {
  if (!on_) return;
  for (size_t i = 0; i < 3; ++i) sigaction(kStopSignals[i], &old_[i], nullptr);
}

// ---------------------------------------------------------------- one unroll
namespace {
bool all_finite(const std::vector<at::Tensor>& v) {
  for (const auto& t : v)
    if (!t.defined() || !at::isfinite(t).all().item<bool>()) return false;
  return true;
}
void begin_task(const WorkContext& ctx, SlotState& s, int64_t slot, int64_t step) {
  ++s.serial;
  s.task_step = step;
  s.unrolls = 0;
  s.task = sample_task(ctx.cfg, *ctx.data, mix_seed({ctx.cfg.seed, 1, uint64_t(slot), uint64_t(s.serial)}), step);
  s.phi = task_phi(s.task, ctx.device);
  s.active = true;
}
}  // namespace

WorkOutput run_unroll(const WorkContext& ctx, SlotState& s, int64_t slot, const Theta& theta, int64_t step) {
  if (!s.active || s.unrolls >= s.task.truncations) begin_task(ctx, s, slot, step);
  WorkOutput out;
  uint64_t us = mix_seed({ctx.cfg.seed, 2, uint64_t(slot), uint64_t(s.serial), uint64_t(s.unrolls)});
  out.U = sample_unroll_length(ctx.cfg, step, us);
  UnrollBatches ub = sample_unroll(ctx.cfg, *ctx.data, s.task, out.U, mix_seed(us, 3));
  try {
    out.result = ctx.cfg.recompute ? unroll_grad_recompute(theta, s.phi, ub) : unroll_grad(theta, s.phi, ub);
  } catch (const std::exception& e) {  // e.g. the rule produced a non-finite phi (apply_update refuses it)
    out.why = e.what();
    s.active = false;
    return out;
  }
  if (ctx.tamper) ctx.tamper(step, slot, out.result);
  if (!out.result.finite || !std::isfinite(out.result.loss) || !all_finite(out.result.grad)) {
    out.why = "non-finite meta-loss or meta-gradient";
    s.active = false;  // the task restarts
    return out;
  }
  s.phi = out.result.phi;
  ++s.unrolls;
  out.ok = true;
  return out;
}

// ---------------------------------------------------------------- validation
Validation make_validation(const MetaConfig& cfg, const TaskData& data, at::Device device) {
  Validation v;
  v.features_below_top = cfg.readout_below_top;  // validate what meta-training optimises
  v.lambda = cfg.readout_lambda;
  for (int64_t i = 0; i < cfg.val_tasks; ++i) {
    // Sampler indices of their own (training draws mix_seed({seed, 1, slot, serial})): the same tasks,
    // networks and batches for every theta, and on resume.
    uint64_t seed = mix_seed({cfg.seed, 0x7a1, uint64_t(i)});
    Task t = sample_task(cfg, data, seed, 0);
    UnrollBatches ub = sample_unroll(cfg, data, t, std::max<int64_t>(1, cfg.val_steps), mix_seed(seed, 5));
    Validation::Item it;
    it.phi0 = task_phi(t, device);
    it.unlabelled.assign(ub.unlabelled.begin(), ub.unlabelled.begin() + cfg.val_steps);
    it.evals = ub.evals.back();
    it.classes = ub.classes;
    v.items.push_back(std::move(it));
  }
  return v;
}

namespace {
void check_ridge_penalty(double lambda) {
  MU_CHECK(lambda > 0 && std::isfinite(lambda), "the ridge penalty must be positive and finite");
}

// MetaObjective, ridge accuracy and pc1 of one task's features; `features` maps inputs (n, N^0) to (n, D).
template <class Features>
Validation::ItemResult score_item(const Validation::Item& it, const Features& features, double lambda = 0.1) {
  Validation::ItemResult r;
  double loss = 0, acc = 0;
  std::vector<at::Tensor> xs;
  for (const auto& [tr, te] : it.evals) {
    MetaObjectiveResult m = meta_objective_on_features(features(at::cat({tr.x, te.x}, 0)), tr, te, it.classes, lambda);
    loss += m.loss.item<double>();
    acc += m.accuracy_test;
    xs.push_back(tr.x);
    xs.push_back(te.x);
  }
  r.loss = loss / double(it.evals.size());
  r.accuracy = acc / double(it.evals.size());
  r.pc1 = cumulative_explained_variance(features(at::cat(xs)))[0];  // features (n, D)
  return r;
}
}  // namespace

std::vector<Validation::ItemResult> Validation::evaluate_items(const Theta& theta, double lambda) const {
  check_ridge_penalty(lambda);
  at::NoGradGuard ng;
  Theta th = theta.detached();
  std::vector<ItemResult> out;
  for (const auto& it : items) {
    Phi phi = it.phi0;
    try {
      for (const auto& x : it.unlabelled) phi = unsupervised_step(th, phi, x);
    } catch (const std::exception&) {
      out.push_back(ItemResult{});
      continue;
    }
    const Phi read = phi.below_top(features_below_top);
    out.push_back(score_item(it, [&](const at::Tensor& x) { return embed(read, x); }, lambda));
  }
  return out;
}

std::vector<Validation::ItemResult> Validation::evaluate_reference(const std::string& kind, double lambda) const {
  MU_CHECK(kind == "raw" || kind == "init", "validation reference must be raw or init, not " + kind);
  check_ridge_penalty(lambda);
  at::NoGradGuard ng;
  std::vector<ItemResult> out;
  for (const auto& it : items) {
    if (kind == "raw")
      out.push_back(score_item(it, [](const at::Tensor& x) { return x; }, lambda));
    else
      out.push_back(score_item(it, [&](const at::Tensor& x) { return embed(it.phi0.below_top(features_below_top), x); }, lambda));
  }
  return out;
}

std::pair<double, double> Validation::evaluate(const Theta& theta) const {
  if (items.empty()) return {NAN, NAN};
  double loss = 0, acc = 0;
  for (const ItemResult& r : evaluate_items(theta, lambda)) {
    if (!std::isfinite(r.loss)) return {NAN, NAN};  // one failed task fails the validation
    loss += r.loss;
    acc += r.accuracy;
  }
  return {loss / double(items.size()), acc / double(items.size())};
}

// ---------------------------------------------------------------- metrics
std::string checkpoint_format() { return "metaunsup-metatrain-checkpoint-v1"; }

std::string metrics_header() {
  return "step,loss,cosine,ridge,accuracy,grad_norm,lr,used,dropped_nonfinite,dropped_stale,tasks,u_mean,u_lo,"
         "u_hi,unrolls_per_s,wall_s,val_loss,val_loss_theta0,val_accuracy";
}
std::string metrics_row(const StepRecord& r) {
  auto f = [](double x) { return std::isfinite(x) ? fmt::format("{:.6g}", x) : std::string(); };
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", r.step, f(r.loss), f(r.cosine),
                     f(r.ridge), f(r.accuracy), f(r.grad_norm), f(r.lr), r.used, r.dropped_nonfinite,
                     r.dropped_stale, r.tasks, f(r.u_mean), r.u_lo, r.u_hi, f(r.unrolls_per_s), f(r.wall_s),
                     f(r.val_loss), f(r.val_loss_theta0), f(r.val_acc));
}

// ---------------------------------------------------------------- learner state + checkpoints
namespace {
struct LearnerState {
  Theta theta;
  Adam adam;
  int64_t step = 0;
  std::vector<SlotState> slots;
  int64_t dropped_nonfinite = 0, dropped_stale = 0, unrolls = 0, tasks = 0;
  double wall_offset = 0;
  double val0 = NAN;
};

Theta move_theta(const Theta& th, at::Device d) {
  std::vector<at::Tensor> v;
  for (const auto& t : th.list()) v.push_back(t.to(d));
  return th.with(v);
}

void save_checkpoint(const std::string& path, const MetaConfig& cfg, const LearnerState& s, bool deterministic) {
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
Adam adam_to(Adam adam, at::Device d) {
  for (auto* ts : {&adam.m, &adam.v})
    for (auto& t : *ts) t = t.to(d);
  return adam;
}

// Refuses (mu::Error, nothing half-loaded) a corrupt, foreign or incompatible checkpoint.
LearnerState load_checkpoint(const std::string& path, const MetaConfig& cfg, const WorkContext& ctx,
                             const Theta& like, size_t nslots) {
  auto refuse = [&](const std::string& why) { throw Error("checkpoint " + path + " refused: " + why); };
  Archive a;
  try {
    a = load_archive(path, checkpoint_format());
  } catch (const Error& e) {
    refuse(e.what());
  }
  LearnerState s;
  try {
    // Through MetaConfig, so keys added since the checkpoint was written compare at their defaults.
    nlohmann::json saved = MetaConfig::from_json(nlohmann::json::parse(meta_text(a, "config", refuse))).to_json();
    nlohmann::json now = cfg.to_json();
    for (const char* k : {"steps", "checkpoint_every", "validate_every", "name"}) saved.erase(k), now.erase(k);
    if (saved != now) {
      std::string diff;
      for (auto it = now.begin(); it != now.end(); ++it)
        if (!saved.contains(it.key()) || saved[it.key()] != it.value())
          diff += (diff.empty() ? "" : ", ") + it.key() + " (checkpoint " +
                  (saved.contains(it.key()) ? saved[it.key()].dump() : "absent") + ", now " + it.value().dump() + ")";
      refuse("it was written with a different config: " + diff);
    }
    if (meta_text(a, "variant", refuse) != variant_name(like.options)) refuse("rule variant " + a.meta.at("variant") + " differs");
    s.step = meta_int(a, "step", refuse);
    if (s.step < 0) refuse("meta field 'step' is negative");
    LearnedState ls = read_learned_state(a, like, refuse);
    s.theta = move_theta(like.with(ls.theta), ctx.device);
    s.adam = adam_to(ls.adam, ctx.device);
    auto c = split_ws(meta_text(a, "counters", refuse));
    if (c.size() != 4) refuse("meta field 'counters': expected 4 integers");
    const std::string where = "checkpoint " + path + ": meta field 'counters'";
    s.dropped_nonfinite = parse_int(c[0], where), s.dropped_stale = parse_int(c[1], where);
    s.unrolls = parse_int(c[2], where), s.tasks = parse_int(c[3], where);
    s.wall_offset = parse_real(meta_text(a, "wall", refuse), "checkpoint " + path + ": meta field 'wall'");
    s.val0 = parse_real(meta_text(a, "val0", refuse), "checkpoint " + path + ": meta field 'val0'");
    const int64_t saved_slots = meta_int(a, "slots", refuse);
    if (saved_slots < 0) refuse("meta field 'slots' is negative");
    s.slots.resize(nslots);
    for (size_t j = 0; j < std::min(nslots, size_t(saved_slots)); ++j) {
      const std::string key = fmt::format("slot.{}", j);
      auto f = split_ws(meta_text(a, key, refuse));
      if (f.size() != 4) refuse("meta field '" + key + "': expected 4 fields");
      SlotState& sl = s.slots[j];
      const std::string where = "checkpoint " + path + ": meta field '" + key + "'";
      sl.serial = parse_int(f[0], where), sl.task_step = parse_int(f[1], where), sl.unrolls = parse_int(f[2], where);
      sl.active = f[3] == "1";
      if (!sl.active) continue;
      // Re-derive the task, then restore phi's values.
      sl.task = sample_task(cfg, *ctx.data, mix_seed({cfg.seed, 1, uint64_t(j), uint64_t(sl.serial)}), sl.task_step);
      Phi p = task_phi(sl.task, ctx.device);
      std::vector<at::Tensor*> dst;
      for (auto* vv : {&p.W, &p.V, &p.b})
        for (auto& t : *vv) dst.push_back(&t);
      for (size_t k = 0; k < dst.size(); ++k)
        *dst[k] = checked_tensor(a, fmt::format("slot.{}/phi.{}", j, k), *dst[k], refuse).to(ctx.device);
      std::string pn = fmt::format("slot.{}/perm", j);
      if (!a.has(pn) || !a.at(pn).equal(p.perm.cpu())) refuse(fmt::format("slot {}: input permutation differs", j));
      sl.phi = p;
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    refuse(std::string("malformed: ") + one_line(e.what(), 160));
  }
  return s;
}

// Keeps the header and the rows with step <= last_step; returns an append stream. A torn last row (no final
// newline: the run was killed while writing it) and malformed rows are dropped with a warning: they must
// neither survive as junk nor block --resume.
std::ofstream open_metrics(const std::string& path, bool resume, int64_t last_step) {
  std::vector<std::string> keep{metrics_header()};
  if (resume && fs::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string header = metrics_header();
    const auto fields = std::count(header.begin(), header.end(), ',');
    std::vector<std::string> lines;
    for (size_t b = 0; b < all.size();) {
      size_t e = all.find('\n', b);
      lines.push_back(all.substr(b, e == std::string::npos ? std::string::npos : e - b));
      b = e == std::string::npos ? all.size() : e + 1;
    }
    const bool torn = !all.empty() && all.back() != '\n';
    int64_t bad = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      if (line.empty() || (i == 0 && line == header)) continue;
      if (torn && i + 1 == lines.size()) {
        std::fprintf(stderr, "[meta-train] warning: dropped the torn last row of %s (the run was killed while "
                             "writing it)\n", path.c_str());
        continue;
      }
      int64_t st = -1;
      try {
        st = parse_int(line.substr(0, line.find(',')), path);
      } catch (const Error&) {
      }
      if (st < 0 || std::count(line.begin(), line.end(), ',') != fields) {
        ++bad;
        continue;
      }
      if (st <= last_step) keep.push_back(line);
    }
    if (bad > 0)
      std::fprintf(stderr, "[meta-train] warning: dropped %lld malformed rows of %s\n", (long long)bad, path.c_str());
  }
  std::ostringstream all;
  for (const auto& l : keep) all << l << "\n";
  write_file_atomic(path, all.str());
  std::ofstream out(path, std::ios::app);
  MU_CHECK(out, "cannot write " + path);
  return out;
}

struct Accum {
  std::vector<at::Tensor> sum;
  int64_t n = 0, attempts = 0;
  double loss = 0, cosine = 0, ridge = 0, acc = 0, U = 0;
  void add(const WorkOutput& w) {
    if (sum.empty())
      sum = w.result.grad;
    else
      for (size_t i = 0; i < sum.size(); ++i) sum[i] = sum[i] + w.result.grad[i];
    ++n;
    loss += w.result.loss, cosine += w.result.cosine, ridge += w.result.ridge_penalty, acc += w.result.accuracy;
    U += double(w.U);
  }
};
}  // namespace

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

// ---------------------------------------------------------------- the loop
TrainResult meta_train(const MetaConfig& cfg_in, const TrainOptions& opt) {
  MetaConfig cfg = cfg_in;
  if (opt.steps > 0) cfg.steps = opt.steps;
  cfg.validate();
  MU_CHECK(!opt.out_dir.empty(), "meta-train: an output folder is needed");
  MU_CHECK(opt.workers >= 1 || (opt.remote && !opt.deterministic), "meta-train: workers must be >= 1");
  MU_CHECK(!(opt.remote && opt.deterministic), "meta-train: --deterministic needs a single process (no MPI)");
  at::Device device(at::kCPU);
  if (opt.device == "cuda") {
    MU_CHECK(at::hasCUDA(), "meta-train: --device cuda, but this LibTorch has no CUDA device");
    device = at::Device(at::kCUDA);
  } else {
    MU_CHECK(opt.device == "cpu", "meta-train: --device must be cpu or cuda");
  }
  // A stop signal during set-up (data loading can take a while) is kept and honoured at the first safe point.
  StopSignalScope signals(opt.handle_signals);
  struct ClearStop {  // the next run in this process starts without a stale request
    ~ClearStop() { stop_requested().store(false); }
  } clear_stop;
  fs::create_directories(opt.out_dir);
  const std::string ckpt = opt.out_dir + "/checkpoint.pt";
  const std::string stale = remove_stale_temporaries(opt.out_dir);
  if (!stale.empty()) std::fprintf(stderr, "[meta-train] removed temporaries of a killed run: %s\n", stale.c_str());
  if (!opt.resume)
    MU_CHECK(!fs::exists(ckpt), "meta-train: " + ckpt + " exists; pass --resume to continue it or choose another --out");

  TaskData data = load_task_data(cfg, device);
  WorkContext ctx{cfg, &data, device, opt.tamper};
  RuleOptions ro;
  ro.identical_updates = cfg.identical_updates;
  ro.eta = cfg.eta;
  Theta theta0 = move_theta(init_theta(mix_seed(cfg.seed, 0x7e7a), ro), device);
  std::optional<Adam> warm_adam;
  if (!opt.init_rule.empty() && !(opt.resume && fs::exists(ckpt))) {
    // Warm start (e.g. a longer-horizon stage after a short one). Validation's "initial theta" is then
    // this rule, so the curves show progress over it. From a checkpoint, Adam's moments come too, so a
    // change of rate or data continues the optimiser rather than restarting it (a fresh Adam's first steps
    // move every coordinate by about lr whatever its gradient).
    WarmStart w = load_warm_start(opt.init_rule, theta0);
    MU_CHECK(variant_name(w.theta.options) == variant_name(ro),
             "meta-train: --init " + opt.init_rule + " is the " + variant_name(w.theta.options) +
                 " variant, the config asks for " + variant_name(ro));
    MU_CHECK(std::abs(w.theta.options.eta - cfg.eta) <= 1e-12 * std::max(1.0, cfg.eta),
             fmt::format("meta-train: --init {} was trained with eta {}, the config has eta {} (they must match)",
                         opt.init_rule, w.theta.options.eta, cfg.eta));
    theta0 = move_theta(w.theta, device);
    if (w.adam) warm_adam = adam_to(*w.adam, device);
  }
  const size_t nslots = opt.deterministic ? size_t(cfg.meta_batch) : size_t(opt.workers);

  LearnerState st;
  if (opt.resume && fs::exists(ckpt)) {
    st = load_checkpoint(ckpt, cfg, ctx, theta0, nslots);
  } else {
    st.theta = theta0;
    st.adam.init(theta0.list());
    if (warm_adam) st.adam = *warm_adam;
    st.slots.resize(nslots);
  }
  Validation val = cfg.validate_every > 0 ? make_validation(cfg, data, device) : Validation{};
  if (!std::isfinite(st.val0) && !val.items.empty()) st.val0 = val.evaluate(theta0).first;

  write_file_atomic(opt.out_dir + "/config.json", cfg.to_json().dump(2) + "\n");
  std::ofstream metrics = open_metrics(opt.out_dir + "/metrics.csv", opt.resume, st.step);

  const auto t0 = std::chrono::steady_clock::now();
  auto wall = [&] { return st.wall_offset + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const int intra = std::max(1, runtime_threads() / std::max(1, opt.workers));
  std::fprintf(stderr, "[meta-train] %d worker%s x %d thread%s (--threads %d; this process may use %d cores)\n",
               opt.workers, opt.workers == 1 ? "" : "s", intra, intra == 1 ? "" : "s", runtime_threads(),
               available_cores());
  const int64_t unrolls_at_start = st.unrolls;
  const double wall_at_start = st.wall_offset;
  int64_t consecutive_failures = 0;
  std::string last_failure;

  int64_t checkpointed_step = -1;
  auto checkpoint = [&] {
    LearnerState copy = st;
    copy.wall_offset = wall();
    save_checkpoint(ckpt, cfg, copy, opt.deterministic);
    save_theta(st.theta, opt.out_dir + "/theta.pt",
               {{"config", cfg.name}, {"meta_step", std::to_string(st.step)}, {"eta", fmt::format("{}", cfg.eta)}});
    fsync_file(opt.out_dir + "/metrics.csv");  // the rows up to this checkpoint survive a power loss too
    checkpointed_step = st.step;
    try {  // the curves are a view of metrics.csv: a failure to draw them never stops training
      write_curves(opt.out_dir + "/metrics.csv", opt.out_dir + "/curves.png");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "[meta-train] warning: curves.png not written: %s\n", e.what());
    }
  };
  auto note_failure = [&](const WorkOutput& w) {
    ++st.dropped_nonfinite;
    last_failure = w.why;
    if (++consecutive_failures >= 50)
      throw Error("meta-train: 50 unrolls in a row failed; last: " + last_failure);
  };
  // Averages the accepted gradients, clips, takes an Adam step (never writing non-finite theta).
  auto update = [&](Accum& acc) {
    StepRecord r;
    r.lr = cfg.lr_at(st.step);
    if (acc.n > 0) {
      std::vector<at::Tensor> g;
      for (auto& x : acc.sum) g.push_back(x / double(acc.n));
      r.grad_norm = clip_global_norm(g, cfg.clip);
      Adam next = st.adam;
      std::vector<at::Tensor> vals = next.step(st.theta.list(), g, r.lr, cfg.beta1, cfg.beta2, cfg.adam_eps);
      if (std::isfinite(r.grad_norm) && all_finite(vals)) {
        st.theta = st.theta.with(vals);
        st.adam = next;
      } else {
        ++st.dropped_nonfinite;
      }
      r.loss = acc.loss / acc.n, r.cosine = acc.cosine / acc.n, r.ridge = acc.ridge / acc.n;
      r.accuracy = acc.acc / acc.n, r.u_mean = acc.U / acc.n;
    } else {
      r.loss = r.cosine = r.ridge = r.accuracy = r.u_mean = NAN;
    }
    ++st.step;
    r.step = st.step;
    r.used = acc.n;
    r.dropped_nonfinite = st.dropped_nonfinite, r.dropped_stale = st.dropped_stale;
    r.tasks = 0;
    for (const auto& sl : st.slots) r.tasks += sl.serial + 1;
    std::tie(r.u_lo, r.u_hi) = cfg.unroll_range(st.step - 1);
    r.wall_s = wall();
    r.unrolls_per_s = double(st.unrolls - unrolls_at_start) / std::max(1e-9, r.wall_s - wall_at_start);
    if (cfg.validate_every > 0 && (st.step % cfg.validate_every == 0 || st.step == cfg.steps)) {
      std::tie(r.val_loss, r.val_acc) = val.evaluate(st.theta);
      r.val_loss_theta0 = st.val0;
    }
    metrics << metrics_row(r) << "\n" << std::flush;
    if (opt.on_step) opt.on_step(r);
    if (st.step % cfg.checkpoint_every == 0 || st.step == cfg.steps) checkpoint();
  };

  if (opt.deterministic) {
    while (st.step < cfg.steps && !stop_requested().load()) {
      std::vector<WorkOutput> outs(nslots);
      std::vector<std::exception_ptr> errs(opt.workers);
      auto work = [&](int w) {
        if (opt.workers > 1) at::set_num_threads(intra);
        try {
          for (size_t j = size_t(w); j < nslots; j += size_t(opt.workers))
            outs[j] = run_unroll(ctx, st.slots[j], int64_t(j), st.theta, st.step);
        } catch (...) {
          errs[w] = std::current_exception();
        }
      };
      if (opt.workers == 1) {
        work(0);
      } else {
        std::vector<std::thread> ts;
        for (int w = 0; w < opt.workers; ++w) ts.emplace_back(work, w);
        for (auto& t : ts) t.join();
      }
      for (auto& e : errs)
        if (e) std::rethrow_exception(e);
      Accum acc;
      for (const auto& w : outs) {
        ++st.unrolls;
        if (w.ok) {
          consecutive_failures = 0;
          acc.add(w);
        } else {
          note_failure(w);
        }
      }
      update(acc);
    }
  } else {
    // Async: workers loop on their own slots with the newest theta; the learner drops stale gradients.
    struct Msg {
      WorkOutput out;
      int64_t version;
      size_t slot;
      SlotState snapshot;
    };
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Msg> queue;
    const size_t queue_cap = size_t(std::max<int64_t>(cfg.meta_batch, opt.workers));
    bool done = false;
    auto current = std::make_shared<const Theta>(st.theta);
    int64_t version = st.step;
    std::vector<SlotState> worker_slots = st.slots;
    std::exception_ptr worker_error;
    auto worker = [&](size_t w) {
      at::set_num_threads(intra);
      try {
        for (;;) {
          std::shared_ptr<const Theta> th;
          int64_t ver;
          {
            std::lock_guard<std::mutex> lk(mu);
            if (done) return;
            th = current, ver = version;
          }
          WorkOutput out = run_unroll(ctx, worker_slots[w], int64_t(w), *th, ver);
          std::unique_lock<std::mutex> lk(mu);
          // Bounded queue: while the learner is busy (validation, checkpoints) the workers wait instead of
          // piling up gradients that would all be stale by the time the learner reads them (cpu1: 62 of
          // them dropped after one 40 s validation).
          cv.wait(lk, [&] { return done || queue.size() < queue_cap; });
          if (done) return;
          queue.push_back(Msg{std::move(out), ver, w, worker_slots[w]});
          cv.notify_all();
        }
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu);
        if (!worker_error) worker_error = std::current_exception();
        cv.notify_all();
      }
    };
    // The learner's own work (validation, checkpoints) runs while the workers unroll: give it the workers'
    // share of threads. With the default count, its BLAS calls spin-wait for threads the workers hold
    // (measured: a 4-task validation of configs/cpu.json took 430-730 s instead of ~10 s on 2 cores).
    const int learner_threads = at::get_num_threads();
    if (opt.workers > 1) at::set_num_threads(intra);
    struct RestoreThreads {
      int n;
      ~RestoreThreads() { at::set_num_threads(n); }
    } restore_threads{learner_threads};
    std::vector<std::thread> threads;
    for (size_t w = 0; w < nslots; ++w) threads.emplace_back(worker, w);
    if (opt.remote)
      opt.remote->start(
          [&](WorkOutput out, int64_t ver) {
            std::lock_guard<std::mutex> lk(mu);
            queue.push_back(Msg{std::move(out), ver, SIZE_MAX, SlotState{}});
            cv.notify_all();
          },
          [&] {
            std::lock_guard<std::mutex> lk(mu);
            return std::make_pair(current, version);
          });
    auto stop_workers = [&] {
      {
        std::lock_guard<std::mutex> lk(mu);
        done = true;
        cv.notify_all();
      }
      if (opt.remote) opt.remote->stop();
      for (auto& t : threads) t.join();
    };
    try {
      Accum acc;
      while (st.step < cfg.steps && !stop_requested().load()) {
        Msg msg;
        {
          std::unique_lock<std::mutex> lk(mu);
          cv.wait_for(lk, std::chrono::milliseconds(200), [&] { return !queue.empty() || worker_error; });
          if (worker_error) std::rethrow_exception(worker_error);
          if (queue.empty()) continue;
          msg = std::move(queue.front());
          queue.pop_front();
          cv.notify_all();  // a worker may be waiting for room in the queue
        }
        if (msg.slot < st.slots.size()) st.slots[msg.slot] = msg.snapshot;
        ++st.unrolls;
        if (!msg.out.ok) {
          note_failure(msg.out);
        } else if (st.step - msg.version > cfg.max_staleness) {
          consecutive_failures = 0;
          ++st.dropped_stale;
        } else {
          consecutive_failures = 0;
          acc.add(msg.out);
        }
        if (acc.n >= cfg.meta_batch) {
          update(acc);
          acc = Accum{};
          std::lock_guard<std::mutex> lk(mu);
          current = std::make_shared<const Theta>(st.theta);
          version = st.step;
        }
      }
    } catch (...) {
      stop_workers();
      throw;
    }
    // Stopped by a signal: checkpoint before waiting for the workers' unrolls in flight, so the state is on
    // disk at once (mpirun sends SIGKILL a second after SIGTERM).
    if (st.step < cfg.steps) checkpoint();
    stop_workers();
  }

  TrainResult res;
  res.interrupted = st.step < cfg.steps;
  if (res.interrupted && checkpointed_step != st.step) checkpoint();
  res.theta = st.theta;
  res.step = st.step;
  res.dropped_nonfinite = st.dropped_nonfinite, res.dropped_stale = st.dropped_stale, res.unrolls = st.unrolls;
  res.seconds = wall();
  return res;
}

}  // namespace mu
