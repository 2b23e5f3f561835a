#pragma once
// Meta-training checkpoints: one archive (common/archive.h, written atomically) holding the config, theta,
// Adam's moments, the step, the counters and every local slot's task state (counters and phi; the task
// itself is re-derived from the seed). Loading refuses, with a one-line mu::Error and nothing half-loaded,
// a corrupt or foreign file or one written with another config or rule variant.
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "metatrain/config.h"
#include "metatrain/learner.h"
#include "metatrain/workers.h"

namespace mu {

std::string checkpoint_format();

// Everything a checkpoint holds: the learner's state, the local slots, the wall time so far, and the
// validation loss of the initial theta.
struct TrainState : LearnerState {
  std::vector<SlotState> slots;
  double wall_offset = 0;
  double val0 = NAN;
};

// `deterministic` is recorded as the run's mode.
void save_checkpoint(const std::string& path, const MetaConfig& cfg, const TrainState& s, bool deterministic);
// `like`: theta's names, shapes and variant; the result has nslots slots (saved ones beyond are dropped,
// missing ones begin new tasks), its tensors on ctx.device. Throws mu::Error when refused.
TrainState load_checkpoint(const std::string& path, const MetaConfig& cfg, const WorkContext& ctx, const Theta& like,
                           size_t nslots);

// What `--init` starts a fresh run from: a rule file (theta only) or a meta-training checkpoint (theta and
// Adam's moments; its config, step, tasks and counters are not used). Throws mu::Error for a bad file.
struct WarmStart {
  Theta theta;
  std::optional<Adam> adam;
};
WarmStart load_warm_start(const std::string& path, const Theta& like);

Theta move_theta(const Theta& th, at::Device d);
Adam adam_to(Adam adam, at::Device d);

}  // namespace mu
