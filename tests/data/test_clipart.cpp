// Clip art (openclipart on black): the class rules, the held-out rule, and (when fetched) the real set, its
// black background and the task sampler over it.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "common/error.h"
#include "data/catalog.h"
#include "data/loaders.h"
#include "data/task_sampler.h"
#include "fixtures.h"

using namespace mu::data;

TEST(DataClipart, ClassRules) {
  auto train = clipart_class_names(false), held = clipart_class_names(true);
  EXPECT_EQ(held.size(), 4u);
  EXPECT_EQ(train.size(), 22u);
  for (const auto& h : held) EXPECT_EQ(std::count(train.begin(), train.end(), h), 0);
  EXPECT_NE(std::find(held.begin(), held.end(), "clothing"), held.end());
  EXPECT_GE(clipart_class("food/fruit/pear_simple_bw.png"), 0);
  EXPECT_EQ(clipart_class("people/clothing/hats/top_hat.png"), clipart_class("people/clothing/thongs_01.png"));
  EXPECT_NE(clipart_class("animals/birds/a.png"), clipart_class("animals/mammals/a.png"));
  EXPECT_EQ(clipart_class("shapes/stars/star.png"), -1);       // shapes, icons, signs: not objects
  EXPECT_EQ(clipart_class("computer/icons/folder.png"), -1);
  EXPECT_EQ(clipart_class("food/fruit.png"), -1);              // a file, not the folder
  EXPECT_EQ(clipart_class("food/fruit/pear.svg"), -1);
}

TEST(DataClipart, HeldOutClassesAreRefusedAndMissingDataNamesTheFetch) {
  EXPECT_TRUE(is_held_out("clipart:heldout"));
  EXPECT_TRUE(is_held_out("clipart:colour:heldout"));
  EXPECT_FALSE(is_held_out("clipart"));
  EXPECT_FALSE(is_held_out("clipart:colour"));
  TaskSamplerConfig c;
  c.sources = {"glyphs", "clipart:heldout"};
  EXPECT_MU_ERROR(TaskSampler s(c), "held-out");
  mu::test::TempDir t;
  setenv("METAUNSUP_DATA", t.path.c_str(), 1);
  EXPECT_MU_ERROR(mu::load_dataset("clipart"), "metaunsup data fetch clipart");
  unsetenv("METAUNSUP_DATA");
}

TEST(DataFetched, Clipart) {
  if (!clipart_fetched()) GTEST_SKIP() << "clipart not fetched (metaunsup data fetch clipart)";
  mu::Split s = mu::load_dataset("clipart", 16);
  EXPECT_EQ(s.train.classes(), 22);
  EXPECT_EQ(s.train.dim(), 256);
  EXPECT_EQ(s.train.class_names, clipart_class_names(false));
  EXPECT_GT(s.train.size(), 4000);
  at::Tensor tr = at::bincount(s.train.y, {}, 22), te = at::bincount(s.test.y, {}, 22);
  EXPECT_GE(tr.min().item<int64_t>(), 100);
  EXPECT_GE(te.min().item<int64_t>(), 8);
  // Drawn on black: the corners of most examples are black, and the objects are not.
  at::Tensor img = s.train.x.view({-1, 16, 16});
  at::Tensor corner = img.index({at::indexing::Slice(), 0, 0});
  EXPECT_GT((corner == 0).to(at::kFloat).mean().item<double>(), 0.5);
  EXPECT_GT(img.mean().item<double>(), 0.05);
  mu::Split h = mu::load_dataset("clipart:heldout", 16);
  EXPECT_EQ(h.train.class_names, clipart_class_names(true));
  EXPECT_EQ(mu::load_dataset("clipart:colour", 16).train.dim(), 768);
  EXPECT_MU_ERROR(mu::load_dataset("clipart:sepia"), "clipart:heldout");
  TaskSamplerConfig cfg;
  cfg.sources = {"clipart"};
  TaskSampler ts(cfg);
  auto held = clipart_class_names(true);
  for (uint64_t k = 0; k < 30; ++k)
    for (const auto& n : ts.sample(k).class_names) EXPECT_EQ(std::count(held.begin(), held.end(), n), 0) << n;
}
