#include "common/npy.h"

#include <cstdint>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace mu {
namespace {
struct DType {
  at::ScalarType st;
  const char* descr;
};
const DType kTypes[] = {{at::kFloat, "<f4"}, {at::kDouble, "<f8"}, {at::kInt, "<i4"},
                        {at::kLong, "<i8"},  {at::kByte, "|u1"},   {at::kBool, "|b1"}};
}  // namespace

void save_npy(const std::string& path, const at::Tensor& t_in) {
  at::Tensor t = t_in.detach().cpu().contiguous();
  const char* descr = nullptr;
  for (const auto& d : kTypes)
    if (d.st == t.scalar_type()) descr = d.descr;
  MU_CHECK(descr, "save_npy: unsupported dtype for " + path);
  std::ostringstream shape;
  shape << "(";
  for (int64_t i = 0; i < t.dim(); ++i) shape << t.size(i) << (t.dim() == 1 || i + 1 < t.dim() ? "," : "");
  shape << ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                       shape.str() + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream f(path, std::ios::binary);
  MU_CHECK(f, "cannot write " + path);
  f.write("\x93NUMPY\x01\x00", 8);
  uint16_t hl = static_cast<uint16_t>(header.size());
  f.write(reinterpret_cast<const char*>(&hl), 2);
  f.write(header.data(), header.size());
  f.write(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  MU_CHECK(f.good(), "write failed: " + path);
}

at::Tensor load_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  MU_CHECK(f, "cannot open " + path);
  char magic[8];
  f.read(magic, 8);
  MU_CHECK(f && std::string(magic, 6) == "\x93NUMPY", path + ": not a .npy file (bad magic)");
  size_t hl = 0;
  if (magic[6] == 1) {
    uint16_t h;
    f.read(reinterpret_cast<char*>(&h), 2);
    hl = h;
  } else {
    uint32_t h;
    f.read(reinterpret_cast<char*>(&h), 4);
    hl = h;
  }
  std::string header(hl, ' ');
  f.read(&header[0], hl);
  MU_CHECK(f, path + ": truncated header");
  MU_CHECK(header.find("'fortran_order': False") != std::string::npos, path + ": Fortran order unsupported");
  const DType* dt = nullptr;
  for (const auto& d : kTypes)
    if (header.find(std::string("'") + d.descr + "'") != std::string::npos) dt = &d;
  MU_CHECK(dt, path + ": unsupported dtype in header " + header);
  auto lp = header.find('(', header.find("'shape'")), rp = header.find(')', lp);
  MU_CHECK(lp != std::string::npos && rp != std::string::npos, path + ": no shape in header");
  std::vector<int64_t> shape;
  std::stringstream ss(header.substr(lp + 1, rp - lp - 1));
  std::string item;
  while (std::getline(ss, item, ','))
    if (item.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoll(item));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dt->st));
  f.read(static_cast<char*>(t.data_ptr()), t.numel() * t.element_size());
  MU_CHECK(f.gcount() == static_cast<std::streamsize>(t.numel() * t.element_size()),
           path + ": truncated data (expected " + std::to_string(t.numel()) + " values)");
  return t;
}

}  // namespace mu
