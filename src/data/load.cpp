// load_dataset: one entry point that maps a name or user spec to its loader.
#include "common/error.h"
#include "data/dataset.h"

namespace mu {

namespace {
bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
}  // namespace

Split load_dataset(const std::string& spec, int64_t resolution, uint64_t seed) {
  if (spec == "moons") {
    // Fixed sizes; train and test come from different seeds so they never share points.
    Split s{make_moons(2000, 0.1, seed * 2 + 1), make_moons(1000, 0.1, seed * 2 + 2)};
    s.train.name = s.test.name = "moons";
    return s;
  }
  MU_CHECK(!spec.empty(), "empty data set name; try `metaunsup data list`");
  throw Error("unknown data set '" + spec + "'; `metaunsup data list` shows the known names");
}

}  // namespace mu
