#include "common/archive.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include <c10/util/Exception.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "common/error.h"
#include "common/runtime.h"

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

namespace {
// The zip container checked before LibTorch sees it: a local-file magic at the start and an end-of-central-
// directory record near the end. A truncated or foreign file fails here with a plain reason instead of an
// assertion (and its backtrace) deep in LibTorch's zip reader.
void check_zip(const std::string& path, const std::vector<char>& b) {
  MU_CHECK(b.size() >= 22 && std::memcmp(b.data(), "PK\x03\x04", 4) == 0,
           path + ": not a metaunsup file (expected a torch zip archive, magic PK\\3\\4)");
  const size_t lo = b.size() > 65557 ? b.size() - 65557 : 0;
  for (size_t i = b.size() - 22 + 1; i-- > lo;)
    if (std::memcmp(b.data() + i, "PK\x05\x06", 4) == 0) return;
  throw Error(path + ": truncated (the zip directory at its end is missing); the file was cut short");
}

Archive decode(const std::string& path, const c10::IValue& v) {
  MU_CHECK(v.isGenericDict(), path + ": not a metaunsup archive (top level is not a dict)");
  auto top = v.toGenericDict();
  MU_CHECK(top.contains("meta") && top.contains("tensors"), path + ": not a metaunsup archive (no meta or tensors)");
  MU_CHECK(top.at("meta").isGenericDict() && top.at("tensors").isGenericDict(),
           path + ": not a metaunsup archive (meta or tensors is not a dict)");
  Archive a;
  for (const auto& kv : top.at("meta").toGenericDict()) {
    MU_CHECK(kv.key().isString() && kv.value().isString(), path + ": meta entries must be strings");
    a.meta[kv.key().toStringRef()] = kv.value().toStringRef();
  }
  for (const auto& kv : top.at("tensors").toGenericDict()) {
    MU_CHECK(kv.key().isString() && kv.value().isTensor(), path + ": tensors must map names to tensors");
    a.tensors.emplace_back(kv.key().toStringRef(), kv.value().toTensor());
  }
  return a;
}
}  // namespace

Archive load_archive(const std::string& path, const std::string& format) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  MU_CHECK(f, "cannot open " + path + " (no such file?)");
  const std::streamoff size = f.tellg();
  MU_CHECK(size > 0, path + " is empty");
  check_memory(2.0 * double(size), "reading " + path);
  f.seekg(0);
  std::vector<char> bytes(static_cast<size_t>(size));
  f.read(bytes.data(), size);
  MU_CHECK(f.gcount() == size, "cannot read " + path);
  check_zip(path, bytes);
  Archive a;
  try {
    a = decode(path, torch::jit::pickle_load(bytes));
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Error(path + ": corrupt or not a metaunsup file (" + one_line(e.what_without_backtrace(), 120) + ")");
  } catch (const std::exception& e) {
    throw Error(path + ": corrupt or not a metaunsup file (" + one_line(e.what(), 120) + ")");
  }
  if (!format.empty()) {
    auto it = a.meta.find("format");
    MU_CHECK(it != a.meta.end() && it->second == format,
             path + " has format '" + (it == a.meta.end() ? "none" : it->second) + "', expected '" +
                 format + "'");
  }
  return a;
}

}  // namespace mu
