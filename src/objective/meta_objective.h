#pragma once
#include <cstdint>
// MetaObjective (docs/maths.md section 11): few-shot ridge regression on the base model's embedding.
#include "base/base_model.h"

namespace mu {

struct LabelledBatch {
  at::Tensor x;      // (n, N^0) raw input
  at::Tensor y;      // (n) int64 class index in [0, classes)
  at::Tensor extra;  // optional (n, k) regression targets appended to the one-hot labels (the paper's
                     // augmentation parameters); undefined = none
};

struct MetaObjectiveResult {
  at::Tensor loss;           // scalar J = cosine + ridge_penalty, differentiable
  at::Tensor cosine;         // (1/n) sum ||Phat - Yhat||^2, in [0, 4]
  at::Tensor ridge_penalty;  // lambda ||C_w||^2 / n_train
  double mse_train = 0, accuracy_train = 0, accuracy_test = 0;
  at::Tensor predictions;  // Phat (n_te, classes), unit rows, detached
  at::Tensor targets;      // Yhat_te (n_te, classes), unit rows
};

// Yhat = (Y - ybar) / sqrt(mean_b ||Y_b - ybar||^2) of one-hot Y, ybar the scalar mean.  (n, classes)
// With `extra` (n, k), Y = [one-hot, extra] before the same normalisation.     (n, classes + k)
at::Tensor normalised_targets(const at::Tensor& y, int64_t classes, at::ScalarType dtype,
                              const at::Tensor& extra = {});

// One base-model pass over train+test together (BN statistics of both), targets centred and
// normalised, ridge with unpenalised bias solved in double by Cholesky, normalised predictions.
MetaObjectiveResult meta_objective(const Phi& phi, const LabelledBatch& train, const LabelledBatch& test,
                                   int64_t classes, double lambda = 0.1);
// The same ridge readout on given features F (n_tr + n_te, D), train rows first: meta_objective is this on
// embed(phi, [train; test]); on the raw inputs it is the reference that the features have to beat.
MetaObjectiveResult meta_objective_on_features(const at::Tensor& F, const LabelledBatch& train,
                                               const LabelledBatch& test, int64_t classes, double lambda = 0.1);

}  // namespace mu
