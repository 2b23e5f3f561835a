#include "common/fsio.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace mu {
namespace fs = std::filesystem;

namespace {
std::string parent_of(const std::string& path) {
  std::string p = fs::path(path).parent_path().string();
  return p.empty() ? "." : p;
}
// Deletes the temporary unless the write got as far as the rename.
struct TempGuard {
  std::string path;
  int fd = -1;
  ~TempGuard() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
};
}  // namespace

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // some file systems refuse fsync on folders; the data itself is already synced
  ::close(fd);
}

void fsync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // flushes the file's pages whichever descriptor wrote them
  ::close(fd);
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  MU_CHECK(!fs::is_directory(path), "cannot write " + path + ": it is a folder, a file path is expected");
  TempGuard tmp{path + ".tmp." + std::to_string(::getpid())};
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  MU_CHECK(tmp.fd >= 0, "cannot write " + tmp.path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(tmp.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;  // a stop signal arrived: finish the write
    MU_CHECK(n > 0, "write failed: " + tmp.path + ": " + std::strerror(errno) + " (disk full?)");
    done += size_t(n);
  }
  int rc;
  while ((rc = ::fsync(tmp.fd)) != 0 && errno == EINTR) {
  }
  MU_CHECK(rc == 0, "fsync failed: " + tmp.path + ": " + std::strerror(errno));
  rc = ::close(tmp.fd);
  tmp.fd = -1;
  MU_CHECK(rc == 0, "write failed: " + tmp.path + ": " + std::strerror(errno));
  MU_CHECK(::rename(tmp.path.c_str(), path.c_str()) == 0,
           "cannot rename " + tmp.path + " to " + path + ": " + std::strerror(errno));
  tmp.path.clear();
  fsync_dir(parent_of(path));
}

std::string remove_stale_temporaries(const std::string& dir) {
  std::string removed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    size_t p = name.rfind(".tmp.");
    if (p == std::string::npos || p + 5 >= name.size()) continue;
    const std::string pid = name.substr(p + 5);
    if (pid.find_first_not_of("0123456789") != std::string::npos || pid.size() > 9) continue;
    const pid_t owner = pid_t(std::stol(pid));
    if (owner == ::getpid() || (::kill(owner, 0) != 0 && errno == ESRCH)) {
      std::error_code rm;
      if (fs::remove(e.path(), rm)) removed += (removed.empty() ? "" : ", ") + name;
    }
  }
  return removed;
}

long long file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return static_cast<long long>(st.st_size);
}

}  // namespace mu
