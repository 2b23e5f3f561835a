#include "base/base_model.h"
#include "base/batch_norm.h"
#include <cstdint>

#include "common/archive.h"
#include "common/error.h"
#include "common/random.h"

namespace mu {

std::string Arch::str() const {
  std::string s;
  for (size_t i = 0; i < widths.size(); ++i) s += (i ? "-" : "") + std::to_string(widths[i]);
  return s + " " + to_string(activation);
}

namespace {
// A whole, plain positive decimal: no sign, point, spaces or trailing text ("4.5" and "48x3x2" are refused,
// where std::stoll would read 4 and 48).
int64_t parse_count(const std::string& s, const std::string& why) {
  MU_CHECK(!s.empty() && s.size() <= 9, why);
  for (char c : s) MU_CHECK(c >= '0' && c <= '9', why);
  return std::stoll(s);
}
}  // namespace

Arch make_arch(int64_t input, const std::string& hidden, int64_t output, Activation act) {
  MU_CHECK(input >= 1, "input width must be >= 1");
  const std::string why = "bad --arch '" + hidden + "' (expected WIDTHxDEPTH like 128x4, or a list like 256,128)";
  Arch a;
  a.activation = act;
  a.widths.push_back(input);
  const size_t x = hidden.find('x');
  if (x != std::string::npos) {  // WxD: D layers of W units (D = 0: no hidden layer)
    const int64_t w = parse_count(hidden.substr(0, x), why), n = parse_count(hidden.substr(x + 1), why);
    MU_CHECK(w >= 1 && n <= 64, why);
    a.widths.insert(a.widths.end(), size_t(n), w);
  } else if (!hidden.empty()) {  // W1,W2,...: one entry per hidden layer
    size_t start = 0;
    while (true) {
      const size_t comma = hidden.find(',', start);
      const int64_t w = parse_count(hidden.substr(start, comma - start), why);
      MU_CHECK(w >= 1, why);
      a.widths.push_back(w);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    MU_CHECK(a.widths.size() <= 65, why);
  }
  a.widths.push_back(output);
  return a;
}

std::vector<at::Tensor> Phi::tensors() const {
  std::vector<at::Tensor> t(W);
  t.insert(t.end(), V.begin(), V.end());
  t.insert(t.end(), b.begin(), b.end());
  return t;
}

Phi Phi::detached() const {
  Phi p = *this;
  for (auto* v : {&p.W, &p.V, &p.b})
    for (auto& t : *v) t = t.detach();
  return p;
}

Phi Phi::below_top(int64_t k) const {
  MU_CHECK(k >= 0 && k < layers(), "features from " + std::to_string(k) + " layers below the top: the network has only " +
                                       std::to_string(layers()) + " layers");
  Phi p = *this;
  for (auto* v : {&p.W, &p.V, &p.b}) v->resize(v->size() - size_t(k));
  return p;
}

int64_t parse_features_from(const std::string& s) {
  if (s == "top") return 0;
  if (s == "hidden") return 1;
  const std::string why = "bad --features-from '" + s + "' (expected top, hidden or a number of layers below the top)";
  MU_CHECK(!s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string::npos, why);
  return std::stoll(s);
}

Phi Phi::requires_grad(bool on) const {
  Phi p = detached();
  for (auto* v : {&p.W, &p.V, &p.b})
    for (auto& t : *v) t = t.clone().set_requires_grad(on);
  return p;
}

Phi init_phi(const Arch& arch, uint64_t seed, at::ScalarType dtype, bool shuffle_input) {
  MU_CHECK(arch.layers() >= 1, "the base model needs at least one layer");
  at::Generator gen = make_generator(seed);
  Phi p;
  p.activation = arch.activation;
  for (int64_t l = 1; l <= arch.layers(); ++l) {
    int64_t n_in = arch.widths[l - 1], n_out = arch.widths[l];
    MU_CHECK(n_in >= 1 && n_out >= 1, "layer widths must be >= 1");
    p.W.push_back(truncated_normal({n_in, n_out}, 0.01, gen, dtype));
    p.V.push_back(truncated_normal({n_in, n_out}, 0.01, gen, dtype));
    p.b.push_back(truncated_normal({n_out}, 0.1, gen, dtype));
  }
  p.perm = shuffle_input ? at::randperm(arch.widths[0], gen, at::TensorOptions().dtype(at::kLong))
                         : at::arange(arch.widths[0], at::TensorOptions().dtype(at::kLong));
  return p;
}

void check_batch(const Phi& phi, const at::Tensor& x, const char* what) {
  MU_CHECK(x.defined() && x.dim() == 2, std::string(what) + " must be a 2-D (batch, features) tensor");
  MU_CHECK(x.size(1) == phi.width(0), std::string(what) + " has " + std::to_string(x.size(1)) +
                                          " features but the base model's input width is " +
                                          std::to_string(phi.width(0)));
  MU_CHECK(x.size(0) >= 2, std::string(what) + " has " + std::to_string(x.size(0)) +
                               " example(s); batch statistics need a batch of at least 2");
  MU_CHECK(at::isfinite(x).all().item<bool>(), std::string(what) + " contains NaN or infinite values");
}

at::Tensor batch_norm_offset(const at::Tensor& x, const at::Tensor& beta, double eps) {
  // An explicit unit scale rather than none: with the scale undefined, CUDA's native batch-norm backward
  // returns an empty gradient for the offset. Multiplying by 1 is exact, so CPU results are unchanged.
  at::Tensor unit = at::ones({x.size(-1)}, x.options().requires_grad(false));
  return at::batch_norm(x, unit, beta, {}, {}, true, 0.0, eps, false);
}

Activations forward(const Phi& phi, const at::Tensor& x_raw) {
  check_batch(phi, x_raw, "input batch");
  Activations a;
  at::Tensor x = x_raw.to(phi.W[0].scalar_type()).index_select(1, phi.perm);  // X^0 (B, N^0)
  a.Z.push_back(x);
  a.X.push_back(x);
  for (int64_t l = 1; l <= phi.layers(); ++l) {
    at::Tensor u = at::matmul(a.X.back(), phi.W[l - 1]);  // (B, N^l)
    // BN over the batch, eps 1e-6, unit scale, offset = bias (the bias is the BN offset).
    at::Tensor z = batch_norm_offset(u, phi.b[l - 1], 1e-6);
    a.Z.push_back(z);
    a.X.push_back(activate(z, phi.activation));
  }
  return a;
}

at::Tensor embed(const Phi& phi, const at::Tensor& x) { return forward(phi, x).X.back(); }

void save_phi(const Phi& phi, const std::string& path) {
  Archive a;
  a.meta["format"] = "metaunsup-phi-v1";
  a.meta["activation"] = to_string(phi.activation);
  a.meta["layers"] = std::to_string(phi.layers());
  for (int64_t l = 0; l < phi.layers(); ++l) {
    a.tensors.emplace_back("W" + std::to_string(l + 1), phi.W[l]);
    a.tensors.emplace_back("V" + std::to_string(l + 1), phi.V[l]);
    a.tensors.emplace_back("b" + std::to_string(l + 1), phi.b[l]);
  }
  a.tensors.emplace_back("perm", phi.perm);
  save_archive(path, a);
}

Phi load_phi(const std::string& path) {
  Archive a = load_archive(path, "metaunsup-phi-v1");
  Phi p;
  p.activation = parse_activation(a.meta.at("activation"));
  int64_t L = std::stoll(a.meta.at("layers"));
  for (int64_t l = 1; l <= L; ++l) {
    p.W.push_back(a.at("W" + std::to_string(l)));
    p.V.push_back(a.at("V" + std::to_string(l)));
    p.b.push_back(a.at("b" + std::to_string(l)));
    MU_CHECK(p.W.back().dim() == 2 && p.V.back().sizes() == p.W.back().sizes() &&
                 p.b.back().dim() == 1 && p.b.back().size(0) == p.W.back().size(1),
             path + ": inconsistent shapes in layer " + std::to_string(l));
    MU_CHECK(l == 1 || p.W[l - 2].size(1) == p.W.back().size(0), path + ": layer widths do not chain");
  }
  p.perm = a.at("perm");
  MU_CHECK(p.perm.numel() == p.W[0].size(0), path + ": permutation length does not match input width");
  return p;
}

}  // namespace mu
