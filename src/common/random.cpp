#include "common/random.h"

#include <cstdint>
#include <ATen/CPUGeneratorImpl.h>

namespace mu {

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
