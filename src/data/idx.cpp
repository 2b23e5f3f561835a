#include "data/idx.h"

#include <cstdint>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

#include "common/error.h"
#include "common/fsio.h"
#include "common/runtime.h"

namespace mu::data {
namespace {

struct IdxType {
  uint8_t code;
  at::ScalarType st;
  int size;
};
const IdxType kTypes[] = {{0x08, at::kByte, 1},  {0x09, at::kChar, 1},  {0x0B, at::kShort, 2},
                          {0x0C, at::kInt, 4},   {0x0D, at::kFloat, 4}, {0x0E, at::kDouble, 8}};

// gzread reads plain files too, so one code path serves .gz and uncompressed IDX.
struct GzFile {
  gzFile f;
  std::string path;
  explicit GzFile(const std::string& p) : f(gzopen(p.c_str(), "rb")), path(p) {}
  ~GzFile() {
    if (f) gzclose(f);
  }
  // Reads exactly n bytes or throws with `what` (a truncated or corrupt file).
  void read(void* dst, size_t n, const char* what) {
    char* d = static_cast<char*>(dst);
    while (n > 0) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
      int got = gzread(f, d, chunk);
      if (got < 0) {
        int err;
        const char* msg = gzerror(f, &err);
        throw Error(fmt::format("{}: corrupt gzip data ({}); delete it and fetch again", path, msg));
      }
      if (got == 0) {
        int err;
        const char* msg = gzerror(f, &err);
        if (err != Z_OK && err != Z_STREAM_END)
          throw Error(fmt::format("{}: corrupt gzip data ({}); delete it and fetch again", path, msg));
        throw Error(fmt::format("{}: truncated IDX file (ends inside the {}); delete it and fetch again", path, what));
      }
      d += got;
      n -= got;
    }
  }
};

uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }

}  // namespace

at::Tensor read_idx(const std::string& path) {
  GzFile g(path);
  MU_CHECK(g.f, path + ": cannot open (" + std::strerror(errno) + ")");
  unsigned char magic[4];
  g.read(magic, 4, "header");
  const IdxType* type = nullptr;
  for (const auto& t : kTypes)
    if (t.code == magic[2]) type = &t;
  MU_CHECK(magic[0] == 0 && magic[1] == 0 && type && magic[3] >= 1 && magic[3] <= 8,
           fmt::format("{}: not an IDX file (bad magic 0x{:02x}{:02x}{:02x}{:02x}; expected 0x0000TTNN, e.g. "
                       "0x00000803 for images)",
                       path, magic[0], magic[1], magic[2], magic[3]));
  std::vector<int64_t> dims(magic[3]);
  int64_t count = 1;
  for (auto& d : dims) {
    unsigned char b[4];
    g.read(b, 4, "header");
    d = be32(b);
    MU_CHECK(d > 0, path + ": IDX dimension of size 0");
    count *= d;
    MU_CHECK(count <= (int64_t(1) << 34), path + ": IDX dimensions too large (corrupt header?)");
  }
  // Checked against the file before allocating: a plain file must hold exactly the header's elements; a
  // gzip file cannot expand more than deflate's 1032:1, so a header claiming more is corrupt.
  const long long fsize = file_size(path), bytes = count * type->size, header = 4 + 4 * int64_t(dims.size());
  const bool gz = gzdirect(g.f) == 0;
  MU_CHECK(fsize < 0 || (gz ? bytes <= 1032LL * fsize : bytes == fsize - header),
           fmt::format("{}: the header's dimensions need {} bytes of data, the {}file holds {}{} ({})", path, bytes,
                       gz ? "compressed " : "", gz ? "at most " : "", gz ? 1032LL * fsize : fsize - header,
                       !gz && bytes < fsize - header ? "unexpected trailing bytes" : "truncated or corrupt header"));
  check_memory(double(bytes), "loading " + path);
  at::Tensor t = at::empty(dims, at::TensorOptions().dtype(type->st));
  g.read(t.data_ptr(), static_cast<size_t>(count) * type->size, "data");
  char extra;
  int more = gzread(g.f, &extra, 1);
  MU_CHECK(more == 0, fmt::format("{}: {} trailing bytes after {} elements (corrupt or wrong header)", path,
                                  more < 0 ? "unreadable" : "unexpected", count));
  // IDX is big-endian; swap multi-byte elements in place.
  if (type->size > 1) {
    auto* p = static_cast<unsigned char*>(t.data_ptr());
    for (int64_t i = 0; i < count; ++i, p += type->size) std::reverse(p, p + type->size);
  }
  return t;
}

void write_idx(const std::string& path, const at::Tensor& t_in, bool gzip) {
  at::Tensor t = t_in.contiguous();
  const IdxType* type = nullptr;
  for (const auto& k : kTypes)
    if (k.st == t.scalar_type()) type = &k;
  MU_CHECK(type, "write_idx: unsupported dtype");
  std::string bytes = {0, 0, static_cast<char>(type->code), static_cast<char>(t.dim())};
  for (int64_t i = 0; i < t.dim(); ++i) {
    uint32_t d = static_cast<uint32_t>(t.size(i));
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<char>((d >> s) & 0xff));
  }
  size_t off = bytes.size();
  bytes.append(static_cast<const char*>(t.data_ptr()), t.numel() * type->size);
  if (type->size > 1)
    for (size_t i = off; i < bytes.size(); i += type->size) std::reverse(bytes.begin() + i, bytes.begin() + i + type->size);
  gzFile f = gzopen(path.c_str(), gzip ? "wb" : "wbT");  // "T": write without compression
  MU_CHECK(f, "cannot write " + path);
  int w = gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  int c = gzclose(f);
  MU_CHECK(w == static_cast<int>(bytes.size()) && c == Z_OK, "write failed: " + path);
}

}  // namespace mu::data
