#pragma once
// The one in-memory form every data set is turned into (owned by the data layer, src/data/).
#include <cstdint>
#include <string>
#include <vector>

#include "common/torch.h"

namespace mu {

struct Dataset {
  std::string name;                      // e.g. "fashion-mnist", "moons", "glyphs:greek"
  at::Tensor x;                          // (n, D) float32, images flattened row-major (channels last)
  at::Tensor y;                          // (n) int64 in [0, classes)
  std::vector<std::string> class_names;  // size = number of classes
  std::vector<int64_t> image_shape;      // {H, W} or {H, W, C} for images; empty otherwise
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
  int64_t dim() const { return x.defined() ? x.size(1) : 0; }
  int64_t classes() const { return static_cast<int64_t>(class_names.size()); }
};

struct Split {
  Dataset train, test;  // test is the held-out split used only for reporting
};

// Loads a data set by name or spec ("moons", "mnist", "fashion-mnist", "glyphs:latin", "spam",
// "idx:IMAGES[,LABELS]", "csv:FILE", "npy:FEATURES[,LABELS]") at the given image resolution
// (14 or 28 for the MNISTs; ignored for non-images). Throws mu::Error with a clear message when the
// data is missing (naming the `metaunsup data fetch` command) or corrupt.
Split load_dataset(const std::string& spec, int64_t resolution = 14, uint64_t seed = 0);

// load_dataset with every knob. resolution <= 0 keeps the native size; resize is "decimate" (the original
// code's TF-1 bilinear, x14[i,j] = x28[2i,2j]) or "area" (mean over each 2x2 block). `seed` only matters
// for sets without a fixed split (moons, user data); mnist / fashion-mnist splits never change.
struct LoadOptions {
  int64_t resolution = 14;
  uint64_t seed = 0;
  std::string resize = "decimate";
};
Split load_dataset(const std::string& spec, const LoadOptions& opt);

// sklearn's make_moons: two interleaving half circles, n/2 each, Gaussian noise of std `noise`.
Dataset make_moons(int64_t n, double noise, uint64_t seed);

}  // namespace mu
