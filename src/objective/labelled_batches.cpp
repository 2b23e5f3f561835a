#include "objective/labelled_batches.h"
#include <cstdint>

#include "common/random.h"

namespace mu {
namespace {
// Indices (classes, take), each class's share drawn without replacement.
at::Tensor draw(const at::Tensor& y, int64_t classes, int64_t take, at::Generator& gen) {
  std::vector<at::Tensor> pools;
  for (int64_t c = 0; c < classes; ++c) pools.push_back(at::nonzero(y == c).view(-1));
  return balanced_indices(pools, take, gen);
}
LabelledBatch gather(const at::Tensor& x, const at::Tensor& y, at::Tensor idx, at::Generator& gen) {
  idx = idx.reshape(-1).index_select(0, at::randperm(idx.numel(), gen, at::TensorOptions().dtype(at::kLong)));
  return {x.index_select(0, idx), y.index_select(0, idx)};
}
}  // namespace

LabelledBatch balanced_batch(const at::Tensor& x, const at::Tensor& y, int64_t classes, int64_t per_class,
                             at::Generator& gen) {
  return gather(x, y, draw(y, classes, per_class, gen), gen);
}

std::pair<LabelledBatch, LabelledBatch> balanced_pair(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                                      int64_t per_class, at::Generator& gen) {
  at::Tensor idx = draw(y, classes, 2 * per_class, gen);  // disjoint halves
  return {gather(x, y, idx.narrow(1, 0, per_class), gen), gather(x, y, idx.narrow(1, per_class, per_class), gen)};
}

}  // namespace mu
