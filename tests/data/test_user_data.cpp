#include <cmath>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/npy.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "fixtures.h"

using mu::test::TempDir;
using mu::test::write_text;

TEST(DataUser, CsvWithHeaderAndStringLabels) {
  TempDir t;
  std::string s = "label,a,b\n";
  for (int i = 0; i < 20; ++i) s += (i % 2 ? "cat," : "dog,") + std::to_string(i) + "," + std::to_string(-i) + "\r\n";
  write_text(t / "d.csv", s);
  mu::Split sp = mu::load_dataset("csv:" + t / "d.csv");
  EXPECT_EQ(sp.train.size(), 16);
  EXPECT_EQ(sp.test.size(), 4);
  EXPECT_EQ(sp.train.dim(), 2);
  EXPECT_EQ(sp.train.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_TRUE(sp.train.image_shape.empty());
  // Features kept exactly: x[:, 1] == -x[:, 0].
  EXPECT_TRUE(sp.train.x.select(1, 1).equal(-sp.train.x.select(1, 0)));
}

TEST(DataUser, CsvNumericLabelsSortNumerically) {
  TempDir t;
  std::string s;
  for (int i = 0; i < 30; ++i) s += std::to_string((i % 3) * 5) + ",1.5,2\n";  // labels 0, 5, 10
  write_text(t / "d.csv", s);
  mu::Split sp = mu::load_dataset("csv:" + t / "d.csv");
  EXPECT_EQ(sp.train.class_names, (std::vector<std::string>{"0", "5", "10"}));
}

TEST(DataUser, CsvBadRowsNameFileLineAndFix) {
  TempDir t;
  write_text(t / "w.csv", "1,2,3\n0,4\n");
  EXPECT_MU_ERROR(mu::load_dataset("csv:" + t / "w.csv"), "w.csv:2: 2 fields, expected 3");
  write_text(t / "n.csv", "1,2,3\n0,4,abc\n");
  EXPECT_MU_ERROR(mu::load_dataset("csv:" + t / "n.csv"), "n.csv:2 column 3: 'abc' is not a number");
  write_text(t / "nan.csv", "1,2,3\n0,nan,1\n");
  EXPECT_MU_ERROR(mu::load_dataset("csv:" + t / "nan.csv"), "NaN or infinite");
  write_text(t / "inf.csv", "1,2,3\n0,1,-inf\n");
  EXPECT_MU_ERROR(mu::load_dataset("csv:" + t / "inf.csv"), "NaN or infinite");
  write_text(t / "empty.csv", "a,b\n");
  EXPECT_MU_ERROR(mu::load_dataset("csv:" + t / "empty.csv"), "no data rows");
  EXPECT_MU_ERROR(mu::load_dataset("csv:" + t / "missing.csv"), "cannot open");
}

TEST(DataUser, NpyFeaturesAndLabels) {
  TempDir t;
  mu::save_npy(t / "x.npy", at::rand({50, 7}, at::kDouble));
  mu::save_npy(t / "y.npy", at::arange(50, at::kLong).remainder(5) + 1);
  mu::Split sp = mu::load_dataset("npy:" + t / "x.npy," + t / "y.npy");
  EXPECT_EQ(sp.train.size() + sp.test.size(), 50);
  EXPECT_EQ(sp.test.size(), 10);
  EXPECT_EQ(sp.train.x.scalar_type(), at::kFloat);
  EXPECT_EQ(sp.train.class_names, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(sp.train.y.max().item<int64_t>(), 4);
  // Unlabelled: one class.
  EXPECT_EQ(mu::load_dataset("npy:" + t / "x.npy").train.classes(), 1);
}

TEST(DataUser, NpyRejectsNanInfAndMismatch) {
  TempDir t;
  at::Tensor x = at::rand({10, 3});
  x[4][1] = std::numeric_limits<float>::infinity();
  mu::save_npy(t / "inf.npy", x);
  EXPECT_MU_ERROR(mu::load_dataset("npy:" + t / "inf.npy"), "row 4 column 1");
  mu::save_npy(t / "ok.npy", at::rand({10, 3}));
  mu::save_npy(t / "y.npy", at::zeros({9}, at::kLong));
  EXPECT_MU_ERROR(mu::load_dataset("npy:" + t / "ok.npy," + t / "y.npy"), "9 labels for 10 examples");
  mu::save_npy(t / "yf.npy", at::full({10}, 0.5));
  EXPECT_MU_ERROR(mu::load_dataset("npy:" + t / "ok.npy," + t / "yf.npy"), "whole numbers");
}

TEST(DataUser, IdxImagesResizedAndLabelled) {
  TempDir t;
  at::Tensor im = at::randint(0, 256, {40, 28, 28}, at::kByte);
  at::Tensor lb = (at::arange(40, at::kLong).remainder(4)).to(at::kByte);
  mu::data::write_idx(t / "im.gz", im, true);
  mu::data::write_idx(t / "lb", lb);
  mu::Split sp = mu::load_dataset("idx:" + t / "im.gz," + t / "lb", 14);
  EXPECT_EQ(sp.train.dim(), 196);
  EXPECT_EQ(sp.train.image_shape, (std::vector<int64_t>{14, 14}));
  EXPECT_LE(sp.train.x.max().item<float>(), 1.f);
  EXPECT_EQ(sp.train.classes(), 4);
  mu::data::write_idx(t / "lb39", lb.slice(0, 0, 39));
  EXPECT_MU_ERROR(mu::load_dataset("idx:" + t / "im.gz," + t / "lb39"), "39 labels for 40 examples");
  write_text(t / "junk", "not an idx file at all");
  EXPECT_MU_ERROR(mu::load_dataset("idx:" + t / "junk"), "bad magic");
}
