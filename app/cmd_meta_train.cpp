// `metaunsup meta-train --config NAME|FILE --out DIR [--resume] [--workers K] [--deterministic]
//  [--device cpu|cuda] [--steps N]`: meta-train the rule. Under `mpirun -np K` (K >= 2) rank 0
// is the learner and the other ranks are workers.
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "cli.h"
#include "common/error.h"
#include "common/runtime.h"
#include "metatrain/config.h"
#include "metatrain/mpi.h"
#include "metatrain/trainer.h"

namespace {

struct Args {
  std::string config = "tiny", out, init;
  bool resume = false, deterministic = false;
  int workers = 1;
  std::string device = "cpu";
  int64_t steps = -1;
  double max_seconds = 0;
};

void run(const Args& a) {
  mu::MetaConfig cfg = mu::load_meta_config(a.config);
  mu::TrainOptions opt;
  opt.out_dir = a.out;
  opt.resume = a.resume;
  opt.workers = a.workers;
  opt.deterministic = a.deterministic;
  opt.device = a.device;
  opt.steps = a.steps;
  opt.init_rule = a.init;
  const int64_t total = a.steps > 0 ? a.steps : cfg.steps;
  opt.on_step = [total](const mu::StepRecord& r) {
    double rate = r.step > 0 ? r.wall_s / double(r.step) : 0;
    double eta_s = rate * double(total - r.step);
    std::string val = std::isfinite(r.val_loss)
                          ? fmt::format("  val {:.4f} (theta0 {:.4f}, acc {:.3f})", r.val_loss, r.val_loss_theta0, r.val_acc)
                          : "";
    std::cerr << fmt::format("[meta-train] step {}/{}  loss {:.4f}  |g| {:.3g}  U {:.1f}  {:.2f} unrolls/s  "
                             "dropped {}+{}  ETA {:.0f}s{}\n",
                             r.step, total, r.loss, r.grad_norm, r.u_mean, r.unrolls_per_s, r.dropped_nonfinite,
                             r.dropped_stale, eta_s, val);
  };
  if (mu::mpi_world_size() > 1) {
    mu::meta_train_mpi(cfg, opt);
    return;
  }
  mu::TrainResult res = mu::meta_train(cfg, opt);
  std::cerr << fmt::format("[meta-train] {} at meta-step {} after {:.1f} s; {} unrolls, {} non-finite and {} stale "
                           "dropped; rule in {}/theta.pt\n",
                           res.interrupted ? "stopped (checkpointed; --resume continues)" : "finished", res.step,
                           res.seconds, res.unrolls, res.dropped_nonfinite, res.dropped_stale, a.out);
}

mu::cli::RegisterCommand reg("meta-train", [](CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* sub = app.add_subcommand("meta-train", "meta-train the unsupervised update rule (Adam on theta through truncated unrolls)");
  sub->add_option("--config", a->config, "config name (configs/NAME.json: tiny, cpu, paper) or JSON file")->capture_default_str();
  sub->add_option("--out", a->out, "output folder: checkpoint.pt, theta.pt, metrics.csv, config.json")->required();
  sub->add_flag("--resume", a->resume, "continue from OUT/checkpoint.pt (starts fresh when there is none)");
  sub->add_option("--init", a->init, "warm start: a fresh run begins from this rule file, or from a checkpoint.pt with its Adam moments (same eta and variant)");
  sub->add_option("--workers", a->workers, "worker threads (each unrolls its own task; they share --threads, each "
                                           "getting max(1, threads / workers))")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  sub->add_flag("--deterministic", a->deterministic, "synchronous meta-batches: bit-identical theta for a seed and worker count");
  sub->add_option("--device", a->device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  sub->add_option("--steps", a->steps, "meta-steps (overrides the config)")->check(CLI::Range(int64_t(1), int64_t(1000000000)));
  sub->callback([a] {
    mu::init_runtime();  // keeps a --threads count given before the subcommand
    mu::check_thread_count(a->workers, "--workers");
    run(*a);
  });
});

}  // namespace
