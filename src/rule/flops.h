#pragma once
// Analytic FLOP count of one UnsupervisedUpdate application (docs/maths.md sections 15 and 17);
// a multiply-add counts 2. Kept beside the implementation so benchmarks report honest FLOP rates.
#include <cstdint>
#include <vector>

namespace mu {
// F(B) for widths N^0..N^L: B-linear part (ComputeH on every layer, TopD, error propagation, LowRR,
// Gram matrices, readouts) plus the B-independent plane matmuls.
double rule_flops(const std::vector<int64_t>& widths, int64_t B);
// Nominal meta-gradient cost: forward + reverse mode = 3 F(B) per unrolled step.
inline double meta_grad_flops(const std::vector<int64_t>& widths, int64_t B, int64_t U) {
  return 3.0 * U * rule_flops(widths, B);
}
}  // namespace mu
