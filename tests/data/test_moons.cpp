#include <gtest/gtest.h>

#include "common/error.h"
#include "data/dataset.h"

TEST(DataMoons, ShapesLabelsAndBalance) {
  mu::Dataset d = mu::make_moons(101, 0.1, 7);
  ASSERT_EQ(d.size(), 101);
  ASSERT_EQ(d.dim(), 2);
  EXPECT_EQ(d.x.scalar_type(), at::kFloat);
  EXPECT_EQ(d.y.scalar_type(), at::kLong);
  EXPECT_EQ(d.classes(), 2);
  EXPECT_EQ(d.y.eq(0).sum().item<int64_t>(), 50);  // sklearn: n/2 on the upper moon
  EXPECT_EQ(d.y.eq(1).sum().item<int64_t>(), 51);
}

TEST(DataMoons, NoiselessPointsLieOnTheMoons) {
  mu::Dataset d = mu::make_moons(200, 0.0, 1);
  auto x = d.x.accessor<float, 2>();
  auto y = d.y.accessor<int64_t, 1>();
  for (int64_t i = 0; i < d.size(); ++i) {
    double cx = y[i] == 0 ? 0.0 : 1.0, cy = y[i] == 0 ? 0.0 : 0.5;
    double r = std::hypot(x[i][0] - cx, x[i][1] - cy);
    EXPECT_NEAR(r, 1.0, 1e-5);
    if (y[i] == 0) EXPECT_GE(x[i][1], -1e-6);
    else EXPECT_LE(x[i][1], 0.5 + 1e-6);
  }
  // Shuffled: the labels are not sorted.
  EXPECT_FALSE(d.y.slice(0, 0, 100).eq(0).all().item<bool>());
}

TEST(DataMoons, SeededAndReproducible) {
  auto a = mu::make_moons(64, 0.2, 3), b = mu::make_moons(64, 0.2, 3), c = mu::make_moons(64, 0.2, 4);
  EXPECT_TRUE(a.x.equal(b.x));
  EXPECT_TRUE(a.y.equal(b.y));
  EXPECT_FALSE(a.x.equal(c.x));
}

TEST(DataMoons, LoadDatasetGivesDisjointSplit) {
  mu::Split s = mu::load_dataset("moons");
  EXPECT_EQ(s.train.size(), 2000);
  EXPECT_EQ(s.test.size(), 1000);
  EXPECT_EQ(s.train.dim(), 2);
  EXPECT_FALSE(s.train.x.slice(0, 0, 1000).equal(s.test.x));
  EXPECT_THROW(mu::load_dataset("no-such-set"), mu::Error);
  EXPECT_THROW(mu::make_moons(1, 0.1, 0), mu::Error);
}
