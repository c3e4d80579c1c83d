#include <mps3/ini.hpp>
#include <mps3/s3/aws_config.hpp>

#include "s3/aws_files.hpp"

namespace mps3::s3 {
namespace {

bool is_profile_section(const ini::section& section, std::string_view profile, aws_file kind) {
    if (kind == aws_file::credentials) {
        return section.header == profile || (section.kind == "profile" && section.name == profile);
    }
    // In the config file a bare [dev] is not profile dev (the CLI ignores it); [default] is.
    return (section.kind == "profile" && section.name == profile) ||
           (profile == "default" && section.header == "default");
}

void take(std::map<std::string, std::string>& into, const std::vector<ini::entry>& entries) {
    for (const auto& e : entries) {
        into[e.key] = e.value;
    }
}

}  // namespace

std::string aws_profile::value(const std::string& key) const {
    const auto it = values.find(key);
    return it == values.end() ? std::string() : it->second;
}

aws_profile parse_aws_profile(std::string_view text, std::string_view profile, aws_file kind) {
    if (profile.empty()) {
        profile = "default";
    }
    aws_profile out;
    auto sections = ini::parse(text, ini::dialect::aws);
    if (!sections) {
        return out;  // the AWS dialect does not fail; nothing found if it ever did
    }
    for (const auto& section : *sections) {
        if (!is_profile_section(section, profile, kind)) {
            continue;
        }
        out.found = true;
        for (const auto& e : section.entries) {
            out.values[e.key] = e.value;
            if (e.key == "s3") {
                take(out.s3, e.nested);
            }
        }
    }
    const std::string services = out.value("services");
    if (kind != aws_file::config || services.empty()) {
        return out;
    }
    for (const auto& section : *sections) {
        if (section.kind != "services" || section.name != services) {
            continue;
        }
        for (const auto& e : section.entries) {
            if (e.key == "s3") {
                take(out.services_s3, e.nested);
            }
        }
    }
    return out;
}

std::string aws_config::origin() const {
    return "profile '" + profile + "' of " + path;
}

result<aws_config> load_aws_config(std::string_view profile, const environment& env,
                                   std::string_view explicit_path) {
    aws_config out;
    out.profile = profile_name(profile, env);
    out.path = detail::aws_file_path(explicit_path, env, "AWS_CONFIG_FILE", ".aws/config");
    if (out.path.empty()) {
        return out;
    }
    const auto file = detail::read_file(out.path);
    if (file.missing) {
        return out;
    }
    if (!file.failure.empty()) {
        return error(errc::invalid_argument,
                     "cannot read the AWS config file " + out.path + ": " + file.failure);
    }
    out.settings = parse_aws_profile(file.text, out.profile, aws_file::config);
    return out;
}

}  // namespace mps3::s3
