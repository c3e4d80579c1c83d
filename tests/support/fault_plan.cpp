#include "fault_plan.hpp"

#include <string>

namespace mps3::test {

std::string_view to_string(http_fault f) {
    switch (f) {
        case http_fault::none:
            return "none";
        case http_fault::internal_error_500:
            return "500 InternalError";
        case http_fault::slow_down_503:
            return "503 SlowDown";
        case http_fault::reset_before_response:
            return "reset before the response";
        case http_fault::reset_mid_response:
            return "reset mid-response";
        case http_fault::stall:
            return "stalled response";
        case http_fault::truncate_body:
            return "truncated body";
        case http_fault::never_answer:
            return "never answered";
    }
    return "?";
}

std::string_view to_string(request_kind k) {
    switch (k) {
        case request_kind::list:
            return "LIST";
        case request_kind::get:
            return "GET";
        case request_kind::head:
            return "HEAD";
        case request_kind::put:
            return "PUT";
        case request_kind::del:
            return "DELETE";
        case request_kind::other:
            return "other";
        case request_kind::any:
            return "any";
    }
    return "?";
}

request_kind classify_request(std::string_view method, std::string_view target) {
    if (method == "GET") {
        const auto q = target.find('?');
        if (q != std::string_view::npos) {
            const auto query = "&" + std::string(target.substr(q + 1)) + "&";
            if (query.find("&list-type=2&") != std::string::npos) {
                return request_kind::list;
            }
        }
        return request_kind::get;
    }
    if (method == "HEAD") {
        return request_kind::head;
    }
    if (method == "PUT") {
        return request_kind::put;
    }
    if (method == "DELETE") {
        return request_kind::del;
    }
    return request_kind::other;
}

fault_plan::fault_plan(std::uint64_t seed) : rng_(seed) {}

void fault_plan::burst(request_kind k, http_fault f, std::size_t n) {
    const std::lock_guard lock(mutex_);
    bursts_[k].push_back({f, n});
}

void fault_plan::set_random(double rate, std::vector<http_fault> faults, request_kind k) {
    const std::lock_guard lock(mutex_);
    rate_ = faults.empty() ? 0 : rate;
    random_faults_ = std::move(faults);
    random_kind_ = k;
}

void fault_plan::clear() {
    const std::lock_guard lock(mutex_);
    bursts_.clear();
    rate_ = 0;
    random_faults_.clear();
}

void fault_plan::set_stall(std::chrono::milliseconds hold) {
    const std::lock_guard lock(mutex_);
    stall_ = hold;
}

std::chrono::milliseconds fault_plan::stall() const {
    const std::lock_guard lock(mutex_);
    return stall_;
}

http_fault fault_plan::next(request_kind k) {
    const std::lock_guard lock(mutex_);
    for (const auto from : {k, request_kind::any}) {
        auto queue = bursts_.find(from);
        if (queue == bursts_.end() || queue->second.empty()) {
            continue;
        }
        auto& front = queue->second.front();
        const auto f = front.fault;
        if (--front.left == 0) {
            queue->second.pop_front();
        }
        ++injected_[f];
        return f;
    }
    if (rate_ > 0 && (random_kind_ == request_kind::any || random_kind_ == k)) {
        std::uniform_real_distribution<double> roll(0, 1);
        if (roll(rng_) < rate_) {
            const auto f = random_faults_[rng_() % random_faults_.size()];
            ++injected_[f];
            return f;
        }
    }
    return http_fault::none;
}

std::uint64_t fault_plan::injected(http_fault f) const {
    const std::lock_guard lock(mutex_);
    if (f != http_fault::none) {
        const auto it = injected_.find(f);
        return it == injected_.end() ? 0 : it->second;
    }
    std::uint64_t total = 0;
    for (const auto& [fault, n] : injected_) {
        total += n;
    }
    return total;
}

std::string fault_plan::summary() const {
    const std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [fault, n] : injected_) {
        out += (out.empty() ? "" : ", ") + std::string(to_string(fault)) + " x" + std::to_string(n);
    }
    return out.empty() ? "no faults" : out;
}

}  // namespace mps3::test
