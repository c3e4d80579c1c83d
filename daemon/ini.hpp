// A small INI reader for mps3d's configuration file: `[section]` or `[section "name"]` headers,
// `key = value` lines, '#' or ';' comments, values optionally in double quotes. Every error
// names the line, so a typo in a config file is a one-line fix.
#pragma once

#include <mps3/result.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mps3::daemon {

struct ini_entry {
    std::string key;
    std::string value;
    int line = 0;
};

struct ini_section {
    std::string kind;  // "daemon" in [daemon], "store" in [store "notes"]
    std::string name;  // "notes" in [store "notes"]; empty when there is none
    int line = 0;
    std::vector<ini_entry> entries;
};

/// Entries before any header go to a section with an empty kind.
result<std::vector<ini_section>> parse_ini(std::string_view text);

}  // namespace mps3::daemon
