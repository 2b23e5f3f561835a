#include "rule/weight_update.h"

#include <cstdint>
#include <algorithm>
#include <cmath>

#include "rule/ops.h"

namespace mu {

const char* const kPlaneNames[12] = {"0_order",        "1_order",        "decorr_x",       "hebb",
                                     "large_decay",    "lin_lower_symm", "lin_upper_psd",  "lin_upper_symm",
                                     "rbf",            "sqr_lower_symm", "sqr_upper_symm", "w_base"};

HReadout read_h(const Theta& th, const at::Tensor& h) {
  const int64_t B = h.size(0), N = h.size(1);
  HReadout o;
  at::Tensor r = ops::linear(h, at::cat({th["readout.delta.w"], th["readout.bias.w"]}, 1),
                             at::cat({th["readout.delta.b"], th["readout.bias.b"]}, 0));  // (B, N, 33)
  std::vector<at::Tensor> parts = r.split_with_sizes({32, 1}, 2);  // one cat in the backward, no zero-fills
  o.delta = parts[0];
  o.bias = parts[1].squeeze(2);
  // LowRR projections computed transposed, W^T h^T, so each block comes out as a contiguous (4B, N)
  // matrix with no layout copy; LowRR only sums over the (b, c) pairs, so their order is free.
  std::vector<at::Tensor> ws, bs;
  for (const auto& n : lowrr_names()) ws.push_back(th["lowrr." + n + ".w"]), bs.push_back(th["lowrr." + n + ".b"]);
  const bool sep = !th.options.identical_updates;
  if (sep)
    for (const auto& n : lowrr_names()) ws.push_back(th["v.lowrr." + n + ".w"]), bs.push_back(th["v.lowrr." + n + ".b"]);
  const int64_t nb = static_cast<int64_t>(ws.size());
  at::Tensor low = at::addmm(at::cat(bs, 0).unsqueeze(1), at::cat(ws, 1).t(), h.reshape({B * N, -1}).t());
  std::vector<at::Tensor> blocks = low.view({nb, 4 * B, N}).unbind(0);  // each (4B, N): (channel, example), unit
  o.lowrr.assign(blocks.begin(), blocks.begin() + 15);
  if (sep) o.v_lowrr.assign(blocks.begin() + 15, blocks.end());
  return o;
}

namespace {
int64_t block(const std::string& name) {
  const auto& n = lowrr_names();
  return std::find(n.begin(), n.end(), name) - n.begin();
}
// R: 15 x (4B, N) -> the named projection as (N, 4B): a transposed view, which BLAS takes as is.
at::Tensor proj(const std::vector<at::Tensor>& R, const std::string& name) { return R[block(name)].t(); }
// LowRR(h_top, h_bot)[m, n] = (1/4B) sum_{b,c} R_bot[b,m,c] R_top[b,n,c]  -> (N_bot, N_top)
at::Tensor lowrr(const std::vector<at::Tensor>& R_bot, const std::string& bot, const std::vector<at::Tensor>& R_top,
                 const std::string& top) {
  at::Tensor a = proj(R_bot, bot), b = proj(R_top, top);
  return at::mm(a, b.t()) / static_cast<double>(a.size(1));
}
at::Tensor offdiag(const at::Tensor& M) { return M * (1 - at::eye(M.size(0), M.options())); }
// U = offdiag((S + S^T)/sqrt 2)/sqrt(n) for S = LowRR(h, h) with the pair's own two projections.
at::Tensor symm(const std::vector<at::Tensor>& R, const std::string& pair) {
  at::Tensor S = lowrr(R, pair + ".bottom", R, pair + ".top");
  return offdiag((S + S.t()) / std::sqrt(2.0)) / std::sqrt(static_cast<double>(S.size(0)));
}
}  // namespace

at::Tensor normalised_columns(const at::Tensor& W) {
  return W * at::rsqrt((W * W).mean(0, true) + 1e-6);
}

at::Tensor standardise(const at::Tensor& X) {
  at::Tensor c = X - X.mean(0, true);
  return c * at::rsqrt((c * c).mean(0, true) + 1e-6);
}

at::Tensor nu(const at::Tensor& M) { return M * at::rsqrt(1.0 + (M * M).mean(0, true)); }

std::vector<at::Tensor> weight_planes(const PlaneInputs& in) {
  const at::Tensor What = normalised_columns(in.W);  // (p, q), unit-RMS columns
  const int64_t B = in.Xt_top.size(0), q = What.size(1);
  const at::Tensor sgn = at::sign(What), G = at::sqrt(1 + What * What) - 1;
  const std::vector<at::Tensor>& Rt = in.R_top;
  const std::vector<at::Tensor>& Rb = in.R_bot;
  at::Tensor Q = at::mm(What, at::mm(in.Xt_top.t(), in.Xt_top) / (B * std::sqrt(double(q))));
  at::Tensor U_psd = [&] { at::Tensor r = proj(Rt, "lin_upper_psd"); return at::mm(r, r.t()) / double(r.size(1)); }();
  return {
      lowrr(Rb, "0_order.bottom", Rt, "0_order.top"),                          // 0_order
      What * lowrr(Rb, "1_order.bottom", Rt, "1_order.top"),                   // 1_order
      Q * at::rsqrt((Q * Q).mean() + 1e-8),                                    // decorr_x
      -at::mm(in.Xt_bot.t(), in.Xt_top) / double(B),                           // hebb (negated)
      What * What * sgn,                                                       // large_decay
      at::mm(symm(Rb, "lin_lower_symm"), What),                                // lin_lower_symm
      at::mm(What, U_psd / std::sqrt(double(q))),                              // lin_upper_psd
      at::mm(What, symm(Rt, "lin_upper_symm")),                                // lin_upper_symm
      at::exp(-What * What) * lowrr(Rb, "rbf.bottom", Rt, "rbf.top"),          // rbf
      at::mm(symm(Rb, "sqr_lower_symm"), G) * sgn,                             // sqr_lower_symm
      at::mm(G, symm(Rt, "sqr_upper_symm")) * sgn,                             // sqr_upper_symm
      What};                                                                   // w_base
}

at::Tensor merge_planes(const Theta& th, const std::vector<at::Tensor>& planes, const at::Tensor& What,
                        const std::string& prefix, at::Tensor* merged, at::Tensor* projected) {
  const at::Tensor& mw = th[prefix + "merge.w"];
  at::Tensor M = th[prefix + "merge.b"];
  for (size_t k = 0; k < planes.size(); ++k) M = M + mw[k] * nu(planes[k]);
  M = M / 12.0;
  if (merged) *merged = M.detach();
  at::Tensor s = at::relu((M * What).mean());  // component that would shrink W under the minus step
  M = M - s * What;
  if (projected) *projected = M.detach();
  return nu(M / std::sqrt(12.0)) - What / 7.0;
}

at::Tensor bias_update(const at::Tensor& r) {
  at::Tensor c = r.mean(0);             // (N)
  c = c + at::relu(-c.mean());          // the update can never raise all biases together
  return c * at::rsqrt(0.5 + (c * c).mean());
}

}  // namespace mu
