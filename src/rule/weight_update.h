#pragma once
// The forward-weight update DeltaW^l (docs/maths.md section 7): 12 planes with LowRR readouts,
// merge, "do not shrink" projection and final normalisation; and the bias update (section 8).
#include <string>
#include <vector>

#include "rule/theta.h"

namespace mu {

// The fused readouts of one h (B, N, 64): delta readout (32) | bias readout (1) in one (B*N, 64) x (64, 33)
// matmul, and the 15 LowRR blocks of 4 [| 15 more for the separate V update] in one transposed
// (60, 64) x (64, B*N) matmul, instead of 17 skinny ones.
struct HReadout {
  at::Tensor delta;  // (B, N, 32)  h Theta_eW + theta_eB
  at::Tensor bias;   // (B, N)      h theta_bw + theta_bb
  // LowRR projections: 15 blocks, each a contiguous (4B, N) (unbound once, so autograd stacks their
  // gradients in one pass instead of zero-filling and adding a (15, 4B, N) tensor per block).
  std::vector<at::Tensor> lowrr;
  std::vector<at::Tensor> v_lowrr;  // 15 x (4B, N) or empty: V's own projections (identical_updates off)
};
HReadout read_h(const Theta& theta, const at::Tensor& h);

extern const char* const kPlaneNames[12];  // merge order: alphabetical code keys

struct PlaneInputs {
  at::Tensor W;                 // the matrix the update is computed from (W^l, or V^l for the paper's V)
  std::vector<at::Tensor> R_top;  // 15 x (4B, q): LowRR projections of h^l
  std::vector<at::Tensor> R_bot;  // 15 x (4B, p): LowRR projections of h^{l-1}
  at::Tensor Xt_top, Xt_bot;    // standardised activations (B, q), (B, p)
};
// The 12 planes, each (p, q), in merge order.
std::vector<at::Tensor> weight_planes(const PlaneInputs& in);
// Merge with theta_merge (prefix "" or "v."), project out the shrinking component, normalise.
at::Tensor merge_planes(const Theta& theta, const std::vector<at::Tensor>& planes, const at::Tensor& What,
                        const std::string& prefix, at::Tensor* merged = nullptr,
                        at::Tensor* projected = nullptr);

at::Tensor normalised_columns(const at::Tensor& W);  // What = W / sqrt(colmean(W^2) + 1e-6)
at::Tensor standardise(const at::Tensor& X);         // per unit over the batch, eps 1e-6
at::Tensor nu(const at::Tensor& M);                  // per-column M / sqrt(1 + colmean(M^2))

// Deltab^l from the bias readout (B, N): batch mean, shift so the mean is >= 0, normalise.
at::Tensor bias_update(const at::Tensor& bias_readout);

}  // namespace mu
