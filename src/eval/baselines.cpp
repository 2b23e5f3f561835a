#include "eval/baselines.h"

#include <cstdint>
#include <cmath>
#include <limits>
#include <tuple>

#include "common/error.h"
#include "common/random.h"

namespace mu {

// ---------------------------------------------------------------------------------------------------
at::Tensor embed_reference(const Phi& phi, const at::Tensor& reference, const at::Tensor& x) {
  check_batch(phi, reference, "reference batch");
  MU_CHECK(x.defined() && x.dim() == 2 && x.size(1) == phi.width(0),
           "embed: input has the wrong width for the base model");
  const auto dt = phi.W[0].scalar_type();
  at::Tensor h = x.to(dt).index_select(1, phi.perm);
  at::Tensor r = reference.to(dt).index_select(1, phi.perm);
  for (int64_t l = 0; l < phi.layers(); ++l) {
    at::Tensor ur = at::matmul(r, phi.W[l]);
    at::Tensor mean = ur.mean(0);
    at::Tensor inv = at::rsqrt(ur.var(0, /*unbiased=*/false) + 1e-6);
    at::Tensor zr = (ur - mean) * inv + phi.b[l];
    at::Tensor z = (at::matmul(h, phi.W[l]) - mean) * inv + phi.b[l];
    r = activate(zr, phi.activation);
    h = activate(z, phi.activation);
  }
  return h;
}

// ---------------------------------------------------------------------------------------------------
Adam::Adam(std::vector<at::Tensor> params, double lr, double beta1, double beta2, double eps)
    : params_(std::move(params)), lr_(lr), b1_(beta1), b2_(beta2), eps_(eps) {
  for (auto& p : params_) {
    MU_CHECK(p.requires_grad(), "Adam: every parameter must require grad");
    m_.push_back(at::zeros_like(p));
    v_.push_back(at::zeros_like(p));
  }
}

void Adam::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

void Adam::step() {
  at::NoGradGuard ng;
  ++t_;
  const double c1 = 1 - std::pow(b1_, static_cast<double>(t_));
  const double c2 = 1 - std::pow(b2_, static_cast<double>(t_));
  for (size_t i = 0; i < params_.size(); ++i) {
    const at::Tensor& g = params_[i].grad();
    if (!g.defined()) continue;
    m_[i].mul_(b1_).add_(g, 1 - b1_);
    v_[i].mul_(b2_).addcmul_(g, g, 1 - b2_);
    at::Tensor denom = (v_[i] / c2).sqrt_().add_(eps_);
    params_[i].addcdiv_(m_[i], denom, -lr_ / c1);
  }
}

// ---------------------------------------------------------------------------------------------------
at::Tensor Pca::transform(const at::Tensor& x) const {
  at::Tensor z = at::mm(x.to(at::kDouble) - mean, components);
  if (whiten) z = z / at::sqrt(variance);
  return z.to(at::kFloat);
}

at::Tensor Pca::inverse_transform(const at::Tensor& z) const {
  at::Tensor zz = z.to(at::kDouble);
  if (whiten) zz = zz * at::sqrt(variance);
  return (at::mm(zz, components.t()) + mean).to(at::kFloat);
}

Pca fit_pca(const at::Tensor& x_in, int64_t k, bool whiten) {
  MU_CHECK(x_in.dim() == 2 && x_in.size(0) >= 2, "pca: need a (n >= 2, D) matrix");
  at::NoGradGuard ng;
  at::Tensor x = x_in.to(at::kDouble);
  const int64_t n = x.size(0), D = x.size(1);
  k = std::min(k, std::min(D, n - 1));
  MU_CHECK(k >= 1, "pca: need at least one component");
  Pca p;
  p.whiten = whiten;
  p.mean = x.mean(0);
  at::Tensor xc = x - p.mean;
  at::Tensor cov = at::mm(xc.t(), xc) / static_cast<double>(n - 1);
  auto [evals, evecs] = at::linalg_eigh(cov);  // ascending
  p.total_variance = evals.clamp_min(0).sum().item<double>();
  at::Tensor idx = at::arange(D - 1, D - 1 - k, -1, at::TensorOptions().dtype(at::kLong));
  p.variance = evals.index_select(0, idx).clamp_min(1e-12 * std::max(1e-300, evals.max().item<double>()));
  p.components = evecs.index_select(1, idx).contiguous();
  // Deterministic sign: the largest-magnitude entry of each component is positive.
  at::Tensor sgn = at::sign(p.components.gather(0, p.components.abs().argmax(0, true))).squeeze(0);
  p.components = p.components * at::where(sgn == 0, at::ones_like(sgn), sgn);
  return p;
}

// ---------------------------------------------------------------------------------------------------
namespace {
at::Tensor sq_dists(const at::Tensor& x, const at::Tensor& c) {  // (n, K)
  return (x.pow(2).sum(1, true) - 2 * at::mm(x, c.t()) + c.pow(2).sum(1).unsqueeze(0)).clamp_min(0);
}
}  // namespace

namespace {

// Greedy k-means++ (Arthur & Vassilvitskii 2007; scikit-learn's variant): the first centre uniformly, then
// each next one the best, by the resulting potential sum_i min_c ||x_i - c||^2, of 2 + ln K candidates
// drawn with probability proportional to the current squared distance. Returns (k) row indices of x.
at::Tensor greedy_kmeanspp(const at::Tensor& x, int64_t k, at::Generator& gen) {
  const int64_t n = x.size(0);
  const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
  const auto lopt = at::TensorOptions().dtype(at::kLong);
  std::vector<int64_t> chosen{at::randint(n, {1}, gen, lopt).item<int64_t>()};
  at::Tensor d2 = sq_dists(x, x.index_select(0, at::tensor(chosen))).squeeze(1);  // (n)
  while (static_cast<int64_t>(chosen.size()) < k) {
    double total = d2.sum().item<double>();
    if (total <= 0) {  // every point already coincides with a centre: any point will do
      chosen.push_back(at::randint(n, {1}, gen, lopt).item<int64_t>());
      continue;
    }
    at::Tensor cand = at::multinomial(d2 / total, trials, /*replacement=*/true, gen);  // (T)
    at::Tensor nd = at::minimum(d2.unsqueeze(1), sq_dists(x, x.index_select(0, cand)));  // (n, T)
    int64_t best = nd.sum(0).argmin().item<int64_t>();
    chosen.push_back(cand[best].item<int64_t>());
    d2 = nd.select(1, best).contiguous();
  }
  return at::tensor(chosen, lopt);
}

// Lloyd's iterations from the given centres until the assignments stop changing, the centres move less
// than shift_tol (total squared shift), or max_iter.
KMeansResult lloyd(const at::Tensor& x, at::Tensor centres, int max_iter, double shift_tol) {
  const int64_t k = centres.size(0);
  KMeansResult r;
  at::Tensor prev;
  for (int it = 0; it < max_iter; ++it) {
    auto [mind, assign] = sq_dists(x, centres).min(1);  // (n), (n)
    r.inertia.push_back(mind.sum().item<double>());
    r.assignment = assign;
    r.iterations = it + 1;
    if (prev.defined() && at::equal(prev, assign)) {
      r.converged = true;
      break;
    }
    prev = assign;
    at::Tensor counts = at::bincount(assign, {}, k).to(at::kDouble);
    at::Tensor sums = at::zeros({k, x.size(1)}, x.options()).index_add_(0, assign, x);
    at::Tensor nonempty = counts > 0;
    at::Tensor next = at::where(nonempty.unsqueeze(1), sums / counts.clamp_min(1).unsqueeze(1), centres);
    // Re-seed empty clusters at the currently worst-fitted points.
    at::Tensor empty = (~nonempty).nonzero().flatten();
    if (empty.numel() > 0) next.index_copy_(0, empty, x.index_select(0, std::get<1>(mind.topk(empty.numel()))));
    double shift = (next - centres).pow(2).sum().item<double>();
    centres = next;
    if (empty.numel() == 0 && shift <= shift_tol) {  // converged by tol: final assignment to the moved centres
      std::tie(mind, assign) = sq_dists(x, centres).min(1);
      r.inertia.push_back(std::min(r.inertia.back(), mind.sum().item<double>()));
      r.assignment = assign;
      r.converged = true;
      break;
    }
  }
  r.centroids = centres;
  return r;
}

}  // namespace

KMeansResult kmeans(const at::Tensor& x_in, int64_t k, const KMeansOptions& opt, uint64_t seed) {
  MU_CHECK(x_in.dim() == 2 && x_in.size(0) >= k && k >= 1, "kmeans: need at least k points");
  MU_CHECK(opt.restarts >= 1 && opt.max_iter >= 1, "kmeans: need at least one restart and one iteration");
  at::NoGradGuard ng;
  at::Tensor x = x_in.to(at::kDouble).contiguous();  // (n, D)
  const double shift_tol = opt.tol * x.var(0, /*unbiased=*/false).mean().item<double>();
  at::Generator gen = make_generator(seed);
  KMeansResult best;
  for (int rs = 0; rs < opt.restarts; ++rs) {
    at::Tensor init = x.index_select(0, greedy_kmeanspp(x, k, gen)).clone();  // (k, D)
    KMeansResult r = lloyd(x, init, opt.max_iter, shift_tol);
    r.restart = rs;
    if (rs == 0 || r.inertia.back() < best.inertia.back()) best = std::move(r);
  }
  best.centroids = best.centroids.to(at::kFloat);
  return best;
}

KMeansResult kmeans(const at::Tensor& x, int64_t k, int max_iter, uint64_t seed) {
  KMeansOptions opt;
  opt.restarts = 1;
  opt.max_iter = max_iter;
  opt.tol = 0;  // only unchanged assignments count as convergence
  return kmeans(x, k, opt, seed);
}

at::Tensor CoatesKMeans::transform(const at::Tensor& x) const {
  at::NoGradGuard ng;
  at::Tensor z = at::mm(x.to(at::kDouble) - zca_mean, zca);     // (n, D)
  at::Tensor dist = at::sqrt(sq_dists(z, centroids));           // (n, K)
  return at::relu(dist.mean(1, true) - dist).to(at::kFloat);
}

CoatesKMeans fit_coates_kmeans(const at::Tensor& x, const CoatesOptions& opt, uint64_t seed) {
  MU_CHECK(x.dim() == 2 && x.size(0) >= std::max<int64_t>(opt.k, 2), "kmeans: need at least k examples");
  MU_CHECK(opt.k >= 1 && opt.zca_eps > 0, "kmeans: need k >= 1 and a positive whitening epsilon");
  at::NoGradGuard ng;
  CoatesKMeans m;
  at::Tensor xd = x.to(at::kDouble);
  m.zca_mean = xd.mean(0);
  at::Tensor xc = xd - m.zca_mean;                                               // (n, D)
  at::Tensor cov = at::mm(xc.t(), xc) / static_cast<double>(xc.size(0));         // (D, D)
  auto [evals, evecs] = at::linalg_eigh(cov);
  m.zca = at::mm(evecs * at::rsqrt(evals.clamp_min(0) + opt.zca_eps), evecs.t());
  KMeansResult r = kmeans(at::mm(xc, m.zca), opt.k, opt.kmeans, seed);
  m.centroids = r.centroids.to(at::kDouble);
  m.cluster_sizes = at::bincount(r.assignment, {}, opt.k);
  m.iterations = r.iterations;
  return m;
}

// ---------------------------------------------------------------------------------------------------
namespace {

Vae::Layer make_layer(int64_t in, int64_t out, bool bn, at::Generator& gen) {
  Vae::Layer L;
  L.W = truncated_normal({in, out}, 1.0 / std::sqrt(static_cast<double>(in)), gen).set_requires_grad(true);
  L.b = at::zeros({out}).set_requires_grad(true);
  L.bn = bn;
  if (bn) {
    L.gamma = at::ones({out}).set_requires_grad(true);
    L.beta = at::zeros({out}).set_requires_grad(true);
  }
  return L;
}

// One layer on x, with BN statistics from the reference r when given (else from x); returns (x', r').
std::pair<at::Tensor, at::Tensor> apply(const Vae::Layer& L, const at::Tensor& x, const at::Tensor& r,
                                        bool relu) {
  at::Tensor u = at::addmm(L.b, x, L.W);
  at::Tensor ur = r.defined() ? at::addmm(L.b, r, L.W) : at::Tensor();
  if (L.bn) {
    const at::Tensor& s = ur.defined() ? ur : u;
    at::Tensor mean = s.mean(0);
    at::Tensor inv = at::rsqrt(s.var(0, false) + 1e-5);
    u = (u - mean) * inv * L.gamma + L.beta;
    if (ur.defined()) ur = (ur - mean) * inv * L.gamma + L.beta;
  }
  if (relu) {
    u = at::relu(u);
    if (ur.defined()) ur = at::relu(ur);
  }
  return {u, ur};
}

std::pair<at::Tensor, at::Tensor> encode(const Vae& v, const at::Tensor& x, const at::Tensor& ref) {
  at::Tensor h = x, r = ref;
  for (const auto& L : v.encoder) std::tie(h, r) = apply(L, h, r, true);
  at::Tensor o = at::addmm(v.enc_out.b, h, v.enc_out.W);
  int64_t k = v.options.latent;
  return {o.narrow(1, 0, k), o.narrow(1, k, k).clamp(-8.0, 4.0)};
}

// log of the quantized normal: P(x in [x - h/2, x + h/2]) under N(m, s^2), computed in the tail
// away from the mean for precision, with the density approximation where the difference underflows.
at::Tensor quantized_normal_logp(const at::Tensor& x, const at::Tensor& m, const at::Tensor& logs, double h) {
  at::Tensor s = at::exp(logs);
  at::Tensor t1 = (x - m - h / 2) / s, t2 = (x - m + h / 2) / s;
  const double r2 = 1.0 / std::sqrt(2.0);
  at::Tensor upper = 0.5 * (at::erfc(t1 * r2) - at::erfc(t2 * r2));    // Phi(-t1) - Phi(-t2)
  at::Tensor lower = 0.5 * (at::erfc(-t2 * r2) - at::erfc(-t1 * r2));  // Phi(t2) - Phi(t1)
  at::Tensor diff = at::where(x > m, upper, lower);
  at::Tensor c = (x - m) / s;
  at::Tensor approx = -0.5 * c * c - logs - 0.5 * std::log(2 * M_PI) + std::log(h);
  return at::where(diff > 1e-10, at::log(diff.clamp_min(1e-10)), approx);
}

at::Tensor neg_elbo(const Vae& v, const at::Tensor& x, at::Generator& gen) {
  auto [mu, logs] = encode(v, x, {});
  at::Tensor eps = at::normal(0.0, 1.0, mu.sizes(), gen, mu.options().requires_grad(false));
  at::Tensor z = mu + at::exp(logs) * eps;
  at::Tensor h = z;
  for (const auto& L : v.decoder) h = apply(L, h, at::Tensor(), true).first;
  at::Tensor o = at::addmm(v.dec_out.b, h, v.dec_out.W);
  int64_t D = x.size(1);
  at::Tensor m = o.narrow(1, 0, D), ls = o.narrow(1, D, D).clamp(-7.0, 2.0);
  at::Tensor rec = quantized_normal_logp(x, m, ls, v.options.bin).sum(1);
  at::Tensor kl = 0.5 * (mu * mu + at::exp(2 * logs) - 1 - 2 * logs).sum(1);
  return (kl - rec).mean();
}

}  // namespace

std::vector<at::Tensor> Vae::parameters() const {
  std::vector<at::Tensor> p;
  auto add = [&](const Layer& L) {
    p.push_back(L.W);
    p.push_back(L.b);
    if (L.bn) {
      p.push_back(L.gamma);
      p.push_back(L.beta);
    }
  };
  for (const auto& L : encoder) add(L);
  add(enc_out);
  for (const auto& L : decoder) add(L);
  add(dec_out);
  return p;
}

at::Tensor Vae::encode_mean(const at::Tensor& x, const at::Tensor& reference) const {
  at::NoGradGuard ng;
  return encode(*this, x.to(at::kFloat), reference.defined() ? reference.to(at::kFloat) : at::Tensor())
      .first.detach();
}

namespace {

std::vector<Vae::Layer*> layers_of(Vae& v) {
  std::vector<Vae::Layer*> out;
  for (auto& L : v.encoder) out.push_back(&L);
  out.push_back(&v.enc_out);
  for (auto& L : v.decoder) out.push_back(&L);
  out.push_back(&v.dec_out);
  return out;
}

// Detached copies of every layer's tensors (a snapshot of the parameters at a validation check).
std::vector<Vae::Layer> snapshot(Vae& v) {
  std::vector<Vae::Layer> s;
  for (Vae::Layer* L : layers_of(v)) {
    Vae::Layer c = *L;
    for (at::Tensor* t : {&c.W, &c.b, &c.gamma, &c.beta})
      if (t->defined()) *t = t->detach().clone();
    s.push_back(c);
  }
  return s;
}

void restore(Vae& v, const std::vector<Vae::Layer>& s) {
  auto layers = layers_of(v);
  for (size_t i = 0; i < layers.size(); ++i) *layers[i] = s[i];
}

}  // namespace

Vae train_vae(const at::Tensor& x_in, const VaeOptions& opt, uint64_t seed,
              const std::function<void(int64_t, int64_t)>& progress) {
  MU_CHECK(x_in.dim() == 2 && x_in.size(0) >= 4, "vae: need at least 4 training examples");
  MU_CHECK(opt.steps >= 1 && opt.eval_every >= 1 && opt.patience >= 1, "vae: steps, eval_every, patience >= 1");
  MU_CHECK(opt.validation > 0 && opt.validation < 1, "vae: the validation fraction must be in (0, 1)");
  at::AutoGradMode grad_on(true);  // callers may hold a NoGradGuard
  at::Generator gen = make_generator(seed);
  // Validation rows: a seeded fraction of the training rows, never trained on.
  at::Tensor all = x_in.to(at::kFloat).contiguous();
  at::Tensor perm = at::randperm(all.size(0), gen, at::TensorOptions().dtype(at::kLong));
  const int64_t nval = std::max<int64_t>(
      2, std::min(opt.max_validation, static_cast<int64_t>(opt.validation * static_cast<double>(all.size(0)))));
  at::Tensor xval = all.index_select(0, perm.narrow(0, 0, nval));               // (nval, D)
  at::Tensor x = all.index_select(0, perm.narrow(0, nval, all.size(0) - nval));  // (n, D)
  const int64_t n = x.size(0), D = x.size(1);
  Vae v;
  v.options = opt;
  int64_t in = D;
  for (int64_t i = 0; i < opt.layers; ++i, in = opt.hidden) v.encoder.push_back(make_layer(in, opt.hidden, true, gen));
  v.enc_out = make_layer(in, 2 * opt.latent, false, gen);
  in = opt.latent;
  for (int64_t i = 0; i < opt.layers; ++i, in = opt.hidden) v.decoder.push_back(make_layer(in, opt.hidden, true, gen));
  v.dec_out = make_layer(in, 2 * D, false, gen);
  Adam adam(v.parameters(), opt.lr);
  const int64_t B = std::min(opt.batch, n);
  const int64_t min_steps = std::min(opt.min_steps, opt.steps);
  const uint64_t val_seed = seed ^ 0x5bd1e995ULL;  // the same posterior noise at every check
  double running = 0, best = std::numeric_limits<double>::infinity(), lowest = best;
  int64_t since_best = 0;
  std::vector<Vae::Layer> best_params;
  for (int64_t step = 0; step < opt.steps; ++step) {
    at::Tensor idx = at::randint(n, {B}, gen, at::TensorOptions().dtype(at::kLong));
    adam.zero_grad();
    at::Tensor loss = neg_elbo(v, x.index_select(0, idx), gen);
    loss.backward();
    adam.step();
    running += loss.item<double>();
    const int64_t done = step + 1;
    if (done % 100 == 0 || done == opt.steps) {
      int64_t m = done % 100 == 0 ? 100 : done % 100;
      v.loss_curve.push_back(running / static_cast<double>(m));
      running = 0;
      if (progress) progress(done, opt.steps);
    }
    v.steps_run = done;
    if (done % opt.eval_every == 0 || done == opt.steps) {
      double val;
      {
        at::NoGradGuard ng;
        at::Generator vg = make_generator(val_seed);
        val = neg_elbo(v, xval, vg).item<double>();
      }
      v.validation_curve.emplace_back(done, val);
      if (std::isfinite(val) && val < lowest) {
        lowest = val;
        v.lowest_step = done;
      }
      if (done < min_steps) continue;  // the chosen VAE has trained at least min_steps
      if (std::isfinite(val) && val < best) {
        best = val;
        v.best_step = done;
        best_params = snapshot(v);
        since_best = 0;
      } else {
        ++since_best;
      }
      if (since_best >= opt.patience) break;
    }
  }
  MU_CHECK(!best_params.empty(), "vae: the validation loss was never finite");
  restore(v, best_params);  // detached copies: ready for inference
  return v;
}

double vae_loss(const Vae& vae, const at::Tensor& x, uint64_t seed) {
  at::NoGradGuard ng;
  at::Generator gen = make_generator(seed);
  return neg_elbo(vae, x.to(at::kFloat), gen).item<double>();
}

// ---------------------------------------------------------------------------------------------------
at::Tensor SupervisedModel::logits(const at::Tensor& reference, const at::Tensor& x) const {
  at::NoGradGuard ng;
  return at::addmm(bout, embed_reference(phi, reference, x), Wout);
}

SupervisedModel train_supervised(const Phi& phi0, const at::Tensor& x_in, const at::Tensor& y, int64_t classes,
                                 const SupervisedOptions& opt, uint64_t seed) {
  MU_CHECK(x_in.dim() == 2 && x_in.size(0) >= 2 && y.size(0) == x_in.size(0),
           "supervised: need at least 2 labelled examples");
  at::AutoGradMode grad_on(true);
  at::Generator gen = make_generator(seed);
  at::Tensor x = x_in.to(phi0.W[0].scalar_type()).contiguous();
  at::Tensor yl = y.to(at::kLong);
  const int64_t n = x.size(0), E = phi0.width(phi0.layers());
  SupervisedModel m;
  m.phi = phi0.requires_grad(true);
  m.Wout = truncated_normal({E, classes}, 1.0 / std::sqrt(static_cast<double>(E)), gen, x.scalar_type())
               .set_requires_grad(true);
  m.bout = at::zeros({classes}, x.options()).set_requires_grad(true);
  std::vector<at::Tensor> params(m.phi.W);
  params.insert(params.end(), m.phi.b.begin(), m.phi.b.end());
  params.push_back(m.Wout);
  params.push_back(m.bout);
  Adam adam(params, opt.lr);
  const int64_t B = std::max<int64_t>(2, std::min(opt.batch, n));
  double running = 0;
  for (int64_t step = 0; step < opt.steps; ++step) {
    at::Tensor idx = B == n ? at::arange(n, at::TensorOptions().dtype(at::kLong))
                            : at::randperm(n, gen, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, B);
    adam.zero_grad();
    at::Tensor logits = at::addmm(m.bout, embed(m.phi, x.index_select(0, idx)), m.Wout);
    at::Tensor loss = -at::log_softmax(logits, 1).gather(1, yl.index_select(0, idx).unsqueeze(1)).mean();
    loss.backward();
    adam.step();
    running += loss.item<double>();
    if ((step + 1) % 50 == 0) {
      m.loss_curve.push_back(running / 50);
      running = 0;
    }
  }
  m.phi = m.phi.detached();
  m.Wout = m.Wout.detach();
  m.bout = m.bout.detach();
  return m;
}

}  // namespace mu
