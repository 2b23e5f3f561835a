#include "rule/compute_h.h"

#include <cstdint>
#include <cmath>

#include "rule/ops.h"

namespace mu {

at::Tensor weight_stats(const at::Tensor& w, int64_t dim) {
  at::Tensor mean = w.mean(dim, /*keepdim=*/true);
  at::Tensor var = (w - mean).pow(2).mean(dim);                        // population variance
  return at::stack({w.abs().mean(dim), at::sqrt((w * w).mean(dim) + 1e-6), mean.squeeze(dim),
                    at::sqrt(var + 1e-8)}, 1);                         // (N, 4)
}

at::Tensor compute_h_features(const Theta& th, const LayerView& v) {
  const int64_t B = v.X.size(0), N = v.X.size(1);
  auto opts = v.X.options();
  // Channels 0-3: column j of W^l (incoming); 4-7: row j of W^{l+1} (outgoing). Edge layers reuse the
  // one matrix they have for both groups.
  at::Tensor s_in = v.W_in.defined() ? weight_stats(v.W_in, 0) : weight_stats(v.W_out, 1);
  at::Tensor s_out = v.W_out.defined() ? weight_stats(v.W_out, 1) : s_in;
  at::Tensor stats = at::cat({s_in, s_out}, 1);                           // (N, 8)
  stats = stats / at::sqrt((stats * stats).mean() + 1e-6);                // one global RMS normaliser
  at::Tensor bias = v.bias.defined() ? v.bias : at::zeros({N}, opts);
  // Positional code: linspace(0, 4 pi, N) inclusive, so phi_j = 4 pi j / (N - 1).
  at::Tensor pos = at::linspace(0.0, 4.0 * M_PI, N, opts);
  at::Tensor sincos = at::stack({at::sin(pos), at::cos(pos)}, 1).unsqueeze(0).expand({B, N, 2});
  at::Tensor dyn = at::cat({v.X.unsqueeze(2), v.Z.unsqueeze(2), sincos, v.d}, 2);  // (B, N, 36)
  dyn = ops::bn_lead(dyn, th["computeh.bn_in.beta"]);
  return at::cat({stats.unsqueeze(0).expand({B, N, 8}), bias.view({1, N, 1}).expand({B, N, 1}), dyn}, 2);
}

at::Tensor compute_h(const Theta& th, const LayerView& v) {
  using namespace ops;
  const bool sm = th.options.smooth;
  auto cb = [&](const at::Tensor& x, int64_t dim, const std::string& c, const std::string& b) {
    return conv_bn(x, dim, th["computeh." + c + ".w"], th["computeh." + b + ".beta"], sm);
  };
  at::Tensor f = compute_h_features(th, v);                               // (B, N, 45)
  at::Tensor a1 = cb(f, 0, "conv_a", "bn_a");                             // ConvBatch 45 -> 64
  at::Tensor a2 = a1 + cb(cb(a1, 1, "unit1a", "bn_1a"), 1, "unit1b", "bn_1b");  // residual ConvUnit x2
  at::Tensor a3 = cb(a2, 0, "conv_b", "bn_b");                            // ConvBatch 64 -> 64
  return a3 + cb(cb(a3, 1, "unit2a", "bn_2a"), 1, "unit2b", "bn_2b");     // (B, N, 64)
}

}  // namespace mu
