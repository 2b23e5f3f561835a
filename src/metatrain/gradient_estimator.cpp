#include "metatrain/gradient_estimator.h"

#include "metatrain/recompute.h"

namespace mu {

UnrollResult FullReverseMode::estimate(const Theta& theta, const Phi& phi0, const UnrollBatches& batches) const {
  return unroll_grad(theta, phi0, batches);
}

UnrollResult Recompute::estimate(const Theta& theta, const Phi& phi0, const UnrollBatches& batches) const {
  return unroll_grad_recompute(theta, phi0, batches);
}

std::shared_ptr<const GradientEstimator> make_gradient_estimator(const MetaConfig& cfg) {
  if (cfg.recompute) return std::make_shared<const Recompute>();
  return std::make_shared<const FullReverseMode>();
}

}  // namespace mu
