#include "metatrain/curves.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "report/canvas.h"
#include "report/plot.h"

namespace mu {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> v;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) v.push_back(cell);
  if (!line.empty() && line.back() == ',') v.emplace_back();
  return v;
}

namespace {

// Trailing moving average over `w` finite points.
std::vector<double> smooth(const std::vector<double>& y, size_t w) {
  std::vector<double> out(y.size());
  double sum = 0;
  size_t n = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    sum += y[i], ++n;
    if (n > w) sum -= y[i - w], --n;
    out[i] = sum / double(n);
  }
  return out;
}

// The finite (step, value) points of a column.
report::Series column(const std::vector<double>& step, const std::vector<double>& v, const std::string& label) {
  report::Series s;
  s.label = label;
  for (size_t i = 0; i < v.size(); ++i)
    if (std::isfinite(v[i])) s.x.push_back(step[i]), s.y.push_back(v[i]);
  return s;
}

}  // namespace

bool write_curves(const std::string& csv, const std::string& png) {
  std::ifstream in(csv);
  MU_CHECK(in, "cannot read " + csv);
  std::string line;
  MU_CHECK(static_cast<bool>(std::getline(in, line)), csv + ": empty (no header)");
  std::vector<std::string> head = split_csv(line);
  std::map<std::string, std::vector<double>> col;
  for (const auto& h : head) col[h];
  for (const char* need : {"step", "loss", "accuracy", "val_loss", "val_loss_theta0", "val_accuracy"})
    MU_CHECK(col.count(need), csv + ": no column '" + std::string(need) + "'");
  size_t rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells = split_csv(line);
    MU_CHECK(cells.size() == head.size(), csv + ": a row has the wrong number of fields");
    for (size_t i = 0; i < head.size(); ++i) {
      double v = NAN;
      if (!cells[i].empty()) {
        try {
          v = std::stod(cells[i]);
        } catch (const std::exception&) {
          throw Error(csv + ": '" + cells[i] + "' is not a number");
        }
      }
      col[head[i]].push_back(v);
    }
    ++rows;
  }
  if (rows == 0) return false;
  const auto& step = col["step"];
  report::Series loss = column(step, col["loss"], "train loss");
  report::Series acc = column(step, col["accuracy"], "train accuracy");
  const size_t w = std::clamp<size_t>(loss.y.size() / 15, 1, 50);
  report::Series loss_s = loss, acc_s = acc;
  loss_s.y = smooth(loss.y, w), acc_s.y = smooth(acc.y, w);
  loss_s.label = fmt::format("train loss (mean of {})", w);
  acc_s.label = fmt::format("train accuracy (mean of {})", w);
  report::Series val = column(step, col["val_loss"], "val loss, theta");
  report::Series val0 = column(step, col["val_loss_theta0"], "val loss, initial theta");
  report::Series vacc = column(step, col["val_accuracy"], "val accuracy, theta");

  std::vector<report::Series> top, bottom;
  for (auto* s : {&loss_s, &val0, &val})  // current theta drawn last: on top where they coincide
    if (!s->y.empty()) top.push_back(*s);
  for (auto* s : {&acc_s, &vacc})
    if (!s->y.empty()) bottom.push_back(*s);
  if (top.empty() && bottom.empty()) return false;

  namespace fs = std::filesystem;
  const std::string tmp = png + fmt::format(".part{}", getpid());
  report::PlotOptions o;
  o.width = 900, o.height = 420;
  o.xlabel = "meta-step";
  std::vector<report::Canvas> panels;
  if (!top.empty()) {
    o.title = "meta-loss";
    o.ylabel = "meta-objective";
    report::line_plot(tmp + ".a.png", top, o);
    panels.push_back(report::load_png(tmp + ".a.png"));
    fs::remove(tmp + ".a.png");
  }
  if (!bottom.empty()) {
    o.title = "few-shot accuracy (test half of the labelled pairs)";
    o.ylabel = "accuracy";
    report::line_plot(tmp + ".b.png", bottom, o);
    panels.push_back(report::load_png(tmp + ".b.png"));
    fs::remove(tmp + ".b.png");
  }
  int width = 0, height = 0;
  for (const auto& p : panels) width = std::max(width, p.width()), height += p.height();
  report::Canvas all(width, height);
  int y0 = 0;
  for (const auto& p : panels) {
    for (int y = 0; y < p.height(); ++y)
      for (int x = 0; x < p.width(); ++x) all.set(x, y0 + y, p.get(x, y));
    y0 += p.height();
  }
  all.save_png(png);
  return true;
}

}  // namespace mu
