#include "base/activation.h"

#include "common/error.h"

namespace mu {
namespace {
const std::vector<std::pair<Activation, std::string>>& table() {
  static const std::vector<std::pair<Activation, std::string>> t = {
      {Activation::relu, "relu"},       {Activation::leaky_relu, "leaky_relu"},
      {Activation::swish, "swish"},     {Activation::tanh, "tanh"},
      {Activation::sigmoid, "sigmoid"}, {Activation::elu, "elu"},
      {Activation::softplus, "softplus"}, {Activation::step, "step"},
      {Activation::identity, "identity"}};
  return t;
}
}  // namespace

Activation parse_activation(const std::string& name) {
  std::string names;
  for (const auto& [a, n] : table()) {
    if (n == name) return a;
    names += (names.empty() ? "" : ", ") + n;
  }
  throw Error("unknown activation '" + name + "' (one of: " + names + ")");
}

std::string to_string(Activation a) {
  for (const auto& [x, n] : table())
    if (x == a) return n;
  return "?";
}

const std::vector<Activation>& all_activations() {
  static std::vector<Activation> all = [] {
    std::vector<Activation> v;
    for (const auto& [a, n] : table()) v.push_back(a);
    return v;
  }();
  return all;
}

at::Tensor activate(const at::Tensor& z, Activation a) {
  switch (a) {
    case Activation::relu: return at::relu(z);
    case Activation::leaky_relu: return at::leaky_relu(z, 0.2);
    case Activation::swish: return z * at::sigmoid(z);
    case Activation::tanh: return at::tanh(z);
    case Activation::sigmoid: return at::sigmoid(z);
    case Activation::elu: return at::elu(z);
    case Activation::softplus: return at::softplus(z);
    case Activation::step: return (z > 0).to(z.scalar_type());
    case Activation::identity: return z;
  }
  return z;
}

}  // namespace mu
