#pragma once
// Shared by the cut-out-object image sets (stamps, emoji): each object (an RGBA picture with a transparent
// background) is rendered into several 16x16 examples (composite.h), cached as .npy in data_dir()/SET/,
// and loaded as grey or colour with a split by object (test objects never appear in train) and with
// held-out classes served only on request.
//
// Cache files: images.npy (n, 16, 16, 3) u8 RGB, labels.npy (n) int64 class index into meta "classes",
// objects.npy (n) int64 object index into meta "objects", meta.json {format, classes: [{name, held_out,
// objects, examples}], objects: [{name, class, test}], ...}, .complete.
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/torch.h"
#include "data/dataset.h"

namespace mu::data {

struct ObjectSetSpec {
  std::string set;                          // folder under data_dir() and name in messages: "stamps"
  int format = 1;                           // stored in meta.json; a mismatch means "fetch again"
  uint64_t seed = 0;                        // rendering and split seed
  int64_t side = 16;                        // stored resolution
  int64_t min_objects_per_class = 10;       // smaller classes are dropped
  double test_fraction = 0.2;               // objects (not examples) per class that go to test
  // Examples per object: clamp(ceil(target_per_class / objects in class), min_per_object, max_per_object).
  int64_t target_per_class = 320, min_per_object = 8, max_per_object = 32;
  double min_scale = 0.7, max_scale = 1.1, max_shift = 0.12;  // draw_place ranges
  int background = -1;  // -1: draw_place's seeded kind per example; else this make_background kind (3: black)
};

struct ObjectList {
  std::vector<std::string> names;       // one per object (e.g. its path or code point)
  std::vector<int64_t> cls;             // class index of each object
  std::vector<std::string> class_names;
  std::vector<bool> class_held_out;
  // Loads object i as (4, h, w) premultiplied RGBA, already trimmed (composite.h trim_object); an undefined
  // tensor when it cannot be used (blank); throws mu::Error for an unreadable file.
  std::function<at::Tensor(int64_t)> load;
};

// Renders every usable object into examples and writes the cache (atomically marked complete). Logs the
// class table. Throws mu::Error when fewer than 2 classes survive.
void build_object_set(const ObjectSetSpec& spec, const ObjectList& objects, nlohmann::json meta_extra,
                      std::ostream& log);
bool object_set_ready(const ObjectSetSpec& spec);
// options: "colour"/"color", "grey"/"gray", "heldout" (tokens of the spec after the set name).
// Train/test: the object split. Non-held-out classes unless `heldout`.
Split load_object_set(const ObjectSetSpec& spec, const std::string& options, const LoadOptions& opt);
// Every .png file under root (recursively), as sorted paths relative to root.
std::vector<std::string> png_files_under(const std::string& root);
// Examples per object for a class of n objects.
int64_t examples_per_object(const ObjectSetSpec& spec, int64_t n);

}  // namespace mu::data
