#pragma once
#include <cstdint>
#include <vector>

#include "common/torch.h"

namespace mu {
// The one seed derivation of the project: the seed of a sub-stream from a parent seed and up to three
// parts naming the stream (splitmix64's finaliser applied to a, then to the running value xor each part;
// unused parts are 0). Results are < 2^53, which every consumer accepts. Every stream (tasks, batches,
// base networks, label draws, baselines) is derived through it, so one seed reproduces a whole run.
uint64_t derive_seed(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0);
// A seeded CPU generator: every random draw in the project takes one, so runs reproduce from seeds.
at::Generator make_generator(uint64_t seed);
// The one class-balanced draw: `take` indices from each class's pool (pools[k], int64), the first `take` of
// a random permutation of the pool (without replacement); a pool smaller than `take` is an mu::Error, or,
// with `replace_short`, drawn from uniformly with replacement. Returns (classes, take), class-major.
at::Tensor balanced_indices(const std::vector<at::Tensor>& pools, int64_t take, at::Generator& gen,
                            bool replace_short = false);
// TensorFlow's truncated normal TN(s): N(0, s^2), draws beyond 2s redrawn.
at::Tensor truncated_normal(at::IntArrayRef shape, double stddev, at::Generator& gen,
                            at::ScalarType dtype = at::kFloat);
}  // namespace mu
