#pragma once
#include <cstdint>
#include <string>

namespace mu {
// Process set-up every entry point calls first: the torch thread count is `threads` when > 0 (remembered,
// so later calls without a count keep it), else OMP_NUM_THREADS, else default_threads(); and glibc malloc
// thresholds raised so freed multi-MB tensor blocks are reused instead of being returned to the kernel and
// faulted in again (build-notes.md 2.1, the allocator trap).
void init_runtime(int threads = 0);
int runtime_threads();
// Cores this process may run on (its CPU affinity mask, which Slurm and mpirun binding narrow).
int available_cores();
// The default thread count: the cores this process may use, shared among the MPI ranks on this node when
// the launcher did not bind each rank to its own cores (workers x threads <= cores).
int default_threads();
// Throws mu::Error unless 1 <= threads <= 4 x the machine's cores (more is never faster, and thousands of
// threads take minutes to start).
void check_thread_count(int64_t threads, const std::string& option);
// Memory this process can still allocate: MemAvailable, capped by a cgroup (Slurm, container) limit.
double memory_available_bytes();
// Refuses work estimated (from its shapes, before allocating) to need more than the memory available:
// "`what` needs about X GB (estimated from its shapes); this machine has Y GB available".
void check_memory(double bytes, const std::string& what);
// The BLAS / LAPACK shared objects this process actually mapped (read from /proc/self/maps).
std::string blas_library();
}  // namespace mu
