#include "common/archive.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include <torch/csrc/jit/serialization/pickle.h>

#include "common/error.h"

namespace mu {

const at::Tensor& Archive::at(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  throw Error("archive has no tensor '" + name + "'");
}

bool Archive::has(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return true;
  return false;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    MU_CHECK(f, "cannot write " + tmp);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    MU_CHECK(f.good(), "write failed: " + tmp + " (disk full?)");
  }
  MU_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, "cannot rename " + tmp + " to " + path);
}

void save_archive(const std::string& path, const Archive& a) {
  c10::Dict<std::string, std::string> meta;
  for (const auto& [k, v] : a.meta) meta.insert(k, v);
  c10::Dict<std::string, at::Tensor> tensors;
  for (const auto& [k, t] : a.tensors) tensors.insert(k, t.detach().cpu().contiguous());
  c10::impl::GenericDict top(c10::StringType::get(), c10::AnyType::get());
  top.insert("meta", meta);
  top.insert("tensors", tensors);
  std::vector<char> bytes = torch::jit::pickle_save(top);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

Archive load_archive(const std::string& path, const std::string& format) {
  std::ifstream f(path, std::ios::binary);
  MU_CHECK(f, "cannot open " + path + " (no such file?)");
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  MU_CHECK(!bytes.empty(), path + " is empty");
  c10::IValue v;
  try {
    v = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    throw Error(path + " is corrupt or not a metaunsup file: " + std::string(e.what()).substr(0, 120));
  }
  MU_CHECK(v.isGenericDict(), path + " is not a metaunsup archive (top level is not a dict)");
  auto top = v.toGenericDict();
  MU_CHECK(top.contains("meta") && top.contains("tensors"), path + " is not a metaunsup archive");
  Archive a;
  for (const auto& kv : top.at("meta").toGenericDict())
    a.meta[kv.key().toStringRef()] = kv.value().toStringRef();
  for (const auto& kv : top.at("tensors").toGenericDict())
    a.tensors.emplace_back(kv.key().toStringRef(), kv.value().toTensor());
  if (!format.empty()) {
    auto it = a.meta.find("format");
    MU_CHECK(it != a.meta.end() && it->second == format,
             path + " has format '" + (it == a.meta.end() ? "none" : it->second) + "', expected '" +
                 format + "'");
  }
  return a;
}

}  // namespace mu
