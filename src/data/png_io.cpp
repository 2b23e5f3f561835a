#include "data/png_io.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <png.h>

#include "common/error.h"
#include "common/fsio.h"

namespace mu::data {
namespace {
// libpng prints harmless warnings (e.g. "iCCP: known incorrect sRGB profile") on stderr; ignore them.
void quiet_warning(png_structp, png_const_charp) {}
// Errors become mu::Error through the setjmp below; do not print them as well.
[[noreturn]] void quiet_error(png_structp png, png_const_charp) { png_longjmp(png, 1); }
}  // namespace

namespace {
// libpng writes into memory; the file is then written atomically (common/fsio.h), never left half-done.
void append_png(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}
void flush_png(png_structp) {}
}  // namespace

void write_png(const std::string& path, const at::Tensor& img_in) {
  at::Tensor img = img_in.to(at::kByte).contiguous();
  MU_CHECK(img.dim() == 3 && (img.size(2) == 3 || img.size(2) == 4), "write_png: expected (H, W, 3|4) u8");
  MU_CHECK(!std::filesystem::is_directory(path), "cannot write " + path + ": it is a folder, a .png file path is expected");
  std::string bytes;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, quiet_error, quiet_warning);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw Error("libpng failed writing " + path);
  }
  png_set_write_fn(png, &bytes, append_png, flush_png);
  int h = img.size(0), w = img.size(1), c = img.size(2);
  png_set_IHDR(png, info, w, h, 8, c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  auto* p = img.data_ptr<uint8_t>();
  for (int y = 0; y < h; ++y) png_write_row(png, p + static_cast<size_t>(y) * w * c);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  write_file_atomic(path, bytes);
}

at::Tensor read_png_rgba(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  MU_CHECK(f, "cannot open " + path);
  unsigned char sig[8];
  bool is_png = std::fread(sig, 1, 8, f) == 8 && png_sig_cmp(sig, 0, 8) == 0;
  if (!is_png) {
    std::fclose(f);
    throw Error(path + ": not a PNG file");
  }
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, quiet_error, quiet_warning);
  png_infop info = png_create_info_struct(png);
  at::Tensor out;
  std::vector<png_bytep> rows;  // declared before setjmp: a longjmp must not skip its destructor
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(f);
    throw Error(path + ": corrupt PNG");
  }
  png_init_io(png, f);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  // Normalise every colour type to 8-bit RGBA.
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_gray_to_rgb(png);
  png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  int h = png_get_image_height(png, info), w = png_get_image_width(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(w) * 4) longjmp(png_jmpbuf(png), 1);
  out = at::empty({h, w, 4}, at::kByte);
  rows.resize(h);
  for (int y = 0; y < h; ++y) rows[y] = out.data_ptr<uint8_t>() + static_cast<size_t>(y) * w * 4;
  png_read_image(png, rows.data());
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(f);
  return out;
}

}  // namespace mu::data
