#pragma once
// Turns a meta-training run into a shippable rule file (models/rule.pt): theta from the run's
// checkpoint plus its provenance (config, meta-steps, unrolls, wall time, data sets, the last
// validation row of metrics.csv, the source commit), readable by `metaunsup info` and by Python as
// torch.load(path)["meta"].
#include <map>
#include <string>
#include <vector>

#include "rule/theta.h"

namespace mu {

// Reads RUN/checkpoint.pt (and RUN/metrics.csv when present); throws mu::Error on a missing, corrupt or
// foreign checkpoint. `commit` is recorded as given (the CLI passes the source tree's git commit).
Theta exported_rule(const std::string& run_dir, const std::string& commit, std::map<std::string, std::string>* meta);
void export_rule(const std::string& run_dir, const std::string& out, const std::string& commit);
// A copy of RUN/checkpoint.pt without the workers' in-flight inner runs (every slot idle, its phi dropped):
// theta, Adam's moments, step, counters and config stay, so `meta-train --resume` continues the same run,
// each worker starting a fresh task. A 16-worker checkpoint shrinks from 11.6 MB to about 1.4 MB, small
// enough to commit between device periods.
void export_resumable(const std::string& run_dir, const std::string& out);
// The element-wise mean of several rule files' theta (Polyak averaging of one run's snapshots: meta-gradient
// noise moves theta around a good region; the mean of nearby snapshots can sit nearer its middle). All must
// share variant and eta; the result keeps the first file's provenance plus `averaged_from`.
// `weights` (empty: 1/n each) must match the files in number, be finite and sum to 1; a negative weight
// extrapolates (-0.5, 1.5: half a step beyond B along A -> B, for screening a fine-tuning direction).
Theta averaged_rule(const std::vector<std::string>& rules, std::map<std::string, std::string>* meta,
                    const std::vector<double>& weights = {});

}  // namespace mu
