#pragma once
#include <cstdint>
// Primitive operations of the theta networks (docs/maths.md section 0.1), on channels-last tensors
// t is (A0, A1, C): [example, unit, channel] in ComputeH, so both conv directions share one layout.
#include "common/torch.h"

namespace mu::ops {

// Sonnet Conv1D, SAME padding, cross-correlation, along axis `dim` (0 = ConvBatch, 1 = ConvUnit) of
// x (A0, A1, Cin) with kernel ker [K, Cin, Cout] and bias [Cout] (may be undefined) -> (A0, A1, Cout).
// Done as K matmuls that accumulate into the output (beta = 1), each reading x shifted by one tap:
// along examples a shift is one contiguous block of the flattened rows; along units the flattened shift
// also pairs each example's edge rows with the next example's, and those few rows are subtracted again.
// No (A0, A1, K, Cout) plane buffer and nothing larger than x is kept for the backward pass.
// Under autograd it is a custom function with a hand-written backward (dx is the same accumulation with
// negated offsets and transposed taps; dKer[k] one matmul per tap); conv_along_plain is the same forward
// left to autograd, kept for the tests.
at::Tensor conv_along(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias);
at::Tensor conv_along_plain(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias);
// The im2col form (cat of K shifted views, one (A0*A1, K*Cin) @ (K*Cin, Cout) matmul); kept as the
// reference and for the benchmark that chose between the two.
at::Tensor conv_along_im2col(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias);

// theta BN: for each channel, mean and population variance over the two leading axes together,
// (t - mu) / sqrt(var + 1e-3) + beta; no scale; always batch statistics.
at::Tensor bn_lead(const at::Tensor& t, const at::Tensor& beta, double eps = 1e-3);

// ConvBN block: nonlin(bn_lead(conv_along(x, dim, ker, <bias>), beta)). The conv's bias is left out: a
// per-channel constant before a batch-statistics BN cancels exactly (its gradient is exactly zero), and
// adding it costs a full pass over the output. The bias parameters stay in theta (the 114,670 count).
at::Tensor conv_bn(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& beta, bool smooth);

// The theta networks' nonlinearity: ReLU (the code), or softplus for finite-difference checks.
at::Tensor nonlin(const at::Tensor& t, bool smooth);

// y = x @ w + b over the last axis of x (..., Cin) -> (..., Cout).
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);

}  // namespace mu::ops
