#include "data/prep.h"

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "common/error.h"
#include "common/random.h"

namespace mu::data {

Resize parse_resize(const std::string& s) {
  if (s == "decimate") return Resize::Decimate;
  if (s == "area") return Resize::Area;
  throw Error("unknown resize mode '" + s + "'; use decimate or area");
}
const char* resize_name(Resize r) { return r == Resize::Decimate ? "decimate" : "area"; }

namespace {
// TF-1 legacy bilinear along one axis: src = i * in / out, lerp between floor(src) and floor(src)+1.
at::Tensor bilinear_axis(const at::Tensor& x, int64_t axis, int64_t out) {
  int64_t in = x.size(axis);
  std::vector<int64_t> i0(out), i1(out);
  std::vector<float> w(out);
  bool exact = true;
  for (int64_t i = 0; i < out; ++i) {
    double src = static_cast<double>(i) * in / out;
    int64_t f = static_cast<int64_t>(std::floor(src));
    i0[i] = f;
    i1[i] = std::min(f + 1, in - 1);
    w[i] = static_cast<float>(src - f);
    exact = exact && w[i] == 0.f;
  }
  at::Tensor a = x.index_select(axis, at::tensor(i0, at::kLong));
  if (exact) return a;  // integer factor: pure decimation
  at::Tensor b = x.index_select(axis, at::tensor(i1, at::kLong));
  std::vector<int64_t> shape(x.dim(), 1);
  shape[axis] = out;
  at::Tensor wt = at::tensor(w, at::kFloat).reshape(shape);
  return a + (b - a) * wt;
}
}  // namespace

at::Tensor resize_images(const at::Tensor& x, int64_t out, Resize mode) {
  MU_CHECK(x.dim() == 3 || x.dim() == 4, "resize_images: expected (n, H, W) or (n, H, W, C)");
  MU_CHECK(out > 0, fmt::format("resolution must be positive (got {})", out));
  if (x.size(1) == out && x.size(2) == out) return x;
  if (mode == Resize::Decimate || out > x.size(1) || out > x.size(2))
    return bilinear_axis(bilinear_axis(x, 1, out), 2, out).contiguous();
  // Area: pool over (H, W) as (n, C, H, W).
  at::Tensor nchw = x.dim() == 3 ? x.unsqueeze(1) : x.permute({0, 3, 1, 2});
  at::Tensor p = at::adaptive_avg_pool2d(nchw, {out, out});
  return (x.dim() == 3 ? p.squeeze(1) : p.permute({0, 2, 3, 1})).contiguous();
}

std::pair<at::Tensor, at::Tensor> stratified_split(const at::Tensor& y, int64_t classes, double test_fraction,
                                                   uint64_t seed) {
  MU_CHECK(test_fraction > 0 && test_fraction < 1, "stratified_split: test fraction must be in (0, 1)");
  at::Tensor yc = y.to(at::kLong).contiguous();
  const int64_t* py = yc.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> by_class(classes);
  for (int64_t i = 0; i < yc.numel(); ++i) by_class.at(py[i]).push_back(i);
  // Largest remainder: per-class test counts that sum to round(test_fraction * n) exactly.
  std::vector<int64_t> take(classes);
  std::vector<std::pair<double, int64_t>> rem;
  int64_t total = 0;
  for (int64_t c = 0; c < classes; ++c) {
    double want = test_fraction * by_class[c].size();
    take[c] = static_cast<int64_t>(std::floor(want));
    total += take[c];
    rem.push_back({want - take[c], c});
  }
  int64_t target = std::llround(test_fraction * yc.numel());
  std::stable_sort(rem.begin(), rem.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t k = 0; k < rem.size() && total < target; ++k, ++total) take[rem[k].second]++;
  at::Generator gen = make_generator(seed);
  std::vector<int64_t> tr, te;
  for (int64_t c = 0; c < classes; ++c) {
    int64_t m = by_class[c].size();
    if (m == 0) continue;
    at::Tensor perm = at::randperm(m, gen, at::TensorOptions().dtype(at::kLong));
    const int64_t* pp = perm.data_ptr<int64_t>();
    for (int64_t k = 0; k < m; ++k) (k < take[c] ? te : tr).push_back(by_class[c][pp[k]]);
  }
  std::sort(tr.begin(), tr.end());
  std::sort(te.begin(), te.end());
  return {at::tensor(tr, at::kLong), at::tensor(te, at::kLong)};
}

Dataset subset(const Dataset& d, const at::Tensor& idx) {
  Dataset s = d;
  s.x = d.x.index_select(0, idx).contiguous();
  s.y = d.y.index_select(0, idx).contiguous();
  return s;
}

Dataset image_dataset(const std::string& name, const at::Tensor& images_u8, const at::Tensor& labels,
                      std::vector<std::string> class_names, int64_t resolution, Resize mode) {
  MU_CHECK(images_u8.dim() == 3 || images_u8.dim() == 4, name + ": images must be (n, H, W) or (n, H, W, C)");
  MU_CHECK(labels.dim() == 1 && labels.size(0) == images_u8.size(0),
           fmt::format("{}: {} labels for {} images", name, labels.numel(), images_u8.size(0)));
  at::Tensor x = images_u8.to(at::kFloat).div_(255.f);
  if (resolution > 0) x = resize_images(x, resolution, mode);
  Dataset d;
  d.name = name;
  d.image_shape = {x.size(1), x.size(2)};
  if (x.dim() == 4) d.image_shape.push_back(x.size(3));
  d.x = x.reshape({x.size(0), -1}).contiguous();
  d.y = labels.to(at::kLong).contiguous();
  d.class_names = std::move(class_names);
  check_labels(d.y, d.classes(), name);
  return d;
}

void check_finite(const at::Tensor& x, const std::string& what) {
  at::Tensor bad = at::logical_not(at::isfinite(x));
  int64_t n = bad.sum().item<int64_t>();
  if (n == 0) return;
  at::Tensor first = bad.reshape({-1}).nonzero()[0][0];
  int64_t flat = first.item<int64_t>();
  int64_t cols = x.dim() >= 2 ? x.numel() / x.size(0) : 1;
  throw Error(fmt::format("{}: {} NaN/inf value(s), first at row {} column {}; clean the data first", what, n,
                          flat / cols, flat % cols));
}

void check_labels(const at::Tensor& y, int64_t classes, const std::string& what) {
  if (y.numel() == 0) return;
  int64_t lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
  MU_CHECK(lo >= 0 && hi < classes,
           fmt::format("{}: labels span [{}, {}], expected [0, {})", what, lo, hi, classes));
}

}  // namespace mu::data
