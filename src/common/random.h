#pragma once
#include <cstdint>

#include "common/torch.h"

namespace mu {
// A seeded CPU generator: every random draw in the project takes one, so runs reproduce from seeds.
at::Generator make_generator(uint64_t seed);
// TensorFlow's truncated normal TN(s): N(0, s^2), draws beyond 2s redrawn.
at::Tensor truncated_normal(at::IntArrayRef shape, double stddev, at::Generator& gen,
                            at::ScalarType dtype = at::kFloat);
}  // namespace mu
