#include "ini.hpp"

namespace mps3::daemon {
namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

error at_line(int line, const std::string& what) {
    return {errc::invalid_argument, "line " + std::to_string(line) + ": " + what};
}

// "value" -> value with \" and \\ unescaped; bare values end at an unquoted comment.
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

}  // namespace

result<std::vector<ini_section>> parse_ini(std::string_view text) {
    std::vector<ini_section> sections(1);
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
            if (line.back() != ']') {
                return at_line(line_no, "section header must end with ']'");
            }
            const std::string_view inside = trim(line.substr(1, line.size() - 2));
            ini_section section{.line = line_no};
            const auto space = inside.find_first_of(" \t");
            section.kind = std::string(inside.substr(0, space));
            if (space != std::string_view::npos) {
                auto name = read_value(trim(inside.substr(space)), line_no);
                if (!name) {
                    return std::move(name).err();
                }
                section.name = std::move(*name);
                if (section.name.empty()) {
                    return at_line(line_no, "empty section name");
                }
            }
            if (section.kind.empty()) {
                return at_line(line_no, "empty section header");
            }
            sections.push_back(std::move(section));
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            return at_line(line_no, "expected 'key = value', a [section] or a comment");
        }
        const std::string key(trim(line.substr(0, eq)));
        if (key.empty()) {
            return at_line(line_no, "missing key before '='");
        }
        auto value = read_value(trim(line.substr(eq + 1)), line_no);
        if (!value) {
            return std::move(value).err();
        }
        sections.back().entries.push_back({key, std::move(*value), line_no});
    }
    if (sections.front().entries.empty()) {
        sections.erase(sections.begin());
    }
    return sections;
}

}  // namespace mps3::daemon
