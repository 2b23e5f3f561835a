#pragma once
// UnsupervisedUpdate (docs/maths.md section 3): one application of the learned rule to phi on an
// unlabelled batch. Differentiable with respect to theta (and phi) when they require grad.
#include <vector>

#include "base/base_model.h"
#include "rule/theta.h"
#include "rule/trace.h"

namespace mu {

struct Update {
  std::vector<at::Tensor> dW;  // DeltaW^l, (N^{l-1}, N^l)
  std::vector<at::Tensor> dV;  // DeltaV^l: same tensors as dW with identical_updates
  std::vector<at::Tensor> db;  // Deltab^l, (N^l)
};

// Delta for every layer (sections 4-8). x is (B, N^0) raw (unpermuted) input; B >= 2, finite.
Update compute_update(const Theta& theta, const Phi& phi, const at::Tensor& x, Trace* trace = nullptr);
// The phi step of section 9: x <- (1 - eta) x - eta * Delta. Throws (leaving phi untouched) if non-finite.
Phi apply_update(const Phi& phi, const Update& u, double eta);
// compute_update + apply_update.
Phi unsupervised_step(const Theta& theta, const Phi& phi, const at::Tensor& x, Trace* trace = nullptr);

}  // namespace mu
