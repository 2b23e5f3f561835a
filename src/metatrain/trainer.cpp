#include "metatrain/trainer.h"

#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "common/error.h"
#include "common/fsio.h"
#include "common/random.h"
#include "common/runtime.h"
#include "metatrain/curves.h"

namespace mu {
namespace fs = std::filesystem;

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

// ---------------------------------------------------------------- set-up
namespace {
at::Device pick_device(const std::string& name) {
  if (name == "cuda") {
    MU_CHECK(at::hasCUDA(), "meta-train: --device cuda, but this LibTorch has no CUDA device");
    return at::Device(at::kCUDA);
  }
  MU_CHECK(name == "cpu", "meta-train: --device must be cpu or cuda");
  return at::Device(at::kCPU);
}

// The run's theta_0: init_theta from the seed or, for a fresh run with --init, the warm-start rule (then
// validation's "initial theta" is this rule, so the curves show progress over it). From a checkpoint,
// Adam's moments come too (`adam`), so a change of rate or data continues the optimiser rather than
// restarting it (a fresh Adam's first steps move every coordinate by about lr whatever its gradient).
Theta initial_theta(const MetaConfig& cfg, const TrainOptions& opt, at::Device device, bool resuming,
                    std::optional<Adam>& adam) {
  RuleOptions ro;
  ro.identical_updates = cfg.identical_updates;
  ro.eta = cfg.eta;
  Theta theta0 = move_theta(init_theta(derive_seed(cfg.seed, 0x7e7a), ro), device);
  if (opt.init_rule.empty() || resuming) return theta0;
  WarmStart w = load_warm_start(opt.init_rule, theta0);
  MU_CHECK(variant_name(w.theta.options) == variant_name(ro),
           "meta-train: --init " + opt.init_rule + " is the " + variant_name(w.theta.options) +
               " variant, the config asks for " + variant_name(ro));
  MU_CHECK(std::abs(w.theta.options.eta - cfg.eta) <= 1e-12 * std::max(1.0, cfg.eta),
           fmt::format("meta-train: --init {} was trained with eta {}, the config has eta {} (they must match)",
                       opt.init_rule, w.theta.options.eta, cfg.eta));
  if (w.adam) adam = adam_to(*w.adam, device);
  return move_theta(w.theta, device);
}

// One meta-training run: the learner's state, its workers, validation, metrics.csv and checkpoints.
class Run {
 public:
  Run(const MetaConfig& cfg, const TrainOptions& opt, at::Device device);
  TrainResult train();

 private:
  void sync_loop();
  void async_loop();
  void update(const MetaBatch& batch);
  void checkpoint();
  double wall() const {
    return st_.wall_offset + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

  const MetaConfig& cfg_;
  const TrainOptions& opt_;
  const std::string ckpt_;
  TaskData data_;
  WorkContext ctx_;
  TrainState st_;
  Learner learner_;
  Validation val_;
  std::ofstream metrics_;
  std::chrono::steady_clock::time_point t0_;
  int intra_ = 1;
  int64_t unrolls_at_start_ = 0, checkpointed_step_ = -1;
  double wall_at_start_ = 0;
};

Run::Run(const MetaConfig& cfg, const TrainOptions& opt, at::Device device)
    : cfg_(cfg), opt_(opt), ckpt_(opt.out_dir + "/checkpoint.pt"), learner_(cfg) {
  data_ = load_task_data(cfg, device);
  ctx_ = make_work_context(cfg, data_, device, opt.tamper);
  const bool resuming = opt.resume && fs::exists(ckpt_);
  std::optional<Adam> warm_adam;
  Theta theta0 = initial_theta(cfg, opt, device, resuming, warm_adam);
  const size_t nslots = opt.deterministic ? size_t(cfg.meta_batch) : size_t(opt.workers);
  if (resuming) {
    st_ = load_checkpoint(ckpt_, cfg, ctx_, theta0, nslots);
  } else {
    st_.theta = theta0;
    st_.adam.init(theta0.list());
    if (warm_adam) st_.adam = *warm_adam;
    st_.slots.resize(nslots);
  }
  if (cfg.validate_every > 0) val_ = make_validation(cfg, data_, device);
  if (!std::isfinite(st_.val0) && !val_.items.empty()) st_.val0 = val_.evaluate(theta0).first;

  write_file_atomic(opt.out_dir + "/config.json", cfg.to_json().dump(2) + "\n");
  metrics_ = open_metrics(opt.out_dir + "/metrics.csv", opt.resume, st_.step);
  t0_ = std::chrono::steady_clock::now();
  intra_ = std::max(1, runtime_threads() / std::max(1, opt.workers));
  std::fprintf(stderr, "[meta-train] %d worker%s x %d thread%s (--threads %d; this process may use %d cores)\n",
               opt.workers, opt.workers == 1 ? "" : "s", intra_, intra_ == 1 ? "" : "s", runtime_threads(),
               available_cores());
  unrolls_at_start_ = st_.unrolls;
  wall_at_start_ = st_.wall_offset;
}

// ---------------------------------------------------------------- the loops
void Run::checkpoint() {
  TrainState copy = st_;
  copy.wall_offset = wall();
  save_checkpoint(ckpt_, cfg_, copy, opt_.deterministic);
  save_theta(st_.theta, opt_.out_dir + "/theta.pt",
             {{"config", cfg_.name}, {"meta_step", std::to_string(st_.step)}, {"eta", fmt::format("{}", cfg_.eta)}});
  fsync_file(opt_.out_dir + "/metrics.csv");  // the rows up to this checkpoint survive a power loss too
  checkpointed_step_ = st_.step;
  try {  // the curves are a view of metrics.csv: a failure to draw them never stops training
    write_curves(opt_.out_dir + "/metrics.csv", opt_.out_dir + "/curves.png");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[meta-train] warning: curves.png not written: %s\n", e.what());
  }
}

// The learner's update, then the step's record (metrics.csv, on_step), validation and checkpoint when due.
void Run::update(const MetaBatch& batch) {
  StepRecord r = learner_.update(st_, batch);
  for (const auto& sl : st_.slots) r.tasks += sl.serial + 1;
  std::tie(r.u_lo, r.u_hi) = cfg_.unroll_range(st_.step - 1);
  r.wall_s = wall();
  r.unrolls_per_s = double(st_.unrolls - unrolls_at_start_) / std::max(1e-9, r.wall_s - wall_at_start_);
  if (cfg_.validate_every > 0 && (st_.step % cfg_.validate_every == 0 || st_.step == cfg_.steps)) {
    std::tie(r.val_loss, r.val_acc) = val_.evaluate(st_.theta);
    r.val_loss_theta0 = st_.val0;
  }
  metrics_ << metrics_row(r) << "\n" << std::flush;
  if (opt_.on_step) opt_.on_step(r);
  if (st_.step % cfg_.checkpoint_every == 0 || st_.step == cfg_.steps) checkpoint();
}

void Run::sync_loop() {
  while (st_.step < cfg_.steps && !stop_requested().load()) {
    std::vector<WorkOutput> outs = unroll_every_slot(ctx_, st_.slots, st_.theta, st_.step, opt_.workers, intra_);
    MetaBatch batch;
    for (const WorkOutput& w : outs) learner_.offer(st_, w, st_.step, batch);  // in slot order
    update(batch);
  }
}

void Run::async_loop() {
  // The learner's own work (validation, checkpoints) runs while the workers unroll: give it the workers'
  // share of threads. With the default count, its BLAS calls spin-wait for threads the workers hold
  // (measured: a 4-task validation of configs/cpu.json took 430-730 s instead of ~10 s on 2 cores).
  struct RestoreThreads {
    int n;
    ~RestoreThreads() { at::set_num_threads(n); }
  } restore_threads{at::get_num_threads()};
  if (opt_.workers > 1) at::set_num_threads(intra_);
  // Declared after restore_threads: on any exit (an exception included) the workers stop first.
  ThreadWorkers workers(ctx_, st_.slots, size_t(std::max<int64_t>(cfg_.meta_batch, opt_.workers)), intra_,
                        opt_.remote);
  workers.start(std::make_shared<const Theta>(st_.theta), st_.step);
  MetaBatch batch;
  while (st_.step < cfg_.steps && !stop_requested().load()) {
    std::optional<ThreadWorkers::Result> got = workers.pop(std::chrono::milliseconds(200));
    if (!got) continue;
    if (got->slot < st_.slots.size()) st_.slots[got->slot] = got->snapshot;
    learner_.offer(st_, got->out, got->version, batch);
    if (batch.n >= cfg_.meta_batch) {
      update(batch);
      batch = MetaBatch{};
      workers.publish(std::make_shared<const Theta>(st_.theta), st_.step);
    }
  }
  // Stopped by a signal: checkpoint before waiting for the workers' unrolls in flight, so the state is on
  // disk at once (mpirun sends SIGKILL a second after SIGTERM).
  if (st_.step < cfg_.steps) checkpoint();
  workers.stop();
}

TrainResult Run::train() {
  if (opt_.deterministic)
    sync_loop();
  else
    async_loop();
  TrainResult res;
  res.interrupted = st_.step < cfg_.steps;
  if (res.interrupted && checkpointed_step_ != st_.step) checkpoint();
  res.theta = st_.theta;
  res.step = st_.step;
  res.dropped_nonfinite = st_.dropped_nonfinite, res.dropped_stale = st_.dropped_stale, res.unrolls = st_.unrolls;
  res.seconds = wall();
  return res;
}
}  // namespace

TrainResult meta_train(const MetaConfig& cfg_in, const TrainOptions& opt) {
  MetaConfig cfg = cfg_in;
  if (opt.steps > 0) cfg.steps = opt.steps;
  cfg.validate();
  MU_CHECK(!opt.out_dir.empty(), "meta-train: an output folder is needed");
  MU_CHECK(opt.workers >= 1 || (opt.remote && !opt.deterministic), "meta-train: workers must be >= 1");
  MU_CHECK(!(opt.remote && opt.deterministic), "meta-train: --deterministic needs a single process (no MPI)");
  const at::Device device = pick_device(opt.device);
  // A stop signal during set-up (data loading can take a while) is kept and honoured at the first safe point.
  StopSignalScope signals(opt.handle_signals);
  struct ClearStop {  // the next run in this process starts without a stale request
    ~ClearStop() { stop_requested().store(false); }
  } clear_stop;
  fs::create_directories(opt.out_dir);
  const std::string stale = remove_stale_temporaries(opt.out_dir);
  if (!stale.empty()) std::fprintf(stderr, "[meta-train] removed temporaries of a killed run: %s\n", stale.c_str());
  const std::string ckpt = opt.out_dir + "/checkpoint.pt";
  if (!opt.resume)
    MU_CHECK(!fs::exists(ckpt), "meta-train: " + ckpt + " exists; pass --resume to continue it or choose another --out");
  Run run(cfg, opt, device);
  return run.train();
}

}  // namespace mu
