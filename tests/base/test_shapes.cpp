// One theta must train any width, depth, batch size >= 2 and activation; bad input fails clearly.
#include <gtest/gtest.h>

#include "common/error.h"
#include "support/model_fixtures.h"
#include "rule/unsupervised_update.h"

namespace mu {
using namespace mu::testing;

namespace {
void expect_good_step(const Theta& th, const Arch& a, int64_t B, uint64_t seed) {
  Phi p = init_phi(a, seed);
  Phi q = unsupervised_step(th, p, batch(B, a.widths[0], seed));
  ASSERT_EQ(q.layers(), a.layers());
  for (int64_t l = 0; l < a.layers(); ++l) {
    EXPECT_EQ(q.W[l].sizes(), p.W[l].sizes());
    EXPECT_EQ(q.b[l].sizes(), p.b[l].sizes());
    for (const auto& t : {q.W[l], q.V[l], q.b[l]})
      EXPECT_TRUE(at::isfinite(t).all().item<bool>()) << a.str() << " B=" << B;
    EXPECT_FALSE(q.W[l].equal(p.W[l])) << "the rule did not move W";
  }
  EXPECT_EQ(embed(q, batch(B, a.widths[0], seed + 1)).sizes(), (std::vector<int64_t>{B, 32}));
}
const std::vector<std::pair<int64_t, std::string>> kArchs = {{20, "8,8"}, {196, "128x4"}, {50, "300x6"}};
}  // namespace

TEST(Shapes, EveryArchitectureAndBatch) {
  Theta th = init_theta(0);
  int i = 0;
  for (const auto& [in, hid] : kArchs)
    for (int64_t B : {2, 17, 128}) {
      Activation act = all_activations()[i++ % all_activations().size()];
      expect_good_step(th, make_arch(in, hid, 32, act), B, i);
    }
}

TEST(Shapes, EveryActivation) {
  Theta th = init_theta(0);
  for (const auto& [in, hid] : kArchs)
    for (Activation act : all_activations()) expect_good_step(th, make_arch(in, hid, 32, act), 17, 5);
}

// `--arch` strings: both forms give the widths they say; anything else is refused, not half-read.
TEST(Shapes, MakeArchReadsBothFormsAndRefusesTheRest) {
  EXPECT_EQ(make_arch(196, "128x4").widths, (std::vector<int64_t>{196, 128, 128, 128, 128, 32}));
  EXPECT_EQ(make_arch(10, "16,12", 8).widths, (std::vector<int64_t>{10, 16, 12, 8}));
  EXPECT_EQ(make_arch(10, "64").widths, (std::vector<int64_t>{10, 64, 32}));
  EXPECT_EQ(make_arch(10, "5x0").widths, (std::vector<int64_t>{10, 32}));  // no hidden layer
  EXPECT_EQ(make_arch(10, "").widths, (std::vector<int64_t>{10, 32}));
  for (const char* bad : {"4.5x2", "48x3x2", "x3", "48x", "0x3", "-4x2", "48x65", "4 x2", "16,,12", "16,", ",16",
                          "16,0", "16;12", "abc", "12345678901x1"})
    EXPECT_THROW(make_arch(10, bad), Error) << bad;
}

TEST(Shapes, SeedsReproduce) {
  Theta th = init_theta(9);
  Arch a = make_arch(20, "16,16");
  Phi p1 = unsupervised_step(th, init_phi(a, 3), batch(8, 20, 4));
  Phi p2 = unsupervised_step(th, init_phi(a, 3), batch(8, 20, 4));
  for (int64_t l = 0; l < a.layers(); ++l) EXPECT_TRUE(p1.W[l].equal(p2.W[l]));
  Phi p3 = init_phi(a, 4);
  EXPECT_FALSE(p3.W[0].equal(init_phi(a, 3).W[0]));
  EXPECT_FALSE(p3.perm.equal(init_phi(a, 3).perm));
}

TEST(BadInput, WrongWidthSingleExampleAndNaN) {
  Theta th = init_theta(0);
  Phi p = init_phi(make_arch(20, "16"), 1);
  auto expect_error = [&](const at::Tensor& x, const std::string& needle) {
    try {
      unsupervised_step(th, p, x);
      FAIL() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(batch(8, 19, 0), "input width");
  expect_error(batch(1, 20, 0), "at least 2");
  at::Tensor nan = batch(8, 20, 0);
  nan[3][5].fill_(std::nan(""));
  expect_error(nan, "NaN");
  at::Tensor inf = batch(8, 20, 0);
  inf[0][0].fill_(INFINITY);
  expect_error(inf, "NaN or infinite");
  expect_error(at::rand({8}), "2-D");
}

TEST(BadInput, WrongOutputWidthForTopD) {
  Theta th = init_theta(0);
  Phi p = init_phi(make_arch(20, "16", 16), 1);
  EXPECT_THROW(unsupervised_step(th, p, batch(8, 20, 0)), Error);
}

TEST(BaseModel, ForwardMatchesTheDefinition) {
  Arch a = make_arch(6, "5", 32, Activation::tanh);
  Phi p = init_phi(a, 1, at::kDouble);
  at::Tensor x = batch(7, 6, 2, at::kDouble);
  Activations f = forward(p, x);
  at::Tensor X = x.index_select(1, p.perm);
  for (int64_t l = 0; l < 2; ++l) {
    at::Tensor U = at::mm(X, p.W[l]);
    at::Tensor Z = (U - U.mean(0)) / at::sqrt(U.var(0, false) + 1e-6) + p.b[l];
    EXPECT_LT(max_abs(f.Z[l + 1] - Z), 1e-10);
    X = at::tanh(Z);
  }
  EXPECT_LT(max_abs(f.X.back() - X), 1e-10);
}

// --features-from: reading out below the embedding is the same network stopped early.
TEST(BaseModel, BelowTopReadsOutAHiddenLayer) {
  Phi p = init_phi(make_arch(10, "9,7,5"), 4);
  at::Tensor x = batch(6, 10, 5);
  Activations f = forward(p, x);
  for (int64_t k = 0; k < 4; ++k) {
    at::Tensor F = embed(p.below_top(k), x);
    EXPECT_EQ(F.sizes(), f.X[4 - k].sizes()) << k;
    EXPECT_TRUE(F.equal(f.X[4 - k])) << k;
  }
  EXPECT_EQ(p.layers(), 4);  // p itself is untouched
  EXPECT_THROW(p.below_top(4), Error);
  EXPECT_THROW(p.below_top(-1), Error);
  EXPECT_EQ(parse_features_from("top"), 0);
  EXPECT_EQ(parse_features_from("hidden"), 1);
  EXPECT_EQ(parse_features_from("2"), 2);
  for (const char* bad : {"", "-1", "Hidden", "1.5", "bottom", "12345"}) EXPECT_THROW(parse_features_from(bad), Error) << bad;
}

TEST(BaseModel, SaveLoadRoundTrip) {
  Phi p = init_phi(make_arch(12, "7,5", 32, Activation::elu), 3);
  std::string path = ::testing::TempDir() + "/phi.pt";
  save_phi(p, path);
  Phi q = load_phi(path);
  EXPECT_EQ(q.activation, Activation::elu);
  EXPECT_TRUE(q.perm.equal(p.perm));
  for (int64_t l = 0; l < p.layers(); ++l) EXPECT_TRUE(q.W[l].equal(p.W[l]) && q.V[l].equal(p.V[l]) && q.b[l].equal(p.b[l]));
}

TEST(BaseModel, InitialisationFollowsSection22) {
  Phi p = init_phi(make_arch(196, "128x3"), 0);
  EXPECT_LE(max_abs(p.W[0]), 0.02 + 1e-7);
  EXPECT_LE(max_abs(p.b[0]), 0.2 + 1e-7);
  EXPECT_FALSE(p.W[0].equal(p.V[0]));
  EXPECT_TRUE(std::get<0>(p.perm.sort()).equal(at::arange(196, at::kLong)));
  int64_t n = 0;
  for (const auto& t : p.tensors()) n += t.numel();
  EXPECT_EQ(n, 61952 * 2 + 416);
}

}  // namespace mu
