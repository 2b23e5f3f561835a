// metaunsup bench: FLOP rates of the rule (inner step), a meta-gradient step and the MetaObjective,
// each as a fraction of a large sgemm measured in the same process (absolute times on shared machines
// are noise; ratios hold). Best of N repetitions.
#include <cstdint>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_legacy.h>

#include "cli.h"
#include "common/error.h"
#include "common/random.h"
#include "common/runtime.h"
#include "metatrain/recompute.h"
#include "metatrain/tasks.h"
#include "metatrain/unroll.h"
#include "report/profile.h"
#include "rule/flops.h"

namespace {
using json = nlohmann::json;

double best_seconds(int reps, const std::function<void()>& f) {
  f();  // warm-up: allocator, OpenMP team, oneDNN primitives
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

double sgemm_gflops(int64_t n, int reps) {
  at::Tensor a = at::rand({n, n}), b = at::rand({n, n}), c = at::empty({n, n});
  double s = best_seconds(reps, [&] { at::mm_out(c, a, b); });
  return 2.0 * n * n * n / s / 1e9;
}

at::Tensor pixels(int64_t B, int64_t D, uint64_t seed) {
  at::Generator g = mu::make_generator(seed);
  return at::rand({B, D}, g);
}

mu::UnrollBatches unroll_batches(int64_t D, int64_t B, int64_t U, at::Device dev = at::kCPU) {
  mu::UnrollBatches ub;
  ub.classes = 10;
  at::Tensor y = at::arange(100, at::kLong).remainder(10).to(dev);
  for (int64_t t = 0; t < U; ++t) {
    ub.unlabelled.push_back(pixels(B, D, t).to(dev));
    ub.evals.push_back({{{pixels(100, D, 100 + t).to(dev), y}, {pixels(100, D, 200 + t).to(dev), y}}});
  }
  return ub;
}

struct Args {
  bool as_json = false, sweep = false, recompute = false;
  int reps = 3;
  int64_t rss_unroll = 0;
  std::string baseline, arch = "128x4", profile, device = "cpu";
  std::vector<int> workers{1, 2};
};

json case_row(const std::string& name, const mu::Arch& a, int64_t B, double flops, double secs, double sgemm) {
  double gf = flops / secs / 1e9;
  return {{"name", name}, {"architecture", a.widths}, {"batch", B}, {"seconds", secs},
          {"gflop", flops / 1e9}, {"gflops", gf}, {"fraction_of_sgemm", gf / sgemm}};
}

json inner_step_case(const mu::Theta& th, const mu::Arch& a, int64_t B, int reps, double sgemm) {
  c10::InferenceMode guard;
  mu::Phi phi = mu::init_phi(a, 0);
  at::Tensor x = pixels(B, a.widths[0], 1);
  double s = best_seconds(reps, [&] { mu::unsupervised_step(th, phi, x); });
  return case_row("inner_step", a, B, mu::rule_flops(a.widths, B), s, sgemm);
}

// Runs one meta-gradient step (B=128) in a child process and returns its peak resident set (MB).
double peak_rss_mb(int64_t U, const std::string& arch, bool recompute) {
  std::string cmd = fmt::format("/proc/{}/exe --threads 1 bench --arch {} --rss-of-unroll {}{}", getpid(), arch, U,
                                recompute ? " --recompute" : "");
  FILE* p = popen(cmd.c_str(), "r");
  MU_CHECK(p, "cannot start " + cmd);
  double mb = -1;
  if (fscanf(p, "%lf", &mb) != 1) mb = -1;
  pclose(p);
  return mb;
}

// Runs f under LibTorch's profiler, writes the chrome trace to dir/name.trace.json and returns the top
// operators by self time (also printed unless JSON output was asked for).
json profile_case(const std::string& dir, const std::string& name, bool quiet, const std::function<void()>& f) {
  f();  // warm-up outside the trace
  std::string path = dir + "/" + name + ".trace.json";
  {
    torch::autograd::profiler::RecordProfile guard(path);
    f();
  }
  auto ops = mu::report::profile_self_times_file(path);
  double all = 0;
  for (const auto& o : ops) all += o.self_ms;
  json top = json::array();
  if (!quiet) fmt::print("profile {} ({:.1f} ms of operator self time; trace {}):\n", name, all, path);
  for (size_t i = 0; i < std::min<size_t>(15, ops.size()); ++i) {
    const auto& o = ops[i];
    top.push_back({{"op", o.name}, {"self_ms", o.self_ms}, {"share", o.self_ms / all}, {"calls", o.calls}});
    if (!quiet) fmt::print("  {:<40} {:>9.2f} ms {:>5.1f}%  {:>6} calls\n", o.name, o.self_ms, 100 * o.self_ms / all, o.calls);
  }
  json blocks = json::array();  // the paper's blocks (RECORD_FUNCTION scopes): inclusive forward time
  for (const auto& o : ops)
    if (o.name.rfind("mu::", 0) == 0) {
      blocks.push_back({{"block", o.name}, {"total_ms", o.total_ms}, {"share", o.total_ms / all}, {"calls", o.calls}});
      if (!quiet) fmt::print("  block {:<34} {:>9.2f} ms {:>5.1f}% (inclusive)\n", o.name, o.total_ms, 100 * o.total_ms / all);
    }
  return {{"case", name}, {"self_ms_total", all}, {"top", top}, {"blocks", blocks}};
}

// The meta-trainer's unit of work on `dev`: meta-gradients of U=10 rule steps at B=64 on a fresh network
// of the reference architecture (the gpu-d4-relu128 config's shape), run by K threads at once as K
// meta-training workers would. Returns unrolls per second over all K and the FLOP rate of that.
json unrolls_case(const mu::Theta& th0, const mu::Arch& a, int K, int reps, at::Device dev, double yardstick_gflops) {
  const int64_t U = 10, B = 64;
  const mu::Theta th = th0.with([&] {
    std::vector<at::Tensor> v;
    for (const auto& t : th0.list()) v.push_back(t.to(dev));
    return v;
  }());
  std::vector<mu::UnrollBatches> ubs;
  std::vector<mu::Phi> phis;
  for (int k = 0; k < K; ++k) ubs.push_back(unroll_batches(a.widths[0], B, U, dev)), phis.push_back(mu::phi_to(mu::init_phi(a, k), dev));
  auto one = [&](int k) {
    mu::UnrollResult r = mu::unroll_grad(th, phis[size_t(k)], ubs[size_t(k)]);
    MU_CHECK(r.finite, "bench: non-finite meta-gradient on " + dev.str());
    r.grad[0].sum().item<float>();  // waits for the device
  };
  auto all = [&] {
    std::vector<std::thread> ts;
    for (int k = 0; k < K; ++k) ts.emplace_back([&, k] { at::set_num_threads(1); one(k); });
    for (auto& t : ts) t.join();
  };
  double s = K == 1 ? best_seconds(reps, [&] { one(0); }) : best_seconds(reps, all);
  json c = case_row("unrolls", a, B, K * mu::meta_grad_flops(a.widths, B, U), s, yardstick_gflops);
  c["unroll"] = U, c["workers"] = K, c["device"] = dev.str(), c["unrolls_per_s"] = K / s;
  return c;
}

// A large fp32 matmul on the device (cuBLAS's default precision), GFLOP/s: the yardstick there.
double device_matmul_gflops(at::Device dev, int reps) {
  const int64_t n = 8192;
  at::Tensor x = at::rand({n, n}).to(dev), y = at::rand({n, n}).to(dev), z = at::empty({n, n}, x.options());
  double s = best_seconds(reps, [&] {
    at::mm_out(z, x, y);
    z[0][0].item<float>();
  });
  return 2.0 * n * n * n / s / 1e9;
}

// `bench --device cuda`: unrolls per second of K concurrent workers on the GPU against its fp32 matmul.
void bench_device(const Args& a, const mu::Theta& th, const mu::Arch& ref) {
  MU_CHECK(a.device == "cuda", "bench: --device must be cpu or cuda");
  MU_CHECK(at::hasCUDA(), "bench: --device cuda, but this LibTorch has no CUDA device");
  const at::Device dev(at::kCUDA);
  json out;
  out["device"] = "cuda";
  double mm = device_matmul_gflops(dev, std::max(a.reps, 3));
  out["sgemm_gflops"] = mm;
  if (!a.as_json) fmt::print("cuda fp32 matmul 8192^3: {:.0f} GFLOP/s\n", mm);
  json cases = json::array();
  for (int K : a.workers) {
    json c = unrolls_case(th, ref, K, std::max(1, a.reps - 1), dev, mm);
    cases.push_back(c);
    if (!a.as_json)
      fmt::print("unrolls U=10 B=64 {} workers={:<3} {:>8.2f} unrolls/s {:>9.1f} GFLOP/s {:>6.2f}% of matmul\n",
                 c["architecture"].dump(), K, c["unrolls_per_s"].get<double>(), c["gflops"].get<double>(),
                 100 * c["fraction_of_sgemm"].get<double>());
  }
  out["cases"] = cases;
  if (a.as_json) std::cout << out.dump(2) << "\n";
}

void bench(const Args& a) {
  mu::Theta th = mu::init_theta(0);
  mu::Arch ref = mu::make_arch(196, a.arch);
  mu::cli::check_fits(ref, 256, a.arch);  // the largest batch a reference case runs
  if (a.rss_unroll > 0) {  // child mode of peak_rss_mb
    mu::UnrollBatches ub = unroll_batches(196, 128, a.rss_unroll);
    mu::Phi phi = mu::init_phi(ref, 0);
    mu::UnrollResult r = a.recompute ? mu::unroll_grad_recompute(th, phi, ub) : mu::unroll_grad(th, phi, ub);
    MU_CHECK(r.finite, "non-finite meta-gradient in the memory probe");
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    fmt::print("{}\n", ru.ru_maxrss / 1024.0);
    return;
  }
  if (a.device != "cpu") {
    bench_device(a, th, ref);
    return;
  }
  json out;
  out["threads"] = mu::runtime_threads();
  out["blas"] = mu::blas_library();
  double sgemm = sgemm_gflops(2048, std::max(a.reps, 3));
  out["sgemm_gflops"] = sgemm;
  json cases = json::array();
  auto say = [&](const json& c) {
    cases.push_back(c);
    if (!a.as_json)
      fmt::print("{:<16} {:<28} B={:<4} {:>8.3f} s {:>8.1f} GFLOP/s  {:>5.1f}% of sgemm\n", c["name"].get<std::string>(),
                 c["architecture"].dump(), c["batch"].get<int64_t>(), c["seconds"].get<double>(),
                 c["gflops"].get<double>(), 100 * c["fraction_of_sgemm"].get<double>());
  };
  if (!a.as_json) fmt::print("sgemm 2048^3: {:.1f} GFLOP/s, {} threads, BLAS {}\n", sgemm, out["threads"].get<int>(), out["blas"].get<std::string>());
  for (int64_t B : {128, 32}) say(inner_step_case(th, ref, B, a.reps, sgemm));
  for (int K : a.workers) say(unrolls_case(th, ref, K, std::max(1, a.reps - 1), at::kCPU, sgemm));
  {
    const int64_t U = 5, B = 128;
    mu::UnrollBatches ub = unroll_batches(196, B, U);
    mu::Phi phi = mu::init_phi(ref, 0);
    double s = best_seconds(std::max(1, a.reps - 1), [&] { mu::unroll_grad(th, phi, ub); });
    json c = case_row("meta_grad_step", ref, B, mu::meta_grad_flops(ref.widths, B, U), s, sgemm);
    c["unroll"] = U;
    say(c);
  }
  {
    c10::InferenceMode guard;
    mu::Phi phi = mu::init_phi(ref, 0);
    mu::UnrollBatches ub = unroll_batches(196, 128, 1);
    const auto& [tr, te] = ub.evals[0][0];
    double s = best_seconds(a.reps, [&] { mu::meta_objective(phi, tr, te, 10); });
    double flops = 0;  // the 200-example forward pass; the 33x33 solve is negligible
    for (size_t l = 1; l < ref.widths.size(); ++l) flops += 2.0 * 200 * ref.widths[l - 1] * ref.widths[l];
    say(case_row("meta_objective", ref, 200, flops, s, sgemm));
  }
  if (a.sweep) {
    for (int64_t depth : {2, 5})
      for (int64_t width : {32, 128, 512, 2048})
        for (int64_t B : {32, 128, 512}) {
          if (width * B * depth > 2048 * 128 * 2) continue;  // keep the sweep within minutes on 2 cores
          mu::Arch arch = mu::make_arch(196, fmt::format("{}x{}", width, depth));
          say(inner_step_case(th, arch, B, 1, sgemm));
        }
  }
  out["cases"] = cases;
  if (!a.profile.empty()) {  // where the time goes, at the reference size (B=128, U=5 for the meta-gradient)
    std::filesystem::create_directories(a.profile);
    json prof = json::array();
    mu::Phi phi = mu::init_phi(ref, 0);
    at::Tensor x = pixels(128, ref.widths[0], 1);
    prof.push_back(profile_case(a.profile, "inner_step", a.as_json, [&] {
      c10::InferenceMode guard;
      mu::unsupervised_step(th, phi, x);
    }));
    mu::UnrollBatches ub = unroll_batches(196, 128, 5);
    prof.push_back(profile_case(a.profile, "meta_grad_step", a.as_json, [&] { mu::unroll_grad(th, phi, ub); }));
    out["profile"] = prof;
  }
  // Peak memory of one meta-gradient step against U, plain reverse mode and with recomputation (the
  // latter should be flat in U), plus the large case: 512x3 at U=15 with recomputation.
  json mem = json::array();
  auto rss_row = [&](const std::string& arch, int64_t U, bool rc) {
    double mb = peak_rss_mb(U, arch, rc);
    mem.push_back({{"unroll", U}, {"architecture", mu::make_arch(196, arch).widths}, {"batch", 128},
                   {"recompute", rc}, {"peak_rss_mb", mb}});
    if (!a.as_json)
      fmt::print("meta-gradient peak RSS {:<6} B=128 U={:<2} {:<10} {:>6.0f} MB\n", arch, U, rc ? "recompute" : "plain", mb);
  };
  for (bool rc : {false, true})
    for (int64_t U : {1, 4, 15}) rss_row(a.arch, U, rc);
  if (a.sweep) rss_row("512x3", 15, true);
  out["memory"] = mem;
  if (!a.baseline.empty()) {
    std::ifstream f(a.baseline);
    MU_CHECK(f, "cannot open baseline " + a.baseline);
    json base = json::parse(f, nullptr, false);
    MU_CHECK(!base.is_discarded() && base.contains("cases"), a.baseline + " is not a bench JSON");
    json cmp = json::array();
    for (const auto& c : cases)
      for (const auto& b : base["cases"])
        if (b["name"] == c["name"] && b["architecture"] == c["architecture"] && b["batch"] == c["batch"]) {
          double r = c["fraction_of_sgemm"].get<double>() / b["fraction_of_sgemm"].get<double>();
          cmp.push_back({{"name", c["name"]}, {"batch", c["batch"]}, {"ratio_to_baseline", r}});
          if (!a.as_json) fmt::print("vs baseline: {:<16} B={:<4} {:.2f}x\n", c["name"].get<std::string>(), c["batch"].get<int64_t>(), r);
        }
    out["baseline_comparison"] = cmp;
  }
  if (a.as_json) std::cout << out.dump(2) << "\n";
}

mu::cli::RegisterCommand reg("bench", [](CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* sub = app.add_subcommand("bench", "throughput of the rule and of a meta-gradient step vs a large sgemm");
  sub->add_flag("--json", a->as_json, "print JSON");
  sub->add_flag("--sweep", a->sweep, "also sweep width x batch x depth for the inner step");
  sub->add_option("--reps", a->reps, "repetitions (best of)")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_option("--arch", a->arch, "hidden widths of the reference case")->capture_default_str();
  sub->add_option("--device", a->device, "cpu, or cuda: only the unroll throughput, against the GPU's fp32 matmul")
      ->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  sub->add_option("--workers", a->workers, "concurrent workers for the unroll throughput case (list)")
      ->delimiter(',')->capture_default_str()->check(CLI::Range(1, 256));
  sub->add_option("--baseline", a->baseline, "compare fractions of sgemm with a stored bench JSON");
  sub->add_option("--profile", a->profile, "also profile the reference cases: chrome traces and top operators by self time into DIR");
  sub->add_option("--rss-of-unroll", a->rss_unroll, "internal: run one meta-gradient step, print peak RSS")
      ->group("")->check(CLI::Range(0, 1000));
  sub->add_flag("--recompute", a->recompute, "internal: the memory probe uses recomputation")->group("");
  sub->callback([a] { bench(*a); });
});
}  // namespace
