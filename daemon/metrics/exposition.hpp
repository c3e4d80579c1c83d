// The pieces of Prometheus' text exposition format 0.0.4 that need care: numbers (+Inf, -Inf,
// NaN, integers without an exponent), escaping in HELP text and label values, and which names
// are valid. Sans-io; the registry (registry.hpp) puts them together.
#pragma once

#include <string>
#include <string_view>

namespace mps3::metrics {

/// A sample value or bucket bound: "+Inf", "-Inf", "NaN", an integer as "42" (exact up to 2^53),
/// anything else in the shortest form that reads back as the same double ("0.0005", "1e+20").
std::string format_value(double value);

/// A label value between double quotes: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view text);

/// HELP text: backslash and newline escaped (quotes stay as they are).
std::string escape_help(std::string_view text);

/// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
/// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved by Prometheus).
bool valid_label_name(std::string_view name);

}  // namespace mps3::metrics
