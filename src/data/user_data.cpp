// A user's own data: "idx:IMAGES[,LABELS]", "csv:FILE" (label first, then features), "npy:FEATURES[,LABELS]".
// No fixed split exists, so 20% of each class goes to test by a permutation from LoadOptions::seed.
// Labels may be any integers (or, in CSV, any strings): they are mapped to 0..k-1 in sorted order and
// the original values become the class names.
#include <cstdint>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/npy.h"
#include "data/idx.h"
#include "data/loaders.h"
#include "data/prep.h"

namespace mu::data {
namespace {

std::pair<std::string, std::string> split_comma(const std::string& s) {
  size_t c = s.find(',');
  return c == std::string::npos ? std::make_pair(s, std::string()) : std::make_pair(s.substr(0, c), s.substr(c + 1));
}

// Features as float (n, ...): u8 scaled to [0, 1], other numbers as they are; NaN/inf rejected.
at::Tensor features(const at::Tensor& raw, const std::string& file) {
  MU_CHECK(raw.dim() >= 2 && raw.dim() <= 4,
           fmt::format("{}: {}-D array; expected (n, D) vectors or (n, H, W[, C]) images", file, raw.dim()));
  MU_CHECK(raw.scalar_type() != at::kBool, file + ": boolean features; save them as u8 0/1");
  at::Tensor x = raw.scalar_type() == at::kByte ? raw.to(at::kFloat).div_(255.f) : raw.to(at::kFloat);
  check_finite(raw.is_floating_point() ? raw : x, file);
  check_finite(x, file + " (after conversion to float32)");
  return x;
}

// Integer labels (n) -> (indices 0..k-1, names of the original values).
std::pair<at::Tensor, std::vector<std::string>> remap_labels(const at::Tensor& raw, int64_t n, const std::string& file) {
  MU_CHECK(raw.dim() == 1, fmt::format("{}: labels must be 1-D, got {}-D", file, raw.dim()));
  MU_CHECK(raw.size(0) == n, fmt::format("{}: {} labels for {} examples", file, raw.size(0), n));
  if (raw.is_floating_point()) {
    check_finite(raw, file);
    MU_CHECK(raw.eq(raw.round()).all().item<bool>(), file + ": labels must be whole numbers");
  }
  at::Tensor l = raw.to(at::kLong);
  auto [uniq, inverse] = at::_unique(l, /*sorted=*/true, /*return_inverse=*/true);
  std::vector<std::string> names;
  for (int64_t i = 0; i < uniq.size(0); ++i) names.push_back(std::to_string(uniq[i].item<int64_t>()));
  return {inverse.to(at::kLong), names};
}

Dataset make(const std::string& name, at::Tensor x, at::Tensor y, std::vector<std::string> names,
             const LoadOptions& opt) {
  Dataset d;
  d.name = name;
  if (x.dim() >= 3) {
    if (opt.resolution > 0) x = resize_images(x, opt.resolution, parse_resize(opt.resize));
    d.image_shape = {x.size(1), x.size(2)};
    if (x.dim() == 4) d.image_shape.push_back(x.size(3));
  }
  d.x = x.reshape({x.size(0), -1}).contiguous();
  d.y = y.contiguous();
  d.class_names = std::move(names);
  return d;
}

Split split(const Dataset& d, uint64_t seed) {
  MU_CHECK(d.size() >= 2, d.name + ": need at least 2 examples");
  auto [tr, te] = stratified_split(d.y, d.classes(), 0.2, seed);
  return {subset(d, tr), subset(d, te)};
}

Split load_idx_spec(const std::string& spec, const LoadOptions& opt) {
  auto [fi, fl] = split_comma(spec.substr(4));
  MU_CHECK(!fi.empty(), "idx: needs a file, e.g. idx:images.idx3-ubyte.gz,labels.idx1-ubyte.gz");
  at::Tensor x = features(read_idx(fi), fi);
  at::Tensor y = at::zeros({x.size(0)}, at::kLong);
  std::vector<std::string> names = {"unlabelled"};
  if (!fl.empty()) std::tie(y, names) = remap_labels(read_idx(fl), x.size(0), fl);
  return split(make(spec, x, y, names, opt), opt.seed);
}

Split load_npy_spec(const std::string& spec, const LoadOptions& opt) {
  auto [ff, fl] = split_comma(spec.substr(4));
  MU_CHECK(!ff.empty(), "npy: needs a file, e.g. npy:features.npy,labels.npy");
  at::Tensor x = features(load_npy(ff), ff);
  at::Tensor y = at::zeros({x.size(0)}, at::kLong);
  std::vector<std::string> names = {"unlabelled"};
  if (!fl.empty()) std::tie(y, names) = remap_labels(load_npy(fl), x.size(0), fl);
  return split(make(spec, x, y, names, opt), opt.seed);
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> f;
  size_t b = 0;
  for (;;) {
    size_t e = line.find(',', b);
    std::string s = line.substr(b, e == std::string::npos ? std::string::npos : e - b);
    // trim spaces and a trailing '\r'
    size_t s0 = s.find_first_not_of(" \t\r"), s1 = s.find_last_not_of(" \t\r");
    f.push_back(s0 == std::string::npos ? "" : s.substr(s0, s1 - s0 + 1));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return f;
}

bool parse_double(const std::string& s, double& v) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno != ERANGE;
}

Split load_csv_spec(const std::string& spec, const LoadOptions& opt) {
  std::string file = spec.substr(4);
  std::ifstream in(file);
  MU_CHECK(!file.empty() && in, "csv: cannot open '" + file + "'");
  std::vector<std::string> labels;
  std::vector<float> values;
  int64_t width = -1, line_no = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto f = csv_fields(line);
    double v;
    // A first line with no numeric feature field at all is a header.
    if (line_no == 1 && f.size() >= 2 &&
        std::none_of(f.begin() + 1, f.end(), [&](const std::string& s) { return parse_double(s, v); }))
      continue;
    MU_CHECK(f.size() >= 2, fmt::format("{}:{}: need a label and at least one feature", file, line_no));
    if (width < 0) width = f.size();
    MU_CHECK(static_cast<int64_t>(f.size()) == width,
             fmt::format("{}:{}: {} fields, expected {} like the first row; fix the row", file, line_no, f.size(), width));
    MU_CHECK(!f[0].empty(), fmt::format("{}:{}: empty label", file, line_no));
    labels.push_back(f[0]);
    for (size_t c = 1; c < f.size(); ++c) {
      MU_CHECK(parse_double(f[c], v),
               fmt::format("{}:{} column {}: '{}' is not a number; fix the row", file, line_no, c + 1, f[c]));
      MU_CHECK(std::isfinite(v), fmt::format("{}:{} column {}: {} is NaN or infinite; clean the data first", file,
                                             line_no, c + 1, f[c]));
      values.push_back(static_cast<float>(v));
    }
  }
  MU_CHECK(!labels.empty(), file + ": no data rows");
  int64_t n = labels.size();
  at::Tensor x = at::from_blob(values.data(), {n, width - 1}, at::kFloat).clone();
  // Class names: the distinct labels, in numeric order when all are integers, else lexicographic.
  std::set<std::string> uniq(labels.begin(), labels.end());
  std::vector<std::string> names(uniq.begin(), uniq.end());
  bool numeric = std::all_of(names.begin(), names.end(), [](const std::string& s) {
    double v;
    return parse_double(s, v) && v == std::floor(v);
  });
  if (numeric)
    std::sort(names.begin(), names.end(), [](auto& a, auto& b) { return std::stod(a) < std::stod(b); });
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < names.size(); ++i) index[names[i]] = i;
  std::vector<int64_t> y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = index[labels[i]];
  return split(make(spec, x, at::tensor(y, at::kLong), names, opt), opt.seed);
}

}  // namespace

Split load_user_data(const std::string& spec, const LoadOptions& opt) {
  if (spec.rfind("idx:", 0) == 0) return load_idx_spec(spec, opt);
  if (spec.rfind("npy:", 0) == 0) return load_npy_spec(spec, opt);
  if (spec.rfind("csv:", 0) == 0) return load_csv_spec(spec, opt);
  throw Error("unknown user data spec '" + spec + "'; use idx:FILE[,LABELS], csv:FILE or npy:FILE[,LABELS]");
}

}  // namespace mu::data
