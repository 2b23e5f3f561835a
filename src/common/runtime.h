#pragma once
#include <string>

namespace mu {
// Process set-up every entry point calls first: torch thread count from `threads`, else OMP_NUM_THREADS,
// else the machine's cores (torch starts at 1),
// and glibc malloc thresholds raised so freed multi-MB tensor blocks are reused instead of being
// returned to the kernel and faulted in again (build-notes.md 2.1, the allocator trap).
void init_runtime(int threads = 0);
int runtime_threads();
// The BLAS / LAPACK shared objects this process actually mapped (read from /proc/self/maps).
std::string blas_library();
}  // namespace mu
