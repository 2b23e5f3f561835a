#pragma once
// Distributed meta-training over MPI (OpenMPI): `mpirun -np K metaunsup meta-train ...`.
// Rank 0 runs the learner (meta_train in async mode, plus its own --workers threads if any, default 0
// under MPI); ranks 1..K-1 are workers that receive theta, run one truncated unroll on their own task and
// send back the meta-gradient. The learner polls without blocking on any one worker, so a worker that
// dies (or goes silent for worker_timeout seconds) is dropped and training continues; its in-flight
// gradient is lost. Start with `mpirun --enable-recovery ...` so that mpirun itself does not kill the job
// when one rank exits.
#include "metatrain/trainer.h"

namespace mu {
// Ranks in the MPI job this process was started in (from the launcher's environment; 1 when not under
// mpirun or when built without MPI).
int mpi_world_size();
bool mpi_available();
// Runs the rank's part; rank 0 returns the learner's result, workers return an empty result.
TrainResult meta_train_mpi(const MetaConfig& cfg, const TrainOptions& opt);
}  // namespace mu
