// get, getAll, list: answered from the replica (local writes included, read-your-writes), never
// waiting for the bucket; a read of a key whose write is still being committed waits for that
// commit (milliseconds), not the other reads.
#include "methods/list_snapshots.hpp"
#include "methods/method_env.hpp"

#include <mps3/ipc/json_builder.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mps3::daemon::methods_detail {
namespace {

namespace asio = boost::asio;
using ipc::json_builder;
using ipc::rpc_code;
using ipc::rpc_error;
using ipc::rpc_result;

constexpr std::int64_t max_list_limit = 1000;
constexpr std::int64_t default_list_limit = 100;

// Answer size accounting for getAll and list, in bytes: the response's envelope (jsonrpc, a
// reasonable id, result, entries, cursor member) and each entry's member names and punctuation,
// both generously. The keys are counted as written (escapes included) and the values as stored.
constexpr std::size_t answer_reserve = 1024;
constexpr std::size_t entry_overhead = 40;

rpc_error too_large_answer(std::size_t bytes, const method_env& env) {
    const auto max = env.limits.max_answer_bytes;
    return rpc_error(rpc_code::value_too_large,
                     "Value too large: the answer would be about " + std::to_string(bytes) +
                         " bytes, more than max_answer_bytes (" + std::to_string(max) +
                         "); ask for fewer keys at a time",
                     "{\"maxAnswerBytes\":" + std::to_string(max) + "}");
}

rpc_result<std::string> get(const ipc::request& r, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"key", "store"})) {
        return *unknown;
    }
    auto target = store_of(args, env);
    auto key = args.required_string("key");
    if (!target) {
        return std::move(target).err();
    }
    if (!key) {
        return std::move(key).err();
    }
    auto value = (*target)->store->get(std::string(*key));
    if (!value) {
        return to_answer(value.err());
    }
    // The hot path, written directly (one allocation): values are stored as compact JSON, one
    // line; the builder below keeps a value with a newline on one line.
    if (!value->has_value()) {
        return std::string(R"({"found":false})");
    }
    if (const auto& text = **value; !text.empty() && text.find('\n') == std::string::npos) {
        constexpr std::string_view head = R"({"found":true,"value":)";
        std::string answer;
        answer.reserve(head.size() + text.size() + 1);
        answer.append(head).append(text).push_back('}');
        return answer;
    }
    json_builder out;
    out.begin_object().key("found").boolean(value->has_value());
    if (value->has_value()) {
        out.key("value").raw(**value);
    }
    out.end_object();
    return out.str();
}

rpc_result<std::string> get_all(const ipc::request& r, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"keys", "store"})) {
        return *unknown;
    }
    auto target = store_of(args, env);
    auto keys = args.required_array("keys");
    if (!target) {
        return std::move(target).err();
    }
    if (!keys) {
        return std::move(keys).err();
    }
    const auto& list = **keys;
    if (list.Size() > env.limits.max_keys_per_call) {
        return ipc::params::invalid(
            "keys",
            "an array of at most " + std::to_string(env.limits.max_keys_per_call) + " strings",
            "'keys' may hold at most " + std::to_string(env.limits.max_keys_per_call) +
                " keys, not " + std::to_string(list.Size()));
    }
    std::vector<std::string> wanted;
    wanted.reserve(list.Size());
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
        if (!list[i].IsString()) {
            return ipc::params::invalid(
                "keys", "an array of strings",
                "'keys' must hold strings only; keys[" + std::to_string(i) + "] is not one");
        }
        wanted.emplace_back(list[i].GetString(), list[i].GetStringLength());
    }
    // Each distinct key is read once (one snapshot), so repeating a large key costs nothing
    // until the answer is written, and the answer is bounded before it is.
    std::vector<std::string> distinct(wanted);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    auto values = (*target)->store->get_all(distinct);
    if (!values) {
        return to_answer(values.err());
    }
    std::map<std::string_view, const std::optional<std::string>*> by_key;
    for (std::size_t i = 0; i < distinct.size(); ++i) {
        by_key.emplace(distinct[i], &(*values)[i]);
    }
    // The answer's size is known before it is built: refuse one over the limit instead of
    // building it (the dispatcher would refuse it too, but only once it is in memory).
    std::size_t answer_bytes = answer_reserve;
    for (const auto& key : wanted) {
        const auto& value = *by_key.at(key);
        answer_bytes +=
            entry_overhead + json_builder::string_bytes(key) + (value ? value->size() : 0);
    }
    if (answer_bytes > env.limits.max_answer_bytes) {
        return too_large_answer(answer_bytes, env);
    }
    json_builder out;
    out.begin_object().key("entries").begin_array();
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        const auto& value = *by_key.at(wanted[i]);
        out.begin_object().key("key").string(wanted[i]).key("found").boolean(value.has_value());
        if (value) {
            out.key("value").raw(*value);
        }
        out.end_object();
    }
    out.end_array().end_object();
    return out.str();
}

struct list_page_answer {
    std::string text;
    bool more = false;  // a cursor was given: the listing goes on
};

// One page of a listing as an answer. A page ends early once the answer would pass
// max_answer_bytes (with room for the cursor, which is an entry's key): its cursor then continues
// after the last entry written. A first entry that does not fit alone cannot be paged around: the
// answer says so. `more`: a cursor was given (a snapshot's last page closes it).
rpc_result<list_page_answer> list_answer(const mps3::list_result& page, const method_env& env,
                                         const std::optional<std::string>& snapshot_id) {
    json_builder out;
    out.begin_object().key("entries").begin_array();
    std::size_t page_bytes = answer_reserve;
    std::string cursor_out = page.next_after;
    for (std::size_t i = 0; i < page.entries.size(); ++i) {
        const auto& e = page.entries[i];
        const auto key_bytes = json_builder::string_bytes(e.key);
        const auto entry_bytes = entry_overhead + key_bytes + e.value.size();
        if (page_bytes + entry_bytes + key_bytes > env.limits.max_answer_bytes) {
            if (i == 0) {
                return too_large_answer(page_bytes + entry_bytes + key_bytes, env);
            }
            cursor_out = page.entries[i - 1].key;
            break;
        }
        page_bytes += entry_bytes;
        out.begin_object().key("key").string(e.key).key("value").raw(e.value).end_object();
    }
    out.end_array();
    if (!cursor_out.empty()) {
        out.key("cursor").string(cursor_out);
        if (snapshot_id) {
            out.key("snapshot").string(*snapshot_id);
        }
    }
    out.end_object();
    return list_page_answer{out.str(), !cursor_out.empty()};
}

// `snapshot`: true opens one (first page), a string names the one a previous page returned.
rpc_result<std::optional<std::string>> snapshot_param(const ipc::params& args) {
    auto given = args.optional_value("snapshot");
    if (!given) {
        return std::move(given).err();
    }
    if (*given == nullptr) {
        return std::optional<std::string>();
    }
    const rapidjson::Value& v = **given;
    if (v.IsTrue()) {
        return std::optional<std::string>("");
    }
    if (v.IsString() && v.GetStringLength() > 0) {
        return std::optional<std::string>(std::string(v.GetString(), v.GetStringLength()));
    }
    return rpc_error(ipc::rpc_code::invalid_params,
                     "Invalid params: 'snapshot' must be true (open one) or the snapshot id a "
                     "previous page returned");
}

// The cursor is the last key of the previous page: the next page starts after it.
rpc_result<std::string> list(const ipc::request& r, const method_env& env,
                             list_snapshots& snapshots) {
    const auto args = r.args();
    if (auto unknown = args.only({"prefix", "limit", "cursor", "store", "snapshot"})) {
        return *unknown;
    }
    auto target = store_of(args, env);
    auto prefix = args.optional_string("prefix");
    auto limit = args.optional_int("limit", 1, max_list_limit);
    auto cursor = args.optional_string("cursor");
    auto snapshot = snapshot_param(args);
    if (!target) {
        return std::move(target).err();
    }
    if (!prefix) {
        return std::move(prefix).err();
    }
    if (!limit) {
        return std::move(limit).err();
    }
    if (!cursor) {
        return std::move(cursor).err();
    }
    if (!snapshot) {
        return std::move(snapshot).err();
    }
    const std::string start(prefix->value_or(""));
    const std::string after(cursor->value_or(""));
    const auto page_size = static_cast<std::size_t>(limit->value_or(default_list_limit));
    if (!snapshot->has_value()) {
        auto page = (*target)->store->list(start, page_size, after);
        if (!page) {
            return to_answer(page.err());
        }
        auto answer = list_answer(*page, env, std::nullopt);
        if (!answer) {
            return std::move(answer).err();
        }
        return std::move(answer->text);
    }
    std::string id = **snapshot;
    if (id.empty()) {
        auto opened = snapshots.open(*(*target)->store, (*target)->name);
        if (!opened) {
            return std::move(opened).err();
        }
        id = std::move(*opened);
    }
    auto held = snapshots.find(id, (*target)->name);
    if (!held) {
        return std::move(held).err();
    }
    auto page = (*held)->list(start, page_size, after);
    if (!page) {
        snapshots.close(id);
        return to_answer(page.err());
    }
    auto answer = list_answer(*page, env, id);
    if (!answer || !answer->more) {
        snapshots.close(id);  // the last page (or one that cannot be answered) ends the snapshot
    }
    if (!answer) {
        return std::move(answer).err();
    }
    return std::move(answer->text);
}

// Whether a read must wait for local writes not yet committed (by the store's writer thread)
// before it can see them: the store a request names when one of its keys, or a key under its
// prefix, has such a write. Bad params wait for nothing: the handler answers them at once.
using read_handler = std::function<rpc_result<std::string>(const ipc::request&, const method_env&)>;
using waits_fn = mps3::store* (*)(const ipc::params&, const method_env&);

mps3::store* store_named(const ipc::params& args, const method_env& env) {
    auto target = store_of(args, env);
    return target ? (*target)->store.get() : nullptr;
}

mps3::store* get_waits(const ipc::params& args, const method_env& env) {
    auto* target = store_named(args, env);
    auto key = args.required_string("key");
    return target && key && target->read_waits(*key, false) ? target : nullptr;
}

mps3::store* get_all_waits(const ipc::params& args, const method_env& env) {
    auto* target = store_named(args, env);
    auto keys = args.required_array("keys");
    if (!target || !keys) {
        return nullptr;
    }
    const auto& list = **keys;
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
        if (list[i].IsString() &&
            target->read_waits(std::string_view(list[i].GetString(), list[i].GetStringLength()),
                               false)) {
            return target;
        }
    }
    return nullptr;
}

mps3::store* list_waits(const ipc::params& args, const method_env& env) {
    auto* target = store_named(args, env);
    auto prefix = args.optional_string("prefix");
    return target && prefix && target->read_waits(prefix->value_or(""), true) ? target : nullptr;
}

asio::awaitable<void> answer_after_writes(ipc::reply answer, ipc::request r, method_env env,
                                          mps3::store* target, read_handler handler) {
    auto answered = target->async_writes_answered();
    co_await std::move(answered);
    answer.send(handler(r, env));
}

// A read answers at once from the replica, unless it needs a write still being committed: then
// it waits for the writes made before it (asynchronously: the other connections' reads go on)
// and answers in the same turn as they are.
void answer_read(const ipc::request& r, ipc::reply& answer, const method_env& env,
                 read_handler handler, waits_fn waits) {
    auto* target = waits(r.args(), env);
    if (target == nullptr) {
        answer.send(handler(r, env));
        return;
    }
    asio::co_spawn(env.executor, answer_after_writes(std::move(answer), r, env, target, handler),
                   asio::detached);
}

}  // namespace

void install_read_methods(ipc::dispatcher& methods, const method_env& env) {
    methods.add("get", [env](const ipc::request& r, ipc::reply& a) {
        answer_read(r, a, env, get, get_waits);
    });
    methods.add("getAll", [env](const ipc::request& r, ipc::reply& a) {
        answer_read(r, a, env, get_all, get_all_waits);
    });
    // Per connection: its list snapshots end with it.
    auto snapshots = std::make_shared<list_snapshots>(
        env.executor, list_snapshots::default_max_open, list_snapshots::default_idle_limit);
    methods.add("list", [env, snapshots](const ipc::request& r, ipc::reply& a) {
        answer_read(
            r, a, env,
            [snapshots](const ipc::request& req, const method_env& e) {
                return list(req, e, *snapshots);
            },
            list_waits);
    });
}

}  // namespace mps3::daemon::methods_detail
