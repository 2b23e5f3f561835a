#include "rule/flops.h"

#include <cstdint>
#include <cstddef>

namespace mu {

double rule_flops(const std::vector<int64_t>& N, int64_t B) {
  const double c_H = 142900.0;  // 6 convs (140,160) + BN/ReLU/residual (~2,700) per (unit, example)
  const double NL = double(N.back());
  double per_b = 0, fixed = 0, sumN = 0;
  for (int64_t n : N) sumN += double(n);
  per_b += c_H * sumN + NL * (64000.0 + 768.0 * NL);  // ComputeH on every layer + TopD
  for (std::size_t l = 1; l < N.size(); ++l) {
    const double p = double(N[l - 1]), q = double(N[l]);
    per_b += 92 * p * q + 26 * q * q + 16 * p * p + 3720 * p + 8540 * q;
    fixed += 8 * p * q * q + 4 * p * p * q + 186 * p * q;
  }
  return double(B) * per_b + fixed;
}

}  // namespace mu
