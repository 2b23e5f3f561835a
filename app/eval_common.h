#pragma once
// Shared option plumbing of `evaluate` and `experiment` (the few-shot protocol's knobs).
#include <cstdint>
#include <chrono>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "eval/protocol.h"

namespace mu::cli {

struct EvalArgs {
  std::string rule, data = "mnist", out, arch = "128x4", activation = "relu", baselines = "all",
              readout = "logistic", features_from = "top";
  int64_t resolution = 14;
  bool no_permute = false;
  EvalConfig cfg;
};

inline void add_eval_options(CLI::App* sub, EvalArgs* a, bool experiment) {
  sub->add_option("--rule", a->rule, "rule file (default: a freshly initialised rule, said on stderr)");
  sub->add_option("--data", a->data, "data set name or spec")->capture_default_str();
  sub->add_option("--out", a->out, "output directory")->required();
  sub->add_option("--arch", a->arch, "hidden widths of the base model: 128x4 or 256,128")->capture_default_str();
  sub->add_option("--activation", a->activation, "base-model activation")->capture_default_str();
  sub->add_option("--resolution", a->resolution, "image resolution (14 or 28)")->capture_default_str();
  std::string names;  // the registry's methods other than the learned rule
  for (const auto& m : mu::all_methods())
    if (m != "learned") names += (names.empty() ? "" : ",") + m;
  sub->add_option("--baselines", a->baselines,
                  experiment ? "methods besides learned and random (comma list, or 'none')"
                             : "baselines besides the learned rule: all, none, or a comma list of " + names)
      ->capture_default_str();
  sub->add_option("--readout", a->readout,
                  "headline readout: logistic (OvR on the features), standardised (OvR on standardised features, "
                  "as a scikit-learn pipeline), multinomial or ridge; every one is reported")
      ->capture_default_str();
  sub->add_option("--features-from", a->features_from,
                  "layer the network methods are read out from: top (the embedding, the paper's), hidden (the last "
                  "hidden layer) or a number of layers below the top")
      ->capture_default_str();
  sub->add_option("--shots", a->cfg.shots, "labelled examples per class")->capture_default_str();
  sub->add_option("--seeds", a->cfg.seeds, "base-model seeds")->capture_default_str();
  sub->add_option("--draws", a->cfg.draws, "label draws per seed")->capture_default_str();
  sub->add_option("--steps", a->cfg.steps, "applications of the learned rule")->capture_default_str();
  sub->add_option("--batch", a->cfg.batch, "unlabelled batch per application")->capture_default_str();
  sub->add_option("--curve-every", a->cfg.curve_every, "record the few-shot curve every k steps")
      ->capture_default_str();
  sub->add_option("--eta", a->cfg.eta, "inner step size (0: the rule file's)")->capture_default_str();
  sub->add_option("--seed", a->cfg.seed, "seed of base models, permutations, batches and label draws")
      ->capture_default_str();
  sub->add_option("--reference", a->cfg.reference, "batch-norm reference batch (unlabelled training examples)")
      ->capture_default_str();
  sub->add_option("--checkpoints", a->cfg.checkpoints,
                  "rule steps at which the learned method is also scored in full (comma list, each <= --steps)")
      ->delimiter(',');
  sub->add_option("--vae-steps", a->cfg.vae.steps,
                  "VAE training steps at most (batch 128, Adam 1e-4; stops earlier when a validation split of the "
                  "training data stops improving)")
      ->capture_default_str();
  sub->add_option("--vae-min-steps", a->cfg.vae.min_steps, "VAE training steps at least")->capture_default_str();
  sub->add_option("--vae-layers", a->cfg.vae.layers, "VAE hidden layers of 128 in the encoder and in the decoder")
      ->capture_default_str();
  sub->add_option("--supervised-steps", a->cfg.supervised.steps, "supervised baseline Adam steps")
      ->capture_default_str();
  sub->add_option("--kmeans-k", a->cfg.kmeans.k, "k-means centres of the kmeans method (feature width; kmeans-32 has 32)")
      ->capture_default_str();
  sub->add_option("--fit-examples", a->cfg.fit_examples, "unlabelled examples PCA and k-means are fitted on")
      ->capture_default_str();
  sub->add_flag("--no-permute", a->no_permute, "keep the input order (default: a fresh permutation per seed)");
}

// Validates and completes a->cfg from the string options.
inline void finish_eval_args(EvalArgs* a, bool experiment) {
  a->cfg.hidden = a->arch;
  a->cfg.activation = parse_activation(a->activation);
  a->cfg.readout = parse_readout(a->readout);
  a->cfg.features_below_top = parse_features_from(a->features_from);
  a->cfg.shuffle_input = !a->no_permute;
  std::string b = a->baselines == "none" ? "" : a->baselines;
  std::vector<std::string> m = b == "all" ? all_methods() : parse_methods(b);
  std::vector<std::string> list = {"learned"};
  if (experiment) list.push_back("random");
  for (const auto& x : m) list.push_back(x);
  a->cfg.methods = parse_methods([&] {
    std::string s;
    for (const auto& x : list) s += x + ",";
    return s;
  }());
  MU_CHECK(a->cfg.shots >= 1, "--shots must be at least 1");
  MU_CHECK(a->cfg.seeds >= 1 && a->cfg.seeds <= 1000, "--seeds must be in 1..1000");
  MU_CHECK(a->cfg.draws >= 1 && a->cfg.draws <= 1000, "--draws must be in 1..1000");
  MU_CHECK(a->cfg.steps >= 0, "--steps must be >= 0");
  MU_CHECK(a->cfg.batch >= 2, "--batch must be at least 2");
  MU_CHECK(a->cfg.curve_every >= 0, "--curve-every must be >= 0");
  MU_CHECK(a->cfg.eta >= 0, "--eta must be >= 0");
  MU_CHECK(a->cfg.reference >= 2, "--reference must be at least 2");
  MU_CHECK(a->cfg.vae.steps >= 1 && a->cfg.supervised.steps >= 1, "--vae-steps and --supervised-steps must be >= 1");
  MU_CHECK(a->cfg.vae.min_steps >= 0, "--vae-min-steps must be >= 0");
  MU_CHECK(a->cfg.vae.layers >= 1 && a->cfg.vae.layers <= 16, "--vae-layers must be in 1..16");
  MU_CHECK(a->cfg.kmeans.k >= 1, "--kmeans-k must be >= 1");
  for (int64_t t : a->cfg.checkpoints)
    MU_CHECK(t >= 0 && t <= a->cfg.steps, "--checkpoints: step " + std::to_string(t) + " is outside 0..--steps (" +
                                              std::to_string(a->cfg.steps) + ")");
  MU_CHECK(a->cfg.fit_examples >= 2, "--fit-examples must be at least 2");
  MU_CHECK(a->resolution >= 1 && a->resolution <= 1024, "--resolution must be in 1..1024");
}

// A progress printer for the protocol's (label, i, n) callbacks: one timer per label.
struct ProgressPrinter {
  std::map<std::string, std::chrono::steady_clock::time_point> start;
  void operator()(const std::string& label, int64_t i, int64_t n) {
    auto now = std::chrono::steady_clock::now();
    auto it = start.find(label);
    if (it == start.end()) it = start.emplace(label, now).first;
    double secs = std::chrono::duration<double>(now - it->second).count();
    if (n > 0) progress(label, i, n, secs);
  }
};

}  // namespace mu::cli
