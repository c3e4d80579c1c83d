#include "bench_report.hpp"

#include <fstream>
#include <stdexcept>

namespace mps3::test {

void finish_json_report(json_report_writer& w, const rapidjson::StringBuffer& out,
                        const std::vector<std::string>& failures, const std::string& path) {
    w.Key("failures");
    w.StartArray();
    for (const auto& failure : failures) {
        w.String(failure.c_str());
    }
    w.EndArray();
    w.EndObject();
    std::ofstream file(path);
    file << out.GetString() << "\n";
    if (!file) {
        throw std::runtime_error("cannot write " + path);
    }
}

}  // namespace mps3::test
