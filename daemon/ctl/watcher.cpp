#include "watcher.hpp"

#include "answers.hpp"
#include "exit_codes.hpp"
#include "params_writer.hpp"

#include <algorithm>
#include <utility>

namespace mps3::ctl {
namespace {

std::optional<std::uint64_t> uint_member(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) {
        return std::nullopt;
    }
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsUint64()) {
        return std::nullopt;
    }
    return it->value.GetUint64();
}

}  // namespace

watcher::watcher(options opts) : opts_(std::move(opts)), seen_(opts_.since) {}

request watcher::start() {
    return subscribe_request(opts_.since);
}

request watcher::subscribe_request(std::optional<std::uint64_t> since) {
    params_writer params;
    if (opts_.key) {
        params.string("key", *opts_.key);
    } else {
        params.string("prefix", opts_.prefix.value_or(""));
    }
    if (since) {
        params.uinteger("since", *since);
    }
    subscribing_ = true;
    // Strings were checked to be UTF-8 when the command was planned.
    auto text = params.finish(opts_.store);
    return {"subscribe", text ? std::move(*text) : std::string("{}"), opts_.wait};
}

step watcher::on_response(const ipc::rpc_response& response) {
    if (!response.ok()) {
        return error_step(*response.error);
    }
    const auto subscription = uint_member(response.result, "subscription");
    const auto seq = uint_member(response.result, "seq");
    if (!subscription || !seq) {
        return bad_answer_step("subscribe", "'subscription' and 'seq' must be whole numbers");
    }
    subscribing_ = false;
    subscription_ = subscription;
    if (first_subscription_ && !opts_.since) {
        // Only changes after the store's last seq at subscription time will come.
        seen_ = std::max(seen_.value_or(0), *seq);
    }
    first_subscription_ = false;
    step s;
    if (const auto complete = response.result.FindMember("complete");
        complete != response.result.MemberEnd() && complete->value.IsFalse()) {
        s.err = "mps3ctl: changes after seq " + std::to_string(seen_.value_or(0)) +
                " are no longer all in mps3d's change log, so some were missed; read the "
                "current values with 'mps3ctl list' or 'mps3ctl get-all'\n";
    }
    if (resume_after_answer_) {
        s.next = subscribe_request(std::max(*resume_after_answer_, seen_.value_or(0)));
        resume_after_answer_.reset();
    }
    return s;
}

step watcher::on_notification(const ipc::rpc_notification& notification) {
    if (notification.method == "changed") {
        return on_changed(notification.params);
    }
    if (notification.method == "lagged") {
        return on_lagged(notification.params);
    }
    return {};  // a notification this version does not know
}

step watcher::on_changed(const rapidjson::Value& params) {
    const auto from = uint_member(params, "subscription");
    // While a subscribe is unanswered its id is unknown, and its replayed changes may come before
    // the answer; the seq check below keeps them from being printed twice.
    if (!subscribing_ && subscription_ && from != subscription_) {
        return {};
    }
    const auto seq = uint_member(params, "seq");
    if (seq && seen_ && *seq <= *seen_) {
        return {};
    }
    if (seq) {
        seen_ = seq;
    }
    // The subscription id is mps3ctl's business (it changes on a resubscribe): not printed.
    step s;
    s.out = json_line(params, "subscription");
    ++printed_;
    if (opts_.count && printed_ >= *opts_.count) {
        s.exit_code = exit_ok;
    }
    return s;
}

step watcher::on_lagged(const rapidjson::Value& params) {
    const auto from = uint_member(params, "subscription");
    if (!subscribing_ && subscription_ && from != subscription_) {
        return {};
    }
    // Resume after what was printed; if mps3d says it delivered less, after that: a change
    // printed twice is filtered by its seq, a change never printed would be lost.
    std::optional<std::uint64_t> resume = seen_;
    if (const auto last = uint_member(params, "lastSeq")) {
        resume = resume ? std::min(*resume, *last) : *last;
    }
    step s;
    s.err = "mps3ctl: fell behind: mps3d dropped notifications after seq " +
            std::to_string(resume.value_or(0)) + "; resubscribing from there\n";
    if (subscribing_) {
        // The pending subscribe's answer comes first; resubscribe then.
        resume_after_answer_ = resume.value_or(0);
        return s;
    }
    s.next = subscribe_request(resume.value_or(0));
    return s;
}

step watcher::on_interrupt() {
    step s;
    s.exit_code = exit_ok;
    return s;
}

}  // namespace mps3::ctl
