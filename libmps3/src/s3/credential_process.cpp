// What a credential_process command line and its output mean, without running anything.
#include <mps3/s3/credential_process.hpp>

#include "json/document.hpp"
#include "s3/time_format.hpp"

namespace mps3::s3 {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

error bad_output(const std::string& why) {
    return {errc::no_credentials, "credential_process output " + why};
}

}  // namespace

result<std::vector<std::string>> split_command_line(std::string_view command) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < command.size(); ++i) {
        const char c = command[i];
        if (is_space(c)) {
            if (in_word) {
                words.push_back(std::move(word));
                word.clear();
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if (c == '\\') {
            if (++i == command.size()) {
                return error(errc::invalid_argument,
                             "credential_process ends with a backslash that escapes nothing");
            }
            word += command[i];
        } else if (c == '\'' || c == '"') {
            const char quote = c;
            bool closed = false;
            while (++i < command.size()) {
                const char q = command[i];
                if (q == quote) {
                    closed = true;
                    break;
                }
                // shlex: inside "...", a backslash escapes only '"' and '\'.
                if (quote == '"' && q == '\\' && i + 1 < command.size() &&
                    (command[i + 1] == '"' || command[i + 1] == '\\')) {
                    word += command[++i];
                } else {
                    word += q;
                }
            }
            if (!closed) {
                return error(
                    errc::invalid_argument,
                    std::string("credential_process has an unterminated ") + quote + " quote");
            }
        } else {
            word += c;
        }
    }
    if (in_word) {
        words.push_back(std::move(word));
    }
    if (words.empty()) {
        return error(errc::invalid_argument, "credential_process is empty");
    }
    return words;
}

result<credentials> parse_credential_process_output(std::string_view output) {
    auto doc = json::parse(output, 8);
    if (!doc) {
        return bad_output("is not JSON (" + doc.err().message + ")");
    }
    if (!doc->IsObject()) {
        return bad_output("is not a JSON object");
    }
    const auto version = doc->FindMember("Version");
    if (version == doc->MemberEnd()) {
        return bad_output("has no \"Version\" (expected 1)");
    }
    if (!version->value.IsInt() || version->value.GetInt() != 1) {
        return bad_output("has an unsupported \"Version\" (expected 1)");
    }
    auto text = [&](const char* name, bool required) -> result<std::string> {
        const auto it = doc->FindMember(name);
        if (it == doc->MemberEnd() || (it->value.IsString() && it->value.GetStringLength() == 0)) {
            if (required) {
                return bad_output(std::string("has no \"") + name + "\"");
            }
            return std::string();
        }
        if (!it->value.IsString()) {
            return bad_output(std::string("has a \"") + name + "\" that is not a string");
        }
        return std::string(it->value.GetString(), it->value.GetStringLength());
    };
    credentials out;
    for (auto [name, field, required] :
         {std::tuple{"AccessKeyId", &out.access_key_id, true},
          std::tuple{"SecretAccessKey", &out.secret_access_key, true},
          std::tuple{"SessionToken", &out.session_token, false}}) {
        auto value = text(name, required);
        if (!value) {
            return std::move(value).err();
        }
        *field = std::move(*value);
    }
    auto expiration = text("Expiration", false);
    if (!expiration) {
        return std::move(expiration).err();
    }
    if (!expiration->empty()) {
        const auto when = detail::parse_iso8601(*expiration);
        if (!when) {
            return bad_output("has an \"Expiration\" that is not an ISO 8601 time: '" +
                              *expiration + "'");
        }
        out.expiration = *when;
    }
    return out;
}

}  // namespace mps3::s3
