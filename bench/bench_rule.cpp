// Google Benchmark targets: one application of the rule and one meta-gradient step (U = 5) at the
// reference size (196-128x4-32), with FLOP rates from the analytic count and the ratio to a large sgemm
// measured in the same process (counters "GFLOPs" and "frac_sgemm").
#include <benchmark/benchmark.h>

#include <c10/core/InferenceMode.h>

#include "common/random.h"
#include "common/runtime.h"
#include "metatrain/unroll.h"
#include "rule/flops.h"

namespace {
double g_sgemm_gflops = 0;

void BM_Sgemm(benchmark::State& st) {
  const int64_t n = st.range(0);
  at::Tensor a = at::rand({n, n}), b = at::rand({n, n}), c = at::empty({n, n});
  for (auto _ : st) at::mm_out(c, a, b);
  double gf = 2.0 * n * n * n * st.iterations() / 1e9;
  st.counters["GFLOPs"] = benchmark::Counter(gf * 1e9, benchmark::Counter::kIsRate);
}

double sgemm_rate() {
  if (g_sgemm_gflops == 0) {
    at::Tensor a = at::rand({2048, 2048}), b = at::rand({2048, 2048}), c = at::empty({2048, 2048});
    at::mm_out(c, a, b);
    double best = 1e30;
    for (int i = 0; i < 3; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      at::mm_out(c, a, b);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    g_sgemm_gflops = 2.0 * 2048 * 2048 * 2048 / best / 1e9;
  }
  return g_sgemm_gflops;
}

void set_counters(benchmark::State& st, double flops_per_iter) {
  st.counters["GFLOPs"] = benchmark::Counter(flops_per_iter, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["sgemm_GFLOPs"] = sgemm_rate();
}

void BM_InnerStep(benchmark::State& st) {
  const int64_t B = st.range(0);
  c10::InferenceMode guard;
  mu::Theta th = mu::init_theta(0);
  mu::Arch a = mu::make_arch(196, "128x4");
  mu::Phi phi = mu::init_phi(a, 0);
  at::Generator g = mu::make_generator(1);
  at::Tensor x = at::rand({B, 196}, g);
  for (auto _ : st) benchmark::DoNotOptimize(mu::unsupervised_step(th, phi, x).W[0]);
  set_counters(st, mu::rule_flops(a.widths, B));
}

void BM_MetaGradStep(benchmark::State& st) {
  const int64_t B = st.range(0), U = 5;
  mu::Theta th = mu::init_theta(0);
  mu::Arch a = mu::make_arch(196, "128x4");
  mu::Phi phi = mu::init_phi(a, 0);
  at::Generator g = mu::make_generator(1);
  mu::UnrollBatches ub;
  at::Tensor y = at::arange(100, at::kLong).remainder(10);
  for (int64_t t = 0; t < U; ++t) {
    ub.unlabelled.push_back(at::rand({B, 196}, g));
    ub.evals.push_back({{{at::rand({100, 196}, g), y}, {at::rand({100, 196}, g), y}}});
  }
  for (auto _ : st) benchmark::DoNotOptimize(mu::unroll_grad(th, phi, ub).loss);
  set_counters(st, mu::meta_grad_flops(a.widths, B, U));
}
}  // namespace

BENCHMARK(BM_Sgemm)->Arg(2048)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InnerStep)->Arg(32)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_MetaGradStep)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(3.0);

int main(int argc, char** argv) {
  mu::init_runtime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
