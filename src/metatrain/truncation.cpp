#include "metatrain/truncation.h"

#include <algorithm>
#include <cmath>

#include "common/random.h"
#include "metatrain/tasks.h"

namespace mu {

int64_t CurriculumTruncation::init(const data::Task& task, int64_t step) const {
  // The task's own stream (its seed mixed with a constant): the count is re-derived exactly on resume.
  at::Generator g = make_generator(derive_seed(task.seed, 0x7255ULL));
  double z = std::abs(at::randn({1}, g, at::kDouble).item<double>()) * cfg_.trunc_std(step);
  return std::clamp<int64_t>(1 + int64_t(std::floor(z)), 1, cfg_.trunc_max);
}

int64_t CurriculumTruncation::next(int64_t step, uint64_t seed) const {
  auto [lo, hi] = cfg_.unroll_range(step);
  at::Generator g = make_generator(seed);
  return lo + at::randint(hi - lo + 1, {1}, g, at::kLong).item<int64_t>();  // uniform over [lo, hi]
}

}  // namespace mu
