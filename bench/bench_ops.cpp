// The lever of build-notes.md section 3: convolution along the example or unit axis of a (B, N, 64)
// ComputeH tensor, as shifted-output matmul with the hand-written backward (used), the same forward left
// to autograd (the previous form), im2col matmul, or oneDNN conv1d on a permuted copy. Forward + backward,
// and forward alone under InferenceMode (the inner step), reference-size shapes.
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include "common/random.h"
#include "rule/ops.h"

namespace {
enum Form { kShifted, kShiftedAutograd, kIm2col, kConv1d };
const char* kNames[] = {"shifted", "shifted-autograd", "im2col", "conv1d"};

at::Tensor conv(int form, const at::Tensor& x, int64_t dim, const at::Tensor& k, const at::Tensor& b) {
  if (form == kShifted) return mu::ops::conv_along(x, dim, k, b);
  if (form == kShiftedAutograd) return mu::ops::conv_along_plain(x, dim, k, b);
  if (form == kIm2col) return mu::ops::conv_along_im2col(x, dim, k, b);
  // conv1d wants (batch, C, length): move the conv axis last, the other one first
  at::Tensor xc = (dim == 0 ? x.permute({1, 2, 0}) : x.permute({0, 2, 1})).contiguous();
  at::Tensor y = at::conv1d(xc, k.permute({2, 1, 0}), b, 1, (k.size(0) - 1) / 2);
  return dim == 0 ? y.permute({2, 0, 1}) : y.permute({0, 2, 1});
}

void BM_Conv(benchmark::State& st) {
  const int form = st.range(0), dim = st.range(1), B = st.range(2), N = st.range(3);
  at::Generator g = mu::make_generator(0);
  at::Tensor x = at::randn({B, N, 64}, g).set_requires_grad(true);
  at::Tensor k = (at::randn({3, 64, 64}, g) * 0.1).set_requires_grad(true), b = at::zeros({64});
  for (auto _ : st) {
    at::Tensor y = conv(form, x, dim, k, b);
    auto gr = torch::autograd::grad({y.sum()}, {x, k});
    benchmark::DoNotOptimize(gr[0]);
  }
  st.counters["GFLOPs"] = benchmark::Counter(3 * 2.0 * B * N * 3 * 64 * 64, benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(std::string(kNames[form]) + (dim == 0 ? " along examples" : " along units"));
}

void BM_ConvForward(benchmark::State& st) {
  const int form = st.range(0), dim = st.range(1), B = st.range(2), N = st.range(3);
  c10::InferenceMode guard;
  at::Generator g = mu::make_generator(0);
  at::Tensor x = at::randn({B, N, 64}, g), k = at::randn({3, 64, 64}, g) * 0.1, b = at::zeros({64});
  for (auto _ : st) benchmark::DoNotOptimize(conv(form, x, dim, k, b));
  st.counters["GFLOPs"] = benchmark::Counter(2.0 * B * N * 3 * 64 * 64, benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(std::string(kNames[form]) + (dim == 0 ? " along examples" : " along units"));
}
}  // namespace

BENCHMARK(BM_Conv)
    ->ArgsProduct({{kShifted, kShiftedAutograd, kIm2col, kConv1d}, {0, 1}, {128}, {128}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvForward)
    ->ArgsProduct({{kShifted, kIm2col, kConv1d}, {0, 1}, {32, 128}, {128}})
    ->Unit(benchmark::kMillisecond);

// Lever for the theta BN + ReLU (ComputeH's second cost after the matmuls): ATen's batch_norm on the
// (rows, C) view vs var_mean + one fused scale-shift (addcmul) + in-place ReLU. Forward, InferenceMode.
namespace {
void BM_BnRelu(benchmark::State& st) {
  const int form = st.range(0), R = st.range(1);
  c10::InferenceMode guard;
  at::Generator g = mu::make_generator(0);
  at::Tensor x = at::randn({R, 64}, g) * 3 + 1, beta = at::randn({64}, g);
  for (auto _ : st) {
    at::Tensor y;
    if (form == 0) {
      y = at::relu(at::batch_norm(x, {}, beta, {}, {}, true, 0.0, 1e-3, false));
    } else {
      auto vm = at::var_mean(x, {0}, /*unbiased=*/false);
      at::Tensor rstd = at::rsqrt(std::get<0>(vm) + 1e-3);
      y = at::addcmul(beta - std::get<1>(vm) * rstd, x, rstd).relu_();
    }
    benchmark::DoNotOptimize(y);
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * R * 64 * 4);
  st.SetLabel(form == 0 ? "aten batch_norm + relu" : "var_mean + addcmul + relu_");
}
}  // namespace
BENCHMARK(BM_BnRelu)->ArgsProduct({{0, 1}, {4096, 16384}})->Unit(benchmark::kMicrosecond);
