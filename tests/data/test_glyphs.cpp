#include <filesystem>

#include <gtest/gtest.h>

#include "common/error.h"
#include "data/font_render.h"
#include "data/loaders.h"
#include "fixtures.h"

namespace {
// An installed DejaVu (fonts-dejavu-core is on every Debian desktop; not a hard requirement).
std::string system_font() {
  for (const char* f : {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"})
    if (std::filesystem::exists(f)) return f;
  return "";
}
}  // namespace

TEST(DataGlyphs, RendersCharactersOnACommonBaseline) {
  std::string f = system_font();
  if (f.empty()) GTEST_SKIP() << "no DejaVu font installed";
  mu::data::FontRenderer r;
  EXPECT_GE(r.num_faces(f), 1);
  std::vector<bool> present;
  at::Tensor im = r.render(f, 0, {U'A', U'o', U'\U0010FFFD', U'\u03B1'}, 14, present);
  ASSERT_EQ(im.sizes(), (std::vector<int64_t>{4, 14, 14}));
  EXPECT_EQ(present, (std::vector<bool>{true, true, false, true}));
  EXPECT_GE(im.min().item<float>(), 0.f);
  EXPECT_LE(im.max().item<float>(), 1.f);
  EXPECT_EQ(im[2].sum().item<float>(), 0.f);  // missing character: blank
  // Capital A is taller than small o: rows with ink.
  auto rows = [](const at::Tensor& x) { return x.gt(0.3f).any(1).sum().item<int64_t>(); };
  EXPECT_GT(rows(im[0]), rows(im[1]));
  // 1-pixel margin kept.
  EXPECT_EQ(im.select(2, 0).sum().item<float>(), 0.f);
}

TEST(DataGlyphs, BadFontFileIsAClearError) {
  mu::test::TempDir t;
  mu::test::write_text(t / "broken.ttf", "definitely not a font");
  mu::data::FontRenderer r;
  EXPECT_MU_ERROR(r.num_faces(t / "broken.ttf"), "broken.ttf: FreeType cannot open");
  std::vector<bool> p;
  EXPECT_MU_ERROR(r.render(t / "broken.ttf", 0, {U'A'}, 14, p), "broken.ttf");
}

TEST(DataFetched, Glyphs) {
  if (!mu::data::glyphs_fetched()) GTEST_SKIP() << "glyphs not fetched";
  mu::Split s = mu::load_dataset("glyphs:latin", 14);
  EXPECT_EQ(s.train.classes(), 52);
  EXPECT_EQ(s.train.dim(), 196);
  // 14 px renderings are binary.
  EXPECT_TRUE(at::logical_or(s.train.x.eq(0), s.train.x.eq(1)).all().item<bool>());
  EXPECT_EQ(mu::load_dataset("glyphs:digits", 16).train.dim(), 256);
  mu::Split all = mu::load_dataset("glyphs", 14);
  EXPECT_GT(all.train.classes(), 150);
  EXPECT_THROW(mu::load_dataset("glyphs:klingon"), mu::Error);
}
