// The XML bodies an S3 server (or whatever answers in its place) sends: ListObjectsV2 pages and
// <Error> documents, and the URL decoding of encoding-type=url listings.
//
// Invariants: a page that parses, written back as a canonical document (keys URL-encoded, other
// text escaped), parses to the same page; likewise an error document; url_decode inverts
// uri_encode for every byte string and never lengthens its input.
#include "fuzz_check.hpp"

#include "s3/uri_encode.hpp"
#include "s3/xml.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace mps3::s3::detail;

// Element text that pugixml reads back byte for byte: markup characters as entities, and control
// characters as character references (a literal "\r\n" would be normalised to "\n").
std::string escaped(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += "&#" + std::to_string(static_cast<int>(c)) + ";";
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string element(std::string_view name, std::string_view text) {
    return "<" + std::string(name) + ">" + std::string(text) + "</" + std::string(name) + ">";
}

std::string write_page(const mps3::s3::list_page& page) {
    std::string xml = "<ListBucketResult><EncodingType>url</EncodingType>";
    xml += element("IsTruncated", page.is_truncated ? "true" : "false");
    xml += element("NextContinuationToken", escaped(page.next_continuation_token));
    for (const auto& o : page.objects) {
        xml += "<Contents>" + element("Key", uri_encode(o.key, true)) +
               element("LastModified", escaped(o.last_modified)) +
               element("ETag", escaped(o.etag)) + element("Size", std::to_string(o.size)) +
               "</Contents>";
    }
    for (const auto& p : page.common_prefixes) {
        xml += "<CommonPrefixes>" + element("Prefix", uri_encode(p, true)) + "</CommonPrefixes>";
    }
    return xml + "</ListBucketResult>";
}

void check_page(std::string_view xml) {
    const auto page = parse_list_objects_v2(xml);
    if (!page) {
        return;
    }
    const auto again = parse_list_objects_v2(write_page(*page));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->is_truncated == page->is_truncated);
    FUZZ_CHECK(again->next_continuation_token == page->next_continuation_token);
    FUZZ_CHECK(again->common_prefixes == page->common_prefixes);
    FUZZ_CHECK(again->objects.size() == page->objects.size());
    for (std::size_t i = 0; i < page->objects.size(); ++i) {
        const auto& a = again->objects[i];
        const auto& b = page->objects[i];
        FUZZ_CHECK(a.key == b.key && a.etag == b.etag && a.size == b.size);
        FUZZ_CHECK(a.last_modified == b.last_modified &&
                   a.last_modified_time == b.last_modified_time);
    }
}

void check_error(std::string_view xml) {
    const auto body = parse_error_body(xml);
    if (!body) {
        return;
    }
    const auto again = parse_error_body("<Error>" + element("Code", escaped(body->code)) +
                                        element("Message", escaped(body->message)) +
                                        element("RequestId", escaped(body->request_id)) +
                                        element("Resource", escaped(body->resource)) + "</Error>");
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->code == body->code && again->message == body->message);
    FUZZ_CHECK(again->request_id == body->request_id && again->resource == body->resource);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = mps3::fuzz::as_text(data, size);
    check_page(text);
    check_error(text);

    const auto decoded = url_decode(text);
    FUZZ_CHECK(!decoded || decoded->size() <= text.size());
    const auto round = url_decode(uri_encode(text, true));
    FUZZ_CHECK(round.has_value() && *round == text);
    return 0;
}
