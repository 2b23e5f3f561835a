#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "report/canvas.h"
#include "report/plot.h"
#include "report/results.h"

namespace {
std::string tmpdir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("metaunsup_report_" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

nlohmann::json sample_results() {
  return nlohmann::json::parse(R"({
    "format": "metaunsup-results-v1",
    "dataset": "fashion-mnist", "resolution": 14, "shots": 10,
    "architecture": [196, 128, 128, 128, 128, 32], "activation": "relu", "steps": 3000, "batch": 128,
    "seeds": 3, "draws": 5, "classes": 10, "test_examples": 10000, "readout": "logistic",
    "rule": {"file": "models/rule.pt", "sha256": "00ff"},
    "methods": {
      "learned": {"accuracy_mean": 0.71, "accuracy_std": 0.02, "runs": 15, "readout": "logistic",
                  "readouts": {"logistic": {"mean": 0.71, "std": 0.02}, "ridge": {"mean": 0.69, "std": 0.03}},
                  "paper_metric": {"mean": 0.7, "std": 0.04}, "feature_dim": 32, "seconds": 12.5},
      "random":  {"accuracy_mean": 0.62, "accuracy_std": 0.03, "runs": 15, "readout": "logistic"}
    },
    "curve": [{"step": 0, "accuracy_mean": 0.6, "accuracy_std": 0.05, "ridge_accuracy_mean": 0.55},
              {"step": 100, "accuracy_mean": 0.65, "accuracy_std": 0.04, "ridge_accuracy_mean": 0.6},
              {"step": 200, "accuracy_mean": 0.7, "accuracy_std": 0.03, "ridge_accuracy_mean": 0.66}]
  })");
}
}  // namespace

TEST(ReportSchema, AcceptsValidAndRejectsInvalidResults) {
  nlohmann::json j = sample_results();
  EXPECT_TRUE(mu::report::validate(j, mu::report::results_schema()).empty());
  nlohmann::json bad = j;
  bad["methods"]["random"]["accuracy_mean"] = 1.5;
  EXPECT_FALSE(mu::report::validate(bad, mu::report::results_schema()).empty());
  bad = j;
  bad.erase("methods");
  auto e = mu::report::validate(bad, mu::report::results_schema());
  ASSERT_FALSE(e.empty());
  EXPECT_NE(e.front().find("methods"), std::string::npos);
  bad = j;
  bad["architecture"] = "196-128";
  EXPECT_FALSE(mu::report::validate(bad, mu::report::results_schema()).empty());
  bad = j;
  bad["methods"]["random"].erase("runs");
  EXPECT_FALSE(mu::report::validate(bad, mu::report::results_schema()).empty());
  bad = j;
  bad["methods"]["random"]["readout"] = "svm";
  EXPECT_FALSE(mu::report::validate(bad, mu::report::results_schema()).empty());
}

TEST(ReportMarkdown, TableHasOneRowPerMethod) {
  std::string md = mu::report::results_markdown(sample_results());
  EXPECT_NE(md.find("| learned | **0.710 ± 0.020** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| random | **0.620 ± 0.030** |"), std::string::npos);
  EXPECT_NE(md.find("accuracy.png"), std::string::npos);
}

TEST(ReportPlots, WritesReadablePngs) {
  std::string dir = tmpdir("plots");
  auto files = mu::report::plot_results(sample_results(), dir);
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) {
    mu::report::Canvas c = mu::report::load_png(f);
    EXPECT_EQ(c.width(), 900);
    EXPECT_EQ(c.height(), 540);
    // Not blank: some dark (text/axes) and some coloured (bars/lines) pixels.
    int dark = 0, colour = 0;
    for (int y = 0; y < c.height(); ++y)
      for (int x = 0; x < c.width(); ++x) {
        auto p = c.get(x, y);
        dark += p.r < 50 && p.g < 50 && p.b < 50;
        colour += p.r != p.g || p.g != p.b;
      }
    EXPECT_GT(dark, 500) << f;
    EXPECT_GT(colour, 500) << f;
  }
}

TEST(ReportCanvas, TextAndShapesLandWhereAsked) {
  mu::report::Canvas c(60, 30);
  c.fill_rect(2, 2, 4, 4, mu::report::kBlack);
  EXPECT_EQ(c.get(3, 3).r, 0);
  EXPECT_EQ(c.get(5, 5).r, 255);
  c.text(10, 10, "1", mu::report::kBlack);
  // '1' has its stem in column 2 of the 5x7 glyph, rows 1..7 of the cell.
  EXPECT_EQ(c.get(12, 13).r, 0);
  EXPECT_EQ(c.get(10, 17).r, 255);
  EXPECT_EQ(mu::report::Canvas::text_width("abc"), 18);
  EXPECT_THROW(mu::report::load_png("/nonexistent.png"), mu::Error);
  auto t = mu::report::nice_ticks(0, 1);
  EXPECT_DOUBLE_EQ(t.front(), 0.0);
  EXPECT_DOUBLE_EQ(t.back(), 1.0);
}

TEST(ReportSha256, KnownVectors) {
  EXPECT_EQ(mu::report::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(mu::report::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(mu::report::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(mu::report::sha256_hex(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}
