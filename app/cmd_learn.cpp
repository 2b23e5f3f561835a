// metaunsup learn: apply the learned rule without labels to a fresh base model and record the
// MetaObjective along the way (curve.csv); save the trained base model (phi.pt).
#include <cstdint>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include "cli.h"
#include "common/error.h"
#include "common/random.h"
#include "data/dataset.h"
#include "objective/labelled_batches.h"
#include "rule/unsupervised_update.h"
#include "rule_arg.h"

namespace {
struct Args {
  std::string rule, data = "moons", out, arch = "128x4", activation = "relu";
  int64_t steps = 3000, batch = 128, resolution = 14, every = 10, per_class = 10;
  uint64_t seed = 0;
};

void learn(const Args& a) {
  c10::InferenceMode guard;  // pure application: no autograd bookkeeping
  MU_CHECK(a.batch >= 2, "--batch must be at least 2");
  MU_CHECK(a.every >= 1 && a.steps >= 0 && a.steps <= 1000000000, "--every must be >= 1 and --steps in 0..1e9");
  mu::Dataset d = mu::load_dataset(a.data, a.resolution, a.seed).train;
  MU_CHECK(d.size() >= a.batch, fmt::format("--batch {}: the data set has only {} training examples", a.batch, d.size()));
  mu::Arch arch = mu::make_arch(d.dim(), a.arch, 32, mu::parse_activation(a.activation));
  mu::cli::check_fits(arch, a.batch, a.arch);
  mu::Theta th = mu::cli::rule_or_fresh(a.rule);  // after the checks: its note never precedes an error
  mu::Phi phi = mu::init_phi(arch, a.seed);
  at::Generator gen = mu::make_generator(a.seed + 1);
  std::filesystem::create_directories(a.out);
  std::ofstream csv(a.out + "/curve.csv");
  csv << "step,meta_loss,cosine,ridge_penalty,accuracy_test,accuracy_train,seconds\n";
  auto t0 = std::chrono::steady_clock::now();
  auto secs = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  auto record = [&](int64_t step) {
    auto [tr, te] = mu::balanced_pair(d.x, d.y, d.classes(), a.per_class, gen);
    mu::MetaObjectiveResult r = mu::meta_objective(phi, tr, te, d.classes());
    csv << fmt::format("{},{:.6f},{:.6f},{:.6f},{:.4f},{:.4f},{:.2f}\n", step, r.loss.item<double>(),
                       r.cosine.item<double>(), r.ridge_penalty.item<double>(), r.accuracy_test,
                       r.accuracy_train, secs());
    csv.flush();
  };
  fmt::print(stderr, "learn: {} on {} ({} examples, {} classes), {} steps of B={}\n", arch.str(), d.name,
             d.size(), d.classes(), a.steps, a.batch);
  at::Tensor order;
  int64_t pos = d.size();
  for (int64_t step = 0; step < a.steps; ++step) {
    if (step % a.every == 0) record(step);
    if (pos + a.batch > d.size()) {  // a fresh shuffle every epoch
      order = at::randperm(d.size(), gen, at::TensorOptions().dtype(at::kLong));
      pos = 0;
    }
    phi = mu::unsupervised_step(th, phi, d.x.index_select(0, order.narrow(0, pos, a.batch)));
    pos += a.batch;
    if ((step + 1) % 10 == 0 || step + 1 == a.steps) mu::cli::progress("learn", step + 1, a.steps, secs());
  }
  record(a.steps);
  mu::save_phi(phi, a.out + "/phi.pt");
  fmt::print("wrote {}/curve.csv and {}/phi.pt\n", a.out, a.out);
}

mu::cli::RegisterCommand reg("learn", [](CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* sub = app.add_subcommand("learn", "apply the learned rule without labels: train a fresh base model");
  sub->add_option("--rule", a->rule, "rule file (default: freshly initialised, said on stderr)");
  sub->add_option("--data", a->data, "data set name or spec")->capture_default_str();
  sub->add_option("--out", a->out, "output directory")->required();
  sub->add_option("--arch", a->arch, "hidden widths: 128x4 or 256,128")->capture_default_str();
  sub->add_option("--activation", a->activation, "base-model activation")->capture_default_str();
  sub->add_option("--steps", a->steps, "rule applications")->capture_default_str();
  sub->add_option("--batch", a->batch, "unlabelled batch size")->capture_default_str();
  sub->add_option("--resolution", a->resolution, "image resolution (14 or 28)")->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(1024)));
  sub->add_option("--every", a->every, "record the MetaObjective every k steps")->capture_default_str();
  sub->add_option("--seed", a->seed, "seed of phi, permutation and batches")->capture_default_str();
  sub->callback([a] { learn(*a); });
});
}  // namespace
