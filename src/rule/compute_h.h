#pragma once
#include <cstdint>
// ComputeH (docs/maths.md section 5): the per-neuron hidden state h^l (B, N, 64) of layer l.
#include "rule/theta.h"

namespace mu {

struct LayerView {
  at::Tensor X, Z;   // (B, N); for the input layer Z := X
  at::Tensor d;      // (B, N, 32) top-down signal
  at::Tensor bias;   // (N) or undefined for the input layer (channel 8 is then 0)
  at::Tensor W_in;   // W^l (N^{l-1}, N), undefined for the input layer
  at::Tensor W_out;  // W^{l+1} (N, N^{l+1}), undefined for the top layer
};

// The 45 input channels per (b, j): 8 normalised weight statistics, the raw bias, then BN over (b, j)
// of [X, Z, sin, cos, d_1..d_32]. Returns (B, N, 45).
at::Tensor compute_h_features(const Theta& theta, const LayerView& v);
// Four statistics over axis `dim` of w: mean|w|, sqrt(mean w^2 + 1e-6), mean w, sqrt(popvar w + 1e-8) -> (N, 4).
at::Tensor weight_stats(const at::Tensor& w, int64_t dim);
// The conv network of section 5.2 (code form: 6 convs, 7 BNs, 2 residual unit-conv blocks). h >= 0.
at::Tensor compute_h(const Theta& theta, const LayerView& v);

}  // namespace mu
