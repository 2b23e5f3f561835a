#include "common/runtime.h"

#include <malloc.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include <ATen/Parallel.h>

namespace mu {

void init_runtime(int threads) {
  static bool malloc_done = false;
  if (!malloc_done) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);  // keep big tensors on the heap...
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // ...and do not hand freed memory back at every free
    malloc_done = true;
  }
  if (threads <= 0 && std::getenv("OMP_NUM_THREADS")) threads = std::atoi(std::getenv("OMP_NUM_THREADS"));
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  at::set_num_threads(threads);
}

int runtime_threads() { return at::get_num_threads(); }

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
