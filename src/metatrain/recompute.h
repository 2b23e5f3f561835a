#pragma once
// unroll_grad with recomputation: the forward pass keeps only the (small) detached states phi_0..phi_U;
// the backward pass walks t = U-1..0, recomputes step t with gradient tracking, and pulls
// dL/dphi_{t+1} back into dL/dphi_t and dL/dtheta (a vector-Jacobian product per step). Peak memory is
// one step's graph instead of U steps' graphs; the gradient equals unroll_grad's up to rounding.
#include "metatrain/unroll.h"

namespace mu {
UnrollResult unroll_grad_recompute(const Theta& theta, const Phi& phi0, const UnrollBatches& batches);
}  // namespace mu
