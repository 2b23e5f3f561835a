#pragma once
// The base model f(x; phi) of docs/maths.md section 2: an MLP whose every layer is
// matmul -> batch norm (batch statistics, no scale, offset = bias) -> activation, with forward weights W,
// backward weights V (used only by the rule's error propagation) and a fixed input permutation.
#include <cstdint>
#include <string>
#include <vector>

#include "base/activation.h"
#include "common/torch.h"

namespace mu {

struct Arch {
  std::vector<int64_t> widths;  // N^0 .. N^L; N^L is the embedding (32 for the rule's TopD)
  Activation activation = Activation::relu;
  int64_t layers() const { return static_cast<int64_t>(widths.size()) - 1; }
  std::string str() const;  // "196-128-128-128-32 relu"
};
// "128x4" or "128,64,64" hidden widths -> full widths with input and output added.
Arch make_arch(int64_t input, const std::string& hidden, int64_t output = 32,
               Activation act = Activation::relu);

struct Phi {
  std::vector<at::Tensor> W, V, b;  // W[l-1], V[l-1] are N^{l-1} x N^l; b[l-1] is N^l  (l = 1..L)
  at::Tensor perm;                  // (N^0) int64: X^0 = x[:, perm]
  Activation activation = Activation::relu;
  int64_t layers() const { return static_cast<int64_t>(W.size()); }
  int64_t width(int64_t l) const { return l == 0 ? W[0].size(0) : W[l - 1].size(1); }
  std::vector<at::Tensor> tensors() const;  // W..., V..., b... (the state the rule updates)
  Phi detached() const;
  Phi requires_grad(bool on) const;
  // The network up to layer L - below_top (shared tensors), so that embed() returns X^{L-below_top}:
  // features read out below the embedding (0 = the whole network). Throws unless 0 <= below_top < L.
  Phi below_top(int64_t below_top) const;
};

// The CLI's --features-from: "top" (the embedding X^L, the paper's readout) -> 0, "hidden" (the last hidden
// layer) -> 1, or a count of layers below the top. Throws mu::Error on anything else.
int64_t parse_features_from(const std::string& s);

// Section 2.2: W, V ~ TN(0.01) drawn independently, b ~ TN(0.1), uniform random input permutation.
Phi init_phi(const Arch& arch, uint64_t seed, at::ScalarType dtype = at::kFloat, bool shuffle_input = true);

struct Activations {
  std::vector<at::Tensor> Z;  // Z[l] is (B, N^l); Z[0] := X[0], the code's convention (docs/maths.md 3)
  std::vector<at::Tensor> X;  // X[l] is (B, N^l); X[0] is the permuted input
};

// Rejects a wrong input width, B < 2 and non-finite values with an mu::Error.
void check_batch(const Phi& phi, const at::Tensor& x, const char* what = "batch");
Activations forward(const Phi& phi, const at::Tensor& x);
at::Tensor embed(const Phi& phi, const at::Tensor& x);  // X^L, (B, N^L)

// Base model files: W/V/b/perm plus the activation, readable from Python with torch.load.
void save_phi(const Phi& phi, const std::string& path);
Phi load_phi(const std::string& path);

}  // namespace mu
