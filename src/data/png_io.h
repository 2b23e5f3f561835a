#pragma once
// Minimal libpng reading/writing for the data layer (stamps in, sample grids out).
#include <string>

#include "common/torch.h"

namespace mu::data {
// (H, W, 3) or (H, W, 4) u8 -> PNG file (written to PATH.tmp, then renamed).
void write_png(const std::string& path, const at::Tensor& rgb_u8);
// Any PNG -> (H, W, 4) u8 RGBA (palette, grey, 16-bit expanded). Throws mu::Error naming the file.
at::Tensor read_png_rgba(const std::string& path);
}  // namespace mu::data
