// `mpirun -np 3 metaunsup meta-train ...` on loopback: rank 0 learns, ranks 1-2 work; then a worker dies
// mid-run and training still finishes.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/archive.h"
#include "metatrain/config.h"
#include "metatrain/mpi.h"
#include "rule/theta.h"
#include "helpers.h"
#include "support/paths.h"

namespace fs = std::filesystem;

namespace {
bool have_mpirun() { return std::system("command -v mpirun > /dev/null 2>&1") == 0; }

std::string write_config(const std::string& dir, int64_t steps = 5) {
  mu::MetaConfig c = mu::testing::small_config();  // one hidden layer of 8, 1-2 step unrolls, no validation
  c.name = "mpi-test";
  c.seed = 3;
  c.steps = steps;
  c.checkpoint_every = 1000000;  // only the final (or the stop) checkpoint
  c.depth_max = 1, c.width_max = 8;
  c.u_start_hi = 1, c.u_end_lo = 1;
  c.max_staleness = 3;
  c.validate_every = 0;
  fs::create_directories(dir);
  std::string p = dir + "/cfg.json";
  std::ofstream(p) << c.to_json().dump(2);
  return p;
}

using mu::testing::csv_rows;

int run_mpi(const std::string& dir, const std::string& env) {
  std::string cmd = env + " timeout 240 mpirun --allow-run-as-root --oversubscribe --enable-recovery -np 3 " +
                    "-x OMP_NUM_THREADS=1 " + mu::testing::binary() + " meta-train --config " + dir +
                    "/cfg.json --out " + dir + "/out > " + dir + "/log.txt 2>&1";
  return std::system(cmd.c_str());
}
std::string slurp(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST(MetaTrainMpi, ThreeRanksOnLoopback) {
  if (!have_mpirun()) GTEST_SKIP() << "mpirun not installed";
  if (!mu::mpi_available()) GTEST_SKIP() << "built without MPI";
  std::string dir = (fs::temp_directory_path() / ("mu_mpi_" + std::to_string(getpid()))).string();
  fs::remove_all(dir);
  write_config(dir);
  int rc = run_mpi(dir, "");
  std::string log = slurp(dir + "/log.txt");
  ASSERT_EQ(rc, 0) << log;
  EXPECT_NE(log.find("2 worker ranks"), std::string::npos) << log;
  EXPECT_EQ(csv_rows(dir + "/out/metrics.csv"), 5) << log;
  mu::Theta th = mu::load_theta(dir + "/out/theta.pt");
  for (const auto& t : th.list()) EXPECT_TRUE(at::isfinite(t).all().item<bool>());
  fs::remove_all(dir);
}

TEST(MetaTrainMpi, DeadWorkerDoesNotStopTraining) {
  if (!have_mpirun()) GTEST_SKIP() << "mpirun not installed";
  if (!mu::mpi_available()) GTEST_SKIP() << "built without MPI";
  std::string dir = (fs::temp_directory_path() / ("mu_mpi_dead_" + std::to_string(getpid()))).string();
  fs::remove_all(dir);
  write_config(dir);
  // Rank 2 exits abruptly after 2 unrolls; rank 1 alone must finish the 5 meta-steps.
  int rc = run_mpi(dir, "METAUNSUP_MPI_TEST_EXIT=2:2 METAUNSUP_MPI_WORKER_TIMEOUT=20");
  std::string log = slurp(dir + "/log.txt");
  EXPECT_EQ(csv_rows(dir + "/out/metrics.csv"), 5) << log;
  EXPECT_NE(log.find("dropped"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(dir + "/out/theta.pt")) << log;
  // mpirun reports the dead rank in its exit status (training itself completed), but it must not hang:
  // 124 is timeout's code for a surviving rank stuck in MPI_Finalize.
  EXPECT_NE(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 124) << log;
  fs::remove_all(dir);
}

namespace {
// Starts `mpirun -np 3 ... meta-train` (pid = mpirun's), waits until training runs, sends `sig` to mpirun
// only (as `kill -SIG <pid of mpirun>` or Slurm does), and returns mpirun's exit status (-1: it hung).
int signal_mpirun(const std::string& dir, int sig, double* seconds_to_exit) {
  std::string cmd = "exec mpirun --allow-run-as-root --oversubscribe --enable-recovery -np 3 -x OMP_NUM_THREADS=1 " +
                    mu::testing::binary() + " meta-train --config " + dir + "/cfg.json --out " + dir +
                    "/out > " + dir + "/log.txt 2>&1";
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Running: at least two meta-steps in metrics.csv (at most 120 s on a loaded machine).
  for (int i = 0; i < 1200 && csv_rows(dir + "/out/metrics.csv") < 2; ++i) usleep(100000);
  kill(pid, sig);
  auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  for (int i = 0; i < 600; ++i) {  // 60 s
    if (waitpid(pid, &status, WNOHANG) == pid) {
      *seconds_to_exit = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    usleep(100000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// The checkpoint's meta-step must be the last metrics row (the step it stopped at); --resume continues.
void expect_stopped_at_checkpoint_and_resumable(const std::string& dir) {
  std::string log = slurp(dir + "/log.txt");
  ASSERT_TRUE(fs::exists(dir + "/out/checkpoint.pt")) << log;
  mu::Archive a = mu::load_archive(dir + "/out/checkpoint.pt");
  const int64_t step = std::stoll(a.meta.at("step"));
  EXPECT_EQ(step, csv_rows(dir + "/out/metrics.csv")) << log;
  EXPECT_LT(step, 100000) << log;
  for (const auto& e : fs::directory_iterator(dir + "/out"))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  std::string cmd = "timeout 240 mpirun --allow-run-as-root --oversubscribe --enable-recovery -np 3 -x OMP_NUM_THREADS=1 " +
                    mu::testing::binary() + " meta-train --config " + dir + "/cfg.json --out " + dir +
                    "/out --resume --steps " + std::to_string(step + 2) + " > " + dir + "/resume.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir + "/resume.txt");
  EXPECT_EQ(csv_rows(dir + "/out/metrics.csv"), step + 2) << slurp(dir + "/resume.txt");
}
}  // namespace

// SIGUSR1 to mpirun (forwarded to every rank; what `sbatch --signal=B:USR1@T` plus the README's trap
// delivers): every rank stops at its next safe point, the learner checkpoints, all exit 0 within seconds.
TEST(MetaTrainMpi, SignalToMpirunStopsEveryRankWithACheckpoint) {
  if (!have_mpirun()) GTEST_SKIP() << "mpirun not installed";
  if (!mu::mpi_available()) GTEST_SKIP() << "built without MPI";
  std::string dir = (fs::temp_directory_path() / ("mu_mpi_sig_" + std::to_string(getpid()))).string();
  fs::remove_all(dir);
  write_config(dir, 100000);
  double secs = 0;
  int rc = signal_mpirun(dir, SIGUSR1, &secs);
  EXPECT_EQ(rc, 0) << slurp(dir + "/log.txt");
  EXPECT_LT(secs, 20) << slurp(dir + "/log.txt");
  EXPECT_NE(slurp(dir + "/log.txt").find("stopped (checkpointed"), std::string::npos) << slurp(dir + "/log.txt");
  expect_stopped_at_checkpoint_and_resumable(dir);
  fs::remove_all(dir);
}

// SIGTERM to mpirun (Slurm at the time limit or on preemption, `kill <pid>`): Open MPI's mpirun answers it by
// sending SIGTERM to every rank and SIGKILL one second later, and always exits 1. The ranks must still stop
// at once with the checkpoint on disk at the step they stopped, and --resume must continue.
TEST(MetaTrainMpi, SigtermToMpirunLeavesACheckpointAtTheStopStep) {
  if (!have_mpirun()) GTEST_SKIP() << "mpirun not installed";
  if (!mu::mpi_available()) GTEST_SKIP() << "built without MPI";
  std::string dir = (fs::temp_directory_path() / ("mu_mpi_term_" + std::to_string(getpid()))).string();
  fs::remove_all(dir);
  write_config(dir, 100000);
  double secs = 0;
  int rc = signal_mpirun(dir, SIGTERM, &secs);
  EXPECT_NE(rc, -1) << "mpirun hung after SIGTERM\n" << slurp(dir + "/log.txt");
  EXPECT_LT(secs, 20) << slurp(dir + "/log.txt");
  expect_stopped_at_checkpoint_and_resumable(dir);
  fs::remove_all(dir);
}
