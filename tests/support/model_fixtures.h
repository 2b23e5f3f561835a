#pragma once
// Shared fixtures for the base-model, rule and objective tests: small models, deterministic batches.
#include "base/base_model.h"
#include "common/random.h"
#include "objective/meta_objective.h"
#include "rule/theta.h"

namespace mu::testing {

inline at::Tensor batch(int64_t B, int64_t D, uint64_t seed, at::ScalarType dt = at::kFloat) {
  at::Generator g = make_generator(seed);
  return at::rand({B, D}, g, at::TensorOptions().dtype(dt));  // pixel-like values in [0, 1)
}

// n examples of `classes` classes whose mean differs per class, so features are learnable.
inline LabelledBatch labelled(int64_t n, int64_t D, int64_t classes, uint64_t seed,
                              at::ScalarType dt = at::kFloat) {
  at::Generator g = make_generator(seed);
  at::Tensor y = at::arange(n, at::TensorOptions().dtype(at::kLong)).remainder(classes);
  at::Tensor centres = at::rand({classes, D}, g, at::TensorOptions().dtype(dt));
  at::Tensor x = centres.index_select(0, y) + 0.3 * at::rand({n, D}, g, at::TensorOptions().dtype(dt));
  return {x, y};
}

inline double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace mu::testing
