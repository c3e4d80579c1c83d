// version: which mps3d answers, and which version of the socket protocol it speaks, so that a
// client can tell an old daemon from a new one before relying on a method.
#include "build_info.hpp"
#include "methods/method_env.hpp"

#include <mps3/ipc/json_builder.hpp>

#include <string>

namespace mps3::daemon::methods_detail {
namespace {

ipc::rpc_result<std::string> version_of(const ipc::request& r) {
    // The version is the daemon's, not a store's: any parameter is a mistake worth naming.
    if (auto unknown = r.args().only({})) {
        return *unknown;
    }
    ipc::json_builder out;
    out.begin_object().key("version").string(project_version()).key("git");
    if (git_describe().empty()) {
        out.null();
    } else {
        out.string(git_describe());
    }
    out.key("protocol").integer(ipc_protocol_version).end_object();
    return out.str();
}

}  // namespace

void install_version_method(ipc::dispatcher& methods) {
    methods.add_sync("version", [](const ipc::request& r) { return version_of(r); });
}

}  // namespace mps3::daemon::methods_detail
