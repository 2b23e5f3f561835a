#pragma once
// Meta-training's validation: fixed tasks (sampler indices training never draws), the same for every theta
// and on resume, scored by the MetaObjective after val_steps rule steps from each task's fixed phi0.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "metatrain/config.h"
#include "metatrain/tasks.h"

namespace mu {

struct Validation {
  struct Item {
    Phi phi0;
    std::vector<at::Tensor> unlabelled;
    std::vector<std::pair<LabelledBatch, LabelledBatch>> evals;
    int64_t classes = 0;
  };
  std::vector<Item> items;
  // Layer the readout sees: X^{L - features_below_top} (0: the embedding, as meta-training does; 1: the last
  // hidden layer). Applies to evaluate_items and the "init" reference.
  int64_t features_below_top = 0;
  double lambda = 0.1;  // evaluate()'s ridge penalty (make_validation: the config's readout_lambda)
  // Mean meta-objective (and test accuracy) after val_steps rule steps from each fixed phi0.
  std::pair<double, double> evaluate(const Theta& theta) const;
  // The same per task (mean over its evals), NaN where the unroll failed; pc1: the share of the top
  // features' variance in their first principal component on the labelled examples (1 = collapsed).
  struct ItemResult {
    double loss = NAN, accuracy = NAN, pc1 = NAN;
  };
  std::vector<ItemResult> evaluate_items(const Theta& theta, double lambda = 0.1) const;  // lambda: ridge penalty
  // Reference points on the same tasks and readout: "init" scores the base model at phi0 (no rule step),
  // "raw" the ridge readout on the raw inputs (no base model), i.e. what the rule's features have to beat.
  // lambda: the ridge penalty (the MetaObjective's 0.1; on raw inputs, with more dimensions than labelled
  // examples, a larger one reads out far more: compare accuracies then, the loss includes the penalty).
  std::vector<ItemResult> evaluate_reference(const std::string& kind, double lambda = 0.1) const;
};
Validation make_validation(const MetaConfig& cfg, const TaskData& data, at::Device device);

}  // namespace mu
