// mps3-s3: talk to an S3 bucket with libmps3's client. Endpoint, region and credentials come
// from the usual AWS variables and files unless given on the command line.
//
//   mps3-s3 [--endpoint URL] [--region R] [--profile P] mb BUCKET
//   mps3-s3 ... put BUCKET KEY [VALUE]     (VALUE omitted: read standard input)
//   mps3-s3 ... get BUCKET KEY
//   mps3-s3 ... ls BUCKET [PREFIX]
//   mps3-s3 ... rm BUCKET KEY
//   mps3-s3 ... demo BUCKET                (put / get / list / delete round trip)
#include <mps3/s3/client.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

namespace {

namespace asio = boost::asio;
using namespace mps3;

struct options {
    std::string endpoint, region, profile, bucket, key, value, prefix;
    bool value_given = false;
};

int report(const error& err) {
    std::cerr << "mps3-s3: " << err.describe() << '\n';
    return 1;
}

asio::awaitable<int> run(s3::client& client, const std::string& command, options o) {
    if (command == "mb") {
        auto made = co_await client.async_create_bucket(o.bucket);
        co_return made ? 0 : report(made.err());
    }
    if (command == "put") {
        if (!o.value_given) {
            o.value.assign(std::istreambuf_iterator<char>(std::cin), {});
        }
        s3::put_options put_opts;
        put_opts.content_type = "application/json";
        auto put = co_await client.async_put_object(o.bucket, o.key, o.value, put_opts);
        if (!put) {
            co_return report(put.err());
        }
        std::cout << "etag " << put->meta.etag << '\n';
        co_return 0;
    }
    if (command == "get") {
        auto got = co_await client.async_get_object(o.bucket, o.key);
        if (!got) {
            co_return report(got.err());
        }
        std::cout << got->body;
        co_return 0;
    }
    if (command == "ls") {
        s3::list_options list_opts;
        list_opts.prefix = o.prefix;
        auto all = co_await client.async_list_all(o.bucket, list_opts);
        if (!all) {
            co_return report(all.err());
        }
        for (const auto& object : all->objects) {
            std::cout << object.last_modified << ' ' << object.size << ' ' << object.key << '\n';
        }
        co_return 0;
    }
    if (command == "rm") {
        auto deleted = co_await client.async_delete_object(o.bucket, o.key);
        co_return deleted ? 0 : report(deleted.err());
    }
    // demo: the S3 client's round trip, narrated.
    auto made = co_await client.async_create_bucket(o.bucket);
    std::cout << "create bucket " << o.bucket << ": " << (made ? "ok" : made.err().describe())
              << '\n';
    s3::put_options json;
    json.content_type = "application/json";
    auto put =
        co_await client.async_put_object(o.bucket, "hello@demo", R"({"hello":"world"})", json);
    if (!put) {
        co_return report(put.err());
    }
    std::cout << "put hello@demo: etag " << put->meta.etag << ", server date " << put->meta.date
              << '\n';
    auto got = co_await client.async_get_object(o.bucket, "hello@demo");
    if (!got) {
        co_return report(got.err());
    }
    std::cout << "get hello@demo: " << got->body << '\n';
    s3::get_options unchanged;
    unchanged.if_none_match = put->meta.etag;
    auto again = co_await client.async_get_object(o.bucket, "hello@demo", unchanged);
    std::cout << "get with If-None-Match: "
              << (again && again->not_modified ? "not modified" : "changed") << '\n';
    auto all = co_await client.async_list_all(o.bucket, s3::list_options());
    std::cout << "list: "
              << (all ? std::to_string(all->objects.size()) + " object(s)" : all.err().describe())
              << '\n';
    auto stats = client.stats();
    std::cout << "requests: " << stats.requests << " over " << stats.connections_opened
              << " connection(s)\n";
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mps3-s3: S3 operations with libmps3's client (AWS variables and files apply)"};
    app.require_subcommand(1);
    options o;
    app.add_option("--endpoint", o.endpoint,
                   "S3 endpoint URL (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS)");
    app.add_option("--region", o.region,
                   "region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)");
    app.add_option("--profile", o.profile,
                   "profile in the shared credentials file (default: AWS_PROFILE)");
    auto* mb = app.add_subcommand("mb", "create a bucket");
    mb->add_option("bucket", o.bucket)->required();
    auto* put = app.add_subcommand("put", "put an object (value from stdin when omitted)");
    put->add_option("bucket", o.bucket)->required();
    put->add_option("key", o.key)->required();
    put->add_option("value", o.value)->each([&](const std::string&) { o.value_given = true; });
    auto* get = app.add_subcommand("get", "print an object's body");
    get->add_option("bucket", o.bucket)->required();
    get->add_option("key", o.key)->required();
    auto* ls = app.add_subcommand("ls", "list objects (every page)");
    ls->add_option("bucket", o.bucket)->required();
    ls->add_option("prefix", o.prefix);
    auto* rm = app.add_subcommand("rm", "delete an object");
    rm->add_option("bucket", o.bucket)->required();
    rm->add_option("key", o.key)->required();
    auto* demo = app.add_subcommand("demo", "a narrated put / get / list round trip");
    demo->add_option("bucket", o.bucket)->required();
    CLI11_PARSE(app, argc, argv);

    const auto env = s3::process_environment();
    auto server = s3::resolve_endpoint(o.endpoint, o.region, env);
    if (!server) {
        return report(server.err());
    }
    auto creds = s3::load_credentials({.profile = o.profile}, env);
    if (!creds) {
        return report(creds.err());
    }
    asio::io_context io;
    s3::client client(io.get_executor(), {.server = *server, .credentials = *creds});
    int status = 1;
    asio::co_spawn(io, run(client, app.get_subcommands().front()->get_name(), o),
                   [&](std::exception_ptr e, int code) {
                       if (e) {
                           std::cerr << "mps3-s3: unexpected failure\n";
                       } else {
                           status = code;
                       }
                   });
    io.run();
    return status;
}
