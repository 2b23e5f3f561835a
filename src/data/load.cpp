// load_dataset: one entry point that maps a name or user spec to its loader.
#include "common/error.h"
#include <cstdint>
#include "data/catalog.h"
#include "data/dataset.h"
#include "data/loaders.h"
#include "data/prep.h"

namespace mu {

Split load_dataset(const std::string& spec, int64_t resolution, uint64_t seed) {
  LoadOptions o;
  o.resolution = resolution;
  o.seed = seed;
  return load_dataset(spec, o);
}

Split load_dataset(const std::string& spec, const LoadOptions& opt) {
  MU_CHECK(!spec.empty(), "empty data set name; `metaunsup data list` shows the known names");
  data::parse_resize(opt.resize);  // reject a bad mode before any work
  if (spec == "moons") {
    // Fixed sizes; train and test come from different seeds so they never share points.
    Split s{make_moons(2000, 0.1, opt.seed * 2 + 1), make_moons(1000, 0.1, opt.seed * 2 + 2)};
    return s;
  }
  if (spec == "fashion-mnist") return data::load_fashion_mnist(opt);
  if (spec == "mnist") return data::load_mnist(opt);
  if (spec == "spam") return data::load_spam(opt);
  if (spec == "glyphs") return data::load_glyphs("", opt);
  if (spec.rfind("glyphs:", 0) == 0) return data::load_glyphs(spec.substr(7), opt);
  if (spec == "stamps" || spec.rfind("stamps:", 0) == 0) return data::load_stamps(spec.size() > 6 ? spec.substr(7) : "", opt);
  if (spec == "clipart" || spec.rfind("clipart:", 0) == 0)
    return data::load_clipart(spec.size() > 7 ? spec.substr(8) : "", opt);
  if (spec == "emoji" || spec.rfind("emoji:", 0) == 0) return data::load_emoji(spec.size() > 5 ? spec.substr(6) : "", opt);
  if (spec.rfind("idx:", 0) == 0 || spec.rfind("csv:", 0) == 0 || spec.rfind("npy:", 0) == 0)
    return data::load_user_data(spec, opt);
  const data::DatasetInfo& info = data::find_dataset(spec);  // throws for unknown names
  throw Error("data set '" + info.name + "' has no loader yet");
}

}  // namespace mu
