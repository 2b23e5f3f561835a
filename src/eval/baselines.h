#pragma once
// Hand-designed feature baselines for the few-shot protocol: the base model with
// reference-batch normalisation, PCA (whitened), Coates-Ng k-means (whitening, triangle encoding),
// a VAE (paper appendix, validation early stopping) and the supervised MLP (same base model plus a softmax layer, Adam 3e-3).
// Every fit is deterministic given its seed.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/base_model.h"

namespace mu {

// The base model's embedding X^L with batch-norm statistics taken from a fixed reference batch of
// unlabelled training inputs (per layer, biased variance, eps 1e-6: forward()'s formula), so that the
// features of an example do not depend on which other examples are embedded with it.
at::Tensor embed_reference(const Phi& phi, const at::Tensor& reference, const at::Tensor& x);

// A small Adam (Kingma & Ba) over leaf tensors that require grad; step() reads their .grad().
class Adam {
 public:
  Adam(std::vector<at::Tensor> params, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);
  void zero_grad();
  void step();
  const std::vector<at::Tensor>& params() const { return params_; }

 private:
  std::vector<at::Tensor> params_, m_, v_;
  double lr_, b1_, b2_, eps_;
  int64_t t_ = 0;
};

// ---- PCA ------------------------------------------------------------------------------------------
struct Pca {
  at::Tensor mean;        // (D)
  at::Tensor components;  // (D, k), orthonormal columns, by decreasing variance
  at::Tensor variance;    // (k) eigenvalues (explained variance)
  double total_variance = 0;
  bool whiten = true;
  at::Tensor transform(const at::Tensor& x) const;          // (n, k) float32; unit variance if whiten
  at::Tensor inverse_transform(const at::Tensor& z) const;  // (n, D)
};
Pca fit_pca(const at::Tensor& x, int64_t k, bool whiten = true);

// ---- k-means (Coates, Lee & Ng 2011) ------------------------------------------------------------------
struct KMeansOptions {
  int restarts = 3;     // independent seedings; the fit with the lowest inertia is kept (scikit-learn's n_init)
  int max_iter = 300;   // Lloyd iterations per restart, at most
  double tol = 1e-4;    // also stop when the centres' total squared shift falls below tol x the mean
                        // per-dimension variance of x (scikit-learn's criterion)
};
struct KMeansResult {
  at::Tensor centroids;         // (K, D)
  at::Tensor assignment;        // (n) int64
  std::vector<double> inertia;  // sum of squared distances after each Lloyd iteration (non-increasing)
  int iterations = 0;
  bool converged = false;       // assignments stopped changing, or the centres stopped moving (tol)
  int restart = 0;              // which restart was kept
};
// Lloyd's algorithm from greedy k-means++ seeding (each centre the best of 2 + ln K candidates drawn by
// D^2 weighting, as scikit-learn does), `restarts` times; empty clusters are re-seeded at the worst-fitted
// points. Deterministic given the seed.
KMeansResult kmeans(const at::Tensor& x, int64_t k, const KMeansOptions& opt, uint64_t seed);
// One restart, at most max_iter iterations.
KMeansResult kmeans(const at::Tensor& x, int64_t k, int max_iter, uint64_t seed);

// Whole-image k-means features as Coates & Ng apply them: ZCA whitening of the raw pixels (no per-image
// contrast normalisation: on [0, 1] digit images it multiplies the pixel variance about tenfold and lets
// the whitening epsilon amplify hundreds of noise directions), k-means in the whitened space, and the
// triangle encoding.
struct CoatesOptions {
  int64_t k = 256;          // centres = feature width
  double zca_eps = 0.1;     // added to the covariance eigenvalues; suited to pixels in [0, 1]
  KMeansOptions kmeans;
};
struct CoatesKMeans {
  at::Tensor zca_mean;     // (D) float64
  at::Tensor zca;          // (D, D) float64 ZCA whitening matrix U diag(1 / sqrt(lambda + eps)) U^T
  at::Tensor centroids;    // (K, D) float64, in whitened space
  at::Tensor cluster_sizes;  // (K) int64 members per centre on the fit data
  int iterations = 0;      // Lloyd iterations of the kept restart
  at::Tensor transform(const at::Tensor& x) const;  // (n, K) float32: max(0, mean_k(z) - z_k), z_k = ||zca(x) - c_k||
};
CoatesKMeans fit_coates_kmeans(const at::Tensor& x, const CoatesOptions& opt, uint64_t seed);

// ---- VAE (paper appendix: 4 x 128 encoder and decoder with batch norm, latent 32, quantized normal,
// Adam 1e-4) ----------------------------------------------------------------------------------------------
// Training holds out a validation split of the training rows (never the test split) and measures the
// negative ELBO there every eval_every steps. From min_steps on, it keeps the parameters of the best check
// and stops once `patience` checks have not improved on it: the step is chosen on the validation split,
// among steps >= min_steps. (On mnist 14x14 the validation loss is lowest near 4,000 steps and rises
// after, while the latent means keep improving as few-shot features: 0.474 at 4,000 steps, 0.618 at
// 20,000, 0.639 at 40,000, 1 seed x 5 label draws; lowest_step records where it was lowest.)
struct VaeOptions {
  int64_t hidden = 128, layers = 4, latent = 32;
  int64_t steps = 100000;      // at most (the paper selected its VAE at 100k steps)
  int64_t min_steps = 20000;   // at least (capped at steps)
  int64_t eval_every = 1000;   // validation check interval (and the last step)
  int64_t patience = 5;        // checks without a new best before stopping
  double validation = 0.1;     // fraction of the training rows held out for the checks ...
  int64_t max_validation = 2000;  // ... at most this many
  int64_t batch = 128;
  double lr = 1e-4;
  double bin = 1.0 / 255;  // width of the quantisation bins of the observation model
};
struct Vae {
  struct Layer { at::Tensor W, b, gamma, beta; bool bn = true; };
  std::vector<Layer> encoder;  // hidden layers (Linear + BN + ReLU)
  Layer enc_out;               // hidden -> 2*latent (mean, log std)
  std::vector<Layer> decoder;  // latent -> hidden layers
  Layer dec_out;               // hidden -> 2*D (mean, log std)
  VaeOptions options;
  std::vector<double> loss_curve;  // training negative ELBO per example (nats), every 100 steps
  std::vector<std::pair<int64_t, double>> validation_curve;  // (step, validation negative ELBO) per check
  int64_t steps_run = 0;   // steps taken before stopping
  int64_t best_step = 0;   // the step whose parameters these are (>= min_steps)
  int64_t lowest_step = 0; // the check with the lowest validation loss of all, min_steps or not
  // Latent means; BN statistics from `reference` (defaults to x itself).
  at::Tensor encode_mean(const at::Tensor& x, const at::Tensor& reference = {}) const;
  std::vector<at::Tensor> parameters() const;
};
// Trains on unlabelled rows of x (validation rows and minibatches drawn with the seed). progress(step,
// steps) if given.
Vae train_vae(const at::Tensor& x, const VaeOptions& opt, uint64_t seed,
              const std::function<void(int64_t, int64_t)>& progress = {});
// Negative ELBO per example with a single posterior sample (for tests and logs).
double vae_loss(const Vae& vae, const at::Tensor& x, uint64_t seed);

// ---- supervised baseline ------------------------------------------------------------------------------
struct SupervisedOptions {
  int64_t steps = 2000;
  int64_t batch = 64;  // minibatch from the labelled examples (the paper credits BN noise as regulariser)
  double lr = 3e-3;
};
struct SupervisedModel {
  Phi phi;            // the trained base model (W and b trained, V untouched)
  at::Tensor Wout, bout;  // softmax layer (N^L, K), (K)
  std::vector<double> loss_curve;  // training cross-entropy every 50 steps
  at::Tensor logits(const at::Tensor& reference, const at::Tensor& x) const;
};
SupervisedModel train_supervised(const Phi& phi0, const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                 const SupervisedOptions& opt, uint64_t seed);

}  // namespace mu
