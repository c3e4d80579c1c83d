#include "health_commands.hpp"

#include "answers.hpp"
#include "exit_codes.hpp"
#include "params_writer.hpp"

#include <utility>
#include <vector>

namespace mps3::ctl {
namespace {

using planned = result<std::unique_ptr<conversation>>;

/// The `stores` result's array, or nullptr when the answer does not hold one.
const rapidjson::Value* stores_of(const rapidjson::Value& result) {
    if (!result.IsObject()) {
        return nullptr;
    }
    const auto it = result.FindMember("stores");
    return it != result.MemberEnd() && it->value.IsArray() ? &it->value : nullptr;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) {
        return {};
    }
    const auto it = object.FindMember(name);
    return it != object.MemberEnd() && it->value.IsString()
               ? std::string(it->value.GetString(), it->value.GetStringLength())
               : std::string();
}

step health_report(const rapidjson::Value& result) {
    const auto* stores = stores_of(result);
    if (stores == nullptr) {
        return bad_answer_step("stores", "'stores' is not an array");
    }
    step s;
    bool all_healthy = true;
    for (const auto& store : stores->GetArray()) {
        const auto healthy = store.IsObject() ? store.FindMember("healthy")
                                              : rapidjson::Value::ConstMemberIterator();
        if (!store.IsObject() || healthy == store.MemberEnd() || !healthy->value.IsBool()) {
            return bad_answer_step("stores", "a store's 'healthy' is not a boolean");
        }
        const std::string name = quoted(string_member(store, "name"));
        if (healthy->value.GetBool()) {
            s.out += "store " + name + ": healthy\n";
        } else {
            all_healthy = false;
            s.out += "store " + name + ": unhealthy: " + string_member(store, "problem") + "\n";
        }
    }
    s.exit_code = all_healthy ? exit_ok : exit_daemon_error;
    return s;
}

// `stores` for the names, then `status` of each, printed as status prints it.
class status_of_all final : public conversation {
  public:
    status_of_all(bool as_json, std::chrono::milliseconds wait) : json_(as_json), wait_(wait) {}

    request start() override { return {"stores", "{}", wait_}; }

    step on_response(const ipc::rpc_response& response) override {
        if (!response.ok()) {
            return error_step(*response.error);
        }
        step s;
        if (!listed_) {
            listed_ = true;
            const auto* stores = stores_of(response.result);
            if (stores == nullptr) {
                return bad_answer_step("stores", "'stores' is not an array");
            }
            for (const auto& store : stores->GetArray()) {
                names_.push_back(string_member(store, "name"));
            }
        } else {
            if (!json_ && next_ > 1) {
                s.out += "\n";  // a blank line between the stores' tables
            }
            s.out += json_ ? json_line(response.result) : status_table(response.result);
        }
        if (next_ == names_.size()) {
            s.exit_code = exit_ok;
            return s;
        }
        params_writer params;
        auto text = params.finish(names_[next_++]);
        if (!text) {
            return bad_answer_step("stores", "a store name is not valid UTF-8");
        }
        s.next = request{"status", std::move(*text), wait_};
        return s;
    }

  private:
    bool json_;
    std::chrono::milliseconds wait_;
    bool listed_ = false;
    std::vector<std::string> names_;
    std::size_t next_ = 0;
};

}  // namespace

planned plan_metrics(const invocation& inv, std::chrono::milliseconds wait) {
    if (inv.store) {
        return error(errc::invalid_argument, "metrics covers every store; --store does not apply");
    }
    request req{"metrics", "{}", wait};
    return std::unique_ptr<conversation>(
        std::make_unique<single_call>(std::move(req), [](const rapidjson::Value& result) {
            if (!result.IsString()) {
                return bad_answer_step("metrics", "the result is not a string");
            }
            step s;
            s.out.assign(result.GetString(), result.GetStringLength());
            s.exit_code = exit_ok;
            return s;
        }));
}

planned plan_health(const invocation& inv, std::chrono::milliseconds wait) {
    if (inv.store) {
        return error(errc::invalid_argument, "health covers every store; --store does not apply");
    }
    params_writer params;
    if (inv.max_age_seconds) {
        params.uinteger("maxSyncAgeMs", *inv.max_age_seconds * 1000);
    }
    auto text = params.finish(std::nullopt);
    if (!text) {
        return std::move(text).err();
    }
    request req{"stores", std::move(*text), wait};
    return std::unique_ptr<conversation>(
        std::make_unique<single_call>(std::move(req), health_report));
}

planned plan_status_all(const invocation& inv, std::chrono::milliseconds wait) {
    if (inv.store) {
        return error(errc::invalid_argument, "status --all shows every store; drop --store");
    }
    return std::unique_ptr<conversation>(std::make_unique<status_of_all>(inv.json, wait));
}

}  // namespace mps3::ctl
