// metaunsup embed: features X^L of a trained base model for every example of a data set, as .npy.
#include <cstdint>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "cli.h"
#include "common/error.h"
#include "common/npy.h"
#include "data/dataset.h"
#include "eval/baselines.h"

namespace {

struct Args {
  std::string model, data, out, split = "test", labels;
  int64_t resolution = 14, reference = 1000, chunk = 4096;
  uint64_t seed = 0;
};

mu::cli::RegisterCommand reg("embed", [](CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* sub = app.add_subcommand("embed", "features of a trained base model (NumPy .npy)");
  sub->add_option("--model", a->model, "base model file (e.g. DIR/phi from learn or evaluate)")->required();
  sub->add_option("--data", a->data, "data set name or spec")->required();
  sub->add_option("--out", a->out, "output .npy (float32, n x N^L)")->required();
  sub->add_option("--split", a->split, "train, test or all")->capture_default_str()->check(
      CLI::IsMember({"train", "test", "all"}));
  sub->add_option("--labels", a->labels, "also write the labels (int64) to this .npy");
  sub->add_option("--resolution", a->resolution, "image resolution (14 or 28)")->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(1024)));
  sub->add_option("--reference", a->reference,
                  "batch-norm statistics from this many training examples (the first ones)")->capture_default_str();
  sub->add_option("--seed", a->seed, "data seed (for sets whose split is seeded)")->capture_default_str();
  sub->callback([a] {
    MU_CHECK(a->reference >= 2, "--reference must be at least 2");
    mu::Phi phi = mu::load_phi(a->model);
    mu::Split s = mu::load_dataset(a->data, a->resolution, a->seed);
    MU_CHECK(s.train.dim() == phi.width(0),
             fmt::format("the model takes {} inputs but {} has {} features (check --resolution)", phi.width(0),
                         a->data, s.train.dim()));
    at::Tensor x, y;
    if (a->split == "train") {
      x = s.train.x, y = s.train.y;
    } else if (a->split == "test") {
      x = s.test.x, y = s.test.y;
    } else {
      x = at::cat({s.train.x, s.test.x}), y = at::cat({s.train.y, s.test.y});
    }
    MU_CHECK(x.size(0) >= 1, "the selected split is empty");
    at::NoGradGuard ng;
    at::Tensor ref = s.train.x.narrow(0, 0, std::min(a->reference, s.train.size())).to(at::kFloat);
    MU_CHECK(ref.size(0) >= 2, "need at least 2 training examples for the batch-norm statistics");
    std::vector<at::Tensor> parts;
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < x.size(0); i += a->chunk) {
      int64_t n = std::min(a->chunk, x.size(0) - i);
      parts.push_back(mu::embed_reference(phi, ref, x.narrow(0, i, n).to(at::kFloat)));
      mu::cli::progress("embed", i + n, x.size(0),
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    at::Tensor f = at::cat(parts).to(at::kFloat).contiguous();
    mu::save_npy(a->out, f);
    if (!a->labels.empty()) mu::save_npy(a->labels, y.to(at::kLong).contiguous());
    std::cerr << fmt::format("metaunsup: wrote {} ({} x {})\n", a->out, f.size(0), f.size(1));
  });
});

}  // namespace
