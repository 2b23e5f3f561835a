#pragma once
// results.json (product.md) and what is derived from it: its JSON Schema, a validator for the subset
// of JSON Schema the schema uses, report.md, and the standard plots. Everything here reads the JSON
// document, so reports can be regenerated from a results.json alone.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mu::report {

// The JSON Schema (draft-07 subset) of an evaluate results.json, and of an experiment's results.json.
const nlohmann::json& results_schema();
const nlohmann::json& experiment_schema();
// Validates `doc` against `schema`: returns one line per violation ("$.methods.random.runs: ..."),
// empty when valid. Supports type, required, properties, additionalProperties, items, enum, minimum,
// maximum, minItems, minProperties.
std::vector<std::string> validate(const nlohmann::json& doc, const nlohmann::json& schema);

// report.md: configuration, the table (mean +- std per method and readout) and links to the plots.
std::string results_markdown(const nlohmann::json& results);
// accuracy.png (bars per method), curve.png (paper metric over inner steps). Returns the files written.
std::vector<std::string> plot_results(const nlohmann::json& results, const std::string& dir);

// Experiment sweeps: results.json holds {"study", "variable", "points": [{"value", "label", methods...}]}.
std::string experiment_markdown(const nlohmann::json& exp);
std::vector<std::string> plot_experiment(const nlohmann::json& exp, const std::string& dir);

// Writes text atomically; creates the directory when missing.
void write_text(const std::string& path, const std::string& text);
void ensure_dir(const std::string& dir);

// SHA-256 of a file's bytes, lower-case hex; throws mu::Error when the file cannot be read.
std::string sha256_file(const std::string& path);
std::string sha256_hex(const std::string& bytes);

}  // namespace mu::report
