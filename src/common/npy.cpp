#include "common/npy.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fsio.h"
#include "common/parse.h"
#include "common/runtime.h"

namespace mu {
namespace {
struct DType {
  at::ScalarType st;
  const char* descr;
};
const DType kTypes[] = {{at::kFloat, "<f4"}, {at::kDouble, "<f8"}, {at::kInt, "<i4"},
                        {at::kLong, "<i8"},  {at::kByte, "|u1"},   {at::kBool, "|b1"}};

// The value of `key` in the header dict, e.g. "'<f4'" or "(3, 4)", or "" when the key is absent.
std::string header_value(const std::string& header, const std::string& key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  size_t c = header.find(':', k);
  if (c == std::string::npos) return "";
  size_t b = header.find_first_not_of(' ', c + 1);
  if (b == std::string::npos) return "";
  size_t e;
  if (header[b] == '(' || header[b] == '\'') {
    e = header.find(header[b] == '(' ? ')' : '\'', b + 1);
    return e == std::string::npos ? "" : header.substr(b, e - b + 1);
  }
  e = header.find_first_of(",}", b);
  std::string v = header.substr(b, e == std::string::npos ? std::string::npos : e - b);
  return v.substr(0, v.find_last_not_of(' ') + 1);
}

std::vector<int64_t> parse_shape(const std::string& path, const std::string& v) {
  MU_CHECK(v.size() >= 2 && v.front() == '(' && v.back() == ')',
           path + ": header field 'shape': expected a tuple like (60000, 784)");
  std::vector<int64_t> shape;
  std::stringstream ss(v.substr(1, v.size() - 2));
  std::string item;
  while (std::getline(ss, item, ','))
    if (item.find_first_not_of(' ') != std::string::npos) {
      int64_t d = parse_int(item, path + ": header field 'shape'");
      MU_CHECK(d >= 0, fmt::format("{}: header field 'shape': negative dimension {}", path, d));
      shape.push_back(d);
    }
  MU_CHECK(shape.size() <= 8, path + ": header field 'shape': more than 8 dimensions");
  return shape;
}
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
  std::string bytes("\x93NUMPY\x01\x00", 8);
  uint16_t hl = static_cast<uint16_t>(header.size());
  bytes.append(reinterpret_cast<const char*>(&hl), 2);
  bytes += header;
  bytes.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  write_file_atomic(path, bytes);
}

at::Tensor load_npy(const std::string& path) {
  const long long fsize = file_size(path);
  std::ifstream f(path, std::ios::binary);
  MU_CHECK(f && fsize >= 0, "cannot open " + path);
  char magic[8];
  f.read(magic, 8);
  MU_CHECK(f && std::memcmp(magic, "\x93NUMPY", 6) == 0, path + ": not a .npy file (bad magic)");
  MU_CHECK(magic[6] >= 1 && magic[6] <= 3, fmt::format("{}: unsupported .npy version {}", path, int(magic[6])));
  size_t hl = 0, prefix = 10;
  if (magic[6] == 1) {
    uint16_t h = 0;
    f.read(reinterpret_cast<char*>(&h), 2);
    hl = h;
  } else {
    uint32_t h = 0;
    f.read(reinterpret_cast<char*>(&h), 4);
    hl = h, prefix = 12;
  }
  // Checked against the file before anything is allocated: a header that claims more than the file holds.
  MU_CHECK(f && hl <= (1u << 20) && prefix + hl <= size_t(fsize),
           fmt::format("{}: truncated header (claims {} bytes, the file has {})", path, hl, fsize));
  std::string header(hl, ' ');
  f.read(&header[0], std::streamsize(hl));
  MU_CHECK(f, path + ": truncated header");
  const std::string fortran = header_value(header, "fortran_order");
  MU_CHECK(fortran == "False",
           path + ": header field 'fortran_order': expected False (C order; Fortran order is unsupported)");
  const std::string descr = header_value(header, "descr");
  const DType* dt = nullptr;
  for (const auto& d : kTypes)
    if (descr == std::string("'") + d.descr + "'") dt = &d;
  MU_CHECK(dt, path + ": header field 'descr' is " + (descr.empty() ? "missing" : descr) +
                   "; expected one of <f4 <f8 <i4 <i8 |u1 |b1 (little-endian)");
  std::vector<int64_t> shape = parse_shape(path, header_value(header, "shape"));
  const long long item = at::elementSize(dt->st);
  long long count = 1;
  for (int64_t d : shape) {
    MU_CHECK(d == 0 || count <= std::numeric_limits<long long>::max() / item / d,
             path + ": header field 'shape' is absurdly large (corrupt header?)");
    count *= d;
  }
  const long long body = fsize - (long long)(prefix + hl);
  MU_CHECK(body == count * item,
           fmt::format("{}: the header's shape needs {} values ({} bytes), the file holds {} bytes of data ({})",
                       path, count, count * item, body, body < count * item ? "truncated" : "trailing bytes"));
  check_memory(double(count * item), "loading " + path);
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dt->st));
  f.read(static_cast<char*>(t.data_ptr()), count * item);
  MU_CHECK(f.gcount() == static_cast<std::streamsize>(count * item),
           path + ": truncated data (expected " + std::to_string(count) + " values)");
  return t;
}

}  // namespace mu
