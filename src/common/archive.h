#pragma once
// Named-tensor files that both this C++ code and Python PyTorch read:
//   C++:    Archive a = load_archive("rule.pt");
//   Python: d = torch.load("rule.pt"); d["tensors"]["topd.conv1.w"], d["meta"]["format"]
// The file is torch's pickle zip (torch::pickle_save): {"meta": {str: str}, "tensors": {str: Tensor}}.
// Writes are atomic and durable (common/fsio.h), so a killed process never leaves half a file.
#include <map>
#include <string>
#include <vector>

#include "common/fsio.h"
#include "common/torch.h"

namespace mu {

struct Archive {
  std::map<std::string, std::string> meta;
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // in file order
  const at::Tensor& at(const std::string& name) const;      // throws mu::Error naming the missing tensor
  bool has(const std::string& name) const;
};

void save_archive(const std::string& path, const Archive& a);
// Throws mu::Error (one line, no LibTorch text) for a missing, truncated or foreign file, or one whose
// "format" is not `format`. The zip container is checked before LibTorch parses it.
Archive load_archive(const std::string& path, const std::string& format = "");

}  // namespace mu
