#include <mps3/ipc/dispatcher.hpp>

#include <mps3/ipc/excerpt.hpp>
#include <mps3/ipc/response.hpp>

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace mps3::ipc {
namespace detail {

// The responses of one line being gathered. Replies share it; the last answer writes the line.
struct pending_line {
    bool batch = false;
    std::vector<std::string> parts;  // per item: its response JSON; empty for a notification
    std::size_t outstanding = 0;
    std::size_t max_bytes = 0;  // of the whole line
    std::size_t used = 0;       // by the parts filled so far
    dispatcher::write_fn write;

    // Whether a part of n bytes still fits in the line ('[', ',' and ']' and the newline
    // counted generously: one byte per element, plus two).
    [[nodiscard]] bool fits(std::size_t n) const {
        return used + n + parts.size() + 2 <= max_bytes;
    }

    void put(std::size_t slot, std::string json) {
        used += json.size();
        parts[slot] = std::move(json);
    }

    void fill(std::size_t slot, std::string json) {
        put(slot, std::move(json));
        settle();
    }

    void settle() {
        if (--outstanding == 0) {
            flush();
        }
    }

    void flush() {
        if (!batch) {
            if (!parts.front().empty()) {
                write(to_line(std::move(parts.front())));
            }
            return;
        }
        std::vector<std::string> present;
        present.reserve(parts.size());
        for (auto& p : parts) {
            if (!p.empty()) {
                present.push_back(std::move(p));
            }
        }
        // A batch of only notifications gets nothing back at all (specification, section 6).
        if (!present.empty()) {
            write(batch_line(present));
        }
    }
};

}  // namespace detail

reply::reply(std::shared_ptr<detail::pending_line> line, std::size_t slot, rpc_id id)
    : line_(std::move(line)), slot_(slot), id_(std::move(id)) {}

reply::reply(reply&& other) noexcept
    : line_(std::move(other.line_)),
      slot_(other.slot_),
      id_(std::move(other.id_)),
      done_(std::exchange(other.done_, true)),
      watch_(std::move(other.watch_)) {}

reply& reply::operator=(reply&& other) noexcept {
    if (this != &other) {
        if (!done_ && line_) {
            // The reply being overwritten was never answered: answer it now, as its
            // destructor would have.
            finish(error_json(id_, rpc_error(rpc_code::internal_error,
                                             "Internal error: the request was dropped")),
                   static_cast<int>(rpc_code::internal_error));
        }
        line_ = std::move(other.line_);
        slot_ = other.slot_;
        id_ = std::move(other.id_);
        done_ = std::exchange(other.done_, true);
        watch_ = std::move(other.watch_);
    }
    return *this;
}

reply::~reply() {
    if (!done_ && line_) {
        finish(error_json(id_, rpc_error(rpc_code::internal_error,
                                         "Internal error: the method ended without an answer")),
               static_cast<int>(rpc_code::internal_error));
    }
}

void reply::result(std::string_view result_json_text) {
    if (done_) {
        return;
    }
    if (!line_) {
        done_ = true;  // a notification: nobody reads a result
        return;
    }
    finish(ipc::result_json(id_, result_json_text), 0);
}

void reply::error(const rpc_error& e) {
    if (done_) {
        return;
    }
    if (!line_) {
        done_ = true;
        return;
    }
    finish(error_json(id_, e), e.code);
}

void reply::send(const rpc_result<std::string>& r) {
    if (r) {
        result(r.value());
    } else {
        error(r.err());
    }
}

void reply::finish(std::string json, int code) {
    done_ = true;
    if (watch_) {
        const auto elapsed = std::chrono::steady_clock::now() - watch_->started;
        (*watch_->observer)(answered_request{watch_->method, code, elapsed});
    }
    auto line = std::move(line_);
    if (!line->fits(json.size())) {
        // The answer is built already (each is bounded by its handler); what is refused is
        // holding it, and the rest of the line, as one ever larger line.
        json = error_json(
            id_, rpc_error(rpc_code::value_too_large,
                           "Value too large: the answer would make a response line of more than " +
                               std::to_string(line->max_bytes) +
                               " bytes (max_answer_bytes); ask for less at a time",
                           "{\"maxAnswerBytes\":" + std::to_string(line->max_bytes) + "}"));
    }
    line->fill(slot_, std::move(json));
}

bool dispatcher::add(std::string name, handler h) {
    if (name.starts_with("rpc.") || !h) {
        return false;
    }
    methods_.insert_or_assign(std::move(name), std::move(h));
    return true;
}

bool dispatcher::add_sync(std::string name, sync_handler h) {
    if (!h) {
        return false;
    }
    return add(std::move(name),
               [h = std::move(h)](const request& r, reply& answer) { answer.send(h(r)); });
}

bool dispatcher::has(std::string_view name) const {
    return methods_.find(name) != methods_.end();
}

void dispatcher::dispatch(std::string_view line, write_fn write) const {
    dispatch(parse_message(line, limits_), std::move(write));
}

void dispatcher::dispatch(message msg, write_fn write) const {
    auto pending = std::make_shared<detail::pending_line>();
    pending->batch = msg.batch;
    pending->parts.resize(msg.items.size());
    pending->write = std::move(write);
    pending->max_bytes = max_answer_bytes_;
    // Held until every request has been started, so that synchronous answers cannot complete
    // the line while later requests have not run yet.
    pending->outstanding = 1;
    for (std::size_t i = 0; i < msg.items.size(); ++i) {
        if (auto* refused = std::get_if<rejected>(&msg.items[i])) {
            pending->put(i, error_json(refused->id, refused->error));
            if (observer_) {
                (*observer_)(answered_request{"(invalid)", refused->error.code,
                                              std::chrono::steady_clock::duration::zero()});
            }
            continue;
        }
        const auto& r = std::get<request>(msg.items[i]);
        if (r.id) {
            ++pending->outstanding;
            reply answer(pending, i, *r.id);
            if (observer_) {
                // The method as a label: a name the client made up is not one (unbounded).
                answer.watch_ = detail::request_watch{
                    observer_, has(r.method) ? r.method : std::string("(unknown)"),
                    std::chrono::steady_clock::now()};
            }
            run(r, answer);
        } else {
            reply answer(nullptr);
            run(r, answer);
        }
    }
    pending->settle();
}

void dispatcher::run(const request& r, reply& answer) const {
    const auto it = methods_.find(r.method);
    if (it == methods_.end()) {
        answer.error(
            rpc_error(rpc_code::method_not_found, "Method not found: " + quoted_excerpt(r.method)));
        return;
    }
    // A bad request must never take the daemon down: a handler that throws answers -32603.
    try {
        it->second(r, answer);
    } catch (const std::exception& e) {
        answer.error(
            rpc_error(rpc_code::internal_error, std::string("Internal error: ") + e.what()));
    } catch (...) {
        answer.error(rpc_error(rpc_code::internal_error, "Internal error: unknown exception"));
    }
}

}  // namespace mps3::ipc
