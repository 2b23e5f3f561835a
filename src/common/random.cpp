#include "common/random.h"

#include <cstdint>
#include <string>
#include <ATen/CPUGeneratorImpl.h>

#include "common/error.h"

namespace mu {

at::Tensor balanced_indices(const std::vector<at::Tensor>& pools, int64_t take, at::Generator& gen,
                            bool replace_short) {
  const auto i64 = at::TensorOptions().dtype(at::kLong);
  std::vector<at::Tensor> rows;
  for (size_t k = 0; k < pools.size(); ++k) {
    const int64_t n = pools[k].numel();
    MU_CHECK(n >= take || (replace_short && n >= 1), "class " + std::to_string(k) + " has " + std::to_string(n) +
                                                         " examples; " + std::to_string(take) + " needed");
    at::Tensor pick = n >= take ? at::randperm(n, gen, i64).narrow(0, 0, take) : at::randint(0, n, {take}, gen, i64);
    rows.push_back(pools[k].index_select(0, pick));
  }
  return at::stack(rows);
}

uint64_t derive_seed(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  auto mix = [](uint64_t z) {  // splitmix64's finaliser
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t h = mix(a);
  h = mix(h ^ b);
  h = mix(h ^ c);
  h = mix(h ^ d);
  return h >> 11;
}

at::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

at::Tensor truncated_normal(at::IntArrayRef shape, double stddev, at::Generator& gen,
                            at::ScalarType dtype) {
  at::Tensor t = at::normal(0.0, 1.0, shape, gen, at::TensorOptions().dtype(at::kDouble));
  for (;;) {
    at::Tensor bad = t.abs() > 2.0;
    int64_t n = bad.sum().item<int64_t>();
    if (n == 0) break;
    t.masked_scatter_(bad, at::normal(0.0, 1.0, {n}, gen, at::TensorOptions().dtype(at::kDouble)));
  }
  return (t * stddev).to(dtype);
}

}  // namespace mu
