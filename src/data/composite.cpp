#include "data/composite.h"

#include <cstdint>
#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace mu::data {
namespace {
double uniform(at::Generator& g, double lo = 0, double hi = 1) {
  return lo + (hi - lo) * at::rand({1}, g, at::TensorOptions().dtype(at::kDouble)).item<double>();
}
// A random colour, desaturated towards its grey by a random amount (scenes are seldom pure saturated hues).
at::Tensor colour(at::Generator& g) {
  at::Tensor c = at::rand({3, 1, 1}, g);
  at::Tensor grey = c.mean(0, true);
  return grey + (c - grey) * uniform(g);
}
}  // namespace

at::Tensor premultiply(const at::Tensor& rgba_u8) {
  MU_CHECK(rgba_u8.dim() == 3 && rgba_u8.size(2) == 4, "premultiply: expected (H, W, 4) RGBA");
  at::Tensor x = rgba_u8.to(at::kFloat).div(255.f).permute({2, 0, 1}).contiguous();  // (4, H, W)
  at::Tensor a = x.slice(0, 3, 4);
  return at::cat({x.slice(0, 0, 3) * a, a}, 0);
}

at::Tensor trim_object(const at::Tensor& rgba, double min_alpha, int64_t max_side) {
  MU_CHECK(rgba.dim() == 3 && rgba.size(0) == 4, "trim_object: expected (4, H, W)");
  at::Tensor on = rgba[3].gt(min_alpha);
  at::Tensor rows = on.any(1).nonzero(), cols = on.any(0).nonzero();
  if (rows.numel() == 0) return {};
  int64_t y0 = rows.min().item<int64_t>(), y1 = rows.max().item<int64_t>() + 1;
  int64_t x0 = cols.min().item<int64_t>(), x1 = cols.max().item<int64_t>() + 1;
  at::Tensor o = rgba.slice(1, y0, y1).slice(2, x0, x1).contiguous();
  int64_t h = o.size(1), w = o.size(2), m = std::max(h, w);
  if (m > max_side) {
    int64_t th = std::max<int64_t>(1, std::lround(double(h) * max_side / m));
    int64_t tw = std::max<int64_t>(1, std::lround(double(w) * max_side / m));
    o = at::adaptive_avg_pool2d(o.unsqueeze(0), {th, tw}).squeeze(0).contiguous();
  }
  return o;
}

at::Tensor composite_over(const at::Tensor& fg, const at::Tensor& bg) {
  MU_CHECK(fg.dim() == 3 && fg.size(0) == 4 && bg.dim() == 3 && bg.size(0) == 3 && fg.size(1) == bg.size(1) &&
               fg.size(2) == bg.size(2),
           "composite_over: expected fg (4, H, W) and bg (3, H, W)");
  return fg.slice(0, 0, 3) + (1 - fg.slice(0, 3, 4)) * bg;
}

at::Tensor make_background(int kind, int64_t side, at::Generator& g) {
  at::TensorOptions f = at::TensorOptions().dtype(at::kFloat);
  switch (kind) {
    case 0:
      return colour(g).expand({3, side, side}).contiguous();
    case 1: {
      at::Tensor a = colour(g), b = colour(g);
      double th = uniform(g, 0, 2 * M_PI);
      at::Tensor c = (at::arange(side, f) + 0.5) / side - 0.5;  // pixel centres in [-0.5, 0.5]
      at::Tensor t = c.view({1, side}) * std::cos(th) + c.view({side, 1}) * std::sin(th);
      t = (t - t.min()) / (t.max() - t.min()).clamp_min(1e-6);  // (side, side) in [0, 1]
      return (a * (1 - t) + b * t).contiguous();
    }
    case 2: {
      int64_t cells = 2 + static_cast<int64_t>(uniform(g) * 6);  // 2..7
      double amp = uniform(g, 0.15, 0.5);
      at::Tensor base = colour(g);
      at::Tensor noise = (at::rand({1, 3, cells, cells}, g) - 0.5) * (2 * amp);
      noise = at::upsample_bilinear2d(noise, {side, side}, false).squeeze(0);
      return (base + noise).clamp(0, 1).contiguous();
    }
    case 3:
      return at::zeros({3, side, side}, f);
  }
  throw Error("make_background: unknown kind " + std::to_string(kind));
}

PlaceParams draw_place(at::Generator& g, double min_scale, double max_scale, double max_shift, bool allow_flip) {
  PlaceParams p;
  p.scale = uniform(g, min_scale, max_scale);
  p.dx = uniform(g, -max_shift, max_shift);
  p.dy = uniform(g, -max_shift, max_shift);
  p.flip = allow_flip && uniform(g) < 0.5;
  p.background = std::min(2, static_cast<int>(uniform(g) * 3));
  return p;
}

at::Tensor render_example(const at::Tensor& object, const PlaceParams& p, int64_t side, at::Generator& g,
                          int64_t super) {
  MU_CHECK(object.defined() && object.dim() == 3 && object.size(0) == 4, "render_example: expected (4, h, w)");
  const int64_t S = side * super;
  int64_t h = object.size(1), w = object.size(2), m = std::max(h, w);
  double L = p.scale * S;
  int64_t th = std::max<int64_t>(1, std::lround(h * L / m)), tw = std::max<int64_t>(1, std::lround(w * L / m));
  at::Tensor o = th == h && tw == w ? object
                 : th <= h && tw <= w
                     ? at::adaptive_avg_pool2d(object.unsqueeze(0), {th, tw}).squeeze(0)
                     : at::upsample_bilinear2d(object.unsqueeze(0), {th, tw}, false).squeeze(0);
  if (p.flip) o = o.flip({2});
  int64_t y0 = std::lround((S - th) / 2.0 + p.dy * S), x0 = std::lround((S - tw) / 2.0 + p.dx * S);
  at::Tensor fg = at::zeros({4, S, S});
  int64_t fy0 = std::max<int64_t>(0, y0), fy1 = std::min<int64_t>(S, y0 + th);
  int64_t fx0 = std::max<int64_t>(0, x0), fx1 = std::min<int64_t>(S, x0 + tw);
  if (fy0 < fy1 && fx0 < fx1)
    fg.slice(1, fy0, fy1).slice(2, fx0, fx1).copy_(o.slice(1, fy0 - y0, fy1 - y0).slice(2, fx0 - x0, fx1 - x0));
  at::Tensor img = composite_over(fg, make_background(p.background, S, g));
  if (super > 1) img = at::avg_pool2d(img.unsqueeze(0), {super, super}).squeeze(0);
  return img.clamp(0, 1).mul(255).round().to(at::kByte).permute({1, 2, 0}).contiguous();
}

at::Tensor to_grey(const at::Tensor& rgb_u8) {
  MU_CHECK(rgb_u8.size(-1) == 3, "to_grey: last dimension must be 3 (RGB)");
  at::Tensor w = at::tensor({0.299f, 0.587f, 0.114f});
  return (rgb_u8.to(at::kFloat) * w).sum(-1).round().clamp(0, 255).to(at::kByte);
}

}  // namespace mu::data
