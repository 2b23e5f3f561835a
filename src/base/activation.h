#pragma once
#include <string>
#include <vector>

#include "common/torch.h"

namespace mu {
// Base-model nonlinearities (relu is the paper's; the rest are the generalization study's).
enum class Activation { relu, leaky_relu, swish, tanh, sigmoid, elu, softplus, step, identity };
Activation parse_activation(const std::string& name);  // throws mu::Error listing the valid names
std::string to_string(Activation a);
const std::vector<Activation>& all_activations();
at::Tensor activate(const at::Tensor& z, Activation a);
}  // namespace mu
