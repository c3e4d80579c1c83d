#include "list_pager.hpp"

#include "answers.hpp"
#include "exit_codes.hpp"
#include "params_writer.hpp"

#include <algorithm>
#include <utility>

namespace mps3::ctl {

list_pager::list_pager(options opts) : opts_(std::move(opts)) {}

request list_pager::start() {
    return page_request();
}

request list_pager::page_request() const {
    std::uint64_t page = opts_.page_size;
    if (opts_.limit) {
        page = std::min(page, *opts_.limit - printed_);
    }
    params_writer params;
    if (!opts_.prefix.empty()) {
        params.string("prefix", opts_.prefix);
    }
    params.uinteger("limit", page);
    if (cursor_) {
        params.string("cursor", *cursor_);
    }
    if (snapshot_id_) {
        params.string("snapshot", *snapshot_id_);
    } else if (opts_.snapshot) {
        params.boolean("snapshot", true);
    }
    // Strings were checked to be UTF-8 when the command was planned; a cursor was parsed from
    // mps3d's answer, so it is UTF-8 too.
    auto text = params.finish(opts_.store);
    return {"list", text ? std::move(*text) : std::string("{}"), opts_.wait};
}

step list_pager::on_response(const ipc::rpc_response& response) {
    if (!response.ok()) {
        return error_step(*response.error);
    }
    const rapidjson::Value& result = response.result;
    if (!result.IsObject()) {
        return bad_answer_step("list", "the result is not an object");
    }
    const auto entries = result.FindMember("entries");
    if (entries == result.MemberEnd() || !entries->value.IsArray()) {
        return bad_answer_step("list", "'entries' is not an array");
    }
    step s;
    for (const auto& entry : entries->value.GetArray()) {
        if (opts_.limit && printed_ == *opts_.limit) {
            break;  // a page longer than asked for: --limit still holds
        }
        s.out += json_line(entry);
        ++printed_;
    }
    const auto cursor = result.FindMember("cursor");
    if (cursor == result.MemberEnd() || (opts_.limit && printed_ == *opts_.limit)) {
        s.exit_code = exit_ok;
        return s;
    }
    if (!cursor->value.IsString()) {
        return bad_answer_step("list", "'cursor' is not a string");
    }
    std::string next(cursor->value.GetString(), cursor->value.GetStringLength());
    if (cursor_ == next) {
        // The same page again would be asked for forever.
        step stuck = bad_answer_step("list", "the same cursor came back twice");
        stuck.out = std::move(s.out);
        return stuck;
    }
    cursor_ = std::move(next);
    if (opts_.snapshot) {
        const auto id = result.FindMember("snapshot");
        if (id == result.MemberEnd() || !id->value.IsString()) {
            step lost = bad_answer_step("list", "no 'snapshot' id with a snapshot page");
            lost.out = std::move(s.out);
            return lost;
        }
        snapshot_id_ = std::string(id->value.GetString(), id->value.GetStringLength());
    }
    s.next = page_request();
    return s;
}

}  // namespace mps3::ctl
