#pragma once
// Few-shot readouts fitted on features (docs/maths.md 13): the original one-vs-rest logistic
// regression (liblinear form), a multinomial logistic regression (newer scikit-learn default) and the
// ridge form of the MetaObjective (section 11). All fits run in float64 and are deterministic.
#include <cstdint>
#include <string>
#include <vector>

#include "common/torch.h"

namespace mu {

// logistic_standardised is scikit-learn's make_pipeline(StandardScaler(), LogisticRegression()): the
// one-vs-rest logistic regression on features standardised by the labelled examples' mean and std.
enum class ReadoutKind { logistic_ovr, logistic_multinomial, ridge, logistic_standardised };
// "logistic" (= ovr), "ovr", "multinomial", "ridge", "standardised"
ReadoutKind parse_readout(const std::string& name);
std::string to_string(ReadoutKind k);  // "logistic", "multinomial", "ridge", "standardised"
// Every kind, in the order results report them.
const std::vector<ReadoutKind>& all_readouts();

struct LogisticOptions {
  double C = 1.0;         // inverse regularisation strength
  int max_iter = 100;     // Newton iterations (OvR) / L-BFGS iterations (multinomial, x5)
  double tol = 1e-4;      // stop when the gradient's max-norm falls below tol (times its initial value)
  int64_t newton_max_params = 700;  // multinomial: Newton up to this many parameters, L-BFGS beyond
};

// A fitted linear readout: decision values = [F, 1] * coef, coef is (D + 1, K) float64, bias last row.
struct Readout {
  ReadoutKind kind = ReadoutKind::logistic_ovr;
  at::Tensor coef;
  int64_t classes = 0;
  int iterations = 0;  // Newton / L-BFGS iterations used (max over OvR problems)
  at::Tensor decision(const at::Tensor& features) const;  // (n, K) float64
  at::Tensor predict(const at::Tensor& features) const;   // (n) int64, argmax of decision values
  // Class probabilities (n, K): OvR: the K sigmoids normalised to sum to 1 (scikit-learn's OvR
  // predict_proba); multinomial: softmax; ridge: softmax of the decision values (not calibrated).
  at::Tensor proba(const at::Tensor& features) const;
};

// 10 (K) binary problems, each minimising 0.5 ||w~||^2 + C sum_i log(1 + exp(-y_i w~^T [x_i, 1]))
// over D + 1 parameters (intercept penalised, as liblinear with intercept_scaling 1), by Newton's method
// with a backtracking line search. y is (n) int64 in [0, classes). Every class must be present.
Readout fit_logistic_ovr(const at::Tensor& features, const at::Tensor& y, int64_t classes,
                         const LogisticOptions& opt = {});
// fit_logistic_ovr on (F - mean) / std, mean and std (biased; 1 where a feature is constant) taken over
// the labelled examples, folded back into coef so that the readout applies to unscaled features.
Readout fit_logistic_standardised(const at::Tensor& features, const at::Tensor& y, int64_t classes,
                                  const LogisticOptions& opt = {});
// Softmax regression: 0.5 ||W||^2 (intercept not penalised) + C sum_i CE_i, by Newton's method when
// (D + 1) * K <= newton_max_params (32-d features), else by L-BFGS.
Readout fit_logistic_multinomial(const at::Tensor& features, const at::Tensor& y, int64_t classes,
                                 const LogisticOptions& opt = {});
// Section 11's ridge: targets one-hot, centred by their scalar mean and scaled to unit row norm;
// coef = (A^T A + diag(lambda, .., lambda, 0))^-1 A^T Yhat with A = [F, 1] (bias not penalised).
Readout fit_ridge(const at::Tensor& features, const at::Tensor& y, int64_t classes, double lambda = 0.1);

Readout fit_readout(ReadoutKind kind, const at::Tensor& features, const at::Tensor& y, int64_t classes,
                    const LogisticOptions& opt = {});

struct ReadoutScore {
  double accuracy = 0;  // fraction of argmax predictions equal to y
  double loss = 0;      // mean -log p(true class) with proba() (clamped at 1e-15)
};
ReadoutScore score_readout(const Readout& r, const at::Tensor& features, const at::Tensor& y);

}  // namespace mu
