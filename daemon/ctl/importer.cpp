#include "importer.hpp"

#include "answers.hpp"
#include "exit_codes.hpp"
#include "params_writer.hpp"

#include <mps3/ipc/client.hpp>

#include <string_view>
#include <utility>

namespace mps3::ctl {
namespace {

error bad_line(std::uint64_t line_no, const std::string& why) {
    return {errc::invalid_argument,
            "import: line " + std::to_string(line_no) + ": " + why +
                " (each line must be {\"key\": K, \"value\": V}, as mps3ctl export prints)"};
}

}  // namespace

importer::importer(options opts, line_source input)
    : opts_(std::move(opts)), input_(std::move(input)) {}

status importer::prepare() {
    if (!opts_.dry_run) {
        auto first = read_batch();
        if (!first) {
            return std::move(first).err();
        }
        next_ = std::move(*first);
        return success{};
    }
    for (std::uint64_t guard = 0; guard < (std::uint64_t{1} << 40); ++guard) {
        auto b = read_batch();
        if (!b) {
            return std::move(b).err();
        }
        if (!*b) {
            return success{};
        }
        imported_ += (*b)->ops;
        ++batches_;
    }
    return success{};
}

result<std::optional<importer::batch>> importer::read_batch() {
    params_writer params;
    auto& ops = params.member("ops").begin_array();
    batch b;
    std::size_t bytes = 0;
    while (b.ops < opts_.batch_ops && bytes < opts_.batch_bytes) {
        auto line = input_();
        if (!line) {
            break;
        }
        ++line_no_;
        if (line->find_first_not_of(" \t\r") == std::string::npos) {
            continue;  // blank lines (a trailing newline, an edited file) carry nothing
        }
        auto parsed = ipc::parse_json_value(*line);
        if (!parsed) {
            return bad_line(line_no_, "not JSON: " + parsed.err().message);
        }
        const rapidjson::Value& op = *parsed;
        if (!op.IsObject()) {
            return bad_line(line_no_, "not an object");
        }
        const auto key = op.FindMember("key");
        const auto value = op.FindMember("value");
        if (key == op.MemberEnd() || !key->value.IsString()) {
            return bad_line(line_no_, "no \"key\" string");
        }
        if (value == op.MemberEnd()) {
            return bad_line(line_no_, "no \"value\"");
        }
        if (op.MemberCount() != 2) {
            return bad_line(line_no_, "members other than \"key\" and \"value\"");
        }
        const std::string_view k(key->value.GetString(), key->value.GetStringLength());
        ops.begin_object().key("key").string(k).key("value").value(value->value).end_object();
        bytes += line->size();
        ++b.ops;
    }
    if (b.ops == 0) {
        return std::optional<batch>();
    }
    ops.end_array();
    auto text = params.finish(opts_.store);
    if (!text) {
        return bad_line(line_no_, text.err().message);
    }
    b.params = std::move(*text);
    return std::optional<batch>(std::move(b));
}

request importer::put_request(const batch& b) const {
    return {"putAll", b.params, opts_.wait};
}

// Nothing to write (an empty input, or a dry run): still ask mps3d about the store, so that a
// wrong --store or a daemon that is down shows now rather than at the real import.
request importer::check_request() const {
    params_writer params;
    auto text = params.finish(opts_.store);
    return {"status", text ? std::move(*text) : std::string("{}"), opts_.wait};
}

request importer::start() {
    if (opts_.dry_run || !next_) {
        return check_request();
    }
    in_flight_ = next_->ops;
    request r = put_request(*next_);
    next_.reset();
    return r;
}

std::string importer::summary() const {
    return std::string("{\"") + (opts_.dry_run ? "checked" : "imported") +
           "\":" + std::to_string(imported_) + ",\"batches\":" + std::to_string(batches_) + "}\n";
}

step importer::on_response(const ipc::rpc_response& response) {
    if (!response.ok()) {
        step failed = error_step(*response.error);
        failed.err += "mps3ctl: import stopped; " + std::to_string(imported_) + " keys in " +
                      std::to_string(batches_) + " batches were written before it\n";
        return failed;
    }
    step s;
    if (opts_.dry_run || in_flight_ == 0) {
        s.out = summary();
        s.exit_code = exit_ok;
        return s;
    }
    imported_ += in_flight_;
    ++batches_;
    in_flight_ = 0;
    if (opts_.progress) {
        s.err = "\rimported " + std::to_string(imported_) + " keys";
    }
    auto next = read_batch();
    if (!next) {
        s.err += (opts_.progress ? "\n" : "") + std::string("mps3ctl: ") + next.err().message +
                 "; " + std::to_string(imported_) + " keys in " + std::to_string(batches_) +
                 " batches were written before it\n";
        s.exit_code = exit_usage;
        return s;
    }
    if (!*next) {
        if (opts_.progress) {
            s.err += "\n";
        }
        s.out = summary();
        s.exit_code = exit_ok;
        return s;
    }
    in_flight_ = (*next)->ops;
    s.next = put_request(**next);
    return s;
}

}  // namespace mps3::ctl
