#pragma once
// TopD (docs/maths.md section 4): the top-down signal d^L (B, N^L, 32) from the embedding X^L (B, N^L).
#include "rule/theta.h"
#include "rule/trace.h"

namespace mu {
at::Tensor top_d(const Theta& theta, const at::Tensor& xL, Trace* trace = nullptr);
}  // namespace mu
