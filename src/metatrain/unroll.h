#pragma once
// A truncated unroll: phi_0 -> U applications of the rule -> MetaObjective on every new state.
// Returns the mean meta-loss and d(loss)/d(theta); phi is carried out detached for the next unroll.
#include <cstdint>
#include <functional>
#include <vector>

#include "objective/meta_objective.h"
#include "rule/unsupervised_update.h"

namespace mu {

struct UnrollBatches {
  std::vector<at::Tensor> unlabelled;                            // U batches (B, N^0)
  // evals[t] holds M (train, test) pairs for the state after step t+1; J is averaged over all U*M.
  std::vector<std::vector<std::pair<LabelledBatch, LabelledBatch>>> evals;
  int64_t classes = 10;
  // The MetaObjective's readout: X^{L - readout_below_top} (0: the embedding, the paper's; 1: the last hidden
  // layer) with ridge penalty lambda (0.1 in the paper; wider layers read out better with more).
  int64_t readout_below_top = 0;
  double lambda = 0.1;
};
// The MetaObjective of one (train, test) pair under ub's readout.
inline MetaObjectiveResult unroll_objective(const Phi& phi, const LabelledBatch& train, const LabelledBatch& test,
                                           const UnrollBatches& ub) {
  return meta_objective(phi.below_top(ub.readout_below_top), train, test, ub.classes, ub.lambda);
}

struct UnrollResult {
  double loss = 0;            // mean J over the U*M evaluations
  double cosine = 0, ridge_penalty = 0, accuracy = 0;
  std::vector<at::Tensor> grad;  // d loss / d theta, in theta's canonical order
  Phi phi;                        // state after U steps, detached
  bool finite = true;             // false: loss or a gradient was non-finite (grad then undefined)
};

// Full reverse mode: the U steps' graphs are kept and differentiated at once.
UnrollResult unroll_grad(const Theta& theta, const Phi& phi0, const UnrollBatches& batches);
// Same loss without gradients (validation, finite differences).
double unroll_loss(const Theta& theta, const Phi& phi0, const UnrollBatches& batches);

// ---- pieces every way of differentiating an unroll shares (unroll_grad, unroll_grad_recompute)
// Refuses batches that are not U >= 1 steps with labelled pairs; returns n, the number of (train, test)
// evaluations over all steps (J is their mean).
int64_t check_unroll_batches(const UnrollBatches& ub);
// Running sums of the evaluations' statistics (divided by n at the end).
struct UnrollStats {
  double loss = 0, cosine = 0, ridge = 0, accuracy = 0;
};
// Adds the MetaObjective of every pair evaluated after step t (state `phi`) to `total` (a scalar, with a graph
// when phi has one; undefined: nothing added yet) and, unless null, their values to `stats` (each read costs
// a device synchronisation, which the recomputed backward pass does not need).
void add_step_objective(const Phi& phi, size_t t, const UnrollBatches& ub, at::Tensor& total, UnrollStats* stats);
// Stores d loss / d theta into r.grad (undefined entries: zeros like their leaf) and clears it with
// r.finite = false when any entry is non-finite.
void set_gradient(UnrollResult& r, std::vector<at::Tensor> grads, const std::vector<at::Tensor>& leaves);

}  // namespace mu
