#include "socket_path.hpp"

#include "config.hpp"

namespace mps3::ctl {

std::filesystem::path resolve_socket_path(const std::string& socket_option, bool system,
                                          const s3::environment& env, std::uint32_t uid) {
    if (!socket_option.empty()) {
        return socket_option;
    }
    if (!system) {
        if (const auto it = env.find("MPS3_SOCKET"); it != env.end() && !it->second.empty()) {
            return it->second;
        }
    }
    const auto defaults = daemon::default_settings(env, system, uid);
    // A configuration file that does not read cleanly is mps3d's to complain about; mps3ctl then
    // tries the default path, and a failure to connect names the path it tried.
    auto configured = defaults;
    if (daemon::apply_config_file(configured, defaults.config_file, false)) {
        return configured.socket_path;
    }
    return defaults.socket_path;
}

}  // namespace mps3::ctl
