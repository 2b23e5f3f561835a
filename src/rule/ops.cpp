#include "rule/ops.h"

#include <algorithm>
#include <cstdlib>

#include <torch/csrc/autograd/custom_function.h>

namespace mu::ops {

namespace {
// Shift-add of the K output planes: out[t] = bias + sum_k Y_k[t + k - half] (SAME padding).
// Y is (A0, A1, K, Cout) -> (A0, A1, Cout).
at::Tensor shift_add(const at::Tensor& Y, int64_t dim, const at::Tensor& bias) {
  const int64_t K = Y.size(2), half = (K - 1) / 2, len = Y.size(dim);
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

// The transpose of shift_add: dY_k[u] = g[u - (k - half)], zero where that falls outside.
// g is (A0, A1, Cout) -> dY (A0, A1, K, Cout).
at::Tensor shift_spread(const at::Tensor& g, int64_t dim, int64_t K) {
  const int64_t half = (K - 1) / 2, len = g.size(dim);
  at::Tensor dY = at::empty({g.size(0), g.size(1), K, g.size(2)}, g.options());
  for (int64_t k = 0; k < K; ++k) {
    const int64_t s = k - half, n = std::max<int64_t>(0, len - std::abs(s));
    at::Tensor dk = dY.select(2, k);
    if (n == 0) {
      dk.zero_();
    } else if (s >= 0) {
      dk.narrow(dim, s, n).copy_(g.narrow(dim, 0, n));
      dk.narrow(dim, 0, std::min(s, len)).zero_();
    } else {
      dk.narrow(dim, 0, n).copy_(g.narrow(dim, -s, n));
      dk.narrow(dim, n, len - n).zero_();
    }
  }
  return dY;
}

// Hand-written backward (llm.c style, forward and backward side by side): the autograd of the in-place
// shifted adds allocated, zero-filled and summed a full (A0, A1, K, Cout) gradient per tap, which made
// aten::add and aten::fill_ half of a meta-gradient step's time (bench --profile).
struct ConvAlongFn : public torch::autograd::Function<ConvAlongFn> {
  // x (A0, A1, Cin), ker (K, Cin, Cout), bias (Cout) -> (A0, A1, Cout)
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t dim,
                            const at::Tensor& ker, const at::Tensor& bias) {
    ctx->save_for_backward({x, ker});
    ctx->saved_data["dim"] = dim;
    return conv_along_plain(x, dim, ker, bias);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &ker = saved[1];
    const int64_t dim = ctx->saved_data["dim"].toInt();
    const int64_t K = ker.size(0), cin = ker.size(1), cout = ker.size(2);
    at::Tensor g = grads[0].contiguous();                                  // (A0, A1, Cout)
    at::Tensor dY = shift_spread(g, dim, K).view({-1, K * cout});           // (A0*A1, K*Cout)
    at::Tensor kcat = ker.permute({1, 0, 2}).reshape({cin, K * cout});      // (Cin, K*Cout)
    at::Tensor dx = at::mm(dY, kcat.t()).view(x.sizes());                   // (A0, A1, Cin)
    at::Tensor dker = at::mm(x.reshape({-1, cin}).t(), dY).view({cin, K, cout}).permute({1, 0, 2});
    at::Tensor dbias = g.view({-1, cout}).sum(0);
    return {dx, at::Tensor(), dker, dbias};
  }
};
}  // namespace

at::Tensor conv_along_plain(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias) {
  const int64_t K = ker.size(0), cin = ker.size(1), cout = ker.size(2);
  // Y[a0, a1, k, :] = x[a0, a1, :] Ker[k]                                      (A0, A1, K, Cout)
  at::Tensor Y = at::mm(x.reshape({-1, cin}), ker.permute({1, 0, 2}).reshape({cin, K * cout}));
  return shift_add(Y.view({x.size(0), x.size(1), K, cout}), dim, bias);
}

at::Tensor conv_along(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias) {
  const bool tracked = at::GradMode::is_enabled() && (x.requires_grad() || ker.requires_grad() || bias.requires_grad());
  if (!tracked) return conv_along_plain(x, dim, ker, bias);
  return ConvAlongFn::apply(x, dim, ker, bias);
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
