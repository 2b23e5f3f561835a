// Emoji: label parsing of emoji-test.txt (a written excerpt), and (when fetched) the rendered set.
#include <sstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "data/loaders.h"
#include "fixtures.h"

using mu::data::EmojiEntry;
using mu::data::parse_emoji_test;

namespace {
// The format of Unicode's emoji-test.txt (15.0), trimmed: statuses, FE0F-qualified pairs, a skin-tone
// sequence, a ZWJ sequence, a keycap, a component and a repeated code point.
const char* kExcerpt = R"(# emoji-test.txt
# Version: 15.0

# group: Smileys & Emotion

# subgroup: face-smiling
1F600                                                  ; fully-qualified     # 😀 E1.0 grinning face
1F603                                                  ; fully-qualified     # 😃 E0.6 grinning face with big mouth

# subgroup: face-affection
263A FE0F                                              ; fully-qualified     # ☺️ E0.6 smiling face
263A                                                   ; unqualified         # ☺ E0.6 smiling face

# group: People & Body

# subgroup: hand-fingers-open
1F44B                                                  ; fully-qualified     # 👋 E0.6 waving hand
1F44B 1F3FB                                            ; fully-qualified     # 👋🏻 E1.0 waving hand: light skin tone
1F9D1 200D 1F4BB                                       ; fully-qualified     # 🧑‍💻 E12.1 technologist
1F600                                                  ; fully-qualified     # 😀 E1.0 grinning face again
0023 FE0F 20E3                                         ; fully-qualified     # #️⃣ E0.6 keycap: #
1F3FB                                                  ; component           # 🏻 E1.0 light skin tone
2639                                                   ; minimally-qualified # ☹ E0.7 frowning face

# Smileys & Emotion subtotal:		2
)";
}  // namespace

TEST(DataEmoji, ParsesSingleCodePointEmojiWithGroups) {
  std::istringstream in(kExcerpt);
  std::vector<EmojiEntry> e = parse_emoji_test(in, "excerpt.txt");
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].cp, U'\U0001F600');
  EXPECT_EQ(e[0].group, "Smileys & Emotion");
  EXPECT_EQ(e[0].subgroup, "face-smiling");
  EXPECT_EQ(e[0].name, "grinning face");
  EXPECT_EQ(e[1].name, "grinning face with big mouth");
  // U+FE0F is ignored; the unqualified duplicate is skipped.
  EXPECT_EQ(e[2].cp, U'\u263A');
  EXPECT_EQ(e[2].subgroup, "face-affection");
  EXPECT_EQ(e[3].cp, U'\U0001F44B');
  EXPECT_EQ(e[3].group, "People & Body");
  EXPECT_EQ(e[3].subgroup, "hand-fingers-open");
  // Components are listed (the loader drops their group); sequences and repeats are not.
  EXPECT_EQ(e[4].cp, U'\U0001F3FB');
  EXPECT_EQ(e[4].name, "light skin tone");
}

TEST(DataEmoji, MalformedLinesNameFileAndLine) {
  std::istringstream bad("# group: G\n# subgroup: s\n1F600 ; fully-qualified # ok E1.0 ok\nno separators here\n");
  EXPECT_MU_ERROR(parse_emoji_test(bad, "emoji-test.txt"), "emoji-test.txt:4:");
  std::istringstream badhex("# group: G\n# subgroup: s\n1F6ZZ ; fully-qualified # x E1.0 x\n");
  EXPECT_MU_ERROR(parse_emoji_test(badhex, "emoji-test.txt"), "'1F6ZZ' is not a hexadecimal code point");
  std::istringstream empty("");
  EXPECT_TRUE(parse_emoji_test(empty, "e").empty());
}

TEST(DataFetched, Emoji) {
  if (!mu::data::emoji_fetched()) GTEST_SKIP() << "emoji not fetched (metaunsup data fetch emoji)";
  mu::Split s = mu::load_dataset("emoji", 16);
  EXPECT_GE(s.train.classes(), 40);
  EXPECT_EQ(s.train.dim(), 256);
  EXPECT_EQ(s.test.classes(), s.train.classes());
  at::Tensor tr = at::bincount(s.train.y, {}, s.train.classes()), te = at::bincount(s.test.y, {}, s.train.classes());
  EXPECT_GE(tr.min().item<int64_t>(), 100);
  EXPECT_GE(te.min().item<int64_t>(), 6);
  EXPECT_NE(std::find(s.train.class_names.begin(), s.train.class_names.end(), "animal-mammal"),
            s.train.class_names.end());
  mu::Split c = mu::load_dataset("emoji:colour", 16);
  EXPECT_EQ(c.train.image_shape, (std::vector<int64_t>{16, 16, 3}));
  // Colour pictures: the channels differ somewhere (a grey rendering would have R = G = B).
  at::Tensor x = c.train.x.view({-1, 16, 16, 3});
  EXPECT_GT((x.select(3, 0) - x.select(3, 2)).abs().mean().item<float>(), 0.02f);
  EXPECT_TRUE(at::isfinite(c.train.x).all().item<bool>());
  EXPECT_MU_ERROR(mu::load_dataset("emoji:heldout"), "no held-out classes");
}
