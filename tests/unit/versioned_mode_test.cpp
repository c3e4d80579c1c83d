// Versioned mode (MPS3's useVersioning, BUCKET_FORMAT.md section 10), its sans-io parts: the
// GetBucketVersioning request and answer, the verdict a store draws from it, where content is
// read and written by mode, the versions a versioned write takes from its PUTs, and the outbox
// recording them before any entry key is noted.
#include "engine/versioning_check.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/writer.hpp"
#include "replica/replica.hpp"
#include "replica_test_support.hpp"
#include "s3/request_builder.hpp"
#include "s3/xml.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <ostream>  // doctest prints std::error_code with it
#include <string>
#include <vector>

using mps3::errc;
using mps3::make_error_code;
using mps3::write_op;
using namespace mps3::protocol;

namespace {

random_source counting() {
    auto n = std::make_shared<std::uint64_t>(0);
    return [n] { return ++*n; };
}

write_op put(std::string key, std::string value) {
    return {std::move(key), std::move(value)};
}
write_op del(std::string key) {
    return {std::move(key), std::nullopt};
}

mps3::result<mps3::s3::bucket_versioning> answered(std::string status) {
    mps3::s3::bucket_versioning v;
    v.status = std::move(status);
    return v;
}

mps3::result<mps3::s3::bucket_versioning> failed(errc code, unsigned http, std::string s3_code) {
    mps3::error e(code, "the message");
    e.http_status = http;
    e.s3_code = std::move(s3_code);
    return e;
}

}  // namespace

TEST_CASE("versioned mode: GetBucketVersioning request") {
    const auto r = mps3::s3::detail::get_bucket_versioning_request("b1");
    CHECK(r.method == "GET");
    CHECK(r.bucket == "b1");
    CHECK(r.key.empty());
    REQUIRE(r.query.size() == 1);
    CHECK(r.query[0] == std::pair<std::string, std::string>{"versioning", ""});
    CHECK(r.body.empty());
}

TEST_CASE("versioned mode: GetBucketVersioning answers parsed") {
    using mps3::s3::detail::parse_bucket_versioning;
    // As RGW and AWS answer for an enabled bucket (RGW 16.2.15 adds MfaDelete).
    auto enabled = parse_bucket_versioning(
        R"(<?xml version="1.0" encoding="UTF-8"?>)"
        R"(<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
        "<Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>");
    REQUIRE(enabled.has_value());
    CHECK(enabled->status == "Enabled");
    CHECK(enabled->mfa_delete == "Disabled");

    auto suspended = parse_bucket_versioning(
        "<s3:VersioningConfiguration xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<s3:Status>Suspended</s3:Status></s3:VersioningConfiguration>");
    REQUIRE(suspended.has_value());
    CHECK(suspended->status == "Suspended");
    CHECK(suspended->mfa_delete.empty());

    // Never enabled: an empty configuration.
    auto never = parse_bucket_versioning(
        R"(<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>)");
    REQUIRE(never.has_value());
    CHECK(never->status.empty());

    // s3rver 3.7.1 ignores ?versioning and lists the bucket: an answer, not a garbled one.
    for (const char* other :
         {"<Status>Enabled</Status>",
          R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>)"
          "<IsTruncated>false</IsTruncated></ListBucketResult>"}) {
        auto parsed = parse_bucket_versioning(other);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.err().code == make_error_code(errc::client_error));
        CHECK(parsed.err().message.find("does not implement GetBucketVersioning") !=
              std::string::npos);
    }

    for (const char* bad :
         {"", "not xml", "<VersioningConfiguration>",
          "<VersioningConfiguration><Status>On</Status></VersioningConfiguration>",
          "<VersioningConfiguration/><VersioningConfiguration/>"}) {
        auto parsed = parse_bucket_versioning(bad);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.err().code == make_error_code(errc::bad_response));
        CHECK(parsed.err().message.find("GetBucketVersioning") != std::string::npos);
    }
    auto error_doc =
        parse_bucket_versioning("<Error><Code>NotImplemented</Code><Message>no</Message></Error>");
    REQUIRE_FALSE(error_doc.has_value());
    CHECK(error_doc.err().message.find("NotImplemented") != std::string::npos);
}

TEST_CASE("versioned mode: the verdict on the bucket's versioning") {
    using mps3::engine::judge_versioning;
    using mps3::engine::versioning_refused;
    CHECK(judge_versioning(answered("Enabled"), "b1").has_value());

    const auto suspended = judge_versioning(answered("Suspended"), "b1");
    REQUIRE_FALSE(suspended.has_value());
    CHECK(versioning_refused(suspended.err()));
    CHECK(suspended.err().message.find("bucket b1 has S3 versioning Suspended") == 0);
    CHECK(suspended.err().message.find("versioning = false") != std::string::npos);
    CHECK(suspended.err().message.find("Status=Enabled") != std::string::npos);

    const auto never = judge_versioning(answered(""), "b1");
    REQUIRE_FALSE(never.has_value());
    CHECK(versioning_refused(never.err()));
    CHECK(never.err().message.find("never had S3 versioning enabled") != std::string::npos);

    // s3rver 3.7.1: a listing instead (the client gives the error the 200's status).
    const auto ignored = judge_versioning(failed(errc::client_error, 200, ""), "b1");
    REQUIRE_FALSE(ignored.has_value());
    CHECK(versioning_refused(ignored.err()));
    CHECK(ignored.err().message.find("does not support bucket versioning") != std::string::npos);

    // A server that says 501 NotImplemented.
    const auto unsupported =
        judge_versioning(failed(errc::server_error, 501, "NotImplemented"), "b1");
    REQUIRE_FALSE(unsupported.has_value());
    CHECK(versioning_refused(unsupported.err()));
    CHECK(unsupported.err().message.find("does not support bucket versioning") !=
          std::string::npos);

    for (const auto& definite : {failed(errc::access_denied, 403, "AccessDenied"),
                                 failed(errc::not_found, 404, "NoSuchBucket"),
                                 failed(errc::client_error, 400, "InvalidRequest")}) {
        const auto verdict = judge_versioning(definite, "b1");
        REQUIRE_FALSE(verdict.has_value());
        CHECK(versioning_refused(verdict.err()));
        CHECK(verdict.err().message.find("b1") != std::string::npos);
    }
    // What may pass is returned as it came, bucket named: asked again later.
    for (const auto& passing :
         {failed(errc::network, 0, ""), failed(errc::timeout, 0, ""),
          failed(errc::server_error, 503, "SlowDown"), failed(errc::bad_response, 200, "")}) {
        const auto verdict = judge_versioning(passing, "b1");
        REQUIRE_FALSE(verdict.has_value());
        CHECK_FALSE(versioning_refused(verdict.err()));
        CHECK(verdict.err().code == passing.err().code);
        CHECK(verdict.err().message ==
              "checking the versioning of bucket b1: " + passing.err().message);
    }
}

TEST_CASE("versioned mode: where content is read and written, by mode") {
    CHECK(locate_content(content_mode::suffixed, "k", "6f1c") == content_location{"k@6f1c", ""});
    CHECK(locate_content(content_mode::versioned, "k", "6f1c") == content_location{"k", "6f1c"});
    CHECK(locate_content(content_mode::versioned, "dir/k@x", "v.1") ==
          content_location{"dir/k@x", "v.1"});
    CHECK(describe_location({"k@6f1c", ""}) == "k@6f1c");
    CHECK(describe_location({"k", "6f1c"}) == "k?versionId=6f1c");
}

TEST_CASE("versioned mode: a write PUTs bare keys and takes the versions the server returns") {
    const std::vector<write_batch> queue = {
        {1, {put("k1", "1"), del("k2")}},
        {2, {put("k3", R"({"a":1})"), put("k1", "2")}},
    };
    auto w = prepare_write("b1", "m", queue, counting(), {}, content_mode::versioned);
    REQUIRE(w.has_value());
    CHECK(w->mode == content_mode::versioned);
    REQUIRE(w->puts.size() == 2);
    CHECK(w->puts[0].object_key == "k1");  // no @<version>
    CHECK(w->puts[0].key == "k1");
    CHECK(w->puts[0].body == "2");  // the last op per key wins, as in suffixed mode
    CHECK(w->puts[1].object_key == "k3");
    CHECK(w->delete_objects == std::vector<std::string>{"k2"});
    // No version is invented: the update waits for the PUTs' answers.
    CHECK(w->update == manifest_update{{"b1/k1", file_state{"", ""}},
                                       {"b1/k2", std::nullopt},
                                       {"b1/k3", file_state{"", ""}}});

    // A PUT that returned no x-amz-version-id: the bucket is not versioned; nothing assigned.
    const std::vector<std::string> missing = {"v1", ""};
    const auto refused = assign_versions(*w, missing, "b1");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.err().code == make_error_code(errc::client_error));
    CHECK(refused.err().message.find("PUT k3 returned no x-amz-version-id") == 0);
    CHECK(refused.err().message.find("not version enabled") != std::string::npos);
    CHECK(w->update.at("b1/k1")->version.empty());

    const std::vector<std::string> too_few = {"v1"};
    CHECK(assign_versions(*w, too_few, "b1").err().code == make_error_code(errc::invalid_argument));

    const std::vector<std::string> ids = {"3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "null.x"};
    REQUIRE(assign_versions(*w, ids, "b1").has_value());
    CHECK(w->update == manifest_update{{"b1/k1", file_state{ids[0], ""}},
                                       {"b1/k2", std::nullopt},
                                       {"b1/k3", file_state{ids[1], ""}}});

    // Suffixed mode: versions chosen up front, no DELETE of the bare key, nothing to assign.
    auto s = prepare_write("b1", "m", queue, counting());
    REQUIRE(s.has_value());
    CHECK(s->puts[0].object_key == "k1@" + s->update.at("b1/k1")->version);
    CHECK(s->delete_objects.empty());
    CHECK(assign_versions(*s, std::vector<std::string>{"a", "b"}, "b1").err().code ==
          make_error_code(errc::invalid_argument));

    // Versioned mode keeps the key rules: the manifest's own objects are refused.
    const std::vector<write_batch> marker = {{3, {put("m", "1")}}};
    CHECK_FALSE(
        prepare_write("b1", "m", marker, counting(), {}, content_mode::versioned).has_value());
}

TEST_CASE("versioned mode: the outbox records the returned versions after the PUTs") {
    using namespace mps3::replica;
    testing::temp_dir dir;
    auto opened = replica::open(dir.path / "store.db", {});
    REQUIRE(opened.has_value());
    auto& r = *opened;
    auto queued = r.enqueue_local_write(std::vector{put("a", "1"), put("b", "2"), del("c")});
    REQUIRE(queued.has_value());
    const auto id = queued->batch_id;
    const std::vector<std::int64_t> ids = {id};
    // Marked with no versions: the server has not chosen them yet.
    REQUIRE(r.mark_uploading(ids, "att1", {}).has_value());
    auto before = r.pending_batches(10).value();
    REQUIRE(before.size() == 1);
    for (const auto& op : before[0].ops) {
        CHECK_FALSE(op.upload_version.has_value());
    }
    const std::vector<std::pair<std::string, std::string>> versions = {{"a", "va"}, {"b", "vb"}};
    CHECK(r.record_upload_versions("nobody", versions).err().code ==
          make_error_code(errc::invalid_argument));
    REQUIRE(r.record_upload_versions("att1", versions).has_value());
    auto after = r.pending_batches(10).value();
    REQUIRE(after.size() == 1);
    for (const auto& op : after[0].ops) {
        if (op.write.key == "a") {
            CHECK(op.upload_version == std::optional<std::string>("va"));
        } else if (op.write.key == "b") {
            CHECK(op.upload_version == std::optional<std::string>("vb"));
        } else {
            CHECK_FALSE(op.upload_version.has_value());  // the delete
        }
    }
    // A requeue forgets them (the next attempt PUTs again and gets new ones).
    REQUIRE(r.requeue(ids).has_value());
    // Held in a named local: a range-for over a member of the temporary result dangles (ASan).
    const auto requeued = r.pending_batches(10);
    REQUIRE(requeued.has_value());
    for (const auto& op : requeued.value()[0].ops) {
        CHECK_FALSE(op.upload_version.has_value());
    }
}
