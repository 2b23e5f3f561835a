#pragma once
#include <string>

#include "common/torch.h"

namespace mu {
// NumPy .npy (format 1.0, C order, little-endian) for float32/64, int32/64, uint8 and bool tensors.
void save_npy(const std::string& path, const at::Tensor& t);
// Throws mu::Error on a missing file, bad magic, Fortran order, unknown dtype or a truncated body.
at::Tensor load_npy(const std::string& path);
}  // namespace mu
