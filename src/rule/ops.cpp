#include "rule/ops.h"

#include <cstdint>
#include <algorithm>
#include <cstdlib>

#include <torch/csrc/autograd/custom_function.h>

#include "base/batch_norm.h"
#include "common/error.h"

namespace mu::ops {

namespace {
// Row pairs of a (A0, A1, Ca) and b (A0, A1, Cb) with a[t] <-> b[t + o] along axis `dim`, as 2-D row views
// for matmuls. Along examples (dim 0) a shift by o is one contiguous block of the flattened rows. Along
// units (dim 1) the flattened shift also pairs the |o| edge rows of each example with the next example's
// rows; those pairs come back with sign -1 so the caller subtracts them (B |o| rows instead of a copy).
struct RowPair {
  at::Tensor a, b;  // (n, Ca), (n, Cb)
  double sign;
};
std::vector<RowPair> shifted_pairs(const at::Tensor& a, const at::Tensor& b, int64_t dim, int64_t o) {
  const int64_t A0 = a.size(0), A1 = a.size(1), len = a.size(dim), R = A0 * A1;
  if (std::abs(o) >= len) return {};
  const int64_t s = std::abs(o) * (dim == 0 ? A1 : 1), n = R - s;
  at::Tensor af = a.view({R, a.size(2)}), bf = b.view({R, b.size(2)});
  std::vector<RowPair> p;
  if (o >= 0) p.push_back({af.narrow(0, 0, n), bf.narrow(0, s, n), 1.0});
  else p.push_back({af.narrow(0, s, n), bf.narrow(0, 0, n), 1.0});
  if (dim == 1 && A0 > 1)
    for (int64_t j = 0; j < std::abs(o); ++j) {
      if (o > 0) p.push_back({a.select(1, A1 - o + j).narrow(0, 0, A0 - 1), b.select(1, j).narrow(0, 1, A0 - 1), -1.0});
      else p.push_back({a.select(1, j).narrow(0, 1, A0 - 1), b.select(1, A1 + o + j).narrow(0, 0, A0 - 1), -1.0});
    }
  return p;
}

// out[t] = bias + sum_k x[t + offs[k]] M[k], every tap accumulated into out by the matmul itself (beta = 1),
// so no (A0, A1, K, Cout) plane buffer is written and read back. x (A0, A1, Cin), M[k] (Cin, Cout).
at::Tensor accumulate_taps(const at::Tensor& x, int64_t dim, const std::vector<at::Tensor>& M,
                           const std::vector<int64_t>& offs, const at::Tensor& bias) {
  const int64_t K = static_cast<int64_t>(M.size()), centre = std::find(offs.begin(), offs.end(), 0) - offs.begin();
  MU_CHECK(centre < K, "accumulate_taps needs a zero-offset tap");
  at::Tensor xc = x.contiguous(), xf = xc.view({-1, xc.size(2)});
  // The centre tap covers every row: it creates out (out-of-place, so autograd never sees a leaf change).
  at::Tensor out = bias.defined() ? at::addmm(bias, xf, M[centre]) : at::mm(xf, M[centre]);
  out = out.view({x.size(0), x.size(1), -1});
  for (int64_t k = 0; k < K; ++k)
    if (k != centre)
      for (const RowPair& p : shifted_pairs(out, xc, dim, offs[k])) p.a.addmm_(p.b, M[k], 1.0, p.sign);
  return out;
}

std::vector<int64_t> tap_offsets(int64_t K, int64_t sign) {
  std::vector<int64_t> o(K);
  for (int64_t k = 0; k < K; ++k) o[k] = sign * (k - (K - 1) / 2);  // SAME padding: tap k reads t + k - half
  return o;
}

// Hand-written backward (llm.c style, forward and backward side by side): the autograd of the in-place
// accumulations would rebuild the views' histories (CopySlices) and zero-fill a gradient per tap, which
// made aten::add and aten::fill_ half of a meta-gradient step's time (bench --profile).
struct ConvAlongFn : public torch::autograd::Function<ConvAlongFn> {
  // x (A0, A1, Cin), ker (K, Cin, Cout) -> (A0, A1, Cout). No bias: LibTorch 1.13's Function::apply
  // refuses undefined inputs, and most convs have none (conv_bn); conv_along adds it outside.
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t dim,
                            const at::Tensor& ker) {
    ctx->save_for_backward({x, ker});
    ctx->saved_data["dim"] = dim;
    return conv_along_plain(x, dim, ker, at::Tensor());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &ker = saved[1];
    const int64_t dim = ctx->saved_data["dim"].toInt();
    const int64_t K = ker.size(0), cout = ker.size(2);
    at::Tensor g = grads[0].contiguous();                                  // (A0, A1, Cout)
    // dx[u] = sum_k g[u - o_k] Ker[k]^T: the same tap accumulation with the offsets negated.
    std::vector<at::Tensor> kt;
    for (int64_t k = 0; k < K; ++k) kt.push_back(ker[k].t());              // (Cout, Cin)
    at::Tensor dx = accumulate_taps(g, dim, kt, tap_offsets(K, -1), at::Tensor());
    // dKer[k] = sum_t x[t + o_k]^T g[t]                                      (Cin, Cout) per tap
    std::vector<at::Tensor> dk;
    const std::vector<int64_t> offs = tap_offsets(K, 1);
    at::Tensor xc = x.contiguous();
    for (int64_t k = 0; k < K; ++k) {
      at::Tensor acc = at::zeros({ker.size(1), cout}, ker.options());
      for (const RowPair& p : shifted_pairs(g, xc, dim, offs[k])) acc.addmm_(p.b.t(), p.a, 1.0, p.sign);
      dk.push_back(acc);
    }
    return {dx, at::Tensor(), at::stack(dk)};
  }
};
}  // namespace

at::Tensor conv_along_plain(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias) {
  std::vector<at::Tensor> M;
  for (int64_t k = 0; k < ker.size(0); ++k) M.push_back(ker[k]);  // (Cin, Cout)
  return accumulate_taps(x, dim, M, tap_offsets(ker.size(0), 1), bias);
}

at::Tensor conv_along(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& bias) {
  const bool tracked = at::GradMode::is_enabled() &&
                       (x.requires_grad() || ker.requires_grad() || (bias.defined() && bias.requires_grad()));
  if (!tracked) return conv_along_plain(x, dim, ker, bias);
  at::Tensor y = ConvAlongFn::apply(x, dim, ker);
  return bias.defined() ? y + bias : y;
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
  return batch_norm_offset(flat, beta, eps).view(t.sizes());
}

at::Tensor conv_bn(const at::Tensor& x, int64_t dim, const at::Tensor& ker, const at::Tensor& beta, bool smooth) {
  at::Tensor y = bn_lead(conv_along(x, dim, ker, at::Tensor()), beta);
  if (!smooth && !y.requires_grad()) return y.relu_();  // fresh tensor, nothing else holds it (inner step)
  return nonlin(y, smooth);
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
