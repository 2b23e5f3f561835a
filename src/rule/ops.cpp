#include "rule/ops.h"

#include <cstdlib>

namespace mu::ops {

at::Tensor conv_along(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias) {
  const int64_t K = ker.size(0), cin = ker.size(1), cout = ker.size(2), half = (K - 1) / 2;
  const int64_t A0 = x.size(0), A1 = x.size(1), len = x.size(dim);
  // Y[a0, a1, k, :] = x[a0, a1, :] Ker[k]                                      (A0, A1, K, Cout)
  at::Tensor Y = at::mm(x.reshape({-1, cin}), ker.permute({1, 0, 2}).reshape({cin, K * cout})).view({A0, A1, K, cout});
  // out[t] = bias + sum_k Y_k[t + k - half], zero outside the range (SAME padding)
  at::Tensor out = Y.select(2, half) + bias;
  for (int64_t k = 0; k < K; ++k) {
    const int64_t s = k - half, n = len - std::abs(s);
    if (s == 0 || n <= 0) continue;
    at::Tensor Yk = Y.select(2, k);
    if (s > 0) out.narrow(dim, 0, n).add_(Yk.narrow(dim, s, n));
    else out.narrow(dim, -s, n).add_(Yk.narrow(dim, 0, n));
  }
  return out;
}

at::Tensor conv_along_im2col(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias) {
  const int64_t K = ker.size(0), cin = ker.size(1), cout = ker.size(2), half = (K - 1) / 2;
  const int64_t len = x.size(dim);
  // constant_pad_nd takes pads from the last axis backwards: (C lo, C hi, A1 lo, A1 hi, A0 lo, A0 hi).
  std::vector<int64_t> pads = dim == 0 ? std::vector<int64_t>{0, 0, 0, 0, half, half}
                                       : std::vector<int64_t>{0, 0, half, half};
  at::Tensor xp = at::constant_pad_nd(x, pads, 0);
  std::vector<at::Tensor> taps;
  for (int64_t k = 0; k < K; ++k) taps.push_back(xp.narrow(dim, k, len));  // x[t + k - half]
  at::Tensor cols = at::cat(taps, 2);                                        // (A0, A1, K*Cin)
  at::Tensor y = at::addmm(bias, cols.view({-1, K * cin}), ker.reshape({K * cin, cout}));
  return y.view({x.size(0), x.size(1), cout});
}

at::Tensor bn_lead(const at::Tensor& t, const at::Tensor& beta, double eps) {
  const int64_t c = t.size(-1);
  at::Tensor flat = t.reshape({-1, c});  // (A0*A1, C): per-channel statistics over all rows
  return at::batch_norm(flat, {}, beta, {}, {}, true, 0.0, eps, false).view(t.sizes());
}

at::Tensor nonlin(const at::Tensor& t, bool smooth) { return smooth ? at::softplus(t) : at::relu(t); }

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  const int64_t cin = w.size(0);
  at::Tensor y = at::addmm(b, x.reshape({-1, cin}), w);
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = w.size(1);
  return y.view(shape);
}

}  // namespace mu::ops
