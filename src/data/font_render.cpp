#include "data/font_render.h"

#include <cstdint>
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include "common/error.h"

namespace mu::data {

struct FontRenderer::Impl {
  FT_Library lib = nullptr;
  FT_Face open(const std::string& file, int index) {
    FT_Face face = nullptr;
    FT_Error e = FT_New_Face(lib, file.c_str(), index, &face);
    MU_CHECK(e == 0 && face, fmt::format("{}: FreeType cannot open this font (error {}); delete its package folder "
                                         "and fetch glyphs again",
                                         file, e));
    return face;
  }
};

FontRenderer::FontRenderer() : impl_(std::make_unique<Impl>()) {
  MU_CHECK(FT_Init_FreeType(&impl_->lib) == 0, "FreeType failed to initialise");
}
FontRenderer::~FontRenderer() { FT_Done_FreeType(impl_->lib); }

int FontRenderer::num_faces(const std::string& file) {
  FT_Face f = impl_->open(file, 0);
  int n = f->num_faces;
  FT_Done_Face(f);
  return n;
}

std::string FontRenderer::face_name(const std::string& file, int face_index) {
  FT_Face f = impl_->open(file, face_index);
  std::string n = std::string(f->family_name ? f->family_name : "?") + " " + (f->style_name ? f->style_name : "");
  FT_Done_Face(f);
  return n;
}

at::Tensor FontRenderer::render(const std::string& file, int face_index, const std::vector<char32_t>& chars, int side,
                                std::vector<bool>& present) {
  constexpr int kSuper = 4;
  const int C = side * kSuper, inner = (side - 2) * kSuper;
  const int64_t k = chars.size();
  at::Tensor out = at::zeros({k, side, side}, at::kFloat);
  present.assign(k, false);
  FT_Face face = impl_->open(file, face_index);
  struct Guard {
    FT_Face f;
    ~Guard() { FT_Done_Face(f); }
  } guard{face};
  if (!FT_IS_SCALABLE(face)) return out;  // bitmap-only faces: none in the glyph packages
  // Pass 1: the group's extents at a reference size, from outline metrics (26.6 fixed point).
  const double ref = 256;
  FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(ref));
  double top = -1e9, bottom = 1e9, width = 0;
  for (int64_t i = 0; i < k; ++i) {
    FT_UInt gi = FT_Get_Char_Index(face, chars[i]);
    if (gi == 0 || FT_Load_Glyph(face, gi, FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING) != 0) continue;
    const auto& m = face->glyph->metrics;
    if (m.width <= 0 || m.height <= 0) continue;  // blank glyph (e.g. a space mapped in)
    present[i] = true;
    top = std::max(top, m.horiBearingY / 64.0);
    bottom = std::min(bottom, (m.horiBearingY - m.height) / 64.0);
    width = std::max(width, m.width / 64.0);
  }
  if (top < bottom) return out;
  double scale = inner / std::max(top - bottom, width);
  // Pass 2: render at ref*scale pixels per em (fractional sizes through FT_Set_Char_Size at 72 dpi).
  FT_Set_Char_Size(face, 0, static_cast<FT_F26Dot6>(std::lround(ref * scale * 64)), 72, 72);
  const int baseline = (C - inner) / 2 + static_cast<int>(std::lround(top * scale));
  std::vector<float> canvas(C * C);
  for (int64_t i = 0; i < k; ++i) {
    if (!present[i]) continue;
    FT_UInt gi = FT_Get_Char_Index(face, chars[i]);
    if (FT_Load_Glyph(face, gi, FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING) != 0 ||
        FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL) != 0) {
      present[i] = false;
      continue;
    }
    const FT_Bitmap& bm = face->glyph->bitmap;
    if (bm.pixel_mode != FT_PIXEL_MODE_GRAY) {
      present[i] = false;
      continue;
    }
    std::fill(canvas.begin(), canvas.end(), 0.f);
    int x0 = (C - static_cast<int>(bm.width)) / 2, y0 = baseline - face->glyph->bitmap_top;
    for (unsigned r = 0; r < bm.rows; ++r) {
      int y = y0 + static_cast<int>(r);
      if (y < 0 || y >= C) continue;
      const unsigned char* row = bm.buffer + static_cast<ptrdiff_t>(r) * bm.pitch;
      for (unsigned c = 0; c < bm.width; ++c) {
        int x = x0 + static_cast<int>(c);
        if (x >= 0 && x < C) canvas[y * C + x] = row[c] / 255.f;
      }
    }
    auto o = out[i];
    auto a = o.accessor<float, 2>();
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        float s = 0;
        for (int dy = 0; dy < kSuper; ++dy)
          for (int dx = 0; dx < kSuper; ++dx) s += canvas[(y * kSuper + dy) * C + x * kSuper + dx];
        a[y][x] = s / (kSuper * kSuper);
      }
  }
  return out;
}

}  // namespace mu::data
