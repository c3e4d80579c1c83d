// mps3d's configuration file: the INI reader and the settings it is applied to.
//
// Invariants: parsed INI written back in a canonical form (quoted values and names) parses to
// the same sections and entries; line numbers are within the text and increase; every refusal
// names a line of the text; applied settings stay within the documented bounds, one store per
// [store "NAME"] section, and finalize accepts exactly unique names that all have a bucket.
#include "fuzz_check.hpp"

#include <mps3/ini.hpp>
#include "config.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace {

using namespace mps3::daemon;
namespace ini = mps3::ini;

std::string ini_quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

std::string write_ini(const std::vector<ini::section>& sections) {
    std::string out;
    for (const auto& s : sections) {
        if (!s.kind.empty()) {
            out += "[" + s.kind + (s.name.empty() ? "" : " " + ini_quoted(s.name)) + "]\n";
        }
        for (const auto& e : s.entries) {
            out += e.key + " = " + ini_quoted(e.value) + "\n";
        }
    }
    return out;
}

// "line N: ..." with N a line of the text.
void check_names_line(const std::string& message, int lines) {
    FUZZ_CHECK(message.starts_with("line "));
    int n = 0;
    const char* begin = message.data() + 5;
    const auto [end, ec] = std::from_chars(begin, message.data() + message.size(), n);
    FUZZ_CHECK(ec == std::errc() && n >= 1 && n <= lines);
    FUZZ_CHECK(std::string_view(end, 1) == ":");
}

void check_ini(std::string_view text, int lines) {
    const auto sections = ini::parse(text, ini::dialect::mps3);
    if (!sections) {
        check_names_line(sections.err().message, lines);
        return;
    }
    int last = 0;
    for (std::size_t i = 0; i < sections->size(); ++i) {
        const auto& s = (*sections)[i];
        FUZZ_CHECK(!s.kind.empty() || i == 0);
        FUZZ_CHECK(s.kind.empty() ? s.line == 0 : s.line > last);
        last = std::max(last, s.line);
        for (const auto& e : s.entries) {
            FUZZ_CHECK(!e.key.empty() && e.line > last && e.line <= lines);
            last = e.line;
        }
    }
    const auto again = ini::parse(write_ini(*sections), ini::dialect::mps3);
    FUZZ_CHECK(again.has_value() && again->size() == sections->size());
    for (std::size_t i = 0; i < sections->size(); ++i) {
        const auto& a = (*again)[i];
        const auto& b = (*sections)[i];
        FUZZ_CHECK(a.kind == b.kind && a.name == b.name && a.entries.size() == b.entries.size());
        for (std::size_t j = 0; j < a.entries.size(); ++j) {
            FUZZ_CHECK(a.entries[j].key == b.entries[j].key);
            FUZZ_CHECK(a.entries[j].value == b.entries[j].value);
        }
    }
}

void check_settings(std::string_view text, int lines) {
    const mps3::s3::environment env{{"HOME", "/home/fuzz"}, {"XDG_RUNTIME_DIR", "/run/user/1"}};
    daemon_settings settings = default_settings(env, false, 1000);
    const auto applied = apply_config_text(settings, text);
    if (!applied) {
        check_names_line(applied.err().message, lines);
        return;
    }
    FUZZ_CHECK(ini::parse(text, ini::dialect::mps3).has_value());
    FUZZ_CHECK(settings.max_frame_bytes >= 1024 && settings.max_frame_bytes <= (1U << 30));
    std::set<std::string> names;
    bool buckets = true;
    for (const auto& s : settings.stores) {
        FUZZ_CHECK(!s.name.empty());
        FUZZ_CHECK(s.poll_interval.count() >= 10 && s.poll_interval.count() <= 3'600'000);
        FUZZ_CHECK(s.max_parallel_requests >= 1 && s.max_parallel_requests <= 512);
        names.insert(s.name);
        buckets = buckets && !s.bucket.empty();
    }
    const bool acceptable =
        !settings.stores.empty() && names.size() == settings.stores.size() && buckets;
    FUZZ_CHECK(static_cast<bool>(finalize(settings)) == acceptable);
    if (acceptable) {
        for (const auto& s : settings.stores) {
            FUZZ_CHECK(!s.replica.empty());
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = mps3::fuzz::as_text(data, size);
    // Lines as ini::parse counts them: a final line without '\n' counts, an empty remainder not.
    int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    if (!text.empty() && text.back() != '\n') {
        ++lines;
    }
    check_ini(text, lines);
    check_settings(text, lines);
    return 0;
}
