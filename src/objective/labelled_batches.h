#pragma once
#include <cstdint>
// Class-balanced labelled batches for the MetaObjective: `per_class` examples of every class
// (10 in the code), drawn without replacement within a batch, shuffled.
#include "objective/meta_objective.h"

namespace mu {
LabelledBatch balanced_batch(const at::Tensor& x, const at::Tensor& y, int64_t classes, int64_t per_class,
                             at::Generator& gen);
// A disjoint (train, test) pair, as the code's two draws from the training stream.
std::pair<LabelledBatch, LabelledBatch> balanced_pair(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                                      int64_t per_class, at::Generator& gen);
}  // namespace mu
