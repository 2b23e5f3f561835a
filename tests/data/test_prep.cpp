#include <gtest/gtest.h>

#include "common/error.h"
#include "data/prep.h"
#include "fixtures.h"

using namespace mu::data;

TEST(DataResize, DecimationTakesTopLeftOfEachBlock) {
  // 4x4 image 0..15; the original code's 2x downscale keeps x[2i, 2j] (docs/maths.md 12).
  at::Tensor x = at::arange(16, at::kFloat).reshape({1, 4, 4});
  at::Tensor r = resize_images(x, 2, Resize::Decimate);
  EXPECT_TRUE(r.equal(at::tensor({0.f, 2.f, 8.f, 10.f}).reshape({1, 2, 2}))) << r;
}

TEST(DataResize, DecimationOf28To14MatchesStridedSlice) {
  at::Tensor x = at::rand({3, 28, 28});
  at::Tensor r = resize_images(x, 14, Resize::Decimate);
  EXPECT_TRUE(r.equal(x.slice(1, 0, 28, 2).slice(2, 0, 28, 2)));
}

TEST(DataResize, AreaAveragesBlocks) {
  at::Tensor x = at::arange(16, at::kFloat).reshape({1, 4, 4});
  at::Tensor r = resize_images(x, 2, Resize::Area);
  EXPECT_TRUE(r.allclose(at::tensor({2.5f, 4.5f, 10.5f, 12.5f}).reshape({1, 2, 2}))) << r;
  // Colour images keep channels last.
  at::Tensor c = at::rand({2, 8, 8, 3});
  EXPECT_EQ(resize_images(c, 4, Resize::Area).sizes(), (std::vector<int64_t>{2, 4, 4, 3}));
  EXPECT_EQ(resize_images(c, 4, Resize::Decimate).sizes(), (std::vector<int64_t>{2, 4, 4, 3}));
}

TEST(DataResize, NonIntegerFactorIsTf1Bilinear) {
  // in=3 -> out=2: sources 0 and 1.5, so the second output is the mean of inputs 1 and 2.
  at::Tensor x = at::tensor({0.f, 2.f, 4.f}).reshape({1, 1, 3}).expand({1, 3, 3}).contiguous();
  at::Tensor r = resize_images(x, 2, Resize::Decimate);
  EXPECT_FLOAT_EQ(r[0][0][1].item<float>(), 3.f);
  EXPECT_THROW(parse_resize("cubic"), mu::Error);
}

TEST(DataSplit, StratifiedExactAndSeeded) {
  std::vector<int64_t> yv;
  const int64_t counts[3] = {11, 27, 2};
  for (int c = 0; c < 3; ++c) yv.insert(yv.end(), counts[c], c);
  at::Tensor y = at::tensor(yv, at::kLong);
  auto [tr, te] = stratified_split(y, 3, 0.2, 5);
  EXPECT_EQ(te.numel(), 8);  // round(0.2 * 40)
  EXPECT_EQ(tr.numel() + te.numel(), 40);
  at::Tensor both = std::get<0>(at::cat({tr, te}).sort());
  EXPECT_TRUE(both.equal(at::arange(40, at::kLong)));
  at::Tensor per = at::bincount(y.index_select(0, te), {}, 3);
  EXPECT_EQ(per[0].item<int64_t>(), 2);
  EXPECT_EQ(per[1].item<int64_t>(), 6);  // remainders .2 .4 .4: the extra one goes to class 1
  EXPECT_EQ(per[2].item<int64_t>(), 0);
  auto [tr2, te2] = stratified_split(y, 3, 0.2, 5);
  EXPECT_TRUE(te.equal(te2));
  auto [tr3, te3] = stratified_split(y, 3, 0.2, 6);
  EXPECT_FALSE(te.equal(te3));
}

TEST(DataPrep, FiniteAndLabelChecks) {
  at::Tensor x = at::zeros({3, 4});
  check_finite(x, "x");
  x[1][2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_MU_ERROR(check_finite(x, "feat.npy"), "row 1 column 2");
  EXPECT_MU_ERROR(check_labels(at::tensor({0, 3}, at::kLong), 3, "lab"), "expected [0, 3)");
}

TEST(DataPrep, ImageDatasetScalesAndFlattens) {
  at::Tensor im = at::full({2, 28, 28}, 255, at::kByte);
  im[1].zero_();
  mu::Dataset d = image_dataset("t", im, at::tensor({0, 1}, at::kLong), {"a", "b"}, 14, Resize::Decimate);
  EXPECT_EQ(d.dim(), 196);
  EXPECT_EQ(d.image_shape, (std::vector<int64_t>{14, 14}));
  EXPECT_FLOAT_EQ(d.x[0][0].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(d.x[1][0].item<float>(), 0.f);
  EXPECT_MU_ERROR(image_dataset("t", im, at::tensor({0}, at::kLong), {"a"}, 14, Resize::Decimate),
                  "1 labels for 2 images");
}
