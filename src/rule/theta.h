#pragma once
// theta: the learned rule's parameters, a named, ordered set of tensors (docs/maths.md section 10).
// 114,670 trainable values for the code variant; +3,913 with identical_updates off (V's own readouts+merge).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/torch.h"

namespace mu {

struct RuleOptions {
  bool identical_updates = true;  // code default: V receives W's update; off = the paper's own V update
  double eta = 1e-4;              // inner step: x <- (1 - eta) x - eta * Delta
  bool smooth = false;            // softplus instead of ReLU inside TopD/ComputeH (for finite differences)
};

struct Theta {
  RuleOptions options;
  std::vector<std::string> names;                 // canonical order (fixed by init_theta)
  std::map<std::string, at::Tensor> tensors;
  const at::Tensor& operator[](const std::string& name) const;
  std::vector<at::Tensor> list() const;           // tensors in canonical order
  int64_t count() const;                          // number of trainable values
  Theta detached() const;
  Theta requires_grad(bool on) const;             // fresh leaves, for meta-gradients
  Theta to(at::ScalarType dtype) const;
  Theta with(const std::vector<at::Tensor>& values) const;  // same names, new values (canonical order)
};

// The Sonnet-1 initialisers of section 10: conv kernels TN(1/sqrt(K*Cin)), linear TN(1/sqrt(Cin)),
// biases and BN offsets 0, merge weights 0.1, merge bias 0.
Theta init_theta(uint64_t seed, const RuleOptions& opt = {}, at::ScalarType dtype = at::kFloat);

// The LowRR readouts, in the order their 4-channel blocks appear in the fused readout (section 7.2).
const std::vector<std::string>& lowrr_names();  // "0_order.top", ..., "lin_upper_psd"
std::string variant_name(const RuleOptions& opt);

// Rule files (Python: torch.load(path)["tensors"]). meta carries variant, eta and provenance.
void save_theta(const Theta& theta, const std::string& path, std::map<std::string, std::string> meta = {});
Theta load_theta(const std::string& path, std::map<std::string, std::string>* meta = nullptr);

}  // namespace mu
