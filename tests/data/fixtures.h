#pragma once
// Test helpers: a fresh temporary folder per test, and file writers for generated fixtures.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace mu::test {
// A unique folder under the system temp dir, removed when the object dies.
struct TempDir {
  std::string path;
  TempDir() {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = (std::filesystem::temp_directory_path() /
            (std::string("mu-") + info->test_suite_name() + "-" + info->name() + "-" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& f) const { return path + "/" + f; }
};
inline void write_text(const std::string& path, const std::string& s) { std::ofstream(path, std::ios::binary) << s; }
inline std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
// Runs `body` and checks it throws mu::Error whose message contains `needle`.
#define EXPECT_MU_ERROR(stmt, needle)                                                      \
  do {                                                                                     \
    try {                                                                                  \
      stmt;                                                                                \
      ADD_FAILURE() << "expected mu::Error containing '" << (needle) << "'";              \
    } catch (const ::mu::Error& e) {                                                       \
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();        \
    }                                                                                      \
  } while (0)
}  // namespace mu::test
