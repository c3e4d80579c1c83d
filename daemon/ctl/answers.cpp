#include "answers.hpp"

#include "exit_codes.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

namespace mps3::ctl {
namespace {

std::string compact(const rapidjson::Value& value) {
    // No UTF-8 validation on output: everything printed was parsed (and so validated) first, and
    // a message quoting a command-line argument should show its bytes rather than fail.
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

bool has_control_character(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

enum class shown_as {
    text,
    yes_no,
    time,
    time_or_none,
    time_or_dash,
    milliseconds,
    error_text,
    error_kind,
    progress
};

struct status_field {
    const char* member;
    const char* label;
    shown_as kind;
};

constexpr std::array<status_field, 18> status_fields{{
    {"store", "store", shown_as::text},
    {"online", "online", shown_as::yes_no},
    {"queuedWrites", "queued writes", shown_as::text},
    {"oldestQueued", "oldest queued", shown_as::time_or_none},
    {"lastSync", "last sync", shown_as::time},
    {"clockOffsetMs", "clock offset", shown_as::milliseconds},
    {"lastError", "last error", shown_as::error_text},
    {"lastErrorKind", "error kind", shown_as::error_kind},
    {"failedAttempts", "failed attempts", shown_as::text},
    {"failingSince", "failing since", shown_as::time_or_dash},
    {"nextAttempt", "next attempt", shown_as::time_or_dash},
    {"entriesWritten", "entries written", shown_as::text},
    {"lastSeq", "last seq", shown_as::text},
    {"initialSyncDone", "initial sync done", shown_as::yes_no},
    {"versioning", "versioning", shown_as::yes_no},
    {"groupCommits", "group commits", shown_as::text},
    {"groupCommittedWrites", "writes in them", shown_as::text},
    {"syncing", "syncing", shown_as::progress},
}};

std::string shown(const rapidjson::Value& v, shown_as kind) {
    if (v.IsNull() && kind == shown_as::time) {
        return "never";
    }
    if (v.IsNull() && kind == shown_as::time_or_none) {
        return "none";  // nothing queued
    }
    if (v.IsNull() && kind == shown_as::time_or_dash) {
        return "-";  // not failing
    }
    if (kind == shown_as::error_kind && (v.IsNull() || v.IsString())) {
        const std::string_view k = v.IsNull() ? "" : std::string_view(v.GetString());
        if (k.empty()) {
            return "none";
        }
        if (k == "transient") {
            return "transient (retried with backoff; passes by itself)";
        }
        if (k == "persistent") {
            return "persistent (the bucket's owner or the operator must act; retried with backoff)";
        }
    }
    if (kind == shown_as::progress) {
        if (v.IsNull()) {
            return "no";
        }
        const auto fetched = v.FindMember("fetched");
        const auto total = v.FindMember("total");
        if (v.IsObject() && fetched != v.MemberEnd() && total != v.MemberEnd() &&
            fetched->value.IsUint64() && total->value.IsUint64()) {
            return std::to_string(fetched->value.GetUint64()) + " of " +
                   std::to_string(total->value.GetUint64()) + " keys fetched";
        }
    }
    if (v.IsBool() && kind == shown_as::yes_no) {
        return v.GetBool() ? "yes" : "no";
    }
    if (v.IsString()) {
        const std::string_view s(v.GetString(), v.GetStringLength());
        if (s.empty() && kind == shown_as::error_text) {
            return "none";
        }
        return has_control_character(s) ? compact(v) : std::string(s);
    }
    std::string text = compact(v);
    if (v.IsNumber() && kind == shown_as::milliseconds) {
        text += " ms";
    }
    return text;
}

}  // namespace

step fail_step(int exit_code, std::string_view message) {
    step s;
    s.err = "mps3ctl: " + std::string(message) + "\n";
    s.exit_code = exit_code;
    return s;
}

step error_step(const ipc::rpc_error& error) {
    step s = fail_step(error.is(ipc::rpc_code::timeout) ? exit_daemon_timeout : exit_daemon_error,
                       error.message + " (code " + std::to_string(error.code) + ")");
    if (error.data) {
        s.err += "mps3ctl: details: " + *error.data + "\n";
    }
    return s;
}

step bad_answer_step(std::string_view method, std::string_view why) {
    return fail_step(exit_unreachable, "mps3d's answer to '" + std::string(method) +
                                           "' is not what the protocol says: " + std::string(why));
}

std::string json_line(const rapidjson::Value& value) {
    std::string line = compact(value);
    line.push_back('\n');
    return line;
}

std::string json_line(const rapidjson::Value& value, std::string_view left_out) {
    if (!value.IsObject()) {
        return json_line(value);
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    for (const auto& member : value.GetObject()) {
        if (std::string_view(member.name.GetString(), member.name.GetStringLength()) != left_out) {
            writer.Key(member.name.GetString(), member.name.GetStringLength());
            member.value.Accept(writer);
        }
    }
    writer.EndObject();
    std::string line(buffer.GetString(), buffer.GetSize());
    line.push_back('\n');
    return line;
}

std::string quoted(std::string_view text) {
    rapidjson::Value s(rapidjson::StringRef(text.data(), text.size()));
    return compact(s);
}

std::string status_table(const rapidjson::Value& status) {
    if (!status.IsObject()) {
        return json_line(status);
    }
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& field : status_fields) {
        if (const auto it = status.FindMember(field.member); it != status.MemberEnd()) {
            rows.emplace_back(field.label, shown(it->value, field.kind));
        }
    }
    for (const auto& member : status.GetObject()) {
        const std::string_view name(member.name.GetString(), member.name.GetStringLength());
        const bool known = std::any_of(status_fields.begin(), status_fields.end(),
                                       [&](const status_field& f) { return name == f.member; });
        if (!known) {
            rows.emplace_back(has_control_character(name) ? quoted(name) : std::string(name),
                              compact(member.value));
        }
    }
    std::size_t width = 0;
    for (const auto& row : rows) {
        width = std::max(width, row.first.size());
    }
    std::string out;
    for (const auto& [label, value] : rows) {
        out += label;
        out.append(width - label.size() + 2, ' ');
        out += value;
        out.push_back('\n');
    }
    return out;
}

}  // namespace mps3::ctl
