#include <gtest/gtest.h>

#include "data/loaders.h"
#include "data/text.h"

using namespace mu::data;

TEST(DataText, MailBodyDropsHeadersHtmlAndDecodesQp) {
  std::string mail =
      "From: spammer@example.com\nSubject: WIN money\nContent-Transfer-Encoding: quoted-printable\n\n"
      "<HTML><BODY>Hello=20there &nbsp; fri=\nend <b>now</b></BODY></HTML>\n";
  std::string b = mail_body(mail);
  EXPECT_EQ(b.find("spammer"), std::string::npos);  // headers give the label away
  EXPECT_EQ(b.find("Subject"), std::string::npos);
  EXPECT_EQ(b.find('<'), std::string::npos);
  EXPECT_EQ(b.find("nbsp"), std::string::npos);
  auto t = tokenize(b);
  EXPECT_EQ(t, (std::vector<std::string>{"hello", "there", "friend", "now"}));
  EXPECT_EQ(mail_body("no blank line at all"), "");
}

TEST(DataText, TokenizeDropsIdsAndLongRuns) {
  auto t = tokenize("Re: id x9f3 a AAAAAAAAAAAAAAAAAAAAAAAAAAA don't stop");
  EXPECT_EQ(t, (std::vector<std::string>{"re", "id", "don", "stop"}));
}

TEST(DataText, VocabAndPresenceEncoding) {
  std::vector<std::vector<std::string>> docs = {{"aa", "bb", "aa"}, {"bb", "cc"}, {"bb", "dd"}};
  Vocab v = build_vocab(docs, 2);
  EXPECT_EQ(v.words, (std::vector<std::string>{"bb", "aa"}));  // df 3, then ties alphabetically
  at::Tensor x = encode_presence({{"aa"}, {"bb", "zz"}}, v);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_TRUE(x[0].equal(at::tensor({1, 1, 0, 0, 1}, at::kByte))) << x;
  EXPECT_TRUE(x[1].equal(at::tensor({1, 1, 1, 1, 0}, at::kByte))) << x;
}

TEST(DataFetched, Spam) {
  if (!spam_fetched()) GTEST_SKIP() << "spam not fetched";
  mu::Split s = mu::load_dataset("spam");
  EXPECT_EQ(s.train.size() + s.test.size(), 6046);
  EXPECT_EQ(s.test.size(), 1209);
  EXPECT_EQ(s.train.dim(), 1003);
  EXPECT_EQ(s.train.class_names, (std::vector<std::string>{"ham", "spam"}));
  EXPECT_EQ(spam_vocabulary().size(), 1003u);
}
