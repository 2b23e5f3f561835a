#pragma once
// The meta-gradient's noise scale: how many tasks one meta-batch needs before its direction is mostly
// signal (McCandlish et al. 2018, "An empirical model of large-batch training", appendix A). From K
// independent per-task meta-gradients g_i (P entries each) at a fixed theta:
//   gbar = mean_i g_i,   tr(Sigma) = sum_i |g_i - gbar|^2 / (K - 1)        (per-task variance, summed over P)
//   |G|^2 = |gbar|^2 - tr(Sigma) / K                                        (unbiased: the true gradient's norm^2)
//   B_simple = tr(Sigma) / |G|^2                                            (the meta-batch where noise = signal)
// A meta-batch B averages away noise only while B << B_simple; far below it each step is mostly noise and
// progress per task is the same at any batch; far above it more tasks per step are wasted.
#include <cstdint>
#include <vector>

#include "common/torch.h"
#include "metatrain/config.h"
#include "metatrain/tasks.h"

namespace mu {

struct NoiseScale {
  int64_t samples = 0;
  double grad_sq = 0;      // |G|^2 (can come out <= 0 when the signal is below what K samples resolve)
  double trace_sigma = 0;  // tr(Sigma)
  double b_simple = 0;     // tr(Sigma) / |G|^2; +inf when |G|^2 <= 0
  double mean_cosine = 0;  // mean cosine between two different tasks' gradients
  double b_lo = 0, b_hi = 0;  // 10th and 90th percentiles of B_simple over bootstrap resamples of the tasks,
                              // re-centred on b_simple (resampling biases it low)
};
// gram: (K, K) double, gram[i][j] = <g_i, g_j>, K >= 2. `bootstrap` resamples with `seed` (0: no interval).
NoiseScale noise_scale(const at::Tensor& gram, int64_t bootstrap = 1000, uint64_t seed = 0);

struct NoiseProbe {
  NoiseScale scale;
  at::Tensor gram;                 // (K, K) double: the kept tasks' gradient inner products
  std::vector<double> loss, norm;  // per kept task: meta-loss and |g_i| of the measured unroll
  std::vector<int64_t> depth;      // per kept task: unrolls run before the measured one
  int64_t dropped = 0;             // tasks lost to a non-finite loss, gradient or state
};
// `tasks` tasks from cfg's distribution at meta-step `step` (its curriculum), drawn with `seed` apart from
// training's; each runs `theta` through a uniform random number of its truncated unrolls, as training meets
// them, then one meta-gradient is taken. `workers` threads share the tasks. Needs at least two kept tasks.
NoiseProbe probe_noise_scale(const MetaConfig& cfg, const TaskData& data, const Theta& theta, int64_t tasks,
                             int64_t step, int workers, uint64_t seed);

}  // namespace mu
