// sklearn.datasets.make_moons, generated in C++ (no package holds two-moons data).
#include <cstdint>
#include <cmath>

#include "common/error.h"
#include "common/random.h"
#include "data/dataset.h"

namespace mu {

Dataset make_moons(int64_t n, double noise, uint64_t seed) {
  MU_CHECK(n >= 2, "make_moons: need at least 2 samples");
  MU_CHECK(noise >= 0 && std::isfinite(noise), "make_moons: noise must be a finite number >= 0");
  // Like sklearn: n_out = n/2 on the upper moon, the rest on the lower one.
  const int64_t n_out = n / 2, n_in = n - n_out;
  auto opts = at::TensorOptions().dtype(at::kDouble);
  at::Tensor t_out = at::linspace(0, M_PI, n_out, opts), t_in = at::linspace(0, M_PI, n_in, opts);
  at::Tensor x_out = at::stack({at::cos(t_out), at::sin(t_out)}, 1);              // (n_out, 2)
  at::Tensor x_in = at::stack({1 - at::cos(t_in), 1 - at::sin(t_in) - 0.5}, 1);  // (n_in, 2)
  at::Tensor x = at::cat({x_out, x_in}, 0);                                       // (n, 2)
  at::Tensor y = at::cat({at::zeros({n_out}, at::kLong), at::ones({n_in}, at::kLong)});
  at::Generator gen = make_generator(seed);
  at::Tensor perm = at::randperm(n, gen, at::TensorOptions().dtype(at::kLong));
  x = x.index_select(0, perm);
  y = y.index_select(0, perm);
  if (noise > 0) x = x + at::normal(0.0, noise, {n, 2}, gen, opts);
  Dataset d;
  d.name = "moons";
  d.x = x.to(at::kFloat).contiguous();
  d.y = y.contiguous();
  d.class_names = {"upper", "lower"};
  return d;
}

}  // namespace mu
