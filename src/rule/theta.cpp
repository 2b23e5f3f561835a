#include "rule/theta.h"

#include <cstdint>
#include <cmath>

#include <fmt/format.h>

#include "common/archive.h"
#include "common/error.h"
#include "common/parse.h"
#include "common/random.h"

namespace mu {
namespace {
struct Spec {
  std::string name;
  std::vector<int64_t> shape;
  enum Init { kConv, kLinear, kZero, kMerge } init;
};

// Section 10 inventory. Conv kernels are [K, Cin, Cout] (TF layout), linear weights [Cin, Cout].
std::vector<Spec> inventory(const RuleOptions& opt) {
  std::vector<Spec> s;
  auto conv = [&](const std::string& n, int64_t k, int64_t ci, int64_t co) {
    s.push_back({n + ".w", {k, ci, co}, Spec::kConv});
    s.push_back({n + ".b", {co}, Spec::kZero});
  };
  auto bn = [&](const std::string& n, int64_t c) { s.push_back({n + ".beta", {c}, Spec::kZero}); };
  auto lin = [&](const std::string& n, int64_t ci, int64_t co) {
    s.push_back({n + ".w", {ci, co}, Spec::kLinear});
    s.push_back({n + ".b", {co}, Spec::kZero});
  };
  // TopD (section 4): 37,728
  conv("topd.conv1", 5, 1, 64);   bn("topd.bn1", 64);
  conv("topd.uconv2", 3, 32, 32); bn("topd.bn2", 32);
  conv("topd.uconv3", 3, 32, 32); bn("topd.bn3", 32);
  conv("topd.conv4", 3, 64, 64);  bn("topd.bn4", 64);
  conv("topd.conv5", 3, 64, 64);  bn("topd.bn5", 64);
  conv("topd.out", 3, 64, 32);
  // ComputeH (section 5): 70,884
  bn("computeh.bn_in", 36);
  conv("computeh.conv_a", 3, 45, 64); bn("computeh.bn_a", 64);
  conv("computeh.unit1a", 3, 64, 64); bn("computeh.bn_1a", 64);
  conv("computeh.unit1b", 3, 64, 64); bn("computeh.bn_1b", 64);
  conv("computeh.conv_b", 3, 64, 64); bn("computeh.bn_b", 64);
  conv("computeh.unit2a", 3, 64, 64); bn("computeh.bn_2a", 64);
  conv("computeh.unit2b", 3, 64, 64); bn("computeh.bn_2b", 64);
  // Readouts from h (sections 6-8)
  lin("readout.delta", 64, 32);
  lin("readout.bias", 64, 1);
  for (const auto& n : lowrr_names()) lin("lowrr." + n, 64, 4);
  s.push_back({"merge.w", {12}, Spec::kMerge});
  s.push_back({"merge.b", {1}, Spec::kZero});
  if (!opt.identical_updates) {  // the paper's own V update: 15 readouts + 13 merge values more
    for (const auto& n : lowrr_names()) lin("v.lowrr." + n, 64, 4);
    s.push_back({"v.merge.w", {12}, Spec::kMerge});
    s.push_back({"v.merge.b", {1}, Spec::kZero});
  }
  return s;
}
}  // namespace

const std::vector<std::string>& lowrr_names() {
  static const std::vector<std::string> n = {
      "0_order.top",        "0_order.bottom",        "1_order.top",         "1_order.bottom",
      "rbf.top",            "rbf.bottom",            "lin_lower_symm.top",  "lin_lower_symm.bottom",
      "sqr_lower_symm.top", "sqr_lower_symm.bottom", "lin_upper_symm.top",  "lin_upper_symm.bottom",
      "sqr_upper_symm.top", "sqr_upper_symm.bottom", "lin_upper_psd"};
  return n;
}

std::string variant_name(const RuleOptions& opt) {
  return opt.identical_updates ? "code (identical_updates, 12 planes)" : "paper-V (separate V update, 12 planes)";
}

const at::Tensor& Theta::operator[](const std::string& name) const {
  auto it = tensors.find(name);
  MU_CHECK(it != tensors.end(), "theta has no tensor '" + name + "'");
  return it->second;
}

std::vector<at::Tensor> Theta::list() const {
  std::vector<at::Tensor> v;
  for (const auto& n : names) v.push_back(tensors.at(n));
  return v;
}

int64_t Theta::count() const {
  int64_t c = 0;
  for (const auto& [n, t] : tensors) c += t.numel();
  return c;
}

Theta Theta::with(const std::vector<at::Tensor>& values) const {
  MU_CHECK(values.size() == names.size(), "theta: wrong number of tensors");
  Theta t = *this;
  for (size_t i = 0; i < names.size(); ++i) t.tensors[names[i]] = values[i];
  return t;
}

Theta Theta::detached() const {
  std::vector<at::Tensor> v;
  for (const auto& t : list()) v.push_back(t.detach());
  return with(v);
}

Theta Theta::requires_grad(bool on) const {
  std::vector<at::Tensor> v;
  for (const auto& t : list()) v.push_back(t.detach().clone().set_requires_grad(on));
  return with(v);
}

Theta Theta::to(at::ScalarType dtype) const {
  std::vector<at::Tensor> v;
  for (const auto& t : list()) v.push_back(t.detach().to(dtype));
  return with(v);
}

Theta init_theta(uint64_t seed, const RuleOptions& opt, at::ScalarType dtype) {
  at::Generator gen = make_generator(seed);
  Theta th;
  th.options = opt;
  for (const auto& s : inventory(opt)) {
    at::Tensor t;
    switch (s.init) {
      case Spec::kConv: t = truncated_normal(s.shape, 1.0 / std::sqrt(double(s.shape[0] * s.shape[1])), gen, dtype); break;
      case Spec::kLinear: t = truncated_normal(s.shape, 1.0 / std::sqrt(double(s.shape[0])), gen, dtype); break;
      case Spec::kZero: t = at::zeros(s.shape, at::TensorOptions().dtype(dtype)); break;
      case Spec::kMerge: t = at::full(s.shape, 0.1, at::TensorOptions().dtype(dtype)); break;
    }
    th.names.push_back(s.name);
    th.tensors[s.name] = t;
  }
  return th;
}

void save_theta(const Theta& theta, const std::string& path, std::map<std::string, std::string> meta) {
  Archive a;
  a.meta = std::move(meta);
  a.meta["format"] = "metaunsup-rule-v1";
  a.meta["variant"] = variant_name(theta.options);
  a.meta["identical_updates"] = theta.options.identical_updates ? "1" : "0";
  a.meta["eta"] = fmt::format("{}", theta.options.eta);
  a.meta["parameters"] = std::to_string(theta.count());
  for (const auto& n : theta.names) a.tensors.emplace_back(n, theta[n]);
  save_archive(path, a);
}

Theta load_theta(const std::string& path, std::map<std::string, std::string>* meta) {
  Archive a = load_archive(path, "metaunsup-rule-v1");
  RuleOptions opt;
  if (a.meta.count("identical_updates")) {
    const std::string& iu = a.meta.at("identical_updates");
    MU_CHECK(iu == "0" || iu == "1", path + ": meta field 'identical_updates' is '" + iu + "', expected 0 or 1");
    opt.identical_updates = iu == "1";
  }
  if (a.meta.count("eta")) {
    // The inner step size: a NaN, negative or >= 1 eta would silently wreck every base model it trains.
    opt.eta = parse_real(a.meta.at("eta"), path + ": meta field 'eta'");
    MU_CHECK(opt.eta > 0 && opt.eta < 1, path + ": meta field 'eta' is " + a.meta.at("eta") + ", expected a number in (0, 1)");
  }
  Theta fresh = init_theta(0, opt);
  std::vector<at::Tensor> values;
  for (const auto& n : fresh.names) {
    MU_CHECK(a.has(n), path + ": rule file lacks tensor '" + n + "' (incompatible variant?)");
    const at::Tensor& t = a.at(n);
    MU_CHECK(t.sizes() == fresh[n].sizes(), path + ": tensor '" + n + "' has the wrong shape");
    MU_CHECK(t.is_floating_point() && at::isfinite(t).all().item<bool>(),
             path + ": tensor '" + n + "' is not finite");
    values.push_back(t.to(at::kFloat));
  }
  MU_CHECK(a.tensors.size() == fresh.names.size(), path + ": rule file has unexpected extra tensors");
  if (meta) *meta = a.meta;
  return fresh.with(values);
}

}  // namespace mu
