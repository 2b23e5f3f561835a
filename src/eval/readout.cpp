#include "eval/readout.h"

#include <cstdint>
#include <cmath>
#include <deque>

#include "common/error.h"

namespace mu {

ReadoutKind parse_readout(const std::string& name) {
  if (name == "logistic" || name == "ovr" || name == "logistic-ovr") return ReadoutKind::logistic_ovr;
  if (name == "multinomial" || name == "logistic-multinomial") return ReadoutKind::logistic_multinomial;
  if (name == "ridge") return ReadoutKind::ridge;
  if (name == "standardised" || name == "standardized") return ReadoutKind::logistic_standardised;
  throw Error("unknown readout '" + name + "' (expected logistic, multinomial, ridge or standardised)");
}

std::string to_string(ReadoutKind k) {
  switch (k) {
    case ReadoutKind::logistic_ovr: return "logistic";
    case ReadoutKind::logistic_multinomial: return "multinomial";
    case ReadoutKind::ridge: return "ridge";
    case ReadoutKind::logistic_standardised: return "standardised";
  }
  return "?";
}

const std::vector<ReadoutKind>& all_readouts() {
  static const std::vector<ReadoutKind> k = {ReadoutKind::logistic_ovr, ReadoutKind::logistic_standardised,
                                             ReadoutKind::logistic_multinomial, ReadoutKind::ridge};
  return k;
}

namespace {

at::Tensor with_ones(const at::Tensor& f) {
  at::Tensor x = f.to(at::kDouble).contiguous();
  return at::cat({x, at::ones({x.size(0), 1}, x.options())}, 1);
}

void check_inputs(const at::Tensor& f, const at::Tensor& y, int64_t classes, bool need_all) {
  MU_CHECK(f.defined() && f.dim() == 2 && f.size(0) >= 1, "readout: features must be a non-empty (n, D) tensor");
  MU_CHECK(y.defined() && y.dim() == 1 && y.size(0) == f.size(0), "readout: labels must be (n) matching features");
  MU_CHECK(classes >= 2, "readout: need at least 2 classes");
  MU_CHECK(at::isfinite(f).all().item<bool>(), "readout: features contain NaN or infinite values");
  at::Tensor yl = y.to(at::kLong);
  MU_CHECK(yl.min().item<int64_t>() >= 0 && yl.max().item<int64_t>() < classes,
           "readout: labels outside [0, classes)");
  if (need_all) {
    at::Tensor counts = at::bincount(yl, {}, classes);
    MU_CHECK((counts > 0).all().item<bool>(), "readout: every class must have at least one labelled example");
  }
}

// One binary problem: 0.5 ||w||^2 + C sum softplus(-s_i a_i^T w), s in {-1, +1}; Newton + Armijo.
at::Tensor newton_binary(const at::Tensor& A, const at::Tensor& s, double C, int max_iter, double tol,
                         int* iters) {
  const int64_t n = A.size(0), p = A.size(1);
  at::Tensor w = at::zeros({p}, A.options());
  auto objective = [&](const at::Tensor& v) {
    return 0.5 * v.dot(v).item<double>() + C * at::softplus(-s * at::mv(A, v)).sum().item<double>();
  };
  double f = objective(w);
  double g0 = -1;
  int it = 0;
  for (; it < max_iter; ++it) {
    at::Tensor m = at::mv(A, w);
    at::Tensor sig = at::sigmoid(-s * m);                  // d/dz softplus(-z) = -sigmoid(-z)
    at::Tensor g = w - C * at::mv(A.t(), s * sig);         // gradient
    double gn = g.norm().item<double>();
    if (g0 < 0) g0 = std::max(gn, 1e-300);
    if (gn <= tol * g0 || gn < 1e-12) break;
    at::Tensor dsq = at::sqrt(C * sig * (1 - sig)).unsqueeze(1);  // (n,1); sigma(-z)(1-sigma(-z)) = s''
    at::Tensor Q = dsq * A;                                       // H = I + Q^T Q
    at::Tensor d;
    if (p <= n) {
      at::Tensor H = at::eye(p, A.options()) + at::mm(Q.t(), Q);
      d = at::linalg_solve(H, g.unsqueeze(1)).squeeze(1);
    } else {  // Woodbury: (I + Q^T Q)^-1 g = g - Q^T (I + Q Q^T)^-1 Q g
      at::Tensor K = at::eye(n, A.options()) + at::mm(Q, Q.t());
      d = g - at::mv(Q.t(), at::linalg_solve(K, at::mv(Q, g).unsqueeze(1)).squeeze(1));
    }
    double slope = g.dot(d).item<double>();
    double t = 1.0;
    double fn = objective(w - d);
    while (fn > f - 1e-4 * t * slope && t > 1e-10) {
      t *= 0.5;
      fn = objective(w - t * d);
    }
    w = w - t * d;
    f = fn;
  }
  *iters = it;
  return w;
}

Readout make_readout(ReadoutKind k, at::Tensor coef, int64_t classes, int iters) {
  Readout r;
  r.kind = k;
  r.coef = std::move(coef);
  r.classes = classes;
  r.iterations = iters;
  return r;
}

}  // namespace

at::Tensor Readout::decision(const at::Tensor& features) const {
  MU_CHECK(coef.defined(), "readout: not fitted");
  MU_CHECK(features.dim() == 2 && features.size(1) + 1 == coef.size(0),
           "readout: feature width " + std::to_string(features.dim() == 2 ? features.size(1) : -1) +
               " does not match the fitted readout (" + std::to_string(coef.size(0) - 1) + ")");
  return at::mm(with_ones(features), coef);
}

at::Tensor Readout::predict(const at::Tensor& features) const { return decision(features).argmax(1); }

at::Tensor Readout::proba(const at::Tensor& features) const {
  at::Tensor d = decision(features);
  if (kind == ReadoutKind::logistic_ovr || kind == ReadoutKind::logistic_standardised) {
    at::Tensor p = at::sigmoid(d);
    return p / p.sum(1, true).clamp_min(1e-300);
  }
  return at::softmax(d, 1);
}

Readout fit_logistic_ovr(const at::Tensor& features, const at::Tensor& y, int64_t classes,
                         const LogisticOptions& opt) {
  check_inputs(features, y, classes, true);
  at::NoGradGuard ng;
  at::Tensor A = with_ones(features);
  at::Tensor yl = y.to(at::kLong);
  std::vector<at::Tensor> cols;
  int max_it = 0;
  for (int64_t k = 0; k < classes; ++k) {
    at::Tensor s = (yl == k).to(at::kDouble) * 2 - 1;
    int it = 0;
    cols.push_back(newton_binary(A, s, opt.C, opt.max_iter, opt.tol, &it));
    max_it = std::max(max_it, it);
  }
  return make_readout(ReadoutKind::logistic_ovr, at::stack(cols, 1), classes, max_it);
}

Readout fit_logistic_standardised(const at::Tensor& features, const at::Tensor& y, int64_t classes,
                                  const LogisticOptions& opt) {
  check_inputs(features, y, classes, true);
  at::NoGradGuard ng;
  at::Tensor f = features.to(at::kDouble);
  at::Tensor mean = f.mean(0);                                   // (D)
  at::Tensor sd = f.std(0, /*unbiased=*/false);                  // (D)
  sd = at::where(sd > 0, sd, at::ones_like(sd));                 // StandardScaler leaves constant features alone
  Readout r = fit_logistic_ovr((f - mean) / sd, y, classes, opt);
  // [(F - m) / s, 1] C = [F, 1] C' with C'_w = C_w / s and C'_b = C_b - sum_d m_d C_w,d / s_d.
  at::Tensor w = r.coef.narrow(0, 0, f.size(1)) / sd.unsqueeze(1);  // (D, K)
  at::Tensor b = r.coef.narrow(0, f.size(1), 1) - at::mm(mean.unsqueeze(0), w);  // (1, K)
  return make_readout(ReadoutKind::logistic_standardised, at::cat({w, b}, 0), classes, r.iterations);
}

Readout fit_logistic_multinomial(const at::Tensor& features, const at::Tensor& y, int64_t classes,
                                 const LogisticOptions& opt) {
  check_inputs(features, y, classes, true);
  at::NoGradGuard ng;
  at::Tensor A = with_ones(features);
  const int64_t p = A.size(1);
  at::Tensor Y = at::one_hot(y.to(at::kLong), classes).to(at::kDouble);
  at::Tensor pen = at::ones({p, 1}, A.options());
  pen[p - 1] = 0;  // intercept not penalised
  auto eval = [&](const at::Tensor& W, at::Tensor* grad) {
    at::Tensor M = at::mm(A, W);
    at::Tensor lse = at::logsumexp(M, 1);
    double f = 0.5 * (pen * W * W).sum().item<double>() +
               opt.C * (lse - (M * Y).sum(1)).sum().item<double>();
    if (grad) *grad = pen * W + opt.C * at::mm(A.t(), at::softmax(M, 1) - Y);
    return f;
  };
  at::Tensor W = at::zeros({p, classes}, A.options());
  at::Tensor g;
  double f = eval(W, &g);
  if (p * classes <= opt.newton_max_params) {
    // Newton's method with the exact Hessian: sum_i (diag(p_i) - p_i p_i^T) (x) a_i a_i^T, plus the
    // penalty; the intercept shift common to all classes is a null direction (damped by 1e-9).
    const int64_t P = p * classes;
    double g0n = std::max(g.abs().max().item<double>(), 1e-300);
    at::Tensor damp = (1 - pen).expand({p, classes}).reshape({P}) * 1e-9 + pen.expand({p, classes}).reshape({P});
    int it = 0;
    for (; it < opt.max_iter; ++it) {
      if (g.abs().max().item<double>() <= opt.tol * g0n) break;
      at::Tensor Pm = at::softmax(at::mm(A, W), 1);                                   // (n, K)
      at::Tensor M = at::einsum("ij,ik,il->jkl", {A, Pm, A});                         // (p, K, p)
      at::Tensor H1 = (M.unsqueeze(3) * at::eye(classes, A.options()).view({1, classes, 1, classes}))
                          .permute({0, 1, 2, 3});                                     // (p,K,p,K)
      at::Tensor Z = (A.unsqueeze(2) * Pm.unsqueeze(1)).reshape({A.size(0), P});      // a_i (x) p_i
      at::Tensor H = opt.C * (H1.reshape({P, P}) - at::mm(Z.t(), Z)) + at::diag(damp);
      at::Tensor d = at::linalg_solve(H, g.reshape({P, 1})).view({p, classes});
      double slope = (g * d).sum().item<double>();
      double t = 1.0;
      at::Tensor gn;
      double fn = eval(W - d, &gn);
      while (fn > f - 1e-4 * t * slope && t > 1e-10) {
        t *= 0.5;
        fn = eval(W - t * d, &gn);
      }
      if (fn >= f && t <= 1e-10) break;
      W = W - t * d;
      f = fn;
      g = gn;
    }
    return make_readout(ReadoutKind::logistic_multinomial, W, classes, it);
  }
  double g0 = std::max(g.abs().max().item<double>(), 1e-300);
  std::deque<std::pair<at::Tensor, at::Tensor>> hist;  // (s, y) pairs, flattened
  const int max_iter = opt.max_iter * 5;
  int it = 0;
  for (; it < max_iter; ++it) {
    if (g.abs().max().item<double>() <= opt.tol * g0) break;
    // Two-loop recursion.
    at::Tensor q = g.flatten().clone();
    std::vector<double> alpha(hist.size());
    for (int64_t i = static_cast<int64_t>(hist.size()) - 1; i >= 0; --i) {
      double rho = 1.0 / hist[i].second.dot(hist[i].first).item<double>();
      alpha[i] = rho * hist[i].first.dot(q).item<double>();
      q -= alpha[i] * hist[i].second;
    }
    if (!hist.empty()) {
      const auto& [s, yv] = hist.back();
      q *= s.dot(yv).item<double>() / yv.dot(yv).item<double>();
    } else {
      q /= std::max(1.0, g.norm().item<double>());
    }
    for (size_t i = 0; i < hist.size(); ++i) {
      double rho = 1.0 / hist[i].second.dot(hist[i].first).item<double>();
      double beta = rho * hist[i].second.dot(q).item<double>();
      q += (alpha[i] - beta) * hist[i].first;
    }
    at::Tensor d = -q.view({p, classes});
    double slope = (g * d).sum().item<double>();
    if (slope >= 0) {  // not a descent direction: restart from steepest descent
      hist.clear();
      d = -g / std::max(1.0, g.norm().item<double>());
      slope = (g * d).sum().item<double>();
    }
    double t = 1.0;
    at::Tensor gn;
    double fn = eval(W + t * d, &gn);
    while (fn > f + 1e-4 * t * slope && t > 1e-12) {
      t *= 0.5;
      fn = eval(W + t * d, &gn);
    }
    at::Tensor s = (t * d).flatten(), yv = (gn - g).flatten();
    if (s.dot(yv).item<double>() > 1e-12) {
      hist.emplace_back(s, yv);
      if (hist.size() > 10) hist.pop_front();
    }
    W = W + t * d;
    bool stalled = fn >= f;  // the line search found no decrease: at the optimum up to rounding
    f = std::min(f, fn);
    g = gn;
    if (stalled) {
      ++it;
      break;
    }
  }
  return make_readout(ReadoutKind::logistic_multinomial, W, classes, it);
}

Readout fit_ridge(const at::Tensor& features, const at::Tensor& y, int64_t classes, double lambda) {
  check_inputs(features, y, classes, false);
  at::NoGradGuard ng;
  at::Tensor A = with_ones(features);
  const int64_t p = A.size(1);
  at::Tensor Y = at::one_hot(y.to(at::kLong), classes).to(at::kDouble);
  at::Tensor Yc = Y - Y.mean();
  at::Tensor Yhat = Yc / at::sqrt((Yc * Yc).sum(1).mean());
  at::Tensor reg = at::full({p}, lambda, A.options());
  reg[p - 1] = 0;
  at::Tensor coef = at::linalg_solve(at::mm(A.t(), A) + at::diag(reg), at::mm(A.t(), Yhat));
  return make_readout(ReadoutKind::ridge, coef, classes, 1);
}

Readout fit_readout(ReadoutKind kind, const at::Tensor& features, const at::Tensor& y, int64_t classes,
                    const LogisticOptions& opt) {
  switch (kind) {
    case ReadoutKind::logistic_ovr: return fit_logistic_ovr(features, y, classes, opt);
    case ReadoutKind::logistic_multinomial: return fit_logistic_multinomial(features, y, classes, opt);
    case ReadoutKind::ridge: return fit_ridge(features, y, classes);
    case ReadoutKind::logistic_standardised: return fit_logistic_standardised(features, y, classes, opt);
  }
  throw Error("unknown readout");
}

ReadoutScore score_readout(const Readout& r, const at::Tensor& features, const at::Tensor& y) {
  at::NoGradGuard ng;
  at::Tensor P = r.proba(features);
  at::Tensor yl = y.to(at::kLong);
  ReadoutScore s;
  s.accuracy = (P.argmax(1) == yl).to(at::kDouble).mean().item<double>();
  s.loss = -at::log(P.gather(1, yl.unsqueeze(1)).clamp_min(1e-15)).mean().item<double>();
  return s;
}

}  // namespace mu
