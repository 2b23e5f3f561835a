#include <gtest/gtest.h>

#include "common/error.h"
#include "data/idx.h"
#include "fixtures.h"

using mu::data::read_idx;
using mu::data::write_idx;
using mu::test::TempDir;

namespace {
at::Tensor images() { return at::arange(2 * 3 * 4, at::kByte).reshape({2, 3, 4}); }
}  // namespace

TEST(DataIdx, RoundTripPlainAndGzip) {
  TempDir t;
  for (bool gz : {false, true}) {
    std::string f = t / (gz ? "a.gz" : "a");
    write_idx(f, images(), gz);
    at::Tensor r = read_idx(f);
    EXPECT_EQ(r.scalar_type(), at::kByte);
    EXPECT_EQ(r.sizes(), images().sizes());
    EXPECT_TRUE(r.equal(images()));
  }
  // The gzipped file really is gzip (magic 1f 8b) and the plain one starts with the IDX magic.
  EXPECT_EQ(mu::test::read_bytes(t / "a.gz").substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(mu::test::read_bytes(t / "a").substr(0, 4), std::string("\0\0\x08\x03", 4));
}

TEST(DataIdx, BigEndianMultiByteTypes) {
  TempDir t;
  at::Tensor i = at::tensor({1, -2, 70000}, at::kInt);
  at::Tensor f = at::tensor({0.5f, -3.25f}, at::kFloat);
  write_idx(t / "i", i);
  write_idx(t / "f", f, true);
  EXPECT_TRUE(read_idx(t / "i").equal(i));
  EXPECT_TRUE(read_idx(t / "f").equal(f));
  // Byte 3 of the 70000 element (0x00011170) written big-endian.
  std::string b = mu::test::read_bytes(t / "i");
  EXPECT_EQ(static_cast<unsigned char>(b[8 + 8 + 1]), 0x01);
}

TEST(DataIdx, RejectsBadFiles) {
  TempDir t;
  write_idx(t / "ok", images());
  std::string ok = mu::test::read_bytes(t / "ok");
  EXPECT_MU_ERROR(read_idx(t / "missing"), "cannot open");
  mu::test::write_text(t / "magic", "\x01\x02" + ok.substr(2));
  EXPECT_MU_ERROR(read_idx(t / "magic"), "bad magic");
  mu::test::write_text(t / "type", std::string("\0\0\x07\x03", 4) + ok.substr(4));
  EXPECT_MU_ERROR(read_idx(t / "type"), "bad magic");
  mu::test::write_text(t / "trunc", ok.substr(0, ok.size() - 5));
  EXPECT_MU_ERROR(read_idx(t / "trunc"), "truncated");
  mu::test::write_text(t / "header", ok.substr(0, 9));
  EXPECT_MU_ERROR(read_idx(t / "header"), "truncated");
  mu::test::write_text(t / "extra", ok + "xy");
  EXPECT_MU_ERROR(read_idx(t / "extra"), "trailing");
  std::string zero = ok;
  zero[4] = zero[5] = zero[6] = zero[7] = 0;
  mu::test::write_text(t / "zero", zero);
  EXPECT_MU_ERROR(read_idx(t / "zero"), "size 0");
  mu::test::write_text(t / "empty", "");
  EXPECT_MU_ERROR(read_idx(t / "empty"), "truncated");
}

TEST(DataIdx, RejectsBrokenGzip) {
  TempDir t;
  write_idx(t / "ok.gz", at::randint(0, 255, {50, 28, 28}, at::kByte), true);
  std::string gz = mu::test::read_bytes(t / "ok.gz");
  mu::test::write_text(t / "cut.gz", gz.substr(0, gz.size() / 2));
  EXPECT_THROW(read_idx(t / "cut.gz"), mu::Error);
  std::string bad = gz;
  for (size_t i = 20; i < 60; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
  mu::test::write_text(t / "bad.gz", bad);
  EXPECT_MU_ERROR(read_idx(t / "bad.gz"), "bad.gz");
  // A damaged CRC trailer is caught too (the data decompresses but does not check out).
  std::string crc = gz;
  crc[crc.size() - 6] = static_cast<char>(crc[crc.size() - 6] ^ 0xff);
  mu::test::write_text(t / "crc.gz", crc);
  EXPECT_MU_ERROR(read_idx(t / "crc.gz"), "corrupt gzip");
}
