#pragma once
// The learner: turns the workers' meta-gradients into updates of theta. Outputs that failed (non-finite
// loss, gradient or state) and, in async mode, gradients computed from a theta more than max_staleness
// updates old are counted and dropped; meta_batch accepted gradients are averaged, clipped to a global L2
// norm, and applied with Adam. An update whose norm or new theta is non-finite is skipped (counted), so a
// non-finite theta is never written.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "metatrain/config.h"
#include "metatrain/workers.h"

namespace mu {

struct Adam {
  std::vector<at::Tensor> m, v;
  int64_t t = 0;
  void init(const std::vector<at::Tensor>& params);
  // Returns the new parameter values; m, v, t advance.
  std::vector<at::Tensor> step(const std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads,
                               double lr, double beta1, double beta2, double eps);
};
// Scales `grads` in place so their global L2 norm is at most max_norm; returns the norm before clipping.
double clip_global_norm(std::vector<at::Tensor>& grads, double max_norm);
// Every tensor defined and finite.
bool all_finite(const std::vector<at::Tensor>& v);

// One meta-step's record (a row of metrics.csv).
struct StepRecord {
  int64_t step = 0;  // meta-steps completed
  double loss = 0, cosine = 0, ridge = 0, accuracy = 0, grad_norm = 0, lr = 0;
  int64_t used = 0;  // gradients averaged into this update
  int64_t dropped_nonfinite = 0, dropped_stale = 0;  // cumulative
  int64_t tasks = 0;                                  // cumulative tasks begun
  double u_mean = 0;
  int64_t u_lo = 0, u_hi = 0;
  double unrolls_per_s = 0, wall_s = 0;
  double val_loss = NAN, val_loss_theta0 = NAN, val_acc = NAN;  // at validation steps only
};

// What the learner advances (a checkpoint stores it, with the workers' slots).
struct LearnerState {
  Theta theta;
  Adam adam;
  int64_t step = 0;  // updates done
  int64_t dropped_nonfinite = 0, dropped_stale = 0, unrolls = 0, tasks = 0;
};

// The accepted gradients of one update, summed in arrival order, with their statistics.
struct MetaBatch {
  std::vector<at::Tensor> sum;
  int64_t n = 0;
  double loss = 0, cosine = 0, ridge = 0, acc = 0, U = 0;
  void add(const WorkOutput& w);
};

class Learner {
 public:
  explicit Learner(const MetaConfig& cfg) : cfg_(cfg) {}
  // Counts one worker output computed from the theta of update `version`, then drops it (failed: throws
  // mu::Error after 50 failures in a row; stale) or adds it to `batch`. Returns whether it was added.
  bool offer(LearnerState& s, const WorkOutput& w, int64_t version, MetaBatch& batch);
  // Averages `batch`, clips, takes an Adam step and advances s.step. The record holds the step, the
  // batch's means (NaN when empty), grad_norm, lr, used and the drop counters; the caller adds the rest.
  StepRecord update(LearnerState& s, const MetaBatch& batch) const;

 private:
  MetaConfig cfg_;
  int64_t consecutive_failures_ = 0;
};

}  // namespace mu
