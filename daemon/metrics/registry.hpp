// A small metrics registry: counter, gauge and histogram families with labels, rendered in
// Prometheus' text exposition format 0.0.4. Single-threaded: mps3d uses it on its io thread
// only (the S3 client, the dispatcher and the scrape all run there).
//
// Families render in the order they were added; a family's series in the order of their label
// values. A family without labels has its one series from the start (it renders as 0).
#pragma once

#include "metrics/histogram.hpp"

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mps3::metrics {

/// A count that only goes up. `set` is for counts kept elsewhere (an engine's own counter,
/// sampled at scrape time).
class counter {
  public:
    void inc(double by = 1.0) { value_ += by; }
    void set(double total) { value_ = total; }
    [[nodiscard]] double value() const { return value_; }

  private:
    double value_ = 0;
};

class gauge {
  public:
    void set(double value) { value_ = value; }
    void add(double by) { value_ += by; }
    [[nodiscard]] double value() const { return value_; }

  private:
    double value_ = 0;
};

enum class metric_type { counter, gauge, histogram };

class family_base {
  public:
    family_base(std::string name, std::string help, metric_type type,
                std::vector<std::string> label_names);
    virtual ~family_base() = default;
    family_base(const family_base&) = delete;
    family_base& operator=(const family_base&) = delete;

    [[nodiscard]] const std::string& name() const { return name_; }
    /// HELP and TYPE lines, then every series.
    void render(std::string& out) const;

  protected:
    using label_values = std::vector<std::string>;
    /// Throws std::invalid_argument when the count differs from the label names' (a bug).
    void check_arity(std::size_t count) const;
    /// `name{a="x",b="y"}` with the extra label (le) last, or `name` without any label.
    [[nodiscard]] std::string series_name(std::string_view suffix, const label_values& values,
                                          std::string_view extra_name = {},
                                          std::string_view extra_value = {}) const;
    virtual void render_series(std::string& out) const = 0;

  private:
    std::string name_;
    std::string help_;
    metric_type type_;
    std::vector<std::string> label_names_;
};

template <class Metric>
class family final : public family_base {
  public:
    /// prototype: what a new series starts as (a histogram carries its bounds).
    family(std::string name, std::string help, metric_type type,
           std::vector<std::string> label_names, Metric prototype)
        : family_base(std::move(name), std::move(help), type, std::move(label_names)),
          prototype_(std::move(prototype)) {}

    /// The series with these label values (in the order of the label names), made on first use.
    Metric& labels(std::initializer_list<std::string_view> values) {
        check_arity(values.size());
        label_values key(values.begin(), values.end());
        return series_.try_emplace(std::move(key), prototype_).first->second;
    }
    Metric& labels(const std::vector<std::string>& values) {
        check_arity(values.size());
        return series_.try_emplace(values, prototype_).first->second;
    }
    /// Drops every series (for gauges sampled afresh at each scrape).
    void clear() { series_.clear(); }

  private:
    void render_series(std::string& out) const override;

    Metric prototype_;
    std::map<label_values, Metric> series_;
};

// Defined in registry.cpp, for the three kinds there are.
template <>
void family<counter>::render_series(std::string& out) const;
template <>
void family<gauge>::render_series(std::string& out) const;
template <>
void family<histogram>::render_series(std::string& out) const;

class registry {
  public:
    registry() = default;
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    // Names and label names are checked (std::invalid_argument: a bug, found by the tests);
    // a name given twice is refused too. References stay valid for the registry's life.
    family<counter>& add_counter(std::string name, std::string help,
                                 std::vector<std::string> label_names = {});
    family<gauge>& add_gauge(std::string name, std::string help,
                             std::vector<std::string> label_names = {});
    family<histogram>& add_histogram(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bounds);

    /// Runs before each render, in the order added: sets what is sampled rather than counted.
    void on_collect(std::function<void()> collect);

    /// Collects, then the whole exposition (text format 0.0.4), ending with a newline.
    [[nodiscard]] std::string render();

  private:
    template <class Metric>
    family<Metric>& add(std::string name, std::string help, metric_type type,
                        std::vector<std::string> label_names, Metric prototype);

    std::vector<std::unique_ptr<family_base>> families_;
    std::vector<std::function<void()>> collectors_;
};

/// The media type of the exposition, for Content-Type.
inline constexpr std::string_view exposition_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace mps3::metrics
