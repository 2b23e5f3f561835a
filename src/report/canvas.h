#pragma once
// A tiny RGB rasteriser for the report's plots: filled rectangles, thick lines, discs and text in a
// built-in 5x7 bitmap font (scaled by integer factors), written as PNG with libpng.
#include <cstdint>
#include <string>
#include <vector>

namespace mu::report {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
};
inline constexpr Color kBlack{0, 0, 0}, kWhite{255, 255, 255}, kGrey{200, 200, 200}, kDark{90, 90, 90};
// A qualitative palette (colour-blind friendly order).
Color palette(int i);

class Canvas {
 public:
  Canvas(int width, int height, Color background = kWhite);
  int width() const { return w_; }
  int height() const { return h_; }
  void set(int x, int y, Color c);  // ignores pixels outside
  Color get(int x, int y) const;
  void fill_rect(int x0, int y0, int x1, int y1, Color c);  // inclusive corners, any order
  void rect(int x0, int y0, int x1, int y1, Color c);       // outline
  void line(double x0, double y0, double x1, double y1, Color c, int thickness = 1);
  void disc(double cx, double cy, double radius, Color c);
  // Text with its top-left corner at (x, y); scale 1 = 5x7 glyphs in 6x9 cells. Unknown characters draw as '?'.
  void text(int x, int y, const std::string& s, Color c, int scale = 1);
  void text_vertical(int x, int y, const std::string& s, Color c, int scale = 1);  // bottom-to-top, top-left at (x, y)
  static int text_width(const std::string& s, int scale = 1);
  static int text_height(int scale = 1);
  // Blits a grey-scale tile (values mapped from [lo, hi] to black..white) magnified by `zoom`.
  void image(int x, int y, const std::vector<float>& values, int rows, int cols, float lo, float hi, int zoom);
  void save_png(const std::string& path) const;  // atomic write; throws mu::Error on failure
  const std::vector<uint8_t>& pixels() const { return px_; }

 private:
  int w_, h_;
  std::vector<uint8_t> px_;
};

// Reads a PNG back (8-bit RGB/RGBA/grey) as RGB rows; for tests.
Canvas load_png(const std::string& path);

}  // namespace mu::report
