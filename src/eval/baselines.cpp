#include "eval/baselines.h"

#include <cstdint>
#include <cmath>
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

KMeansResult kmeans(const at::Tensor& x_in, int64_t k, int max_iter, uint64_t seed) {
  MU_CHECK(x_in.dim() == 2 && x_in.size(0) >= k && k >= 1, "kmeans: need at least k points");
  at::NoGradGuard ng;
  at::Tensor x = x_in.to(at::kDouble).contiguous();
  const int64_t n = x.size(0);
  at::Generator gen = make_generator(seed);
  // k-means++ seeding.
  std::vector<int64_t> chosen;
  chosen.push_back(at::randint(n, {1}, gen, at::TensorOptions().dtype(at::kLong)).item<int64_t>());
  at::Tensor d2 = sq_dists(x, x.index_select(0, at::tensor(chosen))).squeeze(1);
  while (static_cast<int64_t>(chosen.size()) < k) {
    double total = d2.sum().item<double>();
    int64_t next;
    if (total <= 0) {
      next = at::randint(n, {1}, gen, at::TensorOptions().dtype(at::kLong)).item<int64_t>();
    } else {
      next = at::multinomial(d2 / total, 1, false, gen).item<int64_t>();
    }
    chosen.push_back(next);
    d2 = at::minimum(d2, sq_dists(x, x.index_select(0, at::tensor({next}))).squeeze(1));
  }
  KMeansResult r;
  r.centroids = x.index_select(0, at::tensor(chosen)).clone();
  at::Tensor prev;
  for (int it = 0; it < max_iter; ++it) {
    at::Tensor D = sq_dists(x, r.centroids);
    auto [mind, assign] = D.min(1);
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
    at::Tensor newc = sums / counts.clamp_min(1).unsqueeze(1);
    r.centroids = at::where(nonempty.unsqueeze(1), newc, r.centroids);
    // Re-seed empty clusters at the currently worst-fitted points.
    at::Tensor empty = (~nonempty).nonzero().flatten();
    if (empty.numel() > 0) {
      at::Tensor worst = std::get<1>(mind.topk(empty.numel()));
      r.centroids.index_copy_(0, empty, x.index_select(0, worst));
    }
  }
  r.centroids = r.centroids.to(at::kFloat);
  return r;
}

namespace {
at::Tensor contrast_normalise(const at::Tensor& x, double eps) {
  at::Tensor xd = x.to(at::kDouble);
  return (xd - xd.mean(1, true)) / at::sqrt(xd.var(1, /*unbiased=*/false, true) + eps);
}
}  // namespace

at::Tensor CoatesKMeans::transform(const at::Tensor& x) const {
  at::NoGradGuard ng;
  at::Tensor z = at::mm(contrast_normalise(x, norm_eps) - zca_mean, zca);
  at::Tensor dist = at::sqrt(sq_dists(z, centroids.to(at::kDouble)));
  return at::relu(dist.mean(1, true) - dist).to(at::kFloat);
}

CoatesKMeans fit_coates_kmeans(const at::Tensor& x, int64_t k, uint64_t seed, int max_iter) {
  MU_CHECK(x.dim() == 2 && x.size(0) >= std::max<int64_t>(k, 2), "kmeans: need at least k examples");
  at::NoGradGuard ng;
  CoatesKMeans m;
  // Coates et al. use eps = 10 for pixels in [0, 255]; scale it to the data's range.
  double range = (x.max() - x.min()).item<double>();
  m.norm_eps = 10.0 * std::pow(std::max(range, 1e-12) / 255.0, 2);
  at::Tensor xn = contrast_normalise(x, m.norm_eps);
  m.zca_mean = xn.mean(0);
  at::Tensor xc = xn - m.zca_mean;
  at::Tensor cov = at::mm(xc.t(), xc) / static_cast<double>(xc.size(0));
  auto [evals, evecs] = at::linalg_eigh(cov);
  m.zca = at::mm(evecs * at::rsqrt(evals.clamp_min(0) + 0.1), evecs.t());
  at::Tensor z = at::mm(xc, m.zca);
  m.centroids = kmeans(z, k, max_iter, seed).centroids;
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

Vae train_vae(const at::Tensor& x_in, const VaeOptions& opt, uint64_t seed,
              const std::function<void(int64_t, int64_t)>& progress) {
  MU_CHECK(x_in.dim() == 2 && x_in.size(0) >= 2, "vae: need at least 2 training examples");
  at::AutoGradMode grad_on(true);  // callers may hold a NoGradGuard
  at::Tensor x = x_in.to(at::kFloat).contiguous();
  const int64_t n = x.size(0), D = x.size(1);
  at::Generator gen = make_generator(seed);
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
  double running = 0;
  for (int64_t step = 0; step < opt.steps; ++step) {
    at::Tensor idx = at::randint(n, {B}, gen, at::TensorOptions().dtype(at::kLong));
    adam.zero_grad();
    at::Tensor loss = neg_elbo(v, x.index_select(0, idx), gen);
    loss.backward();
    adam.step();
    running += loss.item<double>();
    if ((step + 1) % 100 == 0 || step + 1 == opt.steps) {
      int64_t m = (step + 1) % 100 == 0 ? 100 : (step + 1) % 100;
      v.loss_curve.push_back(running / static_cast<double>(m));
      running = 0;
      if (progress) progress(step + 1, opt.steps);
    }
  }
  // Detach for inference.
  for (auto* layers : {&v.encoder, &v.decoder})
    for (auto& L : *layers) {
      L.W = L.W.detach(); L.b = L.b.detach();
      if (L.bn) { L.gamma = L.gamma.detach(); L.beta = L.beta.detach(); }
    }
  v.enc_out.W = v.enc_out.W.detach(); v.enc_out.b = v.enc_out.b.detach();
  v.dec_out.W = v.dec_out.W.detach(); v.dec_out.b = v.dec_out.b.detach();
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
