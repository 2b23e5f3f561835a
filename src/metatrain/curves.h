#pragma once
// Training curves from metrics.csv as one PNG (report/plot.h): meta-loss (training loss smoothed,
// validation loss of the current theta and of the initial theta) above, accuracy (training, smoothed,
// and validation) below.
#include <string>

namespace mu {

// Returns false (writing nothing) when the CSV has no rows yet; throws mu::Error on a malformed CSV or
// an unwritable output.
bool write_curves(const std::string& metrics_csv, const std::string& png);

}  // namespace mu
