#include "common/runtime.h"

#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "common/error.h"

namespace mu {
namespace {
int machine_cores() {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? int(n) : std::max(1, int(std::thread::hardware_concurrency()));
}
// Ranks of this MPI job on this node (1 when not under a launcher that says).
int local_ranks() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "PMIX_LOCAL_SIZE"})
    if (const char* s = std::getenv(v))
      if (int n = std::atoi(s); n > 0) return n;
  return 1;
}
int env_threads() {
  const char* s = std::getenv("OMP_NUM_THREADS");
  int n = s ? std::atoi(s) : 0;
  return n > 0 ? std::min(n, 4 * machine_cores()) : 0;
}
int& requested_threads() {
  static int n = 0;
  return n;
}
}  // namespace

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return machine_cores();
}

int default_threads() {
  const int cores = available_cores();
  // A launcher that bound each rank to its own cores already divided them; otherwise the ranks share.
  const bool bound = cores < machine_cores();
  return std::max(1, bound ? cores : cores / local_ranks());
}

void check_thread_count(int64_t threads, const std::string& option) {
  const int most = 4 * machine_cores();
  MU_CHECK(threads >= 1 && threads <= most,
           fmt::format("{} {}: expected 1..{} (this machine has {} cores)", option, threads, most, machine_cores()));
}

void init_runtime(int threads) {
  static bool malloc_done = false;
  if (!malloc_done) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);  // keep big tensors on the heap...
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // ...and do not hand freed memory back at every free
    malloc_done = true;
  }
  if (threads > 0) requested_threads() = threads;
  int n = requested_threads();
  if (n <= 0) n = env_threads();
  if (n <= 0) n = default_threads();
  at::set_num_threads(n);
}

int runtime_threads() { return at::get_num_threads(); }

double memory_available_bytes() {
  double avail = 0;
  std::ifstream mi("/proc/meminfo");
  std::string key;
  double kb;
  std::string unit;
  while (mi >> key >> kb) {
    std::getline(mi, unit);
    if (key == "MemAvailable:") avail = kb * 1024.0;
  }
  if (avail <= 0) avail = double(::sysconf(_SC_AVPHYS_PAGES)) * double(::sysconf(_SC_PAGESIZE));
  // cgroup v2 / v1 limits (Slurm jobs, containers): what the limit leaves is what this process may use.
  for (const char* f : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream in(f);
    double lim = 0;
    if (in >> lim && lim > 0 && lim < avail) avail = lim;
  }
  return avail;
}

void check_memory(double bytes, const std::string& what) {
  const double avail = memory_available_bytes();
  if (avail > 0 && bytes > avail)
    throw Error(fmt::format("{} needs about {:.1f} GB of memory (estimated from its shapes); this machine has "
                            "{:.1f} GB available",
                            what, bytes / 1e9, avail / 1e9));
}

std::string blas_library() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> libs;
  std::string line;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    std::string path = line.substr(pos);
    if (path.find("blas") != std::string::npos || path.find("lapack") != std::string::npos)
      libs.insert(path);
  }
  std::string out;
  for (const auto& l : libs) out += (out.empty() ? "" : ";") + l;
  return out.empty() ? "unknown" : out;
}

}  // namespace mu
