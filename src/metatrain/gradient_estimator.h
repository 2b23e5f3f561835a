#pragma once
// How a truncated unroll becomes a meta-gradient: given theta, a slot's inner state phi_0 and the batches of
// one truncation (U = batches.unlabelled.size() rule steps), return the mean meta-loss, d loss / d theta and
// the new inner state phi_U (UnrollResult). meta-training asks its WorkContext's estimator for every unroll.
//
//  * FullReverseMode: backpropagation through the U steps' kept graphs (unroll_grad).
//  * Recompute: only the detached states phi_0..phi_U are kept; the backward pass recomputes one step at a
//    time (unroll_grad_recompute). Same gradient up to rounding, peak memory one step's graph.
//
// Evolution strategies (ES, and PES with its perturbation sums carried across a task's truncations) would
// plug in as further implementations: antithetic pairs of unroll_loss at theta +- sigma * eps, no backward
// pass; PES's running perturbation sum would live beside phi in the slot's state (SlotState, workers.h)
// and be reset where the truncation schedule begins a task.
#include <memory>
#include <string>

#include "metatrain/config.h"
#include "metatrain/unroll.h"

namespace mu {

class GradientEstimator {
 public:
  virtual ~GradientEstimator() = default;
  // Thread-safe: one estimator serves every worker.
  virtual UnrollResult estimate(const Theta& theta, const Phi& phi0, const UnrollBatches& batches) const = 0;
  virtual std::string name() const = 0;
};

class FullReverseMode final : public GradientEstimator {
 public:
  UnrollResult estimate(const Theta& theta, const Phi& phi0, const UnrollBatches& batches) const override;
  std::string name() const override { return "full-reverse"; }
};

class Recompute final : public GradientEstimator {
 public:
  UnrollResult estimate(const Theta& theta, const Phi& phi0, const UnrollBatches& batches) const override;
  std::string name() const override { return "recompute"; }
};

// The config's choice: its `recompute` key (true: Recompute, false: FullReverseMode).
std::shared_ptr<const GradientEstimator> make_gradient_estimator(const MetaConfig& cfg);

}  // namespace mu
