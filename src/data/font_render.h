#pragma once
// Renders characters of one typeface with FreeType into small square images, with one scale and one
// baseline per (typeface, character group) so case and size differences inside a font survive.
#include <memory>
#include <string>
#include <vector>

#include "common/torch.h"

namespace mu::data {

class FontRenderer {
 public:
  FontRenderer();
  ~FontRenderer();
  FontRenderer(const FontRenderer&) = delete;
  FontRenderer& operator=(const FontRenderer&) = delete;

  // Number of faces in a font file (a .ttc holds several). Throws mu::Error naming the file when
  // FreeType cannot open it.
  int num_faces(const std::string& file);
  // The face's family and style, e.g. "DejaVu Sans Bold".
  std::string face_name(const std::string& file, int face_index);

  // Renders `chars` (code points) at side x side: drawn at 4x, then averaged over 4x4 blocks, values in
  // [0, 1]. Scale: the group's tallest extent (max ascent - min descent) or widest glyph fills side-2
  // pixels; each glyph is centred horizontally and sits on the group's common baseline.
  // Returns (k, side, side) float; present[i] is false when the face has no glyph for chars[i] (that
  // image is all zero).
  at::Tensor render(const std::string& file, int face_index, const std::vector<char32_t>& chars, int side,
                    std::vector<bool>& present);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mu::data
