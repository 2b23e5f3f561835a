// Clip art: drawn objects from Debian openclipart-png (public domain PNG, RGBA, in category folders). Classes
// are object-like leaf folders (fruit, birds, vehicles, clothing, ...); icons, shapes, signs, flags and
// patterns are left out. Unlike stamps, every example is composited on black, so an object stands alone on a
// plain background as in the evaluation sets: a meta-training family of filled grey-level silhouettes, next to
// the glyphs' strokes and the stamps' cluttered photos. The package repeats an image in parent and child
// folders: files are deduplicated by content. Four classes are held out of meta-training ("clipart:heldout").
#include <cstdint>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>

#include "common/error.h"
#include "data/composite.h"
#include "data/loaders.h"
#include "data/object_set.h"
#include "data/png_io.h"
#include "data/store.h"

namespace fs = std::filesystem;

namespace mu::data {
namespace {

constexpr const char* kPkg = "openclipart-png";
constexpr const char* kRoot = "/usr/share/openclipart/png";

struct ClipClass {
  const char* name;
  std::vector<const char*> prefixes;  // folders under png/ (sub-folders included); first matching class wins
  bool held_out;
};
const std::vector<ClipClass>& clip_classes() {
  static const std::vector<ClipClass> c = {
      {"mammals", {"animals/mammals/"}, false},
      {"birds", {"animals/birds/"}, false},
      {"bugs", {"animals/bugs/"}, false},
      {"fish", {"animals/fish/"}, true},
      {"homes", {"buildings/homes/"}, false},
      {"computer hardware", {"computer/hardware/"}, false},
      {"books", {"education/books/"}, false},
      {"fruit", {"food/fruit/"}, false},
      {"desserts", {"food/desserts/"}, true},
      {"beverages", {"food/beverages/"}, false},
      {"meat and eggs", {"food/meats_and_eggs/"}, false},
      {"bread", {"food/breads_and_carbs/"}, false},
      {"body parts", {"people/bodypart/"}, false},
      {"clothing", {"people/clothing/"}, true},
      {"smilies", {"people/smilies/"}, false},
      {"flowers", {"plants/flowers/"}, false},
      {"music", {"recreation/music/"}, false},
      {"sports", {"recreation/sports/"}, false},
      {"party", {"recreation/party/"}, false},
      {"toys", {"recreation/toys/"}, false},
      {"holiday", {"recreation/holiday/"}, false},
      {"clocks", {"signs_and_symbols/clocks/"}, false},
      {"weather", {"signs_and_symbols/weather/"}, false},
      {"weapons", {"tools/weapons/"}, false},
      {"boats", {"transportation/boating/"}, true},
      {"vehicles", {"transportation/vehicles/"}, false},
  };
  return c;
}

ObjectSetSpec spec() {
  ObjectSetSpec s;
  s.set = "clipart";
  s.format = 1;
  s.seed = 20190105;
  s.min_scale = 0.75;
  s.max_scale = 1.0;
  s.max_shift = 0.08;
  s.background = 3;  // black
  return s;
}

std::string clipart_root() { return deb_dir(kPkg) + kRoot; }

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  MU_CHECK(in.good(), "cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int64_t clipart_class(const std::string& rel) {
  if (rel.size() < 4 || rel.compare(rel.size() - 4, 4, ".png") != 0) return -1;
  const auto& c = clip_classes();
  for (size_t i = 0; i < c.size(); ++i)
    for (const char* p : c[i].prefixes)
      if (rel.rfind(p, 0) == 0) return i;
  return -1;
}

std::vector<std::string> clipart_class_names(bool held_out) {
  std::vector<std::string> n;
  for (const auto& c : clip_classes())
    if (c.held_out == held_out) n.push_back(c.name);
  return n;
}

bool clipart_fetched() { return is_complete(deb_dir(kPkg)) && object_set_ready(spec()); }

void fetch_clipart(std::ostream& log) {
  fetch_deb(kPkg, log);
  if (object_set_ready(spec())) {
    log << "clipart: already rendered in " << set_dir("clipart") << "\n";
    return;
  }
  MU_CHECK(fs::is_directory(clipart_root()), clipart_root() + " is missing: the " + kPkg +
                                                 " package is incomplete; delete " + deb_dir(kPkg) +
                                                 " and run `metaunsup data fetch clipart` again");
  std::vector<std::string> all = png_files_under(clipart_root());
  MU_CHECK(all.size() >= 5000, fmt::format("{}: only {} PNG files found (expected about 8000); delete {} and fetch "
                                           "clipart again",
                                           clipart_root(), all.size(), deb_dir(kPkg)));
  ObjectList ol;
  for (const auto& c : clip_classes()) {
    ol.class_names.push_back(c.name);
    ol.class_held_out.push_back(c.held_out);
  }
  std::unordered_set<size_t> seen;  // content hashes: the same picture in two folders counts once
  int64_t repeats = 0;
  for (const auto& r : all)
    if (int64_t c = clipart_class(r); c >= 0) {
      if (!seen.insert(std::hash<std::string>{}(file_bytes(clipart_root() + "/" + r))).second) {
        ++repeats;
        continue;
      }
      ol.names.push_back(r);
      ol.cls.push_back(c);
    }
  log << fmt::format("clipart: rendering {} of {} PNG files into {} classes ({} repeated files skipped)\n",
                     ol.names.size(), all.size(), ol.class_names.size(), repeats);
  std::string root = clipart_root();
  ol.load = [&](int64_t i) { return trim_object(premultiply(read_png_rgba(root + "/" + ol.names[i]))); };
  nlohmann::json meta = {{"package", kPkg}, {"png_files", all.size()}, {"repeated_files", repeats}};
  auto t0 = std::chrono::steady_clock::now();
  build_object_set(spec(), ol, meta, log);
  log << fmt::format("clipart: rendered in {:.1f} s\n",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

Split load_clipart(const std::string& options, const LoadOptions& opt) {
  MU_CHECK(clipart_fetched(), not_fetched("clipart"));
  return load_object_set(spec(), options, opt);
}

}  // namespace mu::data
