#pragma once
// Plots for the report, drawn with report/canvas.h: line charts (curves over inner steps, sweeps),
// grouped bar charts with error bars (accuracy per method), scatter plots and image grids (filters).
#include <string>
#include <vector>

namespace mu::report {

struct Series {
  std::string label;
  std::vector<double> x, y;
  std::vector<double> err;  // optional, same length as y: error bars (+-err)
};

struct PlotOptions {
  std::string title, xlabel, ylabel;
  bool log_x = false;
  double ymin = 0, ymax = 0;  // both 0: fit the data
  int width = 900, height = 540;
};

void line_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt);
// One group of bars per category; each series gives one bar (y[i], err[i]) in every category i.
void bar_plot(const std::string& path, const std::vector<std::string>& categories, const std::vector<Series>& series,
              const PlotOptions& opt);
void scatter_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt);
// Tiles (rows x cols each) laid out `per_row` to a line, each scaled to its own symmetric range
// [-max|v|, max|v|] (grey = 0), magnified by zoom.
void image_grid(const std::string& path, const std::vector<std::vector<float>>& tiles, int rows, int cols,
                int per_row, int zoom, const std::string& title);

// "Nice" axis ticks covering [lo, hi] (about `target` of them).
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

}  // namespace mu::report
