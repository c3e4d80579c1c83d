// The one INI reader: mps3d's configuration file and the AWS CLI's config and credentials files.
// The two dialects differ where their readers differ (mps3d's own rules; Python's configparser
// as botocore uses it), and share everything else: '#'/';' comment lines, `[header]` lines,
// `key = value` lines, line numbers for messages.
#pragma once

#include <mps3/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mps3::ini {

struct entry {
    std::string key;
    std::string value;
    int line = 0;
    /// AWS dialect: the indented `key = value` lines under a key with an empty value, as in
    /// `s3 =` of ~/.aws/config (botocore's "nested" values).
    std::vector<entry> nested;
};

struct section {
    std::string header;  // the text between the brackets, trimmed: "profile dev"
    std::string kind;    // its first word: "daemon" in [daemon], "store" in [store "notes"]
    std::string name;    // the rest: "notes" in [store "notes"], "dev" in [profile dev]
    int line = 0;
    std::vector<entry> entries;
};

enum class dialect {
    /// mps3d.conf: every line must be a header, a `key = value`, a comment or blank (anything
    /// else is an error naming the line); `[kind "quoted name"]`; values may be double-quoted
    /// (\" and \\ escapes) and bare ones end at a '#' or ';'; keys as written.
    mps3,
    /// ~/.aws/config and ~/.aws/credentials as the AWS CLI reads them: '=' or ':' between key
    /// and value, keys lower-cased, values verbatim to the end of the line (no inline comments,
    /// no quotes), indented lines under an empty value nested, a UTF-8 BOM skipped. Lines the
    /// CLI could not use are skipped, and a malformed header opens a section with an empty
    /// header that matches no profile: the caller then reports what it did not find.
    aws,
};

/// Entries before any header go to a section with an empty kind (dropped when there are none).
/// Only the mps3 dialect fails, with errc::invalid_argument and "line N: why".
result<std::vector<section>> parse(std::string_view text, dialect syntax);

}  // namespace mps3::ini
