#include "s3/response_mapping.hpp"

#include "s3/retry.hpp"
#include "s3/time_format.hpp"
#include "s3/xml.hpp"

namespace mps3::s3::detail {

response_meta meta_from(const http_response& response) {
    response_meta meta;
    meta.status = response.status;
    meta.etag = response.header("etag");
    meta.date = response.header("date");
    meta.last_modified = response.header("last-modified");
    meta.version_id = response.header("x-amz-version-id");
    meta.request_id = response.header("x-amz-request-id");
    meta.server_date = parse_http_date(meta.date);
    meta.sent_at = response.sent_at;
    meta.received_at = response.received_at;
    meta.attempts = response.attempts;
    return meta;
}

metadata user_metadata_from(const http_response& response) {
    constexpr std::string_view prefix = "x-amz-meta-";
    metadata out;
    for (const auto& [name, value] : response.headers) {
        if (name.size() > prefix.size() && iequals(name.substr(0, prefix.size()), prefix)) {
            std::string short_name = name.substr(prefix.size());
            for (char& c : short_name) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            out.emplace_back(std::move(short_name), value);
        }
    }
    return out;
}

error error_from(const http_response& response) {
    error err(errc_for_status(response.status), {});
    err.http_status = response.status;
    err.request_id = response.header("x-amz-request-id");
    err.attempts = response.attempts;
    if (auto body = parse_error_body(response.body)) {
        err.s3_code = body->code;
        err.message = body->message;
        if (err.request_id.empty()) {
            err.request_id = body->request_id;
        }
    } else if (!response.body.empty()) {
        // Not S3 XML (a proxy's HTML page, say): a bounded excerpt helps whoever reads the log.
        constexpr std::size_t excerpt = 200;
        err.message = "unexpected response body: " + response.body.substr(0, excerpt);
    }
    // RequestTimeout arrives as a 400 but is the server's failure, not the request's.
    err.code = make_error_code(errc_for_status(response.status, err.s3_code));
    return err;
}

void redact_secrets(error& e, const credentials& creds) {
    for (std::string* text : {&e.message, &e.s3_code, &e.request_id}) {
        for (const std::string* secret : {&creds.secret_access_key, &creds.session_token}) {
            if (secret->empty()) {
                continue;
            }
            for (auto at = text->find(*secret); at != std::string::npos;
                 at = text->find(*secret, at)) {
                text->replace(at, secret->size(), "<redacted>");
            }
        }
    }
}

}  // namespace mps3::s3::detail
