#include "metatrain/workers.h"

#include <cmath>

#include <ATen/Parallel.h>

#include "common/error.h"
#include "common/random.h"
#include "metatrain/learner.h"

namespace mu {

WorkContext make_work_context(const MetaConfig& cfg, const TaskData& data, at::Device device,
                              std::function<void(int64_t, int64_t, UnrollResult&)> tamper) {
  WorkContext ctx{cfg, &data, device, std::move(tamper), make_gradient_estimator(cfg), nullptr};
  ctx.schedule = std::make_shared<const CurriculumTruncation>(cfg);
  return ctx;
}

void derive_task(const WorkContext& ctx, SlotState& s, int64_t slot) {
  s.task = sample_task(ctx.cfg, *ctx.data, derive_seed(ctx.cfg.seed, 1, uint64_t(slot), uint64_t(s.serial)));
  s.truncations = ctx.schedule->init(s.task, s.task_step);
  s.phi = task_phi(s.task, ctx.device);
}

namespace {
void begin_task(const WorkContext& ctx, SlotState& s, int64_t slot, int64_t step) {
  ++s.serial;
  s.task_step = step;
  s.unrolls = 0;
  derive_task(ctx, s, slot);
  s.active = true;
}
}  // namespace

WorkOutput run_unroll(const WorkContext& ctx, SlotState& s, int64_t slot, const Theta& theta, int64_t step) {
  MU_CHECK(ctx.data && ctx.estimator && ctx.schedule, "run_unroll: the work context is incomplete");
  if (!s.active || TruncationSchedule::finished(s.truncations, s.unrolls)) begin_task(ctx, s, slot, step);
  WorkOutput out;
  uint64_t us = derive_seed(derive_seed(ctx.cfg.seed, 2, uint64_t(slot), uint64_t(s.serial)), uint64_t(s.unrolls));
  out.U = ctx.schedule->next(step, us);
  UnrollBatches ub = sample_unroll(ctx.cfg, *ctx.data, s.task, out.U, derive_seed(us, 3));
  try {
    out.result = ctx.estimator->estimate(theta, s.phi, ub);
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

std::vector<WorkOutput> unroll_every_slot(const WorkContext& ctx, std::vector<SlotState>& slots, const Theta& theta,
                                          int64_t step, int threads, int intra) {
  std::vector<WorkOutput> outs(slots.size());
  std::vector<std::exception_ptr> errs(static_cast<size_t>(threads));
  auto work = [&](int w) {
    if (threads > 1) at::set_num_threads(intra);
    try {
      for (size_t j = size_t(w); j < slots.size(); j += size_t(threads))
        outs[j] = run_unroll(ctx, slots[j], int64_t(j), theta, step);
    } catch (...) {
      errs[size_t(w)] = std::current_exception();
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> ts;
    for (int w = 0; w < threads; ++w) ts.emplace_back(work, w);
    for (auto& t : ts) t.join();
  }
  for (auto& e : errs)
    if (e) std::rethrow_exception(e);
  return outs;
}

// ---------------------------------------------------------------- async
ThreadWorkers::ThreadWorkers(const WorkContext& ctx, std::vector<SlotState> slots, size_t queue_cap, int intra,
                             RemoteWorkers* remote)
    : ctx_(ctx), slots_(std::move(slots)), queue_cap_(queue_cap), intra_(intra), remote_(remote) {}

void ThreadWorkers::start(std::shared_ptr<const Theta> theta, int64_t version) {
  current_ = std::move(theta), version_ = version;
  started_ = true;
  for (size_t w = 0; w < slots_.size(); ++w) threads_.emplace_back([this, w] { loop(w); });
  if (!remote_) return;
  remote_->start(
      [this](WorkOutput out, int64_t ver) {
        std::lock_guard<std::mutex> lk(mu_);
        queue_.push_back(Result{std::move(out), ver, SIZE_MAX, SlotState{}});
        cv_.notify_all();
      },
      [this] {
        std::lock_guard<std::mutex> lk(mu_);
        return std::make_pair(current_, version_);
      });
}

void ThreadWorkers::loop(size_t w) {
  at::set_num_threads(intra_);
  try {
    for (;;) {
      std::shared_ptr<const Theta> th;
      int64_t ver;
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (done_) return;
        th = current_, ver = version_;
      }
      WorkOutput out = run_unroll(ctx_, slots_[w], int64_t(w), *th, ver);
      std::unique_lock<std::mutex> lk(mu_);
      // Bounded queue: while the learner is busy (validation, checkpoints) the workers wait instead of
      // piling up gradients that would all be stale by the time the learner reads them (cpu1: 62 of
      // them dropped after one 40 s validation).
      cv_.wait(lk, [&] { return done_ || queue_.size() < queue_cap_; });
      if (done_) return;
      queue_.push_back(Result{std::move(out), ver, w, slots_[w]});
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lk(mu_);
    if (!error_) error_ = std::current_exception();
    cv_.notify_all();
  }
}

std::optional<ThreadWorkers::Result> ThreadWorkers::pop(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, wait, [&] { return !queue_.empty() || error_; });
  if (error_) std::rethrow_exception(error_);
  if (queue_.empty()) return std::nullopt;
  Result r = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();  // a worker may be waiting for room in the queue
  return r;
}

void ThreadWorkers::publish(std::shared_ptr<const Theta> theta, int64_t version) {
  std::lock_guard<std::mutex> lk(mu_);
  current_ = std::move(theta), version_ = version;
}

void ThreadWorkers::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopped_) return;
    stopped_ = done_ = true;
    cv_.notify_all();
  }
  if (remote_ && started_) remote_->stop();
  for (auto& t : threads_) t.join();
}

}  // namespace mu
