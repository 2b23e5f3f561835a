#pragma once
// Training curves from metrics.csv as one PNG (report/plot.h): meta-loss (training loss smoothed,
// validation loss of the current theta and of the initial theta) above, accuracy (training, smoothed,
// and validation) below.
#include <string>
#include <vector>

namespace mu {

// Returns false (writing nothing) when the CSV has no rows yet; throws mu::Error on a malformed CSV or
// an unwritable output.
bool write_curves(const std::string& metrics_csv, const std::string& png);

// One metrics.csv line split at commas (no quoting in these files); a trailing comma gives an empty cell.
std::vector<std::string> split_csv(const std::string& line);

}  // namespace mu
