#include "metrics/registry.hpp"

#include "metrics/exposition.hpp"

#include <stdexcept>

namespace mps3::metrics {
namespace {

std::string_view type_name(metric_type type) {
    switch (type) {
        case metric_type::counter:
            return "counter";
        case metric_type::gauge:
            return "gauge";
        case metric_type::histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

family_base::family_base(std::string name, std::string help, metric_type type,
                         std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {
    if (!valid_metric_name(name_)) {
        throw std::invalid_argument("invalid metric name: " + name_);
    }
    for (const auto& label : label_names_) {
        // "le" is the histogram's own label.
        if (!valid_label_name(label) || (type_ == metric_type::histogram && label == "le")) {
            throw std::invalid_argument("invalid label name for " + name_ + ": " + label);
        }
    }
}

void family_base::check_arity(std::size_t count) const {
    if (count != label_names_.size()) {
        throw std::invalid_argument(name_ + " takes " + std::to_string(label_names_.size()) +
                                    " label values, not " + std::to_string(count));
    }
}

std::string family_base::series_name(std::string_view suffix, const label_values& values,
                                     std::string_view extra_name,
                                     std::string_view extra_value) const {
    std::string out = name_;
    out += suffix;
    if (values.empty() && extra_name.empty()) {
        return out;
    }
    out += '{';
    for (std::size_t i = 0; i < values.size(); ++i) {
        out += (i == 0 ? "" : ",") + label_names_[i] + "=\"" + escape_label_value(values[i]) + '"';
    }
    if (!extra_name.empty()) {
        out += (values.empty() ? "" : ",") + std::string(extra_name) + "=\"" +
               escape_label_value(extra_value) + '"';
    }
    out += '}';
    return out;
}

void family_base::render(std::string& out) const {
    out += "# HELP " + name_ + ' ' + escape_help(help_) + '\n';
    out += "# TYPE " + name_ + ' ' + std::string(type_name(type_)) + '\n';
    render_series(out);
}

template <>
void family<counter>::render_series(std::string& out) const {
    for (const auto& [values, c] : series_) {
        out += series_name("", values) + ' ' + format_value(c.value()) + '\n';
    }
}

template <>
void family<gauge>::render_series(std::string& out) const {
    for (const auto& [values, g] : series_) {
        out += series_name("", values) + ' ' + format_value(g.value()) + '\n';
    }
}

template <>
void family<histogram>::render_series(std::string& out) const {
    for (const auto& [values, h] : series_) {
        const auto& bounds = h.bounds();
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            out += series_name("_bucket", values, "le", format_value(bounds[i])) + ' ' +
                   format_value(static_cast<double>(h.cumulative_count(i))) + '\n';
        }
        out += series_name("_bucket", values, "le", "+Inf") + ' ' +
               format_value(static_cast<double>(h.count())) + '\n';
        out += series_name("_sum", values) + ' ' + format_value(h.sum()) + '\n';
        out += series_name("_count", values) + ' ' + format_value(static_cast<double>(h.count())) +
               '\n';
    }
}

template <class Metric>
family<Metric>& registry::add(std::string name, std::string help, metric_type type,
                              std::vector<std::string> label_names, Metric prototype) {
    for (const auto& f : families_) {
        if (f->name() == name) {
            throw std::invalid_argument("metric family added twice: " + name);
        }
    }
    const bool unlabelled = label_names.empty();
    auto made = std::make_unique<family<Metric>>(std::move(name), std::move(help), type,
                                                 std::move(label_names), std::move(prototype));
    auto& out = *made;
    if (unlabelled) {
        out.labels({});  // its one series exists (at 0) before anything happens
    }
    families_.push_back(std::move(made));
    return out;
}

family<counter>& registry::add_counter(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
    return add(std::move(name), std::move(help), metric_type::counter, std::move(label_names),
               counter());
}

family<gauge>& registry::add_gauge(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
    return add(std::move(name), std::move(help), metric_type::gauge, std::move(label_names),
               gauge());
}

family<histogram>& registry::add_histogram(std::string name, std::string help,
                                           std::vector<std::string> label_names,
                                           std::vector<double> bounds) {
    return add(std::move(name), std::move(help), metric_type::histogram, std::move(label_names),
               histogram(std::move(bounds)));
}

void registry::on_collect(std::function<void()> collect) {
    collectors_.push_back(std::move(collect));
}

std::string registry::render() {
    for (const auto& collect : collectors_) {
        collect();
    }
    std::string out;
    for (const auto& f : families_) {
        f->render(out);
    }
    return out;
}

}  // namespace mps3::metrics
