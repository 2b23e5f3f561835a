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
//
// meta_train composes the pieces: workers.h (slots, unrolls, sync and async workers) with its gradient
// estimator (gradient_estimator.h) and truncation schedule (truncation.h), learner.h (Adam, clipping,
// dropping), checkpoint.h, metrics.h and validation.h.
#include <signal.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "metatrain/checkpoint.h"
#include "metatrain/config.h"
#include "metatrain/learner.h"
#include "metatrain/metrics.h"
#include "metatrain/tasks.h"
#include "metatrain/validation.h"
#include "metatrain/workers.h"

namespace mu {

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

}  // namespace mu
