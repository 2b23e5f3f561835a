// Glyphs: characters rendered with FreeType from Debian font packages. Classes = characters, examples =
// typefaces. Subsets latin (52), digits (10), greek (48), math, currency; "glyphs" is their union.
// Rendered once at fetch into data_dir()/glyphs/ as .npy: SUBSET-14.npy (n, 14, 14) u8 binary 0/255,
// SUBSET-16.npy (n, 16, 16) u8 grey, SUBSET-labels.npy, SUBSET-fonts.npy (typeface index), meta.json.
// Dropped: characters a face lacks, renderings with ink < 3% or > 80% of the 14x14 pixels, renderings
// identical to another character's in the same face (ambiguous, e.g. fonts with no lower case), faces
// that are illegible for a subset (under half their renderings nearest their own class mean: dingbats),
// renderings identical to an earlier face's for the same character (clones such as URW vs TeX Gyre);
// then classes with fewer than 20 examples. Split: 20% of typefaces (fixed permutation) are test faces.
#include <cstdint>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/npy.h"
#include "common/random.h"
#include "data/font_render.h"
#include "data/loaders.h"
#include "data/prep.h"
#include "data/store.h"

namespace fs = std::filesystem;

namespace mu::data {
namespace {

const std::vector<std::string> kFontPkgs = {"fonts-aenigma", "fonts-urw-base35", "fonts-texgyre",
                                            "fonts-freefont-ttf", "fonts-cmu", "fonts-lmodern",
                                            "fonts-stix", "fonts-dejavu-core", "fonts-dejavu-extra"};
constexpr uint64_t kGlyphSplitSeed = 20190103;
constexpr int64_t kMinPerClass = 20;
constexpr int kFormat = 2;  // bump when rendering changes: forces a re-render

std::vector<char32_t> range(char32_t a, char32_t b, std::set<char32_t> skip = {}) {
  std::vector<char32_t> v;
  for (char32_t c = a; c <= b; ++c)
    if (!skip.count(c)) v.push_back(c);
  return v;
}
std::vector<char32_t> cat(std::vector<char32_t> a, const std::vector<char32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct Group {
  std::string name;
  std::vector<char32_t> chars;
  bool use_aenigma = false;
};
const std::vector<Group>& groups() {
  static const std::vector<Group> g = {
      {"latin", cat(range('A', 'Z'), range('a', 'z')), true},
      {"digits", range('0', '9'), true},
      // 24 capitals (U+03A2 is unassigned) and 24 small letters (final sigma U+03C2 left out).
      {"greek", cat(range(0x391, 0x3A9, {0x3A2}), range(0x3B1, 0x3C9, {0x3C2})), false},
      {"math", {0x2211, 0x222B, 0x221A, 0x221E, 0x2264, 0x2265, 0x2260, 0x00B1, 0x00D7, 0x00F7, 0x2202, 0x2207,
                0x2208, 0x2209, 0x2200, 0x2203, 0x2282, 0x2283, 0x2286, 0x2287, 0x222A, 0x2229, 0x2248, 0x2261,
                0x221D, 0x2220, 0x22A5, 0x2295, 0x2297, 0x2227, 0x2228, 0x00AC, 0x2205, 0x220F, 0x2234, 0x2235,
                0x2135, 0x2245, 0x223C, 0x2192, 0x2190, 0x2194, 0x21D2, 0x21D4, 0x2213},
       false},
      {"currency", {'$', 0xA2, 0xA3, 0xA5, 0x20AC, 0x20A9, 0x20AB, 0x20A6, 0x20B1, 0x20A4, 0x20B9, 0x20BD, 0x20AA,
                    0x20B4, 0xA4, 0x20A1, 0x20A3, 0x20A7, 0x20AD, 0x20AE, 0x20B2, 0x0192},
       false},
  };
  return g;
}

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) s += static_cast<char>(c);
  else if (c < 0x800) s += {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
  else if (c < 0x10000)
    s += {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
          static_cast<char>(0x80 | (c & 0x3F))};
  else
    s += {static_cast<char>(0xF0 | (c >> 18)), static_cast<char>(0x80 | ((c >> 12) & 0x3F)),
          static_cast<char>(0x80 | ((c >> 6) & 0x3F)), static_cast<char>(0x80 | (c & 0x3F))};
  return s;
}

std::string dir() { return set_dir("glyphs"); }
std::string file(const std::string& g, const std::string& what) { return dir() + "/" + g + "-" + what + ".npy"; }

// Every face file of the font packages, in a fixed order.
std::vector<std::string> font_files() {
  std::vector<std::string> files;
  for (const auto& p : kFontPkgs) {
    std::vector<std::string> f;
    for (auto it = fs::recursive_directory_iterator(deb_dir(p)); it != fs::recursive_directory_iterator(); ++it) {
      std::string ext = it->path().extension().string();
      if (it->is_regular_file() && (ext == ".ttf" || ext == ".otf" || ext == ".ttc")) f.push_back(it->path().string());
    }
    std::sort(f.begin(), f.end());
    files.insert(files.end(), f.begin(), f.end());
  }
  return files;
}

struct Face {
  std::string file, name;
  int index;
};

}  // namespace

bool glyphs_fetched() {
  if (!is_complete(dir())) return false;
  std::ifstream in(dir() + "/meta.json");
  try {
    return nlohmann::json::parse(in).value("format", 0) == kFormat;
  } catch (...) {
    return false;
  }
}

void fetch_glyphs(std::ostream& log) {
  for (const auto& p : kFontPkgs) fetch_deb(p, log);
  if (glyphs_fetched()) {
    log << "glyphs: already rendered in " << dir() << "\n";
    return;
  }
  FontRenderer r;
  std::vector<Face> faces;
  for (const auto& f : font_files()) {
    int n = r.num_faces(f);
    for (int i = 0; i < n; ++i) faces.push_back({f, r.face_name(f, i), i});
  }
  log << fmt::format("glyphs: rendering {} typefaces from {} packages\n", faces.size(), kFontPkgs.size());
  std::string d = set_dir("glyphs", true);
  std::error_code ec;
  fs::remove(d + "/.complete", ec);
  nlohmann::json meta = {{"format", kFormat}, {"packages", kFontPkgs}};
  for (const auto& f : faces) meta["faces"].push_back(f.name + " (" + fs::path(f.file).filename().string() + ")");
  for (const auto& g : groups()) {
    const int64_t k = g.chars.size();
    // Candidates: every face's rendering that is present, neither blank nor solid, and not identical to
    // another character of the same face.
    std::vector<at::Tensor> c14, c16;
    std::vector<int64_t> c_class, c_face;
    int64_t n_missing = 0, n_ink = 0, n_ambiguous = 0, n_dup = 0, n_illegible = 0;
    for (size_t fi = 0; fi < faces.size(); ++fi) {
      // Aenigma's non-ASCII slots hold unrelated pictures: use it for Latin and digits only.
      if (!g.use_aenigma && faces[fi].file.find("/fonts-aenigma/") != std::string::npos) continue;
      std::vector<bool> p14, p16;
      at::Tensor g14 = r.render(faces[fi].file, faces[fi].index, g.chars, 14, p14);
      at::Tensor g16 = r.render(faces[fi].file, faces[fi].index, g.chars, 16, p16);
      at::Tensor b14 = g14.gt(0.5f).to(at::kByte).contiguous();  // (k, 14, 14) 0/1
      for (int64_t i = 0; i < k; ++i) {
        if (!p14[i] || !p16[i]) { ++n_missing; continue; }
        double ink = b14[i].sum().item<int64_t>() / 196.0;
        if (ink < 0.03 || ink > 0.8) { ++n_ink; continue; }
        bool ambiguous = false;
        for (int64_t j = 0; j < k && !ambiguous; ++j) ambiguous = j != i && p14[j] && b14[j].equal(b14[i]);
        if (ambiguous) { ++n_ambiguous; continue; }
        c14.push_back(b14[i]);
        c16.push_back(g16[i].mul(255).round().to(at::kByte));
        c_class.push_back(i);
        c_face.push_back(fi);
      }
    }
    MU_CHECK(!c14.empty(), "glyphs:" + g.name + ": nothing rendered; the font packages look damaged");
    // Legibility: decorative faces (dingbats, pictures in letter slots) are dropped when fewer than half of
    // their renderings are nearest (cosine, centred) to their own character's mean over all faces.
    at::Tensor v = at::stack(c14).reshape({-1, 196}).to(at::kFloat);
    v = v - v.mean(1, true);
    v = v / v.norm(2, {1}, true).clamp_min(1e-6);
    at::Tensor cls = at::tensor(c_class, at::kLong);
    at::Tensor proto = at::zeros({k, 196}).index_add_(0, cls, v);
    proto = proto / proto.norm(2, {1}, true).clamp_min(1e-6);
    at::Tensor correct = v.mm(proto.t()).argmax(1).eq(cls).to(at::kFloat);
    at::Tensor face = at::tensor(c_face, at::kLong);
    at::Tensor hits = at::zeros({(int64_t)faces.size()}).index_add_(0, face, correct);
    at::Tensor tries = at::zeros({(int64_t)faces.size()}).index_add_(0, face, at::ones_like(correct));
    at::Tensor legible = hits.ge(tries * 0.5);
    std::vector<std::vector<at::Tensor>> im14(k), im16(k);
    std::vector<std::vector<int64_t>> font_of(k);
    std::vector<std::set<std::string>> seen(k);  // bitmaps already kept per class
    for (size_t c = 0; c < c14.size(); ++c) {
      int64_t i = c_class[c];
      if (!legible[c_face[c]].item<bool>()) { ++n_illegible; continue; }
      std::string key(static_cast<const char*>(c14[c].contiguous().data_ptr()), 196);
      if (!seen[i].insert(key).second) { ++n_dup; continue; }
      im14[i].push_back(c14[c] * 255);
      im16[i].push_back(c16[c]);
      font_of[i].push_back(c_face[c]);
    }
    std::vector<at::Tensor> a14, a16;
    std::vector<int64_t> labels, fonts;
    nlohmann::json classes = nlohmann::json::array();
    std::string dropped;
    for (int64_t i = 0; i < k; ++i) {
      if (static_cast<int64_t>(im14[i].size()) < kMinPerClass) {
        dropped += fmt::format(" {}({})", utf8(g.chars[i]), im14[i].size());
        continue;
      }
      int64_t label = classes.size();
      classes.push_back({{"char", utf8(g.chars[i])}, {"codepoint", fmt::format("U+{:04X}", (uint32_t)g.chars[i])},
                         {"examples", im14[i].size()}});
      a14.insert(a14.end(), im14[i].begin(), im14[i].end());
      a16.insert(a16.end(), im16[i].begin(), im16[i].end());
      labels.insert(labels.end(), im14[i].size(), label);
      fonts.insert(fonts.end(), font_of[i].begin(), font_of[i].end());
    }
    MU_CHECK(classes.size() >= 2, "glyphs:" + g.name + ": fewer than 2 classes rendered; the font packages look damaged");
    save_npy(file(g.name, "14"), at::stack(a14));
    save_npy(file(g.name, "16"), at::stack(a16));
    save_npy(file(g.name, "labels"), at::tensor(labels, at::kLong));
    save_npy(file(g.name, "fonts"), at::tensor(fonts, at::kLong));
    meta["subsets"][g.name] = {{"classes", classes}, {"examples", labels.size()}};
    log << fmt::format("glyphs:{}: {} classes, {} images ({} missing in a face, {} blank/solid, {} ambiguous in "
                       "their face, {} from illegible faces, {} duplicates of another face){}\n",
                       g.name, classes.size(), labels.size(), n_missing, n_ink, n_ambiguous, n_illegible, n_dup,
                       dropped.empty() ? "" : "; classes under " + std::to_string(kMinPerClass) + " dropped:" + dropped);
  }
  std::ofstream(d + "/meta.json") << meta.dump(1);
  std::ofstream(d + "/.complete") << "glyphs\n";
}

Split load_glyphs(const std::string& subset, const LoadOptions& opt) {
  MU_CHECK(glyphs_fetched(), not_fetched("glyphs"));
  std::ifstream in(dir() + "/meta.json");
  nlohmann::json meta = nlohmann::json::parse(in);
  std::vector<std::string> names;
  for (const auto& g : groups())
    if (subset.empty() || subset == g.name) names.push_back(g.name);
  MU_CHECK(!names.empty(), "unknown glyph subset '" + subset + "'; use latin, digits, greek, math or currency");
  // 14: the binary renderings; 16: grey; anything else resized from the 16 px grey ones.
  const bool binary = opt.resolution == 14;
  std::vector<at::Tensor> xs, ys, fs_;
  std::vector<std::string> classes;
  for (const auto& g : names) {
    at::Tensor im = load_npy(file(g, binary ? "14" : "16")), y = load_npy(file(g, "labels")), f = load_npy(file(g, "fonts"));
    MU_CHECK(im.size(0) == y.size(0) && y.size(0) == f.size(0), dir() + ": inconsistent files; fetch glyphs again");
    xs.push_back(im);
    ys.push_back(y + static_cast<int64_t>(classes.size()));
    fs_.push_back(f);
    for (const auto& c : meta["subsets"][g]["classes"]) classes.push_back(c["char"].get<std::string>());
  }
  int64_t res = binary || opt.resolution <= 0 ? 0 : opt.resolution;
  Dataset all = image_dataset(subset.empty() ? "glyphs" : "glyphs:" + subset, at::cat(xs), at::cat(ys), classes, res,
                              parse_resize(opt.resize));
  // Test typefaces: the first 20% of a fixed permutation of all faces.
  at::Tensor font = at::cat(fs_);
  int64_t n_faces = meta["faces"].size();
  at::Generator gen = make_generator(kGlyphSplitSeed);
  at::Tensor perm = at::randperm(n_faces, gen, at::TensorOptions().dtype(at::kLong));
  at::Tensor is_test_face = at::zeros({n_faces}, at::kBool).index_fill_(0, perm.slice(0, 0, n_faces / 5), true);
  at::Tensor is_test = is_test_face.index_select(0, font);
  return {data::subset(all, at::logical_not(is_test).nonzero().squeeze(1)),
          data::subset(all, is_test.nonzero().squeeze(1))};
}

}  // namespace mu::data
