#include "build_info.hpp"

#include "build_version.hpp"  // generated in the build directory (cmake/build_version.cmake)

namespace mps3::daemon {

std::string_view project_version() {
    return MPS3_PROJECT_VERSION;
}

std::string_view git_describe() {
    return MPS3_GIT_DESCRIBE;
}

std::string version_line(std::string_view program, std::string_view version,
                         std::string_view describe) {
    std::string line(program);
    line += ' ';
    line += version;
    if (!describe.empty()) {
        line += " (git ";
        line += describe;
        line += ')';
    }
    return line;
}

std::string version_line(std::string_view program) {
    return version_line(program, project_version(), git_describe());
}

}  // namespace mps3::daemon
