#pragma once
// Truncation schedule: how a task's inner training is cut into truncated unrolls. `init` begins a task (how
// many truncations it lasts), `next` gives the length U of its next truncation, `finished` says when the task
// is done (the slot then begins a new one). Both draws come from seeds the caller derives from (run seed,
// slot, task serial, unroll index), so a checkpoint stores counters only.
//
// CurriculumTruncation is the paper's schedule (docs/maths.md 13.1): truncations 1 + floor(|N(0, std)|) with
// std widening over the curriculum (MetaConfig::trunc_std), capped at trunc_max; U uniform over
// MetaConfig::unroll_range(step), a range that widens over the same curriculum.
#include <cstdint>

#include "data/task_sampler.h"
#include "metatrain/config.h"

namespace mu {

class TruncationSchedule {
 public:
  virtual ~TruncationSchedule() = default;
  // Truncated unrolls (>= 1) the task begun at meta-step `step` lasts; a function of (task.seed, step).
  virtual int64_t init(const data::Task& task, int64_t step) const = 0;
  // Length U (>= 1) of the next truncation at meta-step `step`, drawn from `seed`.
  virtual int64_t next(int64_t step, uint64_t seed) const = 0;
  // A task that has done `unrolls` of its `truncations` is finished.
  static bool finished(int64_t truncations, int64_t unrolls) { return unrolls >= truncations; }
};

class CurriculumTruncation final : public TruncationSchedule {
 public:
  explicit CurriculumTruncation(const MetaConfig& cfg) : cfg_(cfg) {}
  int64_t init(const data::Task& task, int64_t step) const override;
  int64_t next(int64_t step, uint64_t seed) const override;

 private:
  MetaConfig cfg_;
};

}  // namespace mu
