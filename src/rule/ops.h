#pragma once
// Primitive operations of the theta networks (update-rule.md section 0.1), on channels-last tensors
// t is (A0, A1, C): [example, unit, channel] in ComputeH, so both conv directions share one layout.
#include "common/torch.h"

namespace mu::ops {

// Sonnet Conv1D, SAME padding, cross-correlation, along axis `dim` (0 = ConvBatch, 1 = ConvUnit) of
// x (A0, A1, Cin) with kernel ker [K, Cin, Cout] and bias [Cout] -> (A0, A1, Cout).
// Done as one matmul x (A0*A1, Cin) @ [Ker_0 | ... | Ker_{K-1}] (Cin, K*Cout), then the K output
// planes are added with their shifts. Unlike im2col, nothing larger than x is kept for the backward pass.
// Under autograd it is a custom function with a hand-written backward (dY = the shifts spread back,
// then two matmuls); conv_along_plain is the same forward left to autograd, kept for the tests.
at::Tensor conv_along(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias);
at::Tensor conv_along_plain(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias);
// The im2col form (cat of K shifted views, one (A0*A1, K*Cin) @ (K*Cin, Cout) matmul); kept as the
// reference and for the benchmark that chose between the two.
at::Tensor conv_along_im2col(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias);

// theta BN: for each channel, mean and population variance over the two leading axes together,
// (t - mu) / sqrt(var + 1e-3) + beta; no scale; always batch statistics.
at::Tensor bn_lead(const at::Tensor& t, const at::Tensor& beta, double eps = 1e-3);

// The theta networks' nonlinearity: ReLU (the code), or softplus for finite-difference checks.
at::Tensor nonlin(const at::Tensor& t, bool smooth);

// y = x @ w + b over the last axis of x (..., Cin) -> (..., Cout).
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);

}  // namespace mu::ops
