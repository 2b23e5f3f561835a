#include "data/show.h"

#include <cstdint>
#include <algorithm>

#include "common/error.h"
#include "data/png_io.h"

namespace mu::data {
namespace {
const uint8_t kPalette[8][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};

// First `per_class` example indices of each class, in data order.
std::vector<std::vector<int64_t>> pick(const Dataset& d, int64_t per_class, int64_t max_classes) {
  std::vector<std::vector<int64_t>> rows(std::min(d.classes(), max_classes));
  auto y = d.y.accessor<int64_t, 1>();
  for (int64_t i = 0; i < d.size(); ++i)
    if (y[i] < static_cast<int64_t>(rows.size()) && static_cast<int64_t>(rows[y[i]].size()) < per_class)
      rows[y[i]].push_back(i);
  return rows;
}
}  // namespace

void write_grid_png(const Dataset& d, const std::string& path, int64_t per_class, int64_t max_classes) {
  MU_CHECK(d.size() > 0, "data show: empty data set");
  MU_CHECK(per_class > 0 && max_classes > 0, "data show: --per-class and --max-classes must be positive");
  at::Tensor x = d.x.to(at::kFloat);
  if (d.image_shape.size() >= 2) {
    int64_t h = d.image_shape[0], w = d.image_shape[1], c = d.image_shape.size() == 3 ? d.image_shape[2] : 1;
    int64_t s = std::max<int64_t>(1, (32 + h - 1) / h), pad = 2;  // scale small images up to about 32 px
    auto rows = pick(d, per_class, max_classes);
    int64_t H = rows.size() * (h * s + pad) + pad, W = per_class * (w * s + pad) + pad;
    at::Tensor canvas = at::full({H, W, 3}, 64, at::kByte);
    for (size_t r = 0; r < rows.size(); ++r)
      for (size_t k = 0; k < rows[r].size(); ++k) {
        at::Tensor im = x[rows[r][k]].reshape({h, w, c}).clamp(0, 1).mul(255).round().to(at::kByte);
        if (c == 1) im = im.expand({h, w, 3});
        if (c == 4) im = im.slice(2, 0, 3);
        im = im.repeat_interleave(s, 0).repeat_interleave(s, 1);
        int64_t y0 = pad + r * (h * s + pad), x0 = pad + k * (w * s + pad);
        canvas.slice(0, y0, y0 + h * s).slice(1, x0, x0 + w * s).copy_(im);
      }
    write_png(path, canvas);
    return;
  }
  if (d.dim() == 2) {  // scatter
    const int64_t N = 400;
    at::Tensor canvas = at::full({N, N, 3}, 255, at::kByte);
    auto lo = std::get<0>(x.min(0)), hi = std::get<0>(x.max(0));
    at::Tensor p = ((x - lo) / (hi - lo).clamp_min(1e-9) * (N - 9) + 4).round().to(at::kLong);
    auto pa = p.accessor<int64_t, 2>();
    auto y = d.y.accessor<int64_t, 1>();
    auto cv = canvas.accessor<uint8_t, 3>();
    for (int64_t i = 0; i < d.size(); ++i)
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx)
          for (int ch = 0; ch < 3; ++ch) cv[N - 1 - (pa[i][1] + dy)][pa[i][0] + dx][ch] = kPalette[y[i] % 8][ch];
    write_png(path, canvas);
    return;
  }
  // Feature vectors: each example a column strip of its (min-max scaled) features, wrapped to 64 rows.
  auto rows = pick(d, per_class, max_classes);
  int64_t D = d.dim(), fh = std::min<int64_t>(D, 64), fw = (D + fh - 1) / fh, pad = 2;
  int64_t H = rows.size() * (fh + pad) + pad, W = per_class * (fw + pad) + pad;
  at::Tensor lo = x.min(), hi = x.max();
  at::Tensor xs = ((x - lo) / (hi - lo).clamp_min(1e-9)).mul(255).round().to(at::kByte);
  at::Tensor canvas = at::full({H, W, 3}, 64, at::kByte);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t k = 0; k < rows[r].size(); ++k) {
      at::Tensor v = at::zeros({fh * fw}, at::kByte);
      v.slice(0, 0, D).copy_(xs[rows[r][k]]);
      at::Tensor im = v.reshape({fw, fh}).t().unsqueeze(2).expand({fh, fw, 3});
      int64_t y0 = pad + r * (fh + pad), x0 = pad + k * (fw + pad);
      canvas.slice(0, y0, y0 + fh).slice(1, x0, x0 + fw).copy_(im);
    }
  write_png(path, canvas);
}

}  // namespace mu::data
