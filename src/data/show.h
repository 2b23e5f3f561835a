#pragma once
// `metaunsup data show`: pictures of a data set, to look at.
#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace mu::data {
// Images: one row per class (first `max_classes`), `per_class` samples each, scaled up to >= 28 px.
// 2-D points (moons): a scatter plot coloured by class. Other vectors (spam): one row per class of
// `per_class` examples drawn as vertical strips of their features.
void write_grid_png(const Dataset& d, const std::string& path, int64_t per_class = 10, int64_t max_classes = 30);
}  // namespace mu::data
