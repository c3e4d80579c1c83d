#include "process_stats.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace mps3::test {

double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) {
        return 0;
    }
    std::istringstream fields(text.substr(close + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) {  // fields 3..13; utime and stime are 14 and 15
        fields >> skip;
    }
    unsigned long long user = 0, system = 0;
    fields >> user >> system;
    return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double cpu_seconds(const std::vector<pid_t>& pids) {
    double sum = 0;
    for (const auto pid : pids) {
        sum += cpu_seconds(pid);
    }
    return sum;
}

namespace {

// A "Name:   1234 kB" line of /proc/PID/status, in bytes.
std::uint64_t status_kib_field(pid_t pid, const std::string& name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(name + ":")) {
            std::istringstream fields(line.substr(name.size() + 1));
            std::uint64_t kib = 0;
            fields >> kib;
            return kib * 1024;
        }
    }
    return 0;
}

}  // namespace

std::uint64_t rss_bytes(pid_t pid) {
    return status_kib_field(pid, "VmRSS");
}

std::uint64_t peak_rss_bytes(pid_t pid) {
    return status_kib_field(pid, "VmHWM");
}

bool reset_peak_rss(pid_t pid) {
    std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

std::vector<pid_t> server_pids(const test_server& server) {
    const auto& url = server.endpoint_url();
    const auto port = url.substr(url.rfind(':') + 1);
    std::vector<pid_t> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream in(entry.path() / "cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        const bool ours =
            server.is_rgw() ? cmdline.starts_with("radosgw ") || cmdline.starts_with("ceph-osd ") ||
                                  cmdline.starts_with("ceph-mon ") ||
                                  cmdline.find("/radosgw ") != std::string::npos ||
                                  cmdline.find("/ceph-osd ") != std::string::npos ||
                                  cmdline.find("/ceph-mon ") != std::string::npos
                            : cmdline.find("s3rver") != std::string::npos &&
                                  cmdline.find(" -p " + port + " ") != std::string::npos;
        if (ours) {
            out.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return out;
}

double machine_busy_seconds() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    in >> cpu;  // "cpu": the sum over all CPUs
    unsigned long long total = 0, idle = 0;
    for (int i = 0; i < 8; ++i) {  // user nice system idle iowait irq softirq steal
        unsigned long long v = 0;
        in >> v;
        total += v;
        if (i == 3 || i == 4) {
            idle += v;
        }
    }
    return static_cast<double>(total - idle) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string machine_text() {
    utsname u{};
    ::uname(&u);
    char when[64];
    const std::time_t now = std::time(nullptr);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return std::to_string(std::thread::hardware_concurrency()) + " CPUs, Linux " + u.release +
           ", " + when;
}

}  // namespace mps3::test
