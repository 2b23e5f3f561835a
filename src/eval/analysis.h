#pragma once
// Representation analysis: first-layer receptive fields, PCA spectrum of the embedding,
// and the two-moons before/after study.
#include <cstdint>
#include <vector>

#include "base/base_model.h"
#include "rule/theta.h"

namespace mu {

// First-layer weights of up to `max_units` units, each mapped back to input (pixel) order by undoing the
// input permutation: tile[p] = W1[inv_perm[p], unit]. Rows of `image_shape[0] * image_shape[1] * C` values.
std::vector<std::vector<float>> first_layer_filters(const Phi& phi, int64_t max_units);

// Cumulative fraction of variance explained by the first 1..D principal components of `features` (n, D).
std::vector<double> cumulative_explained_variance(const at::Tensor& features);

// Projection of `features` (n, D) on their top `k` principal components (n, k), float32.
at::Tensor pca_project(const at::Tensor& features, int64_t k);

struct MoonsStudy {
  at::Tensor before, after;  // (n, 2) top-2 PCA projections of the 32-d embedding, before/after training
  at::Tensor y;              // (n) class labels
  std::vector<double> variance_before, variance_after;  // cumulative explained variance
  double logistic_before = 0, logistic_after = 0;        // OvR logistic accuracy, fit and scored on
                                                         // separate halves of the held-out moons
};
// Trains a fresh base model (2 -> hidden -> 32) on two moons with the rule for `steps` batches.
MoonsStudy moons_study(const Theta& theta, const std::string& hidden, int64_t steps, int64_t batch, uint64_t seed);

}  // namespace mu
