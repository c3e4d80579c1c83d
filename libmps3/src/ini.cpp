#include <mps3/ini.hpp>
#include <mps3/text.hpp>

#include <utility>

namespace mps3::ini {
namespace {

error at_line(int line, const std::string& what) {
    return {errc::invalid_argument, "line " + std::to_string(line) + ": " + what};
}

// mps3 dialect: "value" -> value with \" and \\ unescaped; bare values end at an unquoted
// comment.
result<std::string> read_value(std::string_view raw, int line) {
    if (!raw.empty() && raw.front() == '"') {
        std::string out;
        for (std::size_t i = 1; i < raw.size(); ++i) {
            const char c = raw[i];
            if (c == '\\' && i + 1 < raw.size()) {
                out += raw[++i];
            } else if (c == '"') {
                const auto rest = trim(raw.substr(i + 1));
                if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
                    return at_line(line, "unexpected text after the closing quote");
                }
                return out;
            } else {
                out += c;
            }
        }
        return at_line(line, "unterminated quoted value");
    }
    const auto comment = raw.find_first_of("#;");
    return std::string(trim(raw.substr(0, comment)));
}

result<section> read_header(std::string_view line, int line_no, dialect syntax) {
    section out{.line = line_no};
    if (line.back() != ']') {
        if (syntax == dialect::aws) {
            return out;  // a section no profile name matches: its lines are not used
        }
        return at_line(line_no, "section header must end with ']'");
    }
    out.header = trim(line.substr(1, line.size() - 2));
    const auto space = out.header.find_first_of(" \t");
    out.kind = out.header.substr(0, space);
    if (space == std::string::npos) {
        if (out.kind.empty() && syntax == dialect::mps3) {
            return at_line(line_no, "empty section header");
        }
        return out;
    }
    const std::string_view rest = trim(std::string_view(out.header).substr(space));
    if (syntax == dialect::aws) {
        out.name = rest;  // configparser keeps the header's text as it is: no quotes
        return out;
    }
    auto name = read_value(rest, line_no);
    if (!name) {
        return std::move(name).err();
    }
    out.name = std::move(*name);
    if (out.name.empty()) {
        return at_line(line_no, "empty section name");
    }
    return out;
}

// `key = value` (either dialect, ':' too in the AWS one); nullopt-like empty key when the
// line has no delimiter.
struct split_line {
    std::string_view key;
    std::string_view value;
    bool ok = false;
};

split_line split(std::string_view line, dialect syntax) {
    // Python's configparser, which the AWS CLI uses, accepts both '=' and ':'.
    const auto delimiter = line.find_first_of(syntax == dialect::aws ? "=:" : "=");
    if (delimiter == std::string_view::npos) {
        return {};
    }
    return {trim(line.substr(0, delimiter)), trim(line.substr(delimiter + 1)), true};
}

bool is_indented(std::string_view raw_line) {
    return !raw_line.empty() && (raw_line.front() == ' ' || raw_line.front() == '\t');
}

}  // namespace

result<std::vector<section>> parse(std::string_view text, dialect syntax) {
    if (syntax == dialect::aws && text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);  // UTF-8 BOM from Windows editors
    }
    std::vector<section> sections(1);
    int line_no = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view raw_line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        ++line_no;
        const std::string_view line = trim(raw_line);
        if (line.empty() || line.front() == '#' || line.front() == ';') {
            continue;
        }
        if (line.front() == '[') {
            auto header = read_header(line, line_no, syntax);
            if (!header) {
                return std::move(header).err();
            }
            sections.push_back(std::move(*header));
            continue;
        }
        const auto parts = split(line, syntax);
        if (syntax == dialect::aws) {
            auto& entries = sections.back().entries;
            if (!parts.ok || parts.key.empty()) {
                continue;
            }
            // botocore reads `s3 =` followed by indented lines as a sub-section.
            if (is_indented(raw_line) && !entries.empty() && entries.back().value.empty()) {
                const auto eq = line.find('=');
                if (eq != std::string_view::npos) {
                    entries.back().nested.push_back({ascii_lower(trim(line.substr(0, eq))),
                                                     std::string(trim(line.substr(eq + 1))),
                                                     line_no,
                                                     {}});
                }
                continue;
            }
            entries.push_back({ascii_lower(parts.key), std::string(parts.value), line_no, {}});
            continue;
        }
        if (!parts.ok) {
            return at_line(line_no, "expected 'key = value', a [section] or a comment");
        }
        if (parts.key.empty()) {
            return at_line(line_no, "missing key before '='");
        }
        auto value = read_value(parts.value, line_no);
        if (!value) {
            return std::move(value).err();
        }
        sections.back().entries.push_back({std::string(parts.key), std::move(*value), line_no, {}});
    }
    if (sections.front().entries.empty()) {
        sections.erase(sections.begin());
    }
    return sections;
}

}  // namespace mps3::ini
