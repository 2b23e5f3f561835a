// Stamps: the natural-image stand-in, from Debian tuxpaint-stamps-default (cut-out photos and some clip art,
// PNG RGBA with transparent backgrounds, in category folders). Classes are categories or sub-folders
// (stamp_class); each stamp is composited onto seeded backgrounds, scaled, shifted and flipped into several
// 16x16 examples (object_set.h). Five classes are held out of meta-training ("stamps:heldout"), as the
// paper holds out ImageNet classes. Stamps' `*_mirror.png` (pre-mirrored copies) and the .svg stamps are
// not used; the package's sound files are deleted after unpacking.
#include <cstdint>
#include <algorithm>
#include <chrono>
#include <filesystem>

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

constexpr const char* kPkg = "tuxpaint-stamps-default";
constexpr const char* kRoot = "/usr/share/tuxpaint/stamps";

struct StampClass {
  const char* name;
  std::vector<const char*> prefixes;  // path prefixes under the stamps folder; first matching class wins
  bool held_out;
};
// Letters, digits, operators, notes, shapes and faces (symbols/...) are glyph-like and left out.
const std::vector<StampClass>& stamp_classes() {
  static const std::vector<StampClass> c = {
      {"birds", {"animals/birds/"}, false},
      {"water animals", {"animals/fish/", "animals/shellfish/", "animals/mammals/aquatic/", "animals/amphibians/"},
       false},
      {"insects", {"animals/insects/"}, true},
      {"hoofed mammals",
       {"animals/mammals/bovines/", "animals/mammals/deer/", "animals/mammals/equines/", "animals/mammals/camel/"},
       false},
      {"mammals", {"animals/mammals/", "animals/marsupials/"}, false},
      {"fruit", {"food/fruit/"}, false},
      {"vegetables and nuts", {"food/vegetables/", "food/nuts/", "food/spices/"}, true},
      {"flowers", {"plants/flowers/"}, false},
      {"trees and plants", {"plants/"}, false},
      {"clothes", {"clothes/"}, false},
      {"instruments", {"hobbies/"}, false},
      {"tools", {"household/tools/"}, false},
      {"household", {"household/", "medical/"}, false},
      {"christmas", {"seasonal/christmas/"}, false},
      {"easter", {"seasonal/easter/"}, false},
      {"halloween", {"seasonal/halloween/"}, true},
      {"hanukkah and new year", {"seasonal/hanukkah/", "seasonal/newyears/"}, false},
      {"space", {"space/"}, false},
      {"sports", {"sports/"}, false},
      {"chess", {"symbols/chess/"}, false},
      {"money", {"symbols/money/"}, false},
      {"houses", {"town/houses/"}, false},
      {"road signs", {"town/roadsigns/"}, true},
      {"town", {"town/"}, false},
      {"vehicles", {"vehicles/", "military/vehicles/"}, true},
  };
  return c;
}

ObjectSetSpec spec() {
  ObjectSetSpec s;
  s.set = "stamps";
  s.format = 3;  // 2: desaturated backgrounds; 3: money = coins only
  s.seed = 20190104;
  s.min_scale = 0.7;
  s.max_scale = 1.1;
  s.max_shift = 0.12;
  return s;
}

std::string stamps_root() { return deb_dir(kPkg) + kRoot; }

}  // namespace

int64_t stamp_class(const std::string& rel) {
  if (rel.size() < 4 || rel.compare(rel.size() - 4, 4, ".png") != 0) return -1;
  if (rel.size() >= 11 && rel.compare(rel.size() - 11, 11, "_mirror.png") == 0) return -1;
  if (rel.rfind("symbols/money/00_symbols/", 0) == 0) return -1;  // drawn currency signs, not coins
  const auto& c = stamp_classes();
  for (size_t i = 0; i < c.size(); ++i)
    for (const char* p : c[i].prefixes)
      if (rel.rfind(p, 0) == 0) return i;
  return -1;
}

std::vector<std::string> stamp_class_names(bool held_out) {
  std::vector<std::string> n;
  for (const auto& c : stamp_classes())
    if (c.held_out == held_out) n.push_back(c.name);
  return n;
}

bool stamps_fetched() { return is_complete(deb_dir(kPkg)) && object_set_ready(spec()); }

void fetch_stamps(std::ostream& log) {
  fetch_deb(kPkg, log);
  // The sound files (about 180 MB of .ogg/.wav captions) are never used.
  uint64_t freed = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(deb_dir(kPkg), ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string ext = it->path().extension().string();
    if (it->is_regular_file() && (ext == ".ogg" || ext == ".wav")) {
      freed += it->file_size();
      fs::remove(it->path(), ec);
    }
  }
  if (freed) log << fmt::format("  removed the stamps' sound files ({:.0f} MB)\n", freed / 1e6);
  if (object_set_ready(spec())) {
    log << "stamps: already rendered in " << set_dir("stamps") << "\n";
    return;
  }
  MU_CHECK(fs::is_directory(stamps_root()), stamps_root() + " is missing: the " + kPkg +
                                                " package is incomplete; delete " + deb_dir(kPkg) +
                                                " and run `metaunsup data fetch stamps` again");
  std::vector<std::string> all = png_files_under(stamps_root());
  MU_CHECK(all.size() >= 500, fmt::format("{}: only {} PNG stamps found (expected about 800); delete {} and fetch "
                                          "stamps again",
                                          stamps_root(), all.size(), deb_dir(kPkg)));
  ObjectList ol;
  for (const auto& c : stamp_classes()) {
    ol.class_names.push_back(c.name);
    ol.class_held_out.push_back(c.held_out);
  }
  for (const auto& r : all)
    if (int64_t c = stamp_class(r); c >= 0) {
      ol.names.push_back(r);
      ol.cls.push_back(c);
    }
  log << fmt::format("stamps: rendering {} of {} PNG stamps into {} classes\n", ol.names.size(), all.size(),
                     ol.class_names.size());
  std::string root = stamps_root();
  ol.load = [&](int64_t i) { return trim_object(premultiply(read_png_rgba(root + "/" + ol.names[i]))); };
  nlohmann::json meta = {{"package", kPkg}, {"png_files", all.size()}};
  auto t0 = std::chrono::steady_clock::now();
  build_object_set(spec(), ol, meta, log);
  log << fmt::format("stamps: rendered in {:.1f} s\n",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

Split load_stamps(const std::string& options, const LoadOptions& opt) {
  MU_CHECK(stamps_fetched(), not_fetched("stamps"));
  return load_object_set(spec(), options, opt);
}

}  // namespace mu::data
