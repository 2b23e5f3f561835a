#pragma once
// Preprocessing shared by the loaders: resizing, stratified splits, subsets, validation.
#include <cstdint>
#include <string>
#include <utility>

#include "common/torch.h"
#include "data/dataset.h"

namespace mu::data {

// "decimate": TF-1 resize_images defaults (bilinear, align_corners=False, legacy sampling: input
// coordinate i*in/out), which for an exact 2x downscale is x14[i,j] = x28[2i,2j] (docs/maths.md 12).
// "area": mean over each output pixel's footprint (adaptive average pooling).
enum class Resize { Decimate, Area };
Resize parse_resize(const std::string& s);  // "decimate" | "area", else mu::Error
const char* resize_name(Resize r);

// x: (n, H, W) or (n, H, W, C) float -> (n, out, out[, C]); out == H == W returns x unchanged.
at::Tensor resize_images(const at::Tensor& x, int64_t out, Resize mode);

// Class-stratified split: from each class, round(test_fraction * count) examples (largest remainder
// so the total is exact) go to test, chosen by a permutation from `seed`. Returns (train_idx, test_idx),
// each sorted ascending (int64).
std::pair<at::Tensor, at::Tensor> stratified_split(const at::Tensor& y, int64_t classes, double test_fraction,
                                                   uint64_t seed);
Dataset subset(const Dataset& d, const at::Tensor& idx);

// u8 images (n, H, W[, C]) + labels -> Dataset with x = (n, out*out[*C]) float in [0, 1].
Dataset image_dataset(const std::string& name, const at::Tensor& images_u8, const at::Tensor& labels,
                      std::vector<std::string> class_names, int64_t resolution, Resize mode);

// Throws mu::Error("<what>: N non-finite values (first at row r, column c); ...") on NaN or inf.
void check_finite(const at::Tensor& x, const std::string& what);
// Labels must be integral, in [0, classes): throws naming `what` otherwise.
void check_labels(const at::Tensor& y, int64_t n, const std::string& what);

}  // namespace mu::data
