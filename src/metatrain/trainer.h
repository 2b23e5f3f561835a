#pragma once
// The meta-training loop: Adam on theta, curriculum, truncated unrolls on persistent per-slot tasks,
// non-finite contributions dropped and counted, checkpoints (atomic, every N steps and on SIGINT/SIGTERM),
// resume, metrics.csv, fixed validation tasks.
//
// Modes:
//  * deterministic (synchronous): meta-step s draws one unroll from each of meta_batch slots, computed by
//    K threads, combined in slot order: theta is bit-identical for a seed (and a worker count).
//  * async: K worker threads, one slot each, loop on their own tasks with the newest theta; the learner
//    averages meta_batch gradients per update and drops those more than max_staleness updates old.
//  * MPI (metatrain/mpi.h): rank 0 learner, other ranks workers, async semantics.
#include <signal.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metatrain/config.h"
#include "metatrain/tasks.h"

namespace mu {

struct Adam {
  std::vector<at::Tensor> m, v;
  int64_t t = 0;
  void init(const std::vector<at::Tensor>& params);
  // Returns the new parameter values; m, v, t advance.
  std::vector<at::Tensor> step(const std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads,
                               double lr, double beta1, double beta2, double eps);
};
// Scales `grads` in place so their global L2 norm is at most max_norm; returns the norm before clipping.
double clip_global_norm(std::vector<at::Tensor>& grads, double max_norm);

// A slot's persistent task state: the current task is re-derived from (seed, slot, serial, task_step).
struct SlotState {
  int64_t serial = -1;    // tasks begun by this slot (-1: none yet)
  int64_t task_step = 0;  // meta-step when the current task began (sets its truncation count)
  int64_t unrolls = 0;    // unrolls done in the current task
  bool active = false;    // false: the next unroll begins a new task
  Phi phi;
  Task task;  // cache (not serialised)
};

struct WorkOutput {
  bool ok = false;  // false: non-finite loss / gradient / state: dropped, task restarted
  UnrollResult result;
  int64_t U = 0;
  std::string why;  // reason when !ok
};

struct StepRecord {
  int64_t step = 0;  // meta-steps completed
  double loss = 0, cosine = 0, ridge = 0, accuracy = 0, grad_norm = 0, lr = 0;
  int64_t used = 0;  // gradients averaged into this update
  int64_t dropped_nonfinite = 0, dropped_stale = 0;  // cumulative
  int64_t tasks = 0;                                  // cumulative tasks begun
  double u_mean = 0;
  int64_t u_lo = 0, u_hi = 0;
  double unrolls_per_s = 0, wall_s = 0;
  double val_loss = NAN, val_loss_theta0 = NAN, val_acc = NAN;  // at validation steps only
};

// Workers outside this process (the MPI engine): started with a sink for their results and a source of
// the newest theta, stopped when training ends. Their slots are not checkpointed (they start new tasks).
struct RemoteWorkers {
  using Deliver = std::function<void(WorkOutput out, int64_t version)>;
  using Current = std::function<std::pair<std::shared_ptr<const Theta>, int64_t>()>;
  virtual ~RemoteWorkers() = default;
  virtual void start(Deliver deliver, Current current) = 0;
  virtual void stop() = 0;
};

// What `--init` starts a fresh run from: a rule file (theta only) or a meta-training checkpoint (theta and
// Adam's moments; its config, step, tasks and counters are not used). Throws mu::Error for a bad file.
struct WarmStart {
  Theta theta;
  std::optional<Adam> adam;
};
WarmStart load_warm_start(const std::string& path, const Theta& like);

struct TrainOptions {
  std::string out_dir;
  bool resume = false;
  int workers = 1;
  bool deterministic = false;
  std::string device = "cpu";
  int64_t steps = -1;            // overrides the config's steps when > 0
  std::string init_rule;         // warm start: a fresh run begins from this rule file or checkpoint (eta and
                                 // variant must match; a checkpoint also carries Adam's moments)
  bool handle_signals = true;    // SIGINT/SIGTERM/SIGUSR1: checkpoint and stop
  std::function<void(const StepRecord&)> on_step;                     // progress
  std::function<void(int64_t step, int64_t slot, UnrollResult&)> tamper;  // fault injection (tests)
  RemoteWorkers* remote = nullptr;  // async mode only: extra workers (workers = local threads, may be 0)
};

struct TrainResult {
  Theta theta;
  int64_t step = 0;
  bool interrupted = false;
  int64_t dropped_nonfinite = 0, dropped_stale = 0, unrolls = 0;
  double seconds = 0;
};

// Runs (or resumes) meta-training; writes out_dir/{checkpoint.pt, theta.pt, metrics.csv, config.json}.
TrainResult meta_train(const MetaConfig& cfg, const TrainOptions& opt);

// The stop flag SIGINT/SIGTERM/SIGUSR1 set (exposed so MPI ranks and tests share it). meta_train clears it
// when it returns.
std::atomic<bool>& stop_requested();
// While alive (and enabled), SIGINT, SIGTERM and SIGUSR1 set stop_requested() instead of killing the
// process: what Ctrl-C, Slurm (preemption, time limit, `--signal`) and mpirun (which forwards SIGUSR1)
// send. Training stops at the next safe point and checkpoints.
class StopSignalScope {
 public:
  explicit StopSignalScope(bool enable = true);
  ~StopSignalScope();
  StopSignalScope(const StopSignalScope&) = delete;
  StopSignalScope& operator=(const StopSignalScope&) = delete;

 private:
  bool on_;
  struct sigaction old_[3];
};

// ---- pieces shared with the MPI engine ----
struct WorkContext {
  MetaConfig cfg;
  const TaskData* data = nullptr;
  at::Device device = at::kCPU;
  std::function<void(int64_t step, int64_t slot, UnrollResult&)> tamper;
};
// One truncated unroll on `slot`'s task (starting a new task when needed) with `theta` at meta-step `step`.
WorkOutput run_unroll(const WorkContext& ctx, SlotState& s, int64_t slot, const Theta& theta, int64_t step);

struct Validation {
  struct Item {
    Phi phi0;
    std::vector<at::Tensor> unlabelled;
    std::vector<std::pair<LabelledBatch, LabelledBatch>> evals;
    int64_t classes = 0;
  };
  std::vector<Item> items;
  // Layer the readout sees: X^{L - features_below_top} (0: the embedding, as meta-training does; 1: the last
  // hidden layer). Applies to evaluate_items and the "init" reference.
  int64_t features_below_top = 0;
  double lambda = 0.1;  // evaluate()'s ridge penalty (make_validation: the config's readout_lambda)
  // Mean meta-objective (and test accuracy) after val_steps rule steps from each fixed phi0.
  std::pair<double, double> evaluate(const Theta& theta) const;
  // The same per task (mean over its evals), NaN where the unroll failed; pc1: the share of the top
  // features' variance in their first principal component on the labelled examples (1 = collapsed).
  struct ItemResult {
    double loss = NAN, accuracy = NAN, pc1 = NAN;
  };
  std::vector<ItemResult> evaluate_items(const Theta& theta, double lambda = 0.1) const;  // lambda: ridge penalty
  // Reference points on the same tasks and readout: "init" scores the base model at phi0 (no rule step),
  // "raw" the ridge readout on the raw inputs (no base model), i.e. what the rule's features have to beat.
  // lambda: the ridge penalty (the MetaObjective's 0.1; on raw inputs, with more dimensions than labelled
  // examples, a larger one reads out far more: compare accuracies then, the loss includes the penalty).
  std::vector<ItemResult> evaluate_reference(const std::string& kind, double lambda = 0.1) const;
};
Validation make_validation(const MetaConfig& cfg, const TaskData& data, at::Device device);

std::string checkpoint_format();
std::string metrics_header();
std::string metrics_row(const StepRecord& r);

}  // namespace mu
