#include "rule/topd.h"
#include <cstdint>

#include "common/error.h"
#include "rule/ops.h"

namespace mu {

at::Tensor top_d(const Theta& th, const at::Tensor& xL, Trace* trace) {
  using namespace ops;
  const bool sm = th.options.smooth;
  const int64_t NL = xL.size(1);
  MU_CHECK(NL == th["topd.uconv2.w"].size(1),
           "the rule's TopD needs an output layer of " + std::to_string(th["topd.uconv2.w"].size(1)) +
               " units, the base model has " + std::to_string(NL));
  auto convbn = [&](const at::Tensor& x, int64_t dim, const std::string& c, const std::string& b) {
    return ops::conv_bn(x, dim, th[c + ".w"], th[b + ".beta"], sm);
  };
  at::Tensor t = xL.unsqueeze(2);                          // t0 (B, NL, 1)
  t = convbn(t, 0, "topd.conv1", "topd.bn1");              // t1 (B, NL, 64), conv along examples, K=5
  // t2, t3: "BatchConvUnitsAsChannels": per feature channel c, a length-B sequence whose channels are
  // the NL units, convolved along the examples. Layout (64, B, NL) makes it a conv along axis 1.
  t = t.permute({2, 0, 1}).contiguous();                   // (64, B, NL)
  t = convbn(t, 1, "topd.uconv2", "topd.bn2");             // BN' per unit over (c, b)
  t = convbn(t, 1, "topd.uconv3", "topd.bn3");
  t = t.permute({1, 2, 0}).contiguous();                   // (B, NL, 64)
  t = convbn(t, 0, "topd.conv4", "topd.bn4");              // t4
  t = convbn(t, 0, "topd.conv5", "topd.bn5");              // t5
  at::Tensor d = conv_along(t, 0, th["topd.out.w"], th["topd.out.b"]);  // (B, NL, 32), no BN, no ReLU
  if (trace) trace->add("topd.d", "(B, N^L, 32) [example, unit, channel]", d);
  return d;
}

}  // namespace mu
