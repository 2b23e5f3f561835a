#include <gtest/gtest.h>

#include "rule/flops.h"

namespace mu {
TEST(Flops, MatchesTheSpecReferenceCounts) {
  // docs/maths.md section 17: F(B) = 126,460,656 B + 138,572,800 for 196-128x4-32 and
  // 367,389,424 B + 3,867,922,432 for 196-512x3-32 (a direct count came to 98% of these).
  std::vector<int64_t> ref = {196, 128, 128, 128, 128, 32}, wide = {196, 512, 512, 512, 32};
  EXPECT_DOUBLE_EQ(rule_flops(ref, 0), 138572800.0);
  EXPECT_DOUBLE_EQ(rule_flops(ref, 1) - rule_flops(ref, 0), 126460656.0);
  EXPECT_DOUBLE_EQ(rule_flops(wide, 0), 3867922432.0);
  EXPECT_DOUBLE_EQ(rule_flops(wide, 1) - rule_flops(wide, 0), 367389424.0);
  // section 15's table for 196-128x3-32: about 1.35e10 at B = 128
  EXPECT_NEAR(rule_flops({196, 128, 128, 128, 32}, 128), 1.35e10, 0.02e10);
  EXPECT_DOUBLE_EQ(meta_grad_flops(ref, 128, 5), 15 * rule_flops(ref, 128));
}
}  // namespace mu
