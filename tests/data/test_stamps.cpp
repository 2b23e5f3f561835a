// Stamps (natural-image stand-in): PNG reading, compositing math, the class rules, the held-out rule, and
// (when fetched) the real set and the task sampler over it.
#include <algorithm>
#include <cstdio>
#include <set>

#include <gtest/gtest.h>
#include <png.h>

#include "common/error.h"
#include "common/random.h"
#include "data/catalog.h"
#include "data/composite.h"
#include "data/loaders.h"
#include "data/png_io.h"
#include "data/task_sampler.h"
#include "fixtures.h"

using namespace mu::data;

namespace {
// A grey or grey+alpha PNG of the given bit depth written with libpng directly (write_png only does 8-bit
// RGB/RGBA), to check read_png_rgba's expansion to 8-bit RGBA.
void write_grey_png(const std::string& path, int w, int h, int depth, bool alpha, const std::vector<uint16_t>& v) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_TRUE(f);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, w, h, depth, alpha ? PNG_COLOR_TYPE_GRAY_ALPHA : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const int ch = alpha ? 2 : 1, bytes = depth / 8;
  std::vector<uint8_t> row(w * ch * bytes);
  for (int y = 0; y < h; ++y) {
    for (int i = 0; i < w * ch; ++i) {
      uint16_t s = v[y * w * ch + i];
      if (bytes == 2) {
        row[2 * i] = s >> 8;  // big-endian
        row[2 * i + 1] = s & 0xFF;
      } else {
        row[i] = static_cast<uint8_t>(s);
      }
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}
}  // namespace

TEST(DataPng, RgbaRoundTrip) {
  mu::test::TempDir t;
  at::Tensor im = at::randint(0, 256, {5, 7, 4}, mu::make_generator(1), at::TensorOptions().dtype(at::kLong))
                      .to(at::kByte);
  write_png(t / "a.png", im);
  at::Tensor back = read_png_rgba(t / "a.png");
  EXPECT_EQ(back.sizes(), (std::vector<int64_t>{5, 7, 4}));
  EXPECT_TRUE(back.equal(im));
  // RGB gains an opaque alpha channel.
  write_png(t / "b.png", im.slice(2, 0, 3).contiguous());
  at::Tensor rgb = read_png_rgba(t / "b.png");
  EXPECT_TRUE(rgb.slice(2, 0, 3).equal(im.slice(2, 0, 3)));
  EXPECT_TRUE(rgb.select(2, 3).eq(255).all().item<bool>());
}

TEST(DataPng, GreyAnd16BitExpandToRgba) {
  mu::test::TempDir t;
  write_grey_png(t / "g8.png", 3, 2, 8, false, {0, 10, 20, 30, 40, 255});
  at::Tensor g = read_png_rgba(t / "g8.png");
  ASSERT_EQ(g.sizes(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(g[0][1][0].item<uint8_t>(), 10);
  EXPECT_EQ(g[0][1][1].item<uint8_t>(), 10);
  EXPECT_EQ(g[0][1][2].item<uint8_t>(), 10);
  EXPECT_EQ(g[0][1][3].item<uint8_t>(), 255);
  EXPECT_EQ(g[1][2][0].item<uint8_t>(), 255);
  // 16-bit grey + alpha: the high byte survives.
  write_grey_png(t / "g16.png", 2, 1, 16, true, {0x1234, 0xFFFF, 0xAB00, 0x0000});
  at::Tensor h = read_png_rgba(t / "g16.png");
  ASSERT_EQ(h.sizes(), (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(h[0][0][0].item<uint8_t>(), 0x12);
  EXPECT_EQ(h[0][0][3].item<uint8_t>(), 0xFF);
  EXPECT_EQ(h[0][1][0].item<uint8_t>(), 0xAB);
  EXPECT_EQ(h[0][1][3].item<uint8_t>(), 0);
}

TEST(DataPng, BadFilesAreClearErrors) {
  mu::test::TempDir t;
  EXPECT_MU_ERROR(read_png_rgba(t / "missing.png"), "cannot open");
  mu::test::write_text(t / "text.png", "this is not an image at all");
  EXPECT_MU_ERROR(read_png_rgba(t / "text.png"), "text.png: not a PNG file");
  write_png(t / "ok.png", at::full({32, 32, 4}, 7, at::kByte));
  std::string bytes = mu::test::read_bytes(t / "ok.png");
  mu::test::write_text(t / "cut.png", bytes.substr(0, bytes.size() / 2));
  EXPECT_MU_ERROR(read_png_rgba(t / "cut.png"), "cut.png: corrupt PNG");
}

TEST(DataComposite, PremultiplyAndOver) {
  at::Tensor px = at::tensor({200, 100, 0, 128}, at::kByte).view({1, 1, 4});
  at::Tensor p = premultiply(px);  // (4, 1, 1)
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{4, 1, 1}));
  float a = 128 / 255.f;
  EXPECT_NEAR(p[0][0][0].item<float>(), 200 / 255.f * a, 1e-6);
  EXPECT_NEAR(p[1][0][0].item<float>(), 100 / 255.f * a, 1e-6);
  EXPECT_NEAR(p[2][0][0].item<float>(), 0, 1e-6);
  EXPECT_NEAR(p[3][0][0].item<float>(), a, 1e-6);
  // Over: fg + (1 - a) bg, per channel.
  at::Tensor bg = at::tensor({0.2f, 0.4f, 1.0f}).view({3, 1, 1});
  at::Tensor o = composite_over(p, bg);
  EXPECT_NEAR(o[0][0][0].item<float>(), 200 / 255.f * a + (1 - a) * 0.2f, 1e-6);
  EXPECT_NEAR(o[1][0][0].item<float>(), 100 / 255.f * a + (1 - a) * 0.4f, 1e-6);
  EXPECT_NEAR(o[2][0][0].item<float>(), (1 - a) * 1.0f, 1e-6);
  // Opaque replaces, transparent keeps the background.
  at::Tensor opaque = at::tensor({0.1f, 0.2f, 0.3f, 1.f}).view({4, 1, 1});
  EXPECT_TRUE(composite_over(opaque, bg).allclose(opaque.slice(0, 0, 3)));
  EXPECT_TRUE(composite_over(at::zeros({4, 1, 1}), bg).allclose(bg));
  EXPECT_THROW(composite_over(bg, bg), mu::Error);
  // Luma.
  at::Tensor grey = to_grey(at::tensor({255, 0, 0, 0, 255, 0, 255, 255, 255}, at::kByte).view({3, 3}));
  EXPECT_EQ(grey[0].item<uint8_t>(), 76);
  EXPECT_EQ(grey[1].item<uint8_t>(), 150);
  EXPECT_EQ(grey[2].item<uint8_t>(), 255);
}

TEST(DataComposite, TrimToAlphaBoundingBox) {
  at::Tensor o = at::zeros({4, 10, 12});
  o.slice(1, 2, 5).slice(2, 3, 9).fill_(1);
  at::Tensor t = trim_object(o);
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{4, 3, 6}));
  EXPECT_FALSE(trim_object(at::zeros({4, 5, 5})).defined());  // fully transparent
  // Large objects are area-shrunk to max_side, keeping the aspect ratio.
  at::Tensor big = trim_object(at::ones({4, 100, 50}), 0.02, 20);
  EXPECT_EQ(big.sizes(), (std::vector<int64_t>{4, 20, 10}));
  EXPECT_TRUE(big.allclose(at::ones_like(big)));
}

TEST(DataComposite, BackgroundsAreSeededAndInRange) {
  for (int kind = 0; kind < 3; ++kind) {
    at::Generator g1 = mu::make_generator(5), g2 = mu::make_generator(5);
    at::Tensor a = make_background(kind, 64, g1), b = make_background(kind, 64, g2);
    EXPECT_EQ(a.sizes(), (std::vector<int64_t>{3, 64, 64}));
    EXPECT_TRUE(a.equal(b));
    EXPECT_GE(a.min().item<float>(), 0.f);
    EXPECT_LE(a.max().item<float>(), 1.f);
  }
  at::Generator g = mu::make_generator(3);
  at::Tensor plain = make_background(0, 8, g);
  EXPECT_TRUE(plain.allclose(plain.select(1, 0).select(1, 0).view({3, 1, 1}).expand({3, 8, 8})));
  at::Tensor grad = make_background(1, 8, g);
  EXPECT_GT((grad - grad.mean({1, 2}, true)).abs().max().item<float>(), 0.f);  // not constant
  EXPECT_TRUE(make_background(3, 8, g).equal(at::zeros({3, 8, 8})));  // black (clip art)
  EXPECT_THROW(make_background(4, 8, g), mu::Error);
}

TEST(DataComposite, RenderExamplePlacesScalesAndFlips) {
  // A white opaque square on a plain background: half the frame, centred.
  at::Tensor sq = at::ones({4, 40, 40});
  PlaceParams p;
  p.scale = 0.5;
  p.background = 0;
  at::Generator g = mu::make_generator(9);
  at::Tensor im = render_example(sq, p, 16, g);
  ASSERT_EQ(im.sizes(), (std::vector<int64_t>{16, 16, 3}));
  EXPECT_EQ(im.scalar_type(), at::kByte);
  EXPECT_TRUE(im.slice(0, 4, 12).slice(1, 4, 12).eq(255).all().item<bool>());
  at::Tensor ring = at::cat({im.slice(0, 0, 4).reshape({-1, 3}), im.slice(0, 12, 16).reshape({-1, 3})});
  EXPECT_TRUE(ring.eq(ring[0]).all().item<bool>());  // plain background everywhere else
  // Half transparent: the mean of object and background.
  at::Tensor half = at::full({4, 40, 40}, 0.5f);
  at::Generator g1 = mu::make_generator(9), g2 = mu::make_generator(9);
  at::Tensor h = render_example(half, p, 16, g1), bgonly = render_example(at::zeros({4, 40, 40}), p, 16, g2);
  EXPECT_NEAR(h[8][8][0].item<uint8_t>(), 127.5 + 0.5 * bgonly[8][8][0].item<uint8_t>(), 1.0);
  // Shift moves it; an overflowing object is cropped; flip mirrors an asymmetric object.
  p.dx = 0.25;
  at::Tensor shifted = render_example(sq, p, 16, g);
  EXPECT_TRUE(shifted.slice(0, 4, 12).slice(1, 8, 16).eq(255).all().item<bool>());
  p.dx = 0;
  p.scale = 2.0;
  EXPECT_TRUE(render_example(sq, p, 16, g).eq(255).all().item<bool>());
  at::Tensor left = at::zeros({4, 20, 20});
  left.slice(2, 0, 10).fill_(1);  // opaque white left half; right half transparent
  left.slice(2, 10, 20).select(0, 3).fill_(1);  // make the right half opaque black so the bbox is the square
  p.scale = 1.0;
  p.flip = false;
  at::Tensor a = render_example(left, p, 16, g);
  p.flip = true;
  at::Tensor b = render_example(left, p, 16, g);
  EXPECT_LE((a.flip({1}).to(at::kInt) - b.to(at::kInt)).abs().max().item<int>(), 1);
  EXPECT_EQ(a[8][2][0].item<uint8_t>(), 255);
  EXPECT_EQ(b[8][2][0].item<uint8_t>(), 0);
}

TEST(DataStamps, ClassRules) {
  auto train = stamp_class_names(false), held = stamp_class_names(true);
  EXPECT_EQ(held.size(), 5u);
  EXPECT_GE(train.size(), 15u);
  for (const auto& h : held) EXPECT_EQ(std::count(train.begin(), train.end(), h), 0);
  EXPECT_NE(std::find(held.begin(), held.end(), "vehicles"), held.end());
  EXPECT_GE(stamp_class("animals/birds/robin.png"), 0);
  EXPECT_EQ(stamp_class("animals/birds/robin.png"), stamp_class("animals/birds/cartoon/tweety.png"));
  EXPECT_NE(stamp_class("animals/mammals/bovines/bison.png"), stamp_class("animals/mammals/badger.png"));
  EXPECT_EQ(stamp_class("vehicles/construction/dumper_mirror.png"), -1);  // pre-mirrored copy
  EXPECT_EQ(stamp_class("symbols/alphabets/asl/asl_f.png"), -1);          // glyph-like
  EXPECT_EQ(stamp_class("symbols/money/00_symbols/euro_1_euro.png"), -1);
  EXPECT_GE(stamp_class("symbols/money/euro/coins/010.png"), 0);
  EXPECT_EQ(stamp_class("animals/birds/robin.svg"), -1);
  EXPECT_EQ(stamp_class("animals/birds/robin.txt"), -1);
}

TEST(DataStamps, HeldOutClassesAreRefusedForMetaTraining) {
  EXPECT_TRUE(is_held_out("stamps:heldout"));
  EXPECT_TRUE(is_held_out("stamps:colour:heldout"));
  EXPECT_TRUE(is_held_out("stamps:heldout:colour"));
  EXPECT_FALSE(is_held_out("stamps"));
  EXPECT_FALSE(is_held_out("stamps:colour"));
  EXPECT_FALSE(is_held_out("emoji"));
  EXPECT_TRUE(is_held_out("mnist"));
  TaskSamplerConfig c;
  c.sources = {"stamps:heldout"};
  EXPECT_MU_ERROR(TaskSampler s(c), "held-out");
  c.sources = {"glyphs", "stamps:heldout:colour"};
  EXPECT_MU_ERROR(TaskSampler s(c), "held-out");
  EXPECT_NO_THROW(find_dataset("stamps:heldout"));
  EXPECT_NO_THROW(find_dataset("emoji:colour"));
}

TEST(DataStamps, MissingDataNamesTheFetchCommand) {
  mu::test::TempDir t;
  setenv("METAUNSUP_DATA", t.path.c_str(), 1);
  EXPECT_MU_ERROR(mu::load_dataset("stamps"), "metaunsup data fetch stamps");
  EXPECT_MU_ERROR(mu::load_dataset("emoji:colour"), "metaunsup data fetch emoji");
  unsetenv("METAUNSUP_DATA");
}

TEST(DataFetched, Stamps) {
  if (!stamps_fetched()) GTEST_SKIP() << "stamps not fetched (metaunsup data fetch stamps)";
  mu::Split s = mu::load_dataset("stamps", 16);
  EXPECT_EQ(s.train.classes(), 20);
  EXPECT_EQ(s.train.dim(), 256);
  EXPECT_EQ(s.train.image_shape, (std::vector<int64_t>{16, 16}));
  EXPECT_GT(s.train.size(), 4000);
  EXPECT_GT(s.test.size(), 800);
  EXPECT_EQ(s.train.class_names, stamp_class_names(false));
  // Every class has train and test examples, each at least 10 stamps' worth.
  at::Tensor tr = at::bincount(s.train.y, {}, 20), te = at::bincount(s.test.y, {}, 20);
  EXPECT_GE(tr.min().item<int64_t>(), 100);
  EXPECT_GE(te.min().item<int64_t>(), 8);
  mu::Split c = mu::load_dataset("stamps:colour", 16);
  EXPECT_EQ(c.train.dim(), 768);
  EXPECT_EQ(c.train.image_shape, (std::vector<int64_t>{16, 16, 3}));
  EXPECT_TRUE(c.train.y.equal(s.train.y));
  mu::Split h = mu::load_dataset("stamps:heldout", 16);
  EXPECT_EQ(h.train.class_names, stamp_class_names(true));
  EXPECT_EQ(mu::load_dataset("stamps", 14).train.dim(), 196);
  EXPECT_THROW(mu::load_dataset("stamps:sepia"), mu::Error);
  // The task sampler over stamps only ever picks meta-training classes.
  TaskSamplerConfig cfg;
  cfg.sources = {"stamps", "stamps:colour"};
  TaskSampler ts(cfg);
  auto held = stamp_class_names(true);
  std::set<std::string> seen;
  for (uint64_t k = 0; k < 100; ++k) {
    mu::data::Task t = ts.sample(k);
    for (const auto& n : t.class_names) {
      EXPECT_EQ(std::count(held.begin(), held.end(), n), 0) << n;
      seen.insert(n);
    }
    if (k < 3) {
      auto b = ts.unlabelled(t, 16);
      EXPECT_EQ(b.x.size(1), t.input_dim);
      EXPECT_TRUE(at::isfinite(b.x).all().item<bool>());
    }
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(DataFetched, MixedSources) {
  if (!stamps_fetched() || !emoji_fetched() || !glyphs_fetched()) GTEST_SKIP() << "glyphs, stamps or emoji not fetched";
  TaskSamplerConfig cfg;
  cfg.sources = {"glyphs", "stamps", "emoji"};
  TaskSampler ts(cfg);
  std::set<std::string> sources;
  for (uint64_t k = 0; k < 60; ++k) {
    mu::data::Task t = ts.sample(k);
    sources.insert(t.source.substr(0, t.source.find(':')));
    EXPECT_FALSE(is_held_out(t.source));
    auto [tr, te] = ts.labelled_pair(t);
    EXPECT_EQ(tr.x.size(0), t.ways() * cfg.labelled_per_class);
  }
  EXPECT_EQ(sources, (std::set<std::string>{"glyphs", "stamps", "emoji"}));
}
