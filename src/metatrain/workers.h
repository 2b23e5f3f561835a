#pragma once
// Workers: they run truncated unrolls on persistent per-slot tasks and hand the learner WorkOutputs.
//  * unroll_every_slot (deterministic mode): one unroll per slot with the same theta, computed by K threads,
//    returned in slot order, so the learner combines them in a fixed order.
//  * ThreadWorkers (async mode): one thread per slot loops on its own task with the newest published theta;
//    results arrive in a bounded queue, tagged with the theta version they were computed from.
//  * RemoteWorkers: workers outside this process (the MPI engine, metatrain/mpi.h) delivering into the same
//    queue.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "metatrain/config.h"
#include "metatrain/gradient_estimator.h"
#include "metatrain/tasks.h"
#include "metatrain/truncation.h"

namespace mu {

// A slot's persistent task state: the current task is re-derived from (seed, slot, serial, task_step).
struct SlotState {
  int64_t serial = -1;    // tasks begun by this slot (-1: none yet)
  int64_t task_step = 0;  // meta-step when the current task began (sets its truncation count)
  int64_t unrolls = 0;    // unrolls done in the current task
  bool active = false;    // false: the next unroll begins a new task
  Phi phi;
  TaskInstance task;        // cache (not serialised)
  int64_t truncations = 1;  // cache: the schedule's init(task, task_step)
};

struct WorkOutput {
  bool ok = false;  // false: non-finite loss / gradient / state: dropped, task restarted
  UnrollResult result;
  int64_t U = 0;
  std::string why;  // reason when !ok
};

struct WorkContext {
  MetaConfig cfg;
  const TaskData* data = nullptr;
  at::Device device = at::kCPU;
  std::function<void(int64_t step, int64_t slot, UnrollResult&)> tamper;  // fault injection (tests)
  std::shared_ptr<const GradientEstimator> estimator;
  std::shared_ptr<const TruncationSchedule> schedule;
};
// The config's estimator (make_gradient_estimator) and schedule (CurriculumTruncation).
WorkContext make_work_context(const MetaConfig& cfg, const TaskData& data, at::Device device,
                              std::function<void(int64_t, int64_t, UnrollResult&)> tamper = {});

// Re-derives slot `slot`'s current task from (serial, task_step): task, truncation count and its initial phi.
void derive_task(const WorkContext& ctx, SlotState& s, int64_t slot);
// One truncated unroll on `slot`'s task (starting a new task when needed) with `theta` at meta-step `step`.
WorkOutput run_unroll(const WorkContext& ctx, SlotState& s, int64_t slot, const Theta& theta, int64_t step);

// Deterministic mode: slot j's unroll runs on thread j % threads (each with `intra` intra-op threads when
// threads > 1); a worker's exception is rethrown here.
std::vector<WorkOutput> unroll_every_slot(const WorkContext& ctx, std::vector<SlotState>& slots, const Theta& theta,
                                          int64_t step, int threads, int intra);

// Workers outside this process (the MPI engine): started with a sink for their results and a source of
// the newest theta, stopped when training ends. Their slots are not checkpointed (they start new tasks).
struct RemoteWorkers {
  using Deliver = std::function<void(WorkOutput out, int64_t version)>;
  using Current = std::function<std::pair<std::shared_ptr<const Theta>, int64_t>()>;
  virtual ~RemoteWorkers() = default;
  virtual void start(Deliver deliver, Current current) = 0;
  virtual void stop() = 0;
};

class ThreadWorkers {
 public:
  struct Result {
    WorkOutput out;
    int64_t version = 0;  // the theta version it was computed from
    size_t slot = SIZE_MAX;  // SIZE_MAX: a remote worker's
    SlotState snapshot;      // the slot's state after this unroll (what a checkpoint stores)
  };
  // One thread per slot (each with `intra` intra-op threads); at most queue_cap results wait for the learner.
  ThreadWorkers(const WorkContext& ctx, std::vector<SlotState> slots, size_t queue_cap, int intra,
                RemoteWorkers* remote);
  ~ThreadWorkers() { stop(); }
  ThreadWorkers(const ThreadWorkers&) = delete;
  ThreadWorkers& operator=(const ThreadWorkers&) = delete;
  void start(std::shared_ptr<const Theta> theta, int64_t version);
  // The next result, waiting up to `wait`; rethrows a worker's exception.
  std::optional<Result> pop(std::chrono::milliseconds wait);
  // Unrolls begun from now on use this theta.
  void publish(std::shared_ptr<const Theta> theta, int64_t version);
  // Ends every worker (idempotent); unrolls in flight finish first.
  void stop();

 private:
  void loop(size_t w);
  const WorkContext& ctx_;
  std::vector<SlotState> slots_;
  const size_t queue_cap_;
  const int intra_;
  RemoteWorkers* remote_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Result> queue_;
  bool started_ = false, done_ = false, stopped_ = false;
  std::shared_ptr<const Theta> current_;
  int64_t version_ = 0;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace mu
