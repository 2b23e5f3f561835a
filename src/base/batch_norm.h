#pragma once
// Batch norm as the base model's layers and theta's convolutions both use it.
#include "common/torch.h"

namespace mu {

// x (R, C): each channel normalised by its batch statistics over the R rows (biased variance, eps), unit
// scale, then offset by beta (C).
at::Tensor batch_norm_offset(const at::Tensor& x, const at::Tensor& beta, double eps);

}  // namespace mu
