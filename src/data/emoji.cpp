// Emoji: colour pictures from Debian fonts-noto-color-emoji (CBDT bitmaps, rendered with FreeType:
// FT_Select_Size(face, 0), FT_LOAD_COLOR -> premultiplied BGRA), labelled by their subgroup in
// emoji-test.txt (Debian unicode-data). Only single-code-point emoji (a trailing U+FE0F ignored) are used:
// sequences (skin tones, ZWJ families, flags, keycaps) need a text shaper. Classes = subgroups with at
// least 10 such emoji; each emoji becomes several 16x16 examples (object_set.h).
#include <cstdint>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include "common/error.h"
#include "data/composite.h"
#include "data/loaders.h"
#include "data/object_set.h"
#include "data/store.h"

namespace fs = std::filesystem;

namespace mu::data {
namespace {

constexpr const char* kFontPkg = "fonts-noto-color-emoji";
constexpr const char* kTextPkg = "unicode-data";
std::string font_file() { return deb_dir(kFontPkg) + "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"; }
std::string test_file() { return deb_dir(kTextPkg) + "/usr/share/unicode/emoji/emoji-test.txt"; }

ObjectSetSpec spec() {
  ObjectSetSpec s;
  s.set = "emoji";
  s.format = 1;
  s.seed = 20190105;
  s.target_per_class = 240;
  s.min_per_object = 6;
  s.max_per_object = 24;
  s.min_scale = 0.6;
  s.max_scale = 1.0;
  s.max_shift = 0.12;
  return s;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// One FreeType face for the whole render; bitmaps copied out as (4, h, w) premultiplied RGBA.
struct EmojiFont {
  FT_Library lib = nullptr;
  FT_Face face = nullptr;
  explicit EmojiFont(const std::string& file) {
    MU_CHECK(FT_Init_FreeType(&lib) == 0, "FreeType failed to initialise");
    FT_Error e = FT_New_Face(lib, file.c_str(), 0, &face);
    if (e == 0 && face->num_fixed_sizes > 0) e = FT_Select_Size(face, 0);
    else if (e == 0) e = -1;
    if (e != 0) {
      if (face) FT_Done_Face(face);
      FT_Done_FreeType(lib);
      throw Error(fmt::format("{}: FreeType cannot open this colour font (error {}); delete {} and run `metaunsup "
                              "data fetch emoji` again",
                              file, e, deb_dir(kFontPkg)));
    }
  }
  ~EmojiFont() {
    FT_Done_Face(face);
    FT_Done_FreeType(lib);
  }
  at::Tensor render(char32_t cp) {
    FT_UInt gi = FT_Get_Char_Index(face, cp);
    if (gi == 0 || FT_Load_Glyph(face, gi, FT_LOAD_COLOR) != 0) return {};
    if (face->glyph->format != FT_GLYPH_FORMAT_BITMAP && FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL) != 0)
      return {};
    const FT_Bitmap& b = face->glyph->bitmap;
    if (b.pixel_mode != FT_PIXEL_MODE_BGRA || b.rows == 0 || b.width == 0) return {};
    at::Tensor out = at::empty({4, static_cast<int64_t>(b.rows), static_cast<int64_t>(b.width)});
    auto o = out.accessor<float, 3>();
    for (unsigned y = 0; y < b.rows; ++y) {
      const uint8_t* row = b.buffer + static_cast<ptrdiff_t>(y) * b.pitch;
      for (unsigned x = 0; x < b.width; ++x) {
        o[0][y][x] = row[4 * x + 2] / 255.f;  // BGRA, premultiplied
        o[1][y][x] = row[4 * x + 1] / 255.f;
        o[2][y][x] = row[4 * x + 0] / 255.f;
        o[3][y][x] = row[4 * x + 3] / 255.f;
      }
    }
    return out;
  }
};

}  // namespace

std::vector<EmojiEntry> parse_emoji_test(std::istream& in, const std::string& what) {
  std::vector<EmojiEntry> out;
  std::set<char32_t> seen;
  std::string line, group, subgroup;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.rfind("# group:", 0) == 0) group = trim(line.substr(8));
    else if (line.rfind("# subgroup:", 0) == 0) subgroup = trim(line.substr(11));
    if (line.empty() || line[0] == '#') continue;
    size_t semi = line.find(';'), hash = line.find('#');
    MU_CHECK(semi != std::string::npos && hash != std::string::npos && semi < hash,
             fmt::format("{}:{}: expected `CODEPOINTS ; STATUS # EMOJI NAME`; fetch emoji again", what, lineno));
    std::string status = trim(line.substr(semi + 1, hash - semi - 1));
    if (status != "fully-qualified" && status != "component") continue;
    std::vector<char32_t> cps;
    std::stringstream ss(line.substr(0, semi));
    std::string hex;
    while (ss >> hex) {
      size_t used = 0;
      unsigned long v = 0;
      try {
        v = std::stoul(hex, &used, 16);
      } catch (...) {
        used = 0;
      }
      MU_CHECK(used == hex.size() && v <= 0x10FFFF,
               fmt::format("{}:{}: '{}' is not a hexadecimal code point; fetch emoji again", what, lineno, hex));
      if (v != 0xFE0F) cps.push_back(static_cast<char32_t>(v));
    }
    if (cps.size() != 1 || group.empty() || subgroup.empty() || !seen.insert(cps[0]).second) continue;
    // The name follows the emoji itself and its version tag "E<major>.<minor>".
    std::string tail = trim(line.substr(hash + 1));
    size_t e = tail.find(" E"), sp = e == std::string::npos ? e : tail.find(' ', e + 1);
    std::string name = sp == std::string::npos ? tail : trim(tail.substr(sp));
    out.push_back({cps[0], group, subgroup, name});
  }
  return out;
}

bool emoji_fetched() { return is_complete(deb_dir(kFontPkg)) && is_complete(deb_dir(kTextPkg)) && object_set_ready(spec()); }

void fetch_emoji(std::ostream& log) {
  fetch_deb(kFontPkg, log);
  fetch_deb(kTextPkg, log);
  if (object_set_ready(spec())) {
    log << "emoji: already rendered in " << set_dir("emoji") << "\n";
    return;
  }
  std::ifstream in(test_file());
  MU_CHECK(in, test_file() + " is missing: the unicode-data package is incomplete; delete " + deb_dir(kTextPkg) +
                   " and run `metaunsup data fetch emoji` again");
  std::vector<EmojiEntry> list = parse_emoji_test(in, test_file());
  MU_CHECK(list.size() >= 1000, fmt::format("{}: only {} single-code-point emoji listed (expected about 1400); delete "
                                            "{} and fetch emoji again",
                                            test_file(), list.size(), deb_dir(kTextPkg)));
  MU_CHECK(fs::exists(font_file()), font_file() + " is missing: delete " + deb_dir(kFontPkg) +
                                        " and run `metaunsup data fetch emoji` again");
  EmojiFont font(font_file());
  // Components (skin-tone swatches, hair) are not pictures of anything.
  ObjectList ol;
  std::map<std::string, int64_t> class_of;
  for (const auto& e : list) {
    if (e.group == "Component") continue;
    auto [it, fresh] = class_of.emplace(e.subgroup, ol.class_names.size());
    if (fresh) {
      ol.class_names.push_back(e.subgroup);
      ol.class_held_out.push_back(false);
    }
    ol.names.push_back(fmt::format("U+{:04X} {}", static_cast<uint32_t>(e.cp), e.name));
    ol.cls.push_back(it->second);
  }
  std::vector<char32_t> cps;
  for (const auto& e : list)
    if (e.group != "Component") cps.push_back(e.cp);
  int64_t missing = 0;
  ol.load = [&](int64_t i) {
    at::Tensor o = font.render(cps[i]);
    if (!o.defined()) {
      ++missing;
      return o;
    }
    return trim_object(o);
  };
  log << fmt::format("emoji: rendering {} single-code-point emoji in {} subgroups\n", ol.names.size(),
                     ol.class_names.size());
  nlohmann::json meta = {{"packages", {kFontPkg, kTextPkg}}, {"listed", list.size()}};
  for (const auto& e : list)
    if (e.group != "Component") meta["groups"][e.subgroup] = e.group;
  auto t0 = std::chrono::steady_clock::now();
  build_object_set(spec(), ol, meta, log);
  log << fmt::format("emoji: {} emoji without a colour bitmap; rendered in {:.1f} s\n", missing,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

Split load_emoji(const std::string& options, const LoadOptions& opt) {
  MU_CHECK(emoji_fetched(), not_fetched("emoji"));
  MU_CHECK(options.find("heldout") == std::string::npos, "emoji has no held-out classes; use emoji or emoji:colour");
  return load_object_set(spec(), options, opt);
}

}  // namespace mu::data
