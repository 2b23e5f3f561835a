// metaunsup trace: one application of the rule on one batch, every intermediate saved as .npy with a
// manifest, so the rule can be inspected and other implementations compared number by number.
#include <cstdint>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "common/error.h"
#include "common/npy.h"
#include "common/random.h"
#include "data/dataset.h"
#include "rule/unsupervised_update.h"
#include "rule_arg.h"

namespace {
struct Args {
  std::string rule, arch = "128x4", out, data, activation = "relu";
  int64_t input = 196, batch = 128, resolution = 14;
  uint64_t seed = 0;
};

void trace(const Args& a) {
  MU_CHECK(!a.out.empty(), "--out DIR is required");
  MU_CHECK(a.batch >= 2 && a.batch <= 1000000, fmt::format("--batch {}: expected 2..1000000", a.batch));
  MU_CHECK(a.input >= 1 && a.input <= 10000000, fmt::format("--input {}: expected 1..10000000", a.input));
  at::Tensor x;
  std::string source;
  if (!a.data.empty()) {
    mu::Dataset d = mu::load_dataset(a.data, a.resolution, a.seed).train;
    MU_CHECK(d.size() >= a.batch, "data set has fewer examples than --batch");
    at::Generator g = mu::make_generator(a.seed);
    x = d.x.index_select(0, at::randperm(d.size(), g, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, a.batch));
    source = a.data + " (training split)";
  } else {
    at::Generator g = mu::make_generator(a.seed);
    x = at::rand({a.batch, a.input}, g);
    source = "uniform [0,1) pixels, seed " + std::to_string(a.seed);
  }
  mu::Arch arch = mu::make_arch(x.size(1), a.arch, 32, mu::parse_activation(a.activation));
  mu::cli::check_fits(arch, a.batch, a.arch);
  mu::Theta th = mu::cli::rule_or_fresh(a.rule);  // after the checks: its note never precedes an error
  mu::Phi phi = mu::init_phi(arch, a.seed);
  mu::Trace tr;
  mu::Update u = mu::compute_update(th, phi, x, &tr);
  mu::Phi next = mu::apply_update(phi, u, th.options.eta);

  std::filesystem::create_directories(a.out);
  nlohmann::json man = {{"architecture", arch.widths}, {"activation", a.activation}, {"batch", a.batch},
                        {"seed", a.seed}, {"eta", th.options.eta}, {"variant", mu::variant_name(th.options)},
                        {"batch_source", source}, {"rule", a.rule.empty() ? "fresh (seed 0)" : a.rule},
                        {"tensors", nlohmann::json::array()}};
  auto put = [&](const std::string& name, const std::string& layout, const at::Tensor& t) {
    std::string file = name + ".npy";
    mu::save_npy(a.out + "/" + file, t);
    man["tensors"].push_back({{"name", name}, {"file", file}, {"shape", t.sizes().vec()},
                              {"dtype", std::string(c10::toString(t.scalar_type()))}, {"layout", layout}});
  };
  for (const auto& n : th.names) put("theta." + n, "conv [K, Cin, Cout], linear [Cin, Cout]", th[n]);
  for (int64_t l = 0; l < phi.layers(); ++l) {
    std::string s = std::to_string(l + 1);
    put("phi_before.W" + s, "(N^{l-1}, N^l)", phi.W[l]);
    put("phi_before.V" + s, "(N^{l-1}, N^l)", phi.V[l]);
    put("phi_before.b" + s, "(N^l)", phi.b[l]);
    put("phi_after.W" + s, "(N^{l-1}, N^l)", next.W[l]);
    put("phi_after.V" + s, "(N^{l-1}, N^l)", next.V[l]);
    put("phi_after.b" + s, "(N^l)", next.b[l]);
  }
  put("phi.perm", "(N^0) X^0 = input[:, perm]", phi.perm);
  for (const auto& e : tr.entries) put(e.name, e.layout, e.value);
  std::ofstream(a.out + "/manifest.json") << man.dump(1) << "\n";
  fmt::print("wrote {} tensors and manifest.json to {}\n", man["tensors"].size(), a.out);
}

mu::cli::RegisterCommand reg("trace", [](CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* sub = app.add_subcommand("trace", "one application of the rule on one batch, every intermediate as .npy");
  sub->add_option("--rule", a->rule, "rule file (default: freshly initialised)");
  sub->add_option("--arch", a->arch, "hidden widths: 128x4 or 256,128")->capture_default_str();
  sub->add_option("--input", a->input, "input width when no --data is given")->capture_default_str();
  sub->add_option("--data", a->data, "take the batch from this data set instead of uniform noise");
  sub->add_option("--resolution", a->resolution, "image resolution for --data")->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(1024)));
  sub->add_option("--activation", a->activation, "base-model activation")->capture_default_str();
  sub->add_option("--batch", a->batch, "batch size B >= 2")->capture_default_str();
  sub->add_option("--seed", a->seed, "seed of phi and the batch")->capture_default_str();
  sub->add_option("--out", a->out, "output directory")->required();
  sub->callback([a] { trace(*a); });
});
}  // namespace
