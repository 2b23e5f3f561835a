#pragma once
// Cut-out objects (RGBA with transparency: Tux Paint stamps, colour emoji) turned into small natural-looking
// images: composited onto a seeded background (plain colour, linear gradient or smooth noise), scaled,
// shifted (a random crop when the object overflows the frame) and flipped. All colour tensors here are
// float in [0, 1], channels first: (C, H, W). "Premultiplied" means rgb already multiplied by alpha.
#include <cstdint>

#include "common/torch.h"

namespace mu::data {

// (H, W, 4) u8 straight-alpha RGBA (as read_png_rgba returns) -> (4, H, W) float premultiplied RGBA.
at::Tensor premultiply(const at::Tensor& rgba_u8);
// Crops a (4, H, W) premultiplied image to the bounding box of alpha > min_alpha (undefined tensor when the
// image is fully transparent), then area-shrinks it so its longer side is at most max_side.
at::Tensor trim_object(const at::Tensor& rgba, double min_alpha = 0.02, int64_t max_side = 256);
// "Over" for premultiplied foreground: rgb = fg.rgb + (1 - fg.a) * bg. fg (4, H, W), bg (3, H, W).
at::Tensor composite_over(const at::Tensor& fg, const at::Tensor& bg);
// A (3, side, side) background: kind 0 plain colour, 1 linear gradient at a random angle between two
// colours, 2 smooth noise (random low-resolution grid, bilinearly upsampled) around a base colour, 3 black
// (never drawn by draw_place; ObjectSetSpec::background).
at::Tensor make_background(int kind, int64_t side, at::Generator& g);

struct PlaceParams {
  double scale = 1.0;          // longer side of the object / frame side (> 1: the object is cropped)
  double dx = 0, dy = 0;       // offset of the object's centre from the frame centre, in frame sides
  bool flip = false;           // mirror left-right
  int background = 0;          // make_background kind
};
// Draws placement parameters: scale ~ U(min_scale, max_scale), offsets ~ U(-max_shift, max_shift),
// flip with probability 1/2 (when allow_flip), background kind uniform over {0, 1, 2}.
PlaceParams draw_place(at::Generator& g, double min_scale, double max_scale, double max_shift, bool allow_flip = true);
// Places a trimmed object (4, h, w) on a `side` x `side` frame drawn at `super` times the resolution, over
// a background from `g`, then averages super x super blocks. Returns (side, side, 3) u8 RGB.
at::Tensor render_example(const at::Tensor& object, const PlaceParams& p, int64_t side, at::Generator& g,
                          int64_t super = 4);
// ITU-R BT.601 luma of (..., 3) u8 RGB -> (...) u8.
at::Tensor to_grey(const at::Tensor& rgb_u8);

}  // namespace mu::data
