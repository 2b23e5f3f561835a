// One application of the rule compared tensor by tensor with an independent float64 PyTorch
// implementation (tests/rule/reference/rule_reference.py, which wrote the goldens in
// tests/rule/reference/golden/ and says how to regenerate them). Both sides start from the same inputs:
// phi and x from the .npy files, theta rebuilt here from the script's deterministic per-name hash.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/npy.h"
#include "common/parse.h"
#include "rule/unsupervised_update.h"
#include "support/paths.h"

namespace mu {
namespace {

constexpr double kTol = 1e-10;  // max abs difference allowed between the two float64 implementations
constexpr double kEta = 0.01;   // the script's ETA

std::string golden(const std::string& name) {
  return testing::source_dir() + "/tests/rule/reference/golden/" + name;
}

// theta_values of rule_reference.py: element k of tensor `name` is offset + scale * (2u - 1), with u from
// the splitmix64 finaliser of fnv1a64(name) + (k + 1) * golden gamma; every step is exact or correctly
// rounded, so the values are bit-identical to the script's.
uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}
// The script's inventory() scales: kernels (K, Cin, Cout) sqrt(3 / (K Cin)), linear (Cin, Cout)
// sqrt(3 / Cin), biases and BN offsets 0.2, merge weights 0.1 +- 0.05, merge bias +- 0.05.
at::Tensor hashed_tensor(const std::string& name, at::IntArrayRef shape) {
  double scale = 0.2, offset = 0.0;
  if (ends_with(name, "merge.w")) scale = 0.05, offset = 0.1;
  else if (ends_with(name, "merge.b")) scale = 0.05;
  else if (ends_with(name, ".w") && shape.size() == 3) scale = std::sqrt(3.0 / double(shape[0] * shape[1]));
  else if (ends_with(name, ".w")) scale = std::sqrt(3.0 / double(shape[0]));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(at::kDouble));
  double* p = t.data_ptr<double>();
  const uint64_t seed = fnv1a64(name);
  for (int64_t k = 0; k < t.numel(); ++k) {
    const double u = double(mix64(seed + uint64_t(k + 1) * 0x9E3779B97F4A7C15ull) >> 11) * 0x1p-53;
    const double r = 2.0 * u - 1.0;  // exact
    const double v = scale * r;      // one rounding, then another: the script's order, no fused multiply-add
    p[k] = offset + v;
  }
  return t;
}

Theta reference_theta(bool identical_updates) {
  RuleOptions opt;
  opt.identical_updates = identical_updates;
  opt.eta = kEta;
  Theta shape = init_theta(0, opt, at::kDouble);
  std::vector<at::Tensor> v;
  for (const auto& n : shape.names) v.push_back(hashed_tensor(n, shape[n].sizes()));
  return shape.with(v);
}

Phi reference_phi() {
  Phi phi;
  for (int l = 1; l <= 3; ++l) {
    phi.W.push_back(load_npy(golden(fmt::format("W{}.npy", l))));
    phi.V.push_back(load_npy(golden(fmt::format("V{}.npy", l))));
    phi.b.push_back(load_npy(golden(fmt::format("b{}.npy", l))));
  }
  phi.perm = load_npy(golden("perm.npy"));
  phi.activation = Activation::relu;
  return phi;
}

std::vector<std::string> manifest() {
  std::ifstream f(golden("manifest.txt"));
  std::vector<std::string> names;
  for (std::string line; std::getline(f, line);)
    if (!line.empty() && line[0] != '#') names.push_back(line);
  return names;
}

// "" when `got` matches the golden file within kTol, else a line naming the tensor and the worst element.
std::string compare(const std::string& what, const at::Tensor& got, const std::string& file) {
  const at::Tensor want = load_npy(golden(file));
  if (got.sizes() != want.sizes())
    return fmt::format("{}: shape {} but the golden {} has {}", what, fmt::join(got.sizes(), "x"), file,
                       fmt::join(want.sizes(), "x"));
  if (want.numel() == 0) return "";
  const at::Tensor diff = (got.to(at::kDouble) - want).abs().flatten();
  const int64_t at_k = diff.argmax().item<int64_t>();
  const double worst = diff[at_k].item<double>();
  if (worst < kTol) return "";  // (a NaN never passes this test)
  return fmt::format("{}: max abs diff {:.3g} (tolerance {:g}) at flat index {}: engine {:.17g}, reference {:.17g}",
                     what, worst, kTol, at_k, got.flatten()[at_k].item<double>(),
                     want.flatten()[at_k].item<double>());
}

struct OneApplication {
  Trace trace;
  Update update;
  Phi next;
  std::map<std::string, at::Tensor> tensors;  // trace entries and "new.W1" ... of the stepped phi
  explicit OneApplication(bool identical_updates) {
    const Theta th = reference_theta(identical_updates);
    const Phi phi = reference_phi();
    update = compute_update(th, phi, load_npy(golden("x.npy")), &trace);
    next = apply_update(phi, update, th.options.eta);
    for (const auto& e : trace.entries) tensors[e.name] = e.value;
    for (int l = 1; l <= 3; ++l) {
      tensors[fmt::format("new.W{}", l)] = next.W[l - 1];
      tensors[fmt::format("new.V{}", l)] = next.V[l - 1];
      tensors[fmt::format("new.b{}", l)] = next.b[l - 1];
    }
  }
};

}  // namespace

// The two sides must start from the same theta: the script's checksums of the hashed values.
TEST(ReferenceRule, ThetaIsRebuiltFromTheScriptsHash) {
  std::map<std::string, double> sums;
  std::ifstream f(golden("theta_checksums.txt"));
  ASSERT_TRUE(f) << golden("theta_checksums.txt");
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name, value;
    ss >> name >> value;
    sums[name] = parse_real(value, "theta_checksums.txt: " + name);
  }
  const Theta th = reference_theta(false);  // the larger inventory (with V's own readouts)
  EXPECT_EQ(sums.size(), th.names.size());
  for (const auto& n : th.names) {
    ASSERT_TRUE(sums.count(n)) << "the script has no theta tensor " << n;
    const double got = th[n].abs().sum().item<double>();
    EXPECT_NEAR(got, sums[n], 1e-12 * sums[n]) << n;
  }
  EXPECT_EQ(th.count(), 114670 + 3913);
}

// Every golden tensor of the code variant (identical_updates), one by one in the order the rule computes
// them, so that the first failure names the first tensor that went wrong.
TEST(ReferenceRule, EveryIntermediateTensorMatches) {
  OneApplication run(true);
  const std::vector<std::string> names = manifest();
  ASSERT_EQ(names.size(), 76u) << "manifest.txt: 16 per-layer activations, signals and states, 17 update tensors per layer, 9 of the new phi";
  int compared = 0;
  for (const auto& n : names) {
    ASSERT_TRUE(run.tensors.count(n)) << "the engine does not produce " << n;
    EXPECT_EQ(compare(n, run.tensors.at(n), n + ".npy"), "");
    ++compared;
  }
  // Tensors the script does not store separately because they equal a stored one.
  EXPECT_EQ(compare("input", run.tensors.at("input"), "x.npy"), "");
  EXPECT_EQ(compare("topd.d", run.tensors.at("topd.d"), "layer3.d.npy"), "");
  for (int l = 1; l <= 3; ++l) {
    const std::string dv = fmt::format("layer{}.DeltaV", l);
    EXPECT_EQ(compare(dv, run.tensors.at(dv), fmt::format("layer{}.DeltaW.npy", l)), "")
        << "with identical_updates DeltaV is DeltaW";
  }
  EXPECT_EQ(compared, int(names.size()));
}

// Update (what compute_update returns) agrees with the traced copies the comparison above used.
TEST(ReferenceRule, ReturnedUpdateMatches) {
  OneApplication run(true);
  for (int l = 1; l <= 3; ++l) {
    EXPECT_EQ(compare(fmt::format("dW[{}]", l - 1), run.update.dW[l - 1], fmt::format("layer{}.DeltaW.npy", l)), "");
    EXPECT_EQ(compare(fmt::format("dV[{}]", l - 1), run.update.dV[l - 1], fmt::format("layer{}.DeltaW.npy", l)), "");
    EXPECT_EQ(compare(fmt::format("db[{}]", l - 1), run.update.db[l - 1], fmt::format("layer{}.Deltab.npy", l)), "");
  }
}

// The paper's variant (identical_updates off): V gets its own update, computed from V with the v.* readouts
// and merge; everything else is unchanged.
TEST(ReferenceRule, PaperVariantOwnVUpdateMatches) {
  OneApplication run(false);
  for (int l = 1; l <= 3; ++l) {
    const std::string dv = fmt::format("layer{}.DeltaV", l), nv = fmt::format("new.V{}", l);
    EXPECT_EQ(compare(dv, run.tensors.at(dv), "paper_v." + dv + ".npy"), "");
    EXPECT_EQ(compare(nv, run.tensors.at(nv), "paper_v." + nv + ".npy"), "");
    const std::string dw = fmt::format("layer{}.DeltaW", l);
    EXPECT_EQ(compare(dw, run.tensors.at(dw), dw + ".npy"), "");
  }
}

}  // namespace mu
