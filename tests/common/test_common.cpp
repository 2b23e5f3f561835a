// src/common: .npy files (round trip, and headers that must be refused with a one-line mu::Error before
// anything is allocated), strict number parsing, atomic writes, seeded generators, archives, one_line.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "common/archive.h"
#include "common/error.h"
#include "common/fsio.h"
#include "common/npy.h"
#include "common/parse.h"
#include "common/random.h"
#include "common/runtime.h"

namespace fs = std::filesystem;

namespace {
// A fresh, empty folder per test, removed again by the fixture.
struct Folder {
  std::string path;
  explicit Folder(const std::string& name)
      : path((fs::temp_directory_path() / ("mu_common_" + name + "_" + std::to_string(getpid()))).string()) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Folder() { fs::remove_all(path); }
  std::string operator/(const std::string& file) const { return path + "/" + file; }
  std::vector<std::string> files() const {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(path)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  }
};

std::string read_all(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
void write_raw(const std::string& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// A .npy file by hand: magic, version, header length (2 bytes for version 1, 4 for 2), header, body.
std::string npy_bytes(const std::string& header_dict, const std::string& body, int version = 1) {
  std::string h = header_dict;
  const size_t prefix = version == 1 ? 10 : 12;
  h.append((64 - (prefix + h.size() + 1) % 64) % 64, ' ');
  h.push_back('\n');
  std::string b = std::string("\x93NUMPY", 6) + char(version) + '\0';
  const uint32_t n = uint32_t(h.size());
  b.append(reinterpret_cast<const char*>(&n), version == 1 ? 2 : 4);
  return b + h + body;
}
std::string doubles(std::initializer_list<double> v) {
  return std::string(reinterpret_cast<const char*>(v.begin()), v.size() * sizeof(double));
}

// The message of the mu::Error that f throws ("" when it throws none; other exceptions fail the test).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const mu::Error& e) {
    return e.what();
  }
  return "";
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

// ------------------------------------------------------------------------------------------------- npy

TEST(CommonNpy, RoundTripKeepsDtypeShapeAndValues) {
  Folder d("npy_rt");
  at::Generator g = mu::make_generator(1);
  const std::vector<at::Tensor> cases = {
      at::rand({3, 4}, g, at::kFloat),
      at::rand({2, 3, 5}, g, at::kDouble) - 0.5,
      at::randint(-1000000, 1000000, {7}, g, at::TensorOptions().dtype(at::kLong)) * 1000000007,
      at::randint(-100, 100, {2, 2}, g, at::TensorOptions().dtype(at::kInt)),
      at::randint(0, 256, {4, 1}, g, at::TensorOptions().dtype(at::kByte)),
      at::rand({5}, g) > 0.5,                                            // bool
      at::full({}, 2.5, at::kDouble),                                    // 0-d
      at::full({}, int64_t(-3), at::TensorOptions().dtype(at::kLong)),   // 0-d int64
      at::empty({0}, at::kFloat),                                        // empty
      at::empty({3, 0, 2}, at::kDouble),                                 // empty with other axes
      at::rand({4, 6}, g, at::kDouble).t(),                              // non-contiguous: written in C order
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string p = d / ("t" + std::to_string(i) + ".npy");
    mu::save_npy(p, cases[i]);
    at::Tensor back = mu::load_npy(p);
    EXPECT_EQ(back.scalar_type(), cases[i].scalar_type()) << i;
    EXPECT_EQ(back.sizes(), cases[i].sizes()) << i;
    EXPECT_TRUE(at::equal(back, cases[i].contiguous())) << i;
    EXPECT_EQ(mu::file_size(p) % 64, (cases[i].numel() * cases[i].element_size()) % 64) << "header padded to 64";
  }
  EXPECT_EQ(d.files().size(), cases.size()) << "no temporaries left behind";
}

TEST(CommonNpy, HeaderIsWhatNumpyWrites) {
  Folder d("npy_hdr");
  mu::save_npy(d / "a.npy", at::zeros({2, 3}, at::kDouble));
  mu::save_npy(d / "v.npy", at::zeros({4}, at::kFloat));
  mu::save_npy(d / "s.npy", at::zeros({}, at::kLong));
  const std::string a = read_all(d / "a.npy"), v = read_all(d / "v.npy"), s = read_all(d / "s.npy");
  EXPECT_EQ(a.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_TRUE(contains(a, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,3), }"));
  EXPECT_TRUE(contains(v, "'descr': '<f4'") && contains(v, "'shape': (4,)"));  // a 1-tuple keeps its comma
  EXPECT_TRUE(contains(s, "'descr': '<i8'") && contains(s, "'shape': ()"));
  EXPECT_EQ(a.size(), 128u + 6 * 8);  // 10 + header + newline = 128 here: a multiple of 64
}

TEST(CommonNpy, ReadsHandWrittenVersion1And2Files) {
  Folder d("npy_hand");
  write_raw(d / "v1.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", doubles({1, -2, 0.5})));
  write_raw(d / "v2.npy", npy_bytes("{'shape': (1, 2), 'fortran_order': False, 'descr': '<f8'}", doubles({4, 5}), 2));
  at::Tensor a = mu::load_npy(d / "v1.npy"), b = mu::load_npy(d / "v2.npy");
  EXPECT_TRUE(at::equal(a, at::tensor({1.0, -2.0, 0.5}, at::kDouble)));
  EXPECT_EQ(b.sizes(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(b[0][1].item<double>(), 5.0);
}

TEST(CommonNpy, RefusesBadFilesWithOneLineErrors) {
  Folder d("npy_bad");
  const std::string good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  struct Case {
    std::string name, bytes, expect;
  };
  std::string cut = npy_bytes(good, doubles({1, 2}));
  cut.resize(9);  // inside the header length
  std::string long_header = npy_bytes(good, "");
  long_header[8] = char(0xff), long_header[9] = char(0x7f);  // claims a 32 KB header in a 64-byte file
  const std::vector<Case> cases = {
      {"magic", "PK\x03\x04 not numpy at all, but long enough", "bad magic"},
      {"short", "\x93NUM", "bad magic"},
      {"version", npy_bytes(good, doubles({1, 2}), 9), "unsupported .npy version"},
      {"cut", cut, "truncated header"},
      {"long_header", long_header, "truncated header"},
      {"dtype", npy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", std::string(16, '\0')),
       "header field 'descr'"},
      {"big_endian", npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", doubles({1, 2})),
       "little-endian"},
      {"no_descr", npy_bytes("{'fortran_order': False, 'shape': (2,), }", doubles({1, 2})), "missing"},
      {"fortran", npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", doubles({1, 2})),
       "fortran_order"},
      {"shape_text", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2x,), }", doubles({1, 2})),
       "header field 'shape'"},
      {"negative", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }", doubles({1, 2})),
       "negative dimension"},
      {"body_short", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", doubles({1, 2})),
       "truncated"},
      {"body_long", npy_bytes(good, doubles({1, 2, 3})), "trailing bytes"},
  };
  for (const auto& c : cases) {
    write_raw(d / (c.name + ".npy"), c.bytes);
    const std::string msg = error_of([&] { mu::load_npy(d / (c.name + ".npy")); });
    EXPECT_TRUE(contains(msg, c.expect)) << c.name << ": '" << msg << "'";
    EXPECT_TRUE(contains(msg, c.name + ".npy")) << "the message names the file: " << msg;
    EXPECT_FALSE(contains(msg, "\n")) << c.name;
  }
  EXPECT_TRUE(contains(error_of([&] { mu::load_npy(d / "missing.npy"); }), "cannot open"));
  EXPECT_TRUE(contains(error_of([&] { mu::load_npy(d.path); }), "cannot open"));  // a folder
}

// A header that claims far more data than the file holds is refused from the file size alone: a load that
// allocated first would throw LibTorch's out-of-memory error (not mu::Error) or take seconds.
TEST(CommonNpy, HugeShapeClaimFailsFastWithoutAllocating) {
  Folder d("npy_huge");
  write_raw(d / "tb.npy",
            npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }", doubles({1})));
  write_raw(d / "overflow.npy",
            npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
                      doubles({1})));
  write_raw(d / "toolong.npy",
            npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", doubles({1})));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(contains(error_of([&] { mu::load_npy(d / "tb.npy"); }), "truncated"));
  EXPECT_TRUE(contains(error_of([&] { mu::load_npy(d / "overflow.npy"); }), "absurdly large"));
  EXPECT_TRUE(contains(error_of([&] { mu::load_npy(d / "toolong.npy"); }), "header field 'shape'"));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
}

TEST(CommonNpy, SaveRefusesUnsupportedDtypes) {
  Folder d("npy_save");
  EXPECT_TRUE(contains(error_of([&] { mu::save_npy(d / "h.npy", at::zeros({2}, at::kHalf)); }), "unsupported dtype"));
  EXPECT_TRUE(contains(error_of([&] { mu::save_npy(d.path, at::zeros({2})); }), "folder"));
  EXPECT_TRUE(d.files().empty());
}

// ----------------------------------------------------------------------------------------------- parse

TEST(CommonParse, IntegersWholeTextOnly) {
  EXPECT_EQ(mu::parse_int("42", "w"), 42);
  EXPECT_EQ(mu::parse_int("-7", "w"), -7);
  EXPECT_EQ(mu::parse_int("0", "w"), 0);
  EXPECT_EQ(mu::parse_int("9223372036854775807", "w"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(mu::parse_int("-9223372036854775808", "w"), std::numeric_limits<int64_t>::min());
  // Surrounding whitespace (a value read from a line of a file) is trimmed; anything else must be the number.
  EXPECT_EQ(mu::parse_int(" 3", "w"), 3);
  EXPECT_EQ(mu::parse_int("12\n", "w"), 12);
  for (const char* bad : {"", " ", "1x", "x1", "4abc", "1.5", "1e3", "0x10", "3 4", "--1", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999999"})
    EXPECT_THROW(mu::parse_int(bad, "w"), mu::Error) << "'" << bad << "'";
}

TEST(CommonParse, RealsWholeTextOnlyAndInRange) {
  EXPECT_EQ(mu::parse_real("1e-3", "w"), 1e-3);
  EXPECT_EQ(mu::parse_real("-0.25", "w"), -0.25);
  EXPECT_EQ(mu::parse_real("7", "w"), 7.0);
  EXPECT_EQ(mu::parse_real(" 2.5\n", "w"), 2.5);
  for (const char* bad : {"", "  ", "1x", "0.1.2", "1e", "e5", "1,5", "1 2", "1e999", "-1e999"})
    EXPECT_THROW(mu::parse_real(bad, "w"), mu::Error) << "'" << bad << "'";
  // "finite or not: the caller decides": NaN and infinities are numbers to parse_real (load_theta, for
  // one, refuses a NaN eta itself).
  EXPECT_TRUE(std::isnan(mu::parse_real("nan", "w")));
  EXPECT_TRUE(std::isinf(mu::parse_real("inf", "w")));
  EXPECT_TRUE(std::isinf(mu::parse_real("-inf", "w")));
}

TEST(CommonParse, ErrorNamesWhatWasReadAndTheText) {
  const std::string m = error_of([] { mu::parse_int("4abc", "rule.pt: meta 'layers'"); });
  EXPECT_EQ(m, "rule.pt: meta 'layers': expected an integer, found '4abc'");
  const std::string r = error_of([] { mu::parse_real("fast", "config.json: 'eta'"); });
  EXPECT_EQ(r, "config.json: 'eta': expected a number, found 'fast'");
  const std::string l = error_of([] { mu::parse_int(std::string(500, '7') + "x", "w"); });
  EXPECT_LT(l.size(), 100u) << "a long text is cut in the message";
  EXPECT_TRUE(contains(l, "...'"));
}

// ------------------------------------------------------------------------------------------------ fsio

TEST(CommonFsio, AtomicWriteIsCompleteLeavesNoTemporaryAndOverwrites) {
  Folder d("fsio");
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char((i * 2654435761u) >> 13);  // binary, with NULs
  mu::write_file_atomic(d / "f.bin", big);
  EXPECT_EQ(mu::file_size(d / "f.bin"), (long long)big.size());
  EXPECT_EQ(read_all(d / "f.bin"), big);
  mu::write_file_atomic(d / "f.bin", "short");  // a shorter overwrite leaves none of the old tail
  EXPECT_EQ(read_all(d / "f.bin"), "short");
  mu::write_file_atomic(d / "empty", "");
  EXPECT_EQ(mu::file_size(d / "empty"), 0);
  EXPECT_EQ(d.files(), (std::vector<std::string>{"empty", "f.bin"}));
  // Failures leave the folder as it was.
  EXPECT_THROW(mu::write_file_atomic(d / "no/such/folder/x", "x"), mu::Error);
  EXPECT_THROW(mu::write_file_atomic(d.path, "x"), mu::Error);
  EXPECT_EQ(d.files(), (std::vector<std::string>{"empty", "f.bin"}));
}

TEST(CommonFsio, FileSizeOfMissingOrFolderIsMinusOne) {
  Folder d("fsize");
  EXPECT_EQ(mu::file_size(d / "missing"), -1);
  EXPECT_EQ(mu::file_size(d.path), -1);
  write_raw(d / "seven", "1234567");
  EXPECT_EQ(mu::file_size(d / "seven"), 7);
}

TEST(CommonFsio, RemovesOnlyTemporariesWhoseWriterIsGone) {
  Folder d("stale");
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // reaped: that pid runs nothing now
  const std::string dead = "a.pt.tmp." + std::to_string(child), own = "b.pt.tmp." + std::to_string(getpid());
  const std::string live = "c.pt.tmp." + std::to_string(getppid());
  for (const auto& n : {dead, own, live, std::string("d.pt.tmp.12ab"), std::string("e.pt.tmp."), std::string("f.pt")})
    write_raw(d / n, "x");
  const std::string removed = mu::remove_stale_temporaries(d.path);
  EXPECT_TRUE(contains(removed, dead) && contains(removed, own)) << removed;
  EXPECT_EQ(d.files(), (std::vector<std::string>{live, "d.pt.tmp.12ab", "e.pt.tmp.", "f.pt"}));
  EXPECT_EQ(mu::remove_stale_temporaries(d / "missing"), "");
}

// ---------------------------------------------------------------------------------------------- random

TEST(CommonRandom, SameSeedSameDrawsDifferentSeedsDiffer) {
  at::Generator a = mu::make_generator(7), b = mu::make_generator(7), c = mu::make_generator(8);
  at::Tensor ra = at::rand({1000}, a), rb = at::rand({1000}, b), rc = at::rand({1000}, c);
  EXPECT_TRUE(at::equal(ra, rb));
  EXPECT_FALSE(at::equal(ra, rc));
  // The stream continues: the next draws differ from the first ones but still agree between a and b.
  at::Tensor na = at::randn({100}, a, at::kDouble), nb = at::randn({100}, b, at::kDouble);
  EXPECT_TRUE(at::equal(na, nb));
  EXPECT_TRUE(at::equal(at::randperm(50, a, at::kLong), at::randperm(50, b, at::kLong)));
}

TEST(CommonRandom, TruncatedNormalIsBoundedSeededAndScaled) {
  at::Generator a = mu::make_generator(3), b = mu::make_generator(3);
  at::Tensor t = mu::truncated_normal({200, 100}, 0.01, a, at::kDouble);
  EXPECT_TRUE(at::equal(t, mu::truncated_normal({200, 100}, 0.01, b, at::kDouble)));
  EXPECT_EQ(t.scalar_type(), at::kDouble);
  EXPECT_LE(t.abs().max().item<double>(), 0.02);
  // N(0, 1) truncated to [-2, 2] has standard deviation 0.8796; 20,000 draws pin it to about 0.5 %.
  EXPECT_NEAR(t.std().item<double>() / 0.01, 0.8796, 0.01);
  EXPECT_NEAR(t.mean().item<double>() / 0.01, 0.0, 0.02);
  EXPECT_EQ(mu::truncated_normal({3, 4}, 1.0, a).scalar_type(), at::kFloat);  // the default dtype
}

// --------------------------------------------------------------------------------------------- archive

TEST(CommonArchive, RoundTripKeepsMetaTensorsAndOrder) {
  Folder d("archive");
  mu::Archive a;
  a.meta = {{"format", "test-v1"}, {"eta", "0.0001"}, {"empty", ""}};
  a.tensors.emplace_back("zeta", at::arange(6, at::kDouble).view({2, 3}));
  a.tensors.emplace_back("alpha", at::tensor({int64_t(5), int64_t(-1)}));
  a.tensors.emplace_back("scalar", at::full({}, 1.5f));
  a.tensors.emplace_back("view", at::arange(12, at::kFloat).view({3, 4}).t());  // saved contiguous
  mu::save_archive(d / "a.pt", a);
  EXPECT_EQ(d.files(), std::vector<std::string>{"a.pt"});
  const mu::Archive b = mu::load_archive(d / "a.pt", "test-v1");
  EXPECT_EQ(b.meta, a.meta);
  ASSERT_EQ(b.tensors.size(), a.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(b.tensors[i].first, a.tensors[i].first) << "file order is insertion order";
    EXPECT_EQ(b.tensors[i].second.scalar_type(), a.tensors[i].second.scalar_type());
    EXPECT_TRUE(at::equal(b.tensors[i].second, a.tensors[i].second)) << a.tensors[i].first;
  }
  EXPECT_TRUE(b.has("alpha"));
  EXPECT_FALSE(b.has("beta"));
  EXPECT_TRUE(contains(error_of([&] { b.at("beta"); }), "no tensor 'beta'"));
  EXPECT_NO_THROW(mu::load_archive(d / "a.pt"));  // no format asked: any format
}

TEST(CommonArchive, RefusesMissingForeignTruncatedAndWrongFormatFiles) {
  Folder d("archive_bad");
  mu::Archive a;
  a.meta["format"] = "test-v1";
  a.tensors.emplace_back("w", at::rand({64, 64}));
  mu::save_archive(d / "ok.pt", a);
  const std::string bytes = read_all(d / "ok.pt");
  write_raw(d / "cut.pt", bytes.substr(0, bytes.size() / 2));
  write_raw(d / "empty.pt", "");
  mu::save_npy(d / "x.npy", at::zeros({3}));
  mu::Archive nof;
  mu::save_archive(d / "noformat.pt", nof);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing.pt", "cannot open"},        {"empty.pt", "is empty"},
      {"cut.pt", "truncated"},              {"x.npy", "not a metaunsup file"},
      {"ok.pt", "has format 'test-v1', expected 'other-v1'"},
      {"noformat.pt", "has format 'none'"}};
  for (const auto& [file, expect] : cases) {
    const std::string msg = error_of([&] { mu::load_archive(d / file, "other-v1"); });
    EXPECT_TRUE(contains(msg, expect)) << file << ": '" << msg << "'";
    EXPECT_FALSE(contains(msg, "\n")) << file;
  }
}

// ------------------------------------------------------------------------------------- error, runtime

TEST(CommonError, OneLineDropsBacktracesAndFoldsLines) {
  EXPECT_EQ(mu::one_line("bad shape\nException raised from check at ../aten/x.cpp:12\nframe #0: ..."), "bad shape");
  EXPECT_EQ(mu::one_line("a\n\tb  c\r\n"), "a b c");
  EXPECT_EQ(mu::one_line("x INTERNAL ASSERT FAILED at \"../c10/core/y.cpp\":40, please report a bug to PyTorch. z"),
            "x z");
  EXPECT_EQ(mu::one_line(""), "unknown failure");
  EXPECT_EQ(mu::one_line(std::string(300, 'a'), 10), std::string(10, 'a') + "...");
  EXPECT_EQ(mu::one_line("bell\x07"), "bell?");
  MU_CHECK(true, "never thrown");
  EXPECT_EQ(error_of([] { MU_CHECK(1 + 1 == 3, "arithmetic"); }), "arithmetic");
}

TEST(CommonRuntime, ThreadCountBounds) {
  EXPECT_NO_THROW(mu::check_thread_count(1, "--threads"));
  EXPECT_TRUE(contains(error_of([] { mu::check_thread_count(0, "--threads"); }), "--threads"));
  EXPECT_THROW(mu::check_thread_count(-2, "--threads"), mu::Error);
  EXPECT_THROW(mu::check_thread_count(int64_t(1) << 40, "--threads"), mu::Error);
  EXPECT_GE(mu::available_cores(), 1);
  EXPECT_NO_THROW(mu::check_memory(1e3, "a small tensor"));
  if (mu::memory_available_bytes() > 0)  // unknown (<= 0) means "do not refuse"
    EXPECT_TRUE(contains(error_of([] { mu::check_memory(1e18, "a test tensor"); }), "a test tensor needs about"));
}
