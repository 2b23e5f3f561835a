#include "report/plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/error.h"
#include "report/canvas.h"

namespace mu::report {

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  double raw = (hi - lo) / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return t;
}

namespace {

std::string tick_label(double v) {
  if (v != 0 && (std::abs(v) >= 1e5 || std::abs(v) < 1e-3)) return fmt::format("{:.0e}", v);
  return fmt::format("{:g}", v);
}

struct Frame {
  int left = 78, right = 0, top = 44, bottom = 0;  // plot area in pixels
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  bool log_x = false;
  double px(double x) const {
    double a = log_x ? std::log10(x) : x, lo = log_x ? std::log10(x0) : x0, hi = log_x ? std::log10(x1) : x1;
    return left + (a - lo) / (hi - lo) * (right - left);
  }
  double py(double y) const { return bottom - (y - y0) / (y1 - y0) * (bottom - top); }
};

Frame make_frame(Canvas& c, const PlotOptions& opt, double x0, double x1, double y0, double y1, bool x_numeric,
                 int legend_width) {
  Frame f;
  f.right = c.width() - 20 - legend_width;
  f.bottom = c.height() - 56;
  f.log_x = opt.log_x;
  if (!(x1 > x0)) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  if (!(y1 > y0)) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  f.x0 = x0;
  f.x1 = x1;
  f.y0 = y0;
  f.y1 = y1;
  c.text((c.width() - Canvas::text_width(opt.title, 2)) / 2, 8, opt.title, kBlack, 2);
  c.text((f.left + f.right - Canvas::text_width(opt.xlabel, 1)) / 2, c.height() - 22, opt.xlabel, kBlack, 1);
  c.text_vertical(6, (f.top + f.bottom - Canvas::text_width(opt.ylabel)) / 2, opt.ylabel, kBlack, 1);
  for (double t : nice_ticks(y0, y1)) {
    int y = static_cast<int>(std::lround(f.py(t)));
    c.line(f.left, y, f.right, y, Color{232, 232, 232});
    c.line(f.left - 4, y, f.left, y, kBlack);
    std::string s = tick_label(t);
    c.text(f.left - 8 - Canvas::text_width(s), y - 5, s, kBlack);
  }
  if (x_numeric) {
    std::vector<double> ticks;
    if (f.log_x) {
      for (double d = std::floor(std::log10(x0)); d <= std::ceil(std::log10(x1)); d += 1)
        for (double m : {1.0, 2.0, 5.0}) {
          double v = m * std::pow(10.0, d);
          if (v >= x0 * (1 - 1e-9) && v <= x1 * (1 + 1e-9)) ticks.push_back(v);
        }
    } else {
      ticks = nice_ticks(x0, x1);
    }
    for (double t : ticks) {
      int x = static_cast<int>(std::lround(f.px(t)));
      c.line(x, f.bottom, x, f.bottom + 4, kBlack);
      std::string s = tick_label(t);
      c.text(x - Canvas::text_width(s) / 2, f.bottom + 8, s, kBlack);
    }
  }
  c.line(f.left, f.top, f.left, f.bottom, kBlack);
  c.line(f.left, f.bottom, f.right, f.bottom, kBlack);
  return f;
}

int legend_width(const std::vector<Series>& s) {
  int w = 0;
  for (const auto& x : s) w = std::max(w, Canvas::text_width(x.label));
  return s.size() > 1 || (s.size() == 1 && !s[0].label.empty()) ? w + 40 : 0;
}

void draw_legend(Canvas& c, const Frame& f, const std::vector<Series>& s) {
  int y = f.top + 4;
  for (size_t i = 0; i < s.size(); ++i) {
    c.fill_rect(f.right + 14, y + 2, f.right + 26, y + 10, palette(static_cast<int>(i)));
    c.text(f.right + 32, y, s[i].label, kBlack);
    y += 16;
  }
}

void data_range(const std::vector<Series>& series, bool with_err, double* x0, double* x1, double* y0, double* y1) {
  *x0 = *y0 = std::numeric_limits<double>::infinity();
  *x1 = *y1 = -std::numeric_limits<double>::infinity();
  for (const auto& s : series)
    for (size_t i = 0; i < s.y.size(); ++i) {
      double e = with_err && i < s.err.size() ? s.err[i] : 0;
      if (!std::isfinite(s.y[i])) continue;
      if (i < s.x.size()) {
        *x0 = std::min(*x0, s.x[i]);
        *x1 = std::max(*x1, s.x[i]);
      }
      *y0 = std::min(*y0, s.y[i] - e);
      *y1 = std::max(*y1, s.y[i] + e);
    }
  if (!std::isfinite(*x0)) *x0 = 0, *x1 = 1;
  if (!std::isfinite(*y0)) *y0 = 0, *y1 = 1;
}

void fix_y(const PlotOptions& opt, double* y0, double* y1) {
  if (opt.ymin != 0 || opt.ymax != 0) {
    *y0 = opt.ymin;
    *y1 = opt.ymax;
    return;
  }
  double pad = 0.05 * std::max(1e-9, *y1 - *y0);
  *y0 -= pad;
  *y1 += pad;
}

}  // namespace

void line_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt) {
  Canvas c(opt.width, opt.height);
  double x0, x1, y0, y1;
  data_range(series, true, &x0, &x1, &y0, &y1);
  fix_y(opt, &y0, &y1);
  if (opt.log_x) MU_CHECK(x0 > 0, "plot: log x axis needs positive x");
  Frame f = make_frame(c, opt, x0, x1, y0, y1, true, legend_width(series));
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    Color col = palette(static_cast<int>(k));
    for (size_t i = 0; i < s.y.size() && i < s.x.size(); ++i) {
      if (i < s.err.size() && s.err[i] > 0) {
        double x = f.px(s.x[i]);
        c.line(x, f.py(s.y[i] - s.err[i]), x, f.py(s.y[i] + s.err[i]), col);
        c.line(x - 3, f.py(s.y[i] - s.err[i]), x + 3, f.py(s.y[i] - s.err[i]), col);
        c.line(x - 3, f.py(s.y[i] + s.err[i]), x + 3, f.py(s.y[i] + s.err[i]), col);
      }
      if (i > 0) c.line(f.px(s.x[i - 1]), f.py(s.y[i - 1]), f.px(s.x[i]), f.py(s.y[i]), col, 2);
      if (s.y.size() <= 40) c.disc(f.px(s.x[i]), f.py(s.y[i]), 3, col);
    }
  }
  draw_legend(c, f, series);
  c.save_png(path);
}

void bar_plot(const std::string& path, const std::vector<std::string>& categories, const std::vector<Series>& series,
              const PlotOptions& opt) {
  Canvas c(opt.width, opt.height);
  double x0, x1, y0, y1;
  data_range(series, true, &x0, &x1, &y0, &y1);
  y0 = std::min(0.0, y0);
  fix_y(opt, &y0, &y1);
  if (opt.ymin == 0 && opt.ymax == 0) y0 = std::min(0.0, y0 + 0.05 * (y1 - y0));
  Frame f = make_frame(c, opt, 0, static_cast<double>(categories.size()), y0, y1, false, legend_width(series));
  const double group = (f.right - f.left) / std::max<double>(1, categories.size());
  const double bar = group * 0.8 / std::max<size_t>(1, series.size());
  for (size_t i = 0; i < categories.size(); ++i) {
    double gx = f.left + i * group + group * 0.1;
    for (size_t k = 0; k < series.size(); ++k) {
      if (i >= series[k].y.size() || !std::isfinite(series[k].y[i])) continue;
      Color col = series.size() > 1 ? palette(static_cast<int>(k)) : palette(static_cast<int>(i));
      double bx0 = gx + k * bar + 1, bx1 = gx + (k + 1) * bar - 2;
      double v = series[k].y[i];
      c.fill_rect(static_cast<int>(bx0), static_cast<int>(f.py(std::max(y0, 0.0))), static_cast<int>(bx1),
                  static_cast<int>(f.py(v)), col);
      if (i < series[k].err.size() && series[k].err[i] > 0) {
        double cx = 0.5 * (bx0 + bx1), e = series[k].err[i];
        c.line(cx, f.py(v - e), cx, f.py(v + e), kBlack, 2);
        c.line(cx - 5, f.py(v - e), cx + 5, f.py(v - e), kBlack, 2);
        c.line(cx - 5, f.py(v + e), cx + 5, f.py(v + e), kBlack, 2);
      }
      if (series.size() == 1) {
        std::string s = fmt::format("{:.3f}", v);
        c.text(static_cast<int>(0.5 * (bx0 + bx1)) - Canvas::text_width(s) / 2,
               static_cast<int>(f.py(v + (i < series[k].err.size() ? series[k].err[i] : 0))) - 14, s, kBlack);
      }
    }
    const std::string& name = categories[i];
    c.text(static_cast<int>(f.left + (i + 0.5) * group) - Canvas::text_width(name) / 2, f.bottom + 8, name, kBlack);
  }
  if (series.size() > 1) draw_legend(c, f, series);
  c.save_png(path);
}

void scatter_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt) {
  Canvas c(opt.width, opt.height);
  double x0, x1, y0, y1;
  data_range(series, false, &x0, &x1, &y0, &y1);
  fix_y(opt, &y0, &y1);
  double pad = 0.05 * std::max(1e-9, x1 - x0);
  Frame f = make_frame(c, opt, x0 - pad, x1 + pad, y0, y1, true, legend_width(series));
  for (size_t k = 0; k < series.size(); ++k)
    for (size_t i = 0; i < series[k].y.size() && i < series[k].x.size(); ++i)
      c.disc(f.px(series[k].x[i]), f.py(series[k].y[i]), 2, palette(static_cast<int>(k)));
  draw_legend(c, f, series);
  c.save_png(path);
}

void image_grid(const std::string& path, const std::vector<std::vector<float>>& tiles, int rows, int cols,
                int per_row, int zoom, const std::string& title) {
  MU_CHECK(!tiles.empty() && rows > 0 && cols > 0 && per_row > 0 && zoom > 0, "image grid: nothing to draw");
  int n = static_cast<int>(tiles.size());
  int lines = (n + per_row - 1) / per_row;
  int tw = cols * zoom + 4, th = rows * zoom + 4;
  int head = title.empty() ? 4 : 30;
  Canvas c(std::max(per_row * tw + 4, Canvas::text_width(title, 2) + 8), lines * th + 4 + head, kGrey);
  if (!title.empty()) c.text(4, 6, title, kBlack, 2);
  for (int i = 0; i < n; ++i) {
    float m = 1e-12f;
    for (float v : tiles[i]) m = std::max(m, std::abs(v));
    c.image(4 + (i % per_row) * tw, head + (i / per_row) * th, tiles[i], rows, cols, -m, m, zoom);
  }
  c.save_png(path);
}

}  // namespace mu::report
