// The systemd watchdog: mps3d pings at half of WatchdogSec= (WATCHDOG_USEC), and only when
// systemd expects it of this process (WATCHDOG_PID, when set, names it).
#include "systemd_integration.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include <unistd.h>

using namespace mps3::daemon;

namespace {

// Restores WATCHDOG_USEC and WATCHDOG_PID as they were.
struct watchdog_env {
    std::optional<std::string> usec, pid;
    watchdog_env() {
        if (const char* v = std::getenv("WATCHDOG_USEC")) {
            usec = v;
        }
        if (const char* v = std::getenv("WATCHDOG_PID")) {
            pid = v;
        }
    }
    ~watchdog_env() {
        restore("WATCHDOG_USEC", usec);
        restore("WATCHDOG_PID", pid);
    }
    watchdog_env(const watchdog_env&) = delete;
    watchdog_env& operator=(const watchdog_env&) = delete;
    static void restore(const char* name, const std::optional<std::string>& value) {
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
};

}  // namespace

TEST_CASE("systemd watchdog: half of WATCHDOG_USEC, for this process only") {
    const watchdog_env guard;
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    CHECK_FALSE(watchdog_interval().has_value());

    ::setenv("WATCHDOG_USEC", "30000000", 1);  // WatchdogSec=30
    auto interval = watchdog_interval();
    REQUIRE(interval.has_value());
    CHECK(*interval == std::chrono::seconds(15));

    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    CHECK(watchdog_interval().has_value());
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);  // meant for another
    CHECK_FALSE(watchdog_interval().has_value());

    ::unsetenv("WATCHDOG_PID");
    ::setenv("WATCHDOG_USEC", "not a number", 1);
    CHECK_FALSE(watchdog_interval().has_value());
}
