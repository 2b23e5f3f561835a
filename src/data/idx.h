#pragma once
// IDX files (LeCun's MNIST format), plain or gzipped: magic 0x0000TTNN (TT = element type, NN = number
// of dimensions), NN big-endian uint32 dimensions, then the elements big-endian, row-major.
#include <string>

#include "common/torch.h"

namespace mu::data {

// Reads the whole file. Element types: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64.
// Throws mu::Error naming the file for: missing file, gzip errors, bad magic, zero or absurd dimensions,
// truncated body, trailing bytes.
at::Tensor read_idx(const std::string& path);
// Writes u8 / i32 / f32 / f64 tensors; gzips when `gzip` (tests build fixtures with this).
void write_idx(const std::string& path, const at::Tensor& t, bool gzip = false);

}  // namespace mu::data
