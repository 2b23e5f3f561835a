#include "data/object_set.h"

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"
#include "common/npy.h"
#include "common/random.h"
#include "data/composite.h"
#include "data/loaders.h"
#include "data/prep.h"
#include "data/store.h"

namespace fs = std::filesystem;

namespace mu::data {
namespace {
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
std::string dir(const ObjectSetSpec& s) { return set_dir(s.set); }
}  // namespace

int64_t examples_per_object(const ObjectSetSpec& spec, int64_t n) {
  int64_t k = n > 0 ? (spec.target_per_class + n - 1) / n : spec.max_per_object;
  return std::clamp(k, spec.min_per_object, spec.max_per_object);
}

bool object_set_ready(const ObjectSetSpec& spec) {
  if (!is_complete(dir(spec))) return false;
  std::ifstream in(dir(spec) + "/meta.json");
  try {
    return nlohmann::json::parse(in).value("format", 0) == spec.format;
  } catch (...) {
    return false;
  }
}

void build_object_set(const ObjectSetSpec& spec, const ObjectList& obj, nlohmann::json meta, std::ostream& log) {
  const int64_t n_obj = obj.names.size(), n_cls = obj.class_names.size();
  MU_CHECK(obj.cls.size() == obj.names.size() && obj.class_held_out.size() == obj.class_names.size() && obj.load,
           spec.set + ": inconsistent object list");
  std::string d = set_dir(spec.set, true);
  std::error_code ec;
  fs::remove(d + "/.complete", ec);
  std::vector<int64_t> listed(n_cls, 0);
  for (int64_t c : obj.cls) ++listed[c];
  // Render: examples per object from the class's listed size, each object with its own generator.
  std::vector<at::Tensor> rendered(n_obj);
  int64_t n_blank = 0;
  for (int64_t i = 0; i < n_obj; ++i) {
    at::Tensor o = obj.load(i);
    if (!o.defined()) {
      ++n_blank;
      continue;
    }
    at::Generator g = make_generator(mix(spec.seed ^ mix(static_cast<uint64_t>(i))));
    int64_t k = examples_per_object(spec, listed[obj.cls[i]]);
    std::vector<at::Tensor> ex;
    for (int64_t j = 0; j < k; ++j) {
      PlaceParams p = draw_place(g, spec.min_scale, spec.max_scale, spec.max_shift);
      if (spec.background >= 0) p.background = spec.background;
      ex.push_back(render_example(o, p, spec.side, g));
    }
    rendered[i] = at::stack(ex);
  }
  // Keep classes with enough usable objects; split each class's objects into train / test.
  std::vector<std::vector<int64_t>> members(n_cls);
  for (int64_t i = 0; i < n_obj; ++i)
    if (rendered[i].defined()) members[obj.cls[i]].push_back(i);
  at::Generator split_gen = make_generator(mix(spec.seed ^ 0x53504C4954ull));
  std::vector<at::Tensor> images;
  std::vector<int64_t> labels, objects;
  meta["format"] = spec.format;
  meta["side"] = spec.side;
  meta["classes"] = nlohmann::json::array();
  meta["objects"] = nlohmann::json::array();
  std::string dropped;
  int64_t n_train_cls = 0, n_held_cls = 0;
  for (int64_t c = 0; c < n_cls; ++c) {
    const auto& m = members[c];
    if (static_cast<int64_t>(m.size()) < spec.min_objects_per_class) {
      dropped += fmt::format(" {}({})", obj.class_names[c], m.size());
      continue;
    }
    int64_t label = meta["classes"].size();
    int64_t n_test = std::max<int64_t>(1, std::lround(spec.test_fraction * m.size()));
    at::Tensor perm = at::randperm(static_cast<int64_t>(m.size()), split_gen, at::TensorOptions().dtype(at::kLong));
    std::vector<bool> test(m.size(), false);
    for (int64_t j = 0; j < n_test; ++j) test[perm[j].item<int64_t>()] = true;
    int64_t examples = 0;
    for (size_t j = 0; j < m.size(); ++j) {
      int64_t oi = meta["objects"].size();
      meta["objects"].push_back({{"name", obj.names[m[j]]}, {"class", label}, {"test", bool(test[j])}});
      images.push_back(rendered[m[j]]);
      labels.insert(labels.end(), rendered[m[j]].size(0), label);
      objects.insert(objects.end(), rendered[m[j]].size(0), oi);
      examples += rendered[m[j]].size(0);
    }
    meta["classes"].push_back({{"name", obj.class_names[c]},
                               {"held_out", bool(obj.class_held_out[c])},
                               {"objects", m.size()},
                               {"test_objects", n_test},
                               {"examples", examples}});
    (obj.class_held_out[c] ? n_held_cls : n_train_cls)++;
    log << fmt::format("  {:<28} {:>4} objects {:>5} examples{}\n", obj.class_names[c], m.size(), examples,
                       obj.class_held_out[c] ? "  [held out]" : "");
  }
  MU_CHECK(n_train_cls >= 2, spec.set + ": fewer than 2 classes rendered; the package looks damaged (delete " +
                                 data_dir() + "/debian and fetch " + spec.set + " again)");
  at::Tensor all = at::cat(images);
  MU_CHECK(all.dim() == 4 && all.size(1) == spec.side && all.size(2) == spec.side && all.size(3) == 3,
           spec.set + ": rendered images have the wrong shape");
  save_npy(d + "/images.npy", all);
  save_npy(d + "/labels.npy", at::tensor(labels, at::kLong));
  save_npy(d + "/objects.npy", at::tensor(objects, at::kLong));
  std::ofstream(d + "/meta.json") << meta.dump(1);
  std::ofstream(d + "/.complete") << spec.set << "\n";
  log << fmt::format("{}: {} classes ({} for meta-training, {} held out), {} objects, {} images {}x{}x3 ({} blank "
                     "objects skipped){}\n",
                     spec.set, n_train_cls + n_held_cls, n_train_cls, n_held_cls, meta["objects"].size(),
                     all.size(0), spec.side, spec.side, n_blank,
                     dropped.empty() ? "" : fmt::format("; classes under {} objects dropped:{}",
                                                        spec.min_objects_per_class, dropped));
}

Split load_object_set(const ObjectSetSpec& spec, const std::string& options, const LoadOptions& opt) {
  MU_CHECK(object_set_ready(spec), not_fetched(spec.set));
  bool colour = false, heldout = false;
  std::stringstream ss(options);
  std::string tok;
  while (std::getline(ss, tok, ':')) {
    if (tok == "colour" || tok == "color") colour = true;
    else if (tok == "grey" || tok == "gray") colour = false;
    else if (tok == "heldout") heldout = true;
    else if (!tok.empty())
      throw Error("unknown " + spec.set + " option '" + tok + "'; use " + spec.set + ", " + spec.set + ":colour" +
                  (spec.set == "emoji" ? "" : ", " + spec.set + ":heldout or " + spec.set + ":heldout:colour"));
  }
  std::ifstream in(dir(spec) + "/meta.json");
  nlohmann::json meta = nlohmann::json::parse(in);
  at::Tensor im = load_npy(dir(spec) + "/images.npy"), y = load_npy(dir(spec) + "/labels.npy"),
             ob = load_npy(dir(spec) + "/objects.npy");
  const int64_t n_cls = meta["classes"].size(), n_obj = meta["objects"].size();
  MU_CHECK(im.dim() == 4 && im.size(0) == y.size(0) && y.size(0) == ob.size(0) && im.size(3) == 3 &&
               y.numel() > 0 && y.min().item<int64_t>() >= 0 && y.max().item<int64_t>() < n_cls &&
               ob.min().item<int64_t>() >= 0 && ob.max().item<int64_t>() < n_obj,
           dir(spec) + ": inconsistent files; run `metaunsup data fetch " + spec.set + "` again");
  // Class relabelling: only the held-out classes, or only the others.
  std::vector<int64_t> remap(n_cls, -1);
  std::vector<std::string> names;
  for (int64_t c = 0; c < n_cls; ++c)
    if (meta["classes"][c]["held_out"].get<bool>() == heldout) {
      remap[c] = names.size();
      names.push_back(meta["classes"][c]["name"].get<std::string>());
    }
  MU_CHECK(names.size() >= 2, spec.set + (heldout ? ": no held-out classes" : ": fewer than 2 classes"));
  std::vector<uint8_t> test_obj(n_obj);
  for (int64_t o = 0; o < n_obj; ++o) test_obj[o] = meta["objects"][o]["test"].get<bool>();
  std::vector<int64_t> rows_tr, rows_te, lab_tr, lab_te;
  auto ya = y.accessor<int64_t, 1>();
  auto oa = ob.accessor<int64_t, 1>();
  for (int64_t i = 0; i < y.size(0); ++i) {
    int64_t c = remap[ya[i]];
    if (c < 0) continue;
    (test_obj[oa[i]] ? rows_te : rows_tr).push_back(i);
    (test_obj[oa[i]] ? lab_te : lab_tr).push_back(c);
  }
  std::string name = spec.set + (heldout ? ":heldout" : "") + (colour ? ":colour" : "");
  int64_t res = opt.resolution <= 0 || opt.resolution == im.size(1) ? 0 : opt.resolution;
  Resize mode = parse_resize(opt.resize);
  auto make = [&](const std::vector<int64_t>& rows, const std::vector<int64_t>& lab) {
    at::Tensor x = im.index_select(0, at::tensor(rows, at::kLong));
    if (!colour) x = to_grey(x);
    return image_dataset(name, x, at::tensor(lab, at::kLong), names, res, mode);
  };
  return {make(rows_tr, lab_tr), make(rows_te, lab_te)};
}

std::vector<std::string> png_files_under(const std::string& root) {
  std::vector<std::string> all;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file() && it->path().extension() == ".png")
      all.push_back(fs::relative(it->path(), root).generic_string());
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace mu::data
