#include "metatrain/noise_scale.h"

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <random>
#include <string>
#include <thread>

#include <ATen/Parallel.h>

#include "common/error.h"
#include "common/random.h"
#include "common/runtime.h"
#include "metatrain/workers.h"

namespace mu {

namespace {
// |G|^2 and tr(Sigma) from the tasks counted `c` times each (c sums to K; all ones = the plain estimate).
// gbar = sum_i c_i g_i / K, so |gbar|^2 = c' gram c / K^2 and sum_i c_i |g_i - gbar|^2 = sum_i c_i gram_ii - K |gbar|^2.
void estimate(const at::Tensor& gram, const at::Tensor& c, double& grad_sq, double& trace_sigma) {
  const double K = double(gram.size(0));
  double mean_sq = c.dot(at::mv(gram, c)).item<double>() / (K * K);
  double spread = c.dot(gram.diagonal()).item<double>() - K * mean_sq;
  trace_sigma = spread / (K - 1);
  grad_sq = mean_sq - trace_sigma / K;
}
double b_of(double grad_sq, double trace_sigma) {
  return grad_sq > 0 ? trace_sigma / grad_sq : std::numeric_limits<double>::infinity();
}
}  // namespace

NoiseScale noise_scale(const at::Tensor& gram_in, int64_t bootstrap, uint64_t seed) {
  MU_CHECK(gram_in.dim() == 2 && gram_in.size(0) == gram_in.size(1) && gram_in.size(0) >= 2,
           "noise scale: needs a square Gram matrix of at least two gradients");
  at::Tensor gram = gram_in.to(at::kDouble);
  const int64_t K = gram.size(0);
  NoiseScale r;
  r.samples = K;
  estimate(gram, at::ones({K}, at::kDouble), r.grad_sq, r.trace_sigma);
  r.b_simple = b_of(r.grad_sq, r.trace_sigma);
  at::Tensor d = gram.diagonal().clamp_min(1e-300).sqrt();
  at::Tensor cos = gram / at::outer(d, d);
  r.mean_cosine = (cos.sum().item<double>() - cos.diagonal().sum().item<double>()) / double(K * (K - 1));
  r.b_lo = r.b_hi = r.b_simple;
  if (bootstrap > 0) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int64_t> pick(0, K - 1);
    std::vector<double> bs;
    for (int64_t b = 0; b < bootstrap; ++b) {
      at::Tensor c = at::zeros({K}, at::kDouble);
      auto ca = c.accessor<double, 1>();
      for (int64_t i = 0; i < K; ++i) ca[pick(rng)] += 1;
      double g2, tr;
      estimate(gram, c, g2, tr);
      bs.push_back(b_of(g2, tr));
    }
    // Resampled sets hold duplicates, which shrink their spread and bias B_simple low; the percentiles are
    // moved by the bootstrap median's offset from the estimate so the interval is centred on it.
    std::sort(bs.begin(), bs.end());
    auto at_q = [&](double q) { return bs[size_t(q * double(bs.size() - 1))]; };
    double shift = std::isfinite(at_q(0.5)) ? r.b_simple - at_q(0.5) : 0.0;
    r.b_lo = at_q(0.1) + shift;
    r.b_hi = at_q(0.9) + shift;
  }
  return r;
}

NoiseProbe probe_noise_scale(const MetaConfig& cfg, const TaskData& data, const Theta& theta, int64_t tasks,
                             int64_t step, int workers, uint64_t seed) {
  MU_CHECK(tasks >= 2, "noise scale: needs at least 2 tasks");
  workers = int(std::max<int64_t>(1, std::min<int64_t>(workers, tasks)));
  MetaConfig own = cfg;
  own.seed = derive_seed(cfg.seed, 0x9015e, seed);  // tasks of their own, not the run's
  const WorkContext ctx = make_work_context(own, data, data.device);
  struct One {
    bool ok = false;
    at::Tensor g;  // (P,) double
    double loss = 0;
    int64_t depth = 0;
  };
  std::vector<One> got(static_cast<size_t>(tasks));
  std::vector<std::exception_ptr> errs(static_cast<size_t>(workers));
  const int intra = std::max(1, runtime_threads() / workers);
  auto work = [&](int w) {
    try {
      if (workers > 1) at::set_num_threads(intra);
      for (int64_t i = w; i < tasks; i += workers) {
        SlotState s;
        WorkOutput out = run_unroll(ctx, s, i, theta, step);
        std::mt19937_64 rng(derive_seed(ctx.cfg.seed, uint64_t(i)));
        int64_t depth = std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(0, s.truncations - 1))(rng);
        for (int64_t k = 0; k < depth && out.ok; ++k) out = run_unroll(ctx, s, i, theta, step);
        if (!out.ok) continue;
        std::vector<at::Tensor> flat;
        for (const auto& g : out.result.grad) flat.push_back(g.reshape({-1}).to(at::kCPU, at::kDouble));
        got[size_t(i)] = {true, at::cat(flat), out.result.loss, depth};
      }
    } catch (...) {
      errs[size_t(w)] = std::current_exception();
    }
  };
  std::vector<std::thread> ts;
  for (int w = 1; w < workers; ++w) ts.emplace_back(work, w);
  work(0);
  for (auto& t : ts) t.join();
  for (auto& e : errs)
    if (e) std::rethrow_exception(e);

  NoiseProbe p;
  std::vector<at::Tensor> rows;
  for (const auto& o : got) {
    if (!o.ok) {
      ++p.dropped;
      continue;
    }
    rows.push_back(o.g);
    p.loss.push_back(o.loss);
    p.norm.push_back(o.g.norm().item<double>());
    p.depth.push_back(o.depth);
  }
  MU_CHECK(rows.size() >= 2, "noise scale: fewer than 2 tasks gave a finite meta-gradient (" +
                                 std::to_string(p.dropped) + " dropped)");
  at::Tensor m = at::stack(rows);  // (K, P)
  p.gram = at::mm(m, m.t());
  p.scale = noise_scale(p.gram, 1000, seed);
  return p;
}

}  // namespace mu
