#pragma once
// Hand-designed feature baselines for the few-shot protocol (issue 5): the base model with
// reference-batch normalisation, PCA (whitened), Coates-Ng k-means (whitening, triangle encoding),
// a VAE (paper appendix) and the supervised MLP (same base model plus a softmax layer, Adam 3e-3).
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
struct KMeansResult {
  at::Tensor centroids;         // (K, D)
  at::Tensor assignment;        // (n) int64
  std::vector<double> inertia;  // sum of squared distances after each Lloyd iteration (non-increasing)
  int iterations = 0;
  bool converged = false;       // assignments stopped changing
};
// Lloyd's algorithm with k-means++ seeding; empty clusters are re-seeded at the worst-fitted point.
KMeansResult kmeans(const at::Tensor& x, int64_t k, int max_iter, uint64_t seed);

struct CoatesKMeans {
  double norm_eps = 0;     // per-example contrast normalisation: (x - mean) / sqrt(var + norm_eps)
  at::Tensor zca_mean;     // (D)
  at::Tensor zca;          // (D, D) ZCA whitening matrix, eps 0.1
  at::Tensor centroids;    // (K, D) in whitened space
  at::Tensor transform(const at::Tensor& x) const;  // triangle encoding: max(0, mean_k(z) - z_k), z_k = ||x - c_k||
};
CoatesKMeans fit_coates_kmeans(const at::Tensor& x, int64_t k, uint64_t seed, int max_iter = 50);

// ---- VAE (paper appendix: 3 x 128 with batch norm, latent 32, quantized normal, Adam 1e-4) ----------
struct VaeOptions {
  int64_t hidden = 128, layers = 3, latent = 32;
  int64_t steps = 5000, batch = 128;
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
  std::vector<double> loss_curve;  // negative ELBO per example (nats), every 100 steps
  // Latent means; BN statistics from `reference` (defaults to x itself).
  at::Tensor encode_mean(const at::Tensor& x, const at::Tensor& reference = {}) const;
  std::vector<at::Tensor> parameters() const;
};
// Trains on unlabelled rows of x (minibatches drawn with the seed). progress(step, steps) if given.
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
