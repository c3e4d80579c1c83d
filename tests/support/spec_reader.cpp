// Written from ../shared/BUCKET_FORMAT.md only; see spec_reader.hpp for the choices it makes
// where the format is silent. No libmps3/src code here, on purpose.
#include "spec_reader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <utility>

namespace mps3::test::spec {
namespace {

namespace asio = boost::asio;

constexpr std::size_t max_depth = 512;
constexpr std::string_view b32_digits = "0123456789abcdefghijklmnopqrstuv";
constexpr std::int64_t max_stamp = (std::int64_t{1} << 42) - 1;

using writer_t = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                   rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;
constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseFullPrecisionFlag;
using allocator_t = rapidjson::Document::AllocatorType;

int b32_value(char c) {
    const auto at = b32_digits.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

bool all_of(std::string_view s, std::string_view allowed) {
    return std::all_of(s.begin(), s.end(),
                       [&](char c) { return allowed.find(c) != std::string_view::npos; });
}

constexpr std::string_view lower_alnum = "0123456789abcdefghijklmnopqrstuvwxyz";

// JavaScript's parseInt(digits, 32): the longest prefix of base-32 digits; NaN (nullopt) if none.
// More than 12 digits are beyond any time a stamp can hold: nullopt too.
std::optional<std::int64_t> parse_int32(std::string_view digits) {
    std::int64_t value = 0;
    std::size_t n = 0;
    for (const char c : digits) {
        const int d = b32_value(c);
        if (d < 0) {
            break;
        }
        if (++n > 12) {
            return std::nullopt;
        }
        value = value * 32 + d;
    }
    if (n == 0) {
        return std::nullopt;
    }
    return value;
}

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Deepest nesting of arrays and objects in a JSON text (strings skipped), without parsing it.
std::size_t nesting_depth(std::string_view text) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

// Duplicate member names: the last one wins, as with JavaScript's JSON.parse.
void dedupe(rapidjson::Value& v) {
    if (v.IsArray()) {
        for (auto& item : v.GetArray()) {
            dedupe(item);
        }
        return;
    }
    if (!v.IsObject()) {
        return;
    }
    std::set<std::string, std::less<>> seen;
    for (auto i = static_cast<std::ptrdiff_t>(v.MemberCount()) - 1; i >= 0; --i) {
        auto it = v.MemberBegin() + i;
        std::string name(it->name.GetString(), it->name.GetStringLength());
        if (!seen.insert(std::move(name)).second) {
            v.EraseMember(it);
        } else {
            dedupe(it->value);
        }
    }
}

// docs/bucket-format.md, "Compressed entries": a body stored with Content-Encoding gzip is the
// gzip stream of the JSON. Decoded here with zlib directly (not libmps3's codec), bounded like
// the reader under test; nullopt when it does not decode.
constexpr std::size_t max_gunzipped = std::size_t{1} << 30;

std::optional<std::string> gunzip(std::string_view gz) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        return std::nullopt;
    }
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK && out.size() <= max_gunzipped) {
        const std::size_t start = out.size();
        out.resize(start + (std::size_t{1} << 16));
        z.next_out = reinterpret_cast<Bytef*>(out.data() + start);
        z.avail_out = 1U << 16;
        rc = inflate(&z, Z_NO_FLUSH);
        out.resize(out.size() - z.avail_out);
    }
    const bool whole = rc == Z_STREAM_END && z.avail_in == 0 && out.size() <= max_gunzipped;
    inflateEnd(&z);
    return whole ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

// The JSON text of a GET's body: decoded when its Content-Encoding says gzip.
std::optional<std::string> json_text(const s3::get_result& got) {
    if (got.content_encoding.empty()) {
        return got.body;
    }
    if (got.content_encoding == "gzip") {
        return gunzip(got.body);
    }
    return std::nullopt;
}

std::optional<rapidjson::Document> parse_json(std::string_view text) {
    if (text.find('\0') != std::string_view::npos || nesting_depth(text) > max_depth) {
        return std::nullopt;
    }
    rapidjson::Document doc;
    doc.Parse<parse_flags>(text.data(), text.size());
    if (doc.HasParseError()) {
        return std::nullopt;
    }
    dedupe(doc);
    return doc;
}

std::optional<std::string> serialize(const rapidjson::Value& v) {
    rapidjson::StringBuffer buffer;
    writer_t writer(buffer);
    if (!v.Accept(writer)) {
        return std::nullopt;
    }
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string str(const rapidjson::Value& v) {
    return {v.GetString(), v.GetStringLength()};
}

const rapidjson::Value* member(const rapidjson::Value& object, std::string_view name) {
    if (!object.IsObject()) {
        return nullptr;
    }
    const auto it =
        object.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    return it == object.MemberEnd() ? nullptr : &it->value;
}

// A usable file: {"version": "<string>", ...}.
bool good_file(const rapidjson::Value& v) {
    const auto* version = member(v, "version");
    return version != nullptr && version->IsString();
}

// RFC 7386 MergePatch(target, patch), in place.
void merge_patch(rapidjson::Value& target, const rapidjson::Value& patch, allocator_t& a) {
    if (!patch.IsObject()) {
        target.CopyFrom(patch, a);
        return;
    }
    if (!target.IsObject()) {
        target.SetObject();
    }
    for (const auto& m : patch.GetObject()) {
        auto it = target.FindMember(m.name);
        if (m.value.IsNull()) {
            if (it != target.MemberEnd()) {
                target.EraseMember(it);
            }
            continue;
        }
        if (it == target.MemberEnd()) {
            rapidjson::Value name(m.name, a);
            rapidjson::Value absent;
            target.AddMember(name, absent, a);
            it = target.MemberEnd() - 1;
        }
        merge_patch(it->value, m.value, a);
    }
}

// One listed entry of the manifest, with its body once fetched.
struct entry_record {
    parsed_key key;
    std::optional<std::int64_t> last_modified;
    bool valid = false;
    std::string content_type;
    std::string content_encoding;
    std::optional<rapidjson::Document> body;
    bool readable = false;
};

// The "files" of an entry, cleaned the way this reader uses it (bad members dropped).
void clean_files(const rapidjson::Value& files, rapidjson::Value& out, allocator_t& a) {
    out.SetObject();
    for (const auto& m : files.GetObject()) {
        if (good_file(m.value)) {
            rapidjson::Value name(m.name, a);
            rapidjson::Value value(m.value, a);
            out.AddMember(name, value, a);
        }
    }
}

// The merge patch an entry applies to state.files, cleaned; nullopt when it applies nothing.
bool clean_update(const rapidjson::Value& body, rapidjson::Value& out, allocator_t& a) {
    const auto* update = member(body, "update");
    const auto* files = update != nullptr ? member(*update, "files") : nullptr;
    if (files == nullptr || !files->IsObject()) {
        return false;
    }
    out.SetObject();
    for (const auto& m : files->GetObject()) {
        if (m.value.IsNull() || good_file(m.value)) {
            rapidjson::Value name(m.name, a);
            rapidjson::Value value(m.value, a);
            out.AddMember(name, value, a);
        }
    }
    return true;
}

struct resolved {
    rapidjson::Document files;  // state.files
    const entry_record* latest = nullptr;
    std::vector<const entry_record*> replayed;
};

// Section 6 steps 3-5 over entries given newest first; only valid, readable ones count.
resolved resolve(const std::vector<const entry_record*>& newest_first) {
    resolved out;
    out.files.SetObject();
    auto& a = out.files.GetAllocator();
    for (const auto* e : newest_first) {
        if (e->valid && e->readable) {
            out.latest = e;
            break;
        }
    }
    if (out.latest == nullptr) {
        return out;
    }
    clean_files(*member(*out.latest->body, "files"), out.files, a);
    const std::int64_t from = *out.latest->key.ts - window_ms;
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
        const auto* e = *it;
        if (!e->valid || !e->readable || *e->key.ts <= from) {
            continue;
        }
        out.replayed.push_back(e);
        rapidjson::Value patch;
        if (clean_update(*e->body, patch, a)) {
            merge_patch(out.files, patch, a);
        }
    }
    return out;
}

std::map<std::string, std::string> versions_of(const rapidjson::Value& files) {
    std::map<std::string, std::string> out;
    for (const auto& m : files.GetObject()) {
        if (good_file(m.value)) {
            out.emplace(str(m.name), str(*member(m.value, "version")));
        }
    }
    return out;
}

asio::awaitable<result<std::vector<s3::object_summary>>> list_everything(
    s3::client& client, const std::string& bucket, const std::string& prefix,
    const std::string& start_after, unsigned page_size, unsigned& pages) {
    std::vector<s3::object_summary> out;
    s3::list_options options;
    options.prefix = prefix;
    options.start_after = start_after;
    options.max_keys = page_size;
    for (pages = 0;;) {
        auto page = co_await client.async_list_objects_v2(bucket, options);
        if (!page) {
            co_return std::move(page).err();
        }
        ++pages;
        std::move(page->objects.begin(), page->objects.end(), std::back_inserter(out));
        if (!page->is_truncated) {
            co_return out;
        }
        if (page->next_continuation_token.empty() || pages > 10000) {
            co_return error(errc::bad_response, "truncated listing without a usable token");
        }
        options.continuation_token = page->next_continuation_token;
    }
}

// GETs and parses the body of every entry record.
asio::awaitable<status> fetch_bodies(s3::client& client, const std::string& bucket,
                                     std::vector<entry_record>& records, bool only_valid) {
    for (auto& r : records) {
        if (only_valid && !r.valid) {
            continue;
        }
        s3::get_options options;
        auto got = co_await client.async_get_object(bucket, r.key.key, options);
        if (!got) {
            if (got.err().code == make_error_code(errc::not_found)) {
                continue;  // collected since the LIST: not readable
            }
            co_return std::move(got).err();
        }
        r.content_type = got->content_type;
        r.content_encoding = got->content_encoding;
        const auto text = json_text(*got);
        if (text) {
            r.body = parse_json(*text);
        }
        if (r.body) {
            const auto* files = member(*r.body, "files");
            r.readable = r.body->IsObject() && files != nullptr && files->IsObject();
        }
    }
    co_return success{};
}

std::vector<entry_record> classify(const std::string& manifest,
                                   const std::vector<s3::object_summary>& objects,
                                   std::vector<std::string>& foreign) {
    std::vector<entry_record> records;
    for (const auto& o : objects) {
        auto key = parse_entry_key(manifest, o.key);
        if (!key) {
            foreign.push_back(o.key);
            continue;
        }
        entry_record r;
        r.key = std::move(*key);
        if (o.last_modified_time) {
            r.last_modified = to_ms(*o.last_modified_time);
        }
        r.valid =
            r.key.ts && r.last_modified && std::llabs(*r.key.ts - *r.last_modified) < window_ms;
        records.push_back(std::move(r));
    }
    std::sort(records.begin(), records.end(),
              [](const entry_record& x, const entry_record& y) { return x.key.key < y.key.key; });
    return records;
}

struct content_result {
    bool found = false;
    std::string content_type;
    std::optional<std::string> compact;  // nullopt: not JSON
};

// Where a version of key lives: section 2 (`<key>@<version>`) or section 10 (`<key>` at
// versionId). The name is what reports use.
struct content_address {
    std::string object_key;
    std::string version_id;
    std::string name;
    bool names_nothing = false;  // versioned, no version: a GET would read the current object
};

content_address address_of(const std::string& key, const std::string& version, bool versioned) {
    if (versioned) {
        return {key, version, key + "?versionId=" + version, version.empty()};
    }
    return {key + "@" + version, "", key + "@" + version, false};
}

asio::awaitable<result<content_result>> fetch_content(s3::client& client, const std::string& bucket,
                                                      const content_address& where) {
    s3::get_options options;
    options.version_id = where.version_id;
    content_result out;
    if (where.names_nothing) {
        co_return out;  // missing
    }
    auto got = co_await client.async_get_object(bucket, where.object_key, options);
    if (!got) {
        // A version id the server cannot parse: 400 on RGW; as missing as NoSuchVersion.
        const bool bad_version = !where.version_id.empty() && got.err().http_status == 400;
        if (got.err().code == make_error_code(errc::not_found) || bad_version) {
            co_return out;
        }
        co_return std::move(got).err();
    }
    out.found = true;
    out.content_type = got->content_type;
    if (const auto text = json_text(*got)) {
        out.compact = compact(*text);
    }
    co_return out;
}

// One violation, from parts (no chain of temporary strings).
void add(std::vector<std::string>& out, std::initializer_list<std::string_view> parts) {
    std::string line;
    for (const auto part : parts) {
        line.append(part);
    }
    out.push_back(std::move(line));
}

bool is_json_type(std::string_view content_type) {
    return content_type.starts_with("application/json");
}

}  // namespace

// --- keys --------------------------------------------------------------------------------------

std::string b32(std::uint64_t n, std::size_t width) {
    std::string out;
    do {
        out.insert(out.begin(), b32_digits[n % 32]);
        n /= 32;
    } while (n != 0);
    if (out.size() < width) {
        out.insert(0, width - out.size(), '0');
    }
    return out;
}

std::string ts9(std::int64_t t_ms) {
    return b32(static_cast<std::uint64_t>(max_stamp - t_ms), 9);
}

std::string cnt2(unsigned n) {
    return b32(1023U - n, 2);
}

std::string entry_key(std::string_view manifest, std::int64_t t_ms, std::string_view session,
                      unsigned n) {
    std::string out(manifest);
    out.append("@").append(ts9(t_ms)).append("_").append(session).append("_").append(cnt2(n));
    return out;
}

std::int64_t now_ms() {
    return to_ms(std::chrono::system_clock::now());
}

std::optional<parsed_key> parse_entry_key(std::string_view manifest, std::string_view object_key) {
    if (!object_key.starts_with(manifest) || object_key.size() <= manifest.size() ||
        object_key[manifest.size()] != '@') {
        return std::nullopt;
    }
    // ^([0-9a-z]+)_([0-9a-z]+)_([0-9a-z]{2})$ on the part after "M@".
    const std::string_view suffix = object_key.substr(manifest.size() + 1);
    const auto first = suffix.find('_');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    const auto second = suffix.find('_', first + 1);
    if (second == std::string_view::npos) {
        return std::nullopt;
    }
    parsed_key out;
    out.ts_digits = std::string(suffix.substr(0, first));
    out.session = std::string(suffix.substr(first + 1, second - first - 1));
    out.counter = std::string(suffix.substr(second + 1));
    if (out.ts_digits.empty() || out.session.empty() || out.counter.size() != 2 ||
        !all_of(out.ts_digits, lower_alnum) || !all_of(out.session, lower_alnum) ||
        !all_of(out.counter, lower_alnum)) {
        return std::nullopt;
    }
    out.key = std::string(object_key);
    if (const auto n = parse_int32(out.ts_digits)) {
        out.ts = max_stamp - *n;
    }
    return out;
}

std::optional<std::pair<std::string, std::string>> split_ref(std::string_view ref) {
    const auto slash = ref.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == ref.size()) {
        return std::nullopt;
    }
    return std::make_pair(std::string(ref.substr(0, slash)), std::string(ref.substr(slash + 1)));
}

// --- JSON ----------------------------------------------------------------------------------------

std::optional<std::string> compact(std::string_view text) {
    auto doc = parse_json(text);
    if (!doc) {
        return std::nullopt;
    }
    return serialize(*doc);
}

std::optional<std::string> pretty(std::string_view text) {
    auto doc = parse_json(text);
    if (!doc) {
        return std::nullopt;
    }
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    if (!doc->Accept(writer)) {
        return std::nullopt;
    }
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string quote(std::string_view s) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return {buffer.GetString(), buffer.GetSize()};
}

// --- section 6 -----------------------------------------------------------------------------------

asio::awaitable<result<bucket_state>> read_bucket(s3::client& client, std::string bucket,
                                                  std::string manifest, read_options options) {
    bucket_state out;
    const std::int64_t now = options.now_ms.value_or(now_ms());
    const std::string prefix = manifest + "@";
    const std::string start_after = prefix + ts9(now + lookahead_ms);
    auto listed =
        co_await list_everything(client, bucket, prefix, start_after, options.page_size, out.pages);
    if (!listed) {
        co_return std::move(listed).err();
    }
    out.listed = listed->size();
    auto records = classify(manifest, *listed, out.foreign);
    if (auto fetched = co_await fetch_bodies(client, bucket, records, true); !fetched) {
        co_return std::move(fetched).err();
    }
    std::vector<const entry_record*> newest_first;
    for (const auto& r : records) {
        if (!r.valid) {
            out.invalid.push_back(r.key.key);
        } else if (!r.readable) {
            out.unreadable.push_back(r.key.key);
        }
        newest_first.push_back(&r);
    }
    const resolved state = resolve(newest_first);
    if (state.latest != nullptr) {
        out.latest = state.latest->key.key;
        out.latest_ts = state.latest->key.ts;
    }
    for (const auto* e : state.replayed) {
        out.replayed.push_back(e->key.key);
    }
    out.files_json = serialize(state.files).value_or("{}");
    out.versions = versions_of(state.files);
    for (const auto& [ref, version] : out.versions) {
        const auto parts = split_ref(ref);
        if (!parts || parts->first != bucket) {
            continue;
        }
        const auto where = address_of(parts->second, version, options.versioned);
        const std::string& object = where.name;
        auto content = co_await fetch_content(client, bucket, where);
        if (!content) {
            co_return std::move(content).err();
        }
        if (!content->found || !content->compact) {
            out.bad_content.push_back(object);
            continue;
        }
        out.values.emplace(parts->second, std::move(*content->compact));
    }
    co_return out;
}

asio::awaitable<result<std::map<std::string, std::string>>> read_store(s3::client& client,
                                                                       std::string bucket,
                                                                       std::string manifest) {
    read_options options;
    auto state = co_await read_bucket(client, bucket, manifest, options);
    if (!state) {
        co_return std::move(state).err();
    }
    co_return std::move(state->values);
}

// --- sections 3-5 and 7 --------------------------------------------------------------------------

asio::awaitable<result<check_report>> check_entries(s3::client& client, std::string bucket,
                                                    std::string manifest, check_options options) {
    check_report report;
    auto& v = report.violations;
    unsigned pages = 0;
    auto listed = co_await list_everything(client, bucket, manifest + "@", "", 0, pages);
    if (!listed) {
        co_return std::move(listed).err();
    }
    std::vector<std::string> foreign;
    auto records = classify(manifest, *listed, foreign);
    if (!options.allow_foreign) {
        for (const auto& key : foreign) {
            add(v, {"object ", key, " is under the manifest's prefix but is no entry"});
        }
    }
    if (auto fetched = co_await fetch_bodies(client, bucket, records, false); !fetched) {
        co_return std::move(fetched).err();
    }

    std::map<std::string, std::optional<std::string>> content_seen;  // object -> problem
    std::map<std::string, std::vector<const entry_record*>> sessions;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        if (options.skip_sessions.contains(r.key.session)) {
            continue;
        }
        ++report.entries_checked;
        const std::string& k = r.key.key;
        sessions[r.key.session].push_back(&r);

        // Section 3: the key.
        if (r.key.ts_digits.size() != 9 || !all_of(r.key.ts_digits, b32_digits)) {
            add(v, {k, ": ts9 '", r.key.ts_digits, "' is not 9 base-32 digits"});
        }
        if (r.key.session.size() != 3 || !all_of(r.key.session, "0123456789abcdef")) {
            add(v, {k, ": session '", r.key.session, "' is not 3 lower-case hex digits"});
        }
        if (!all_of(r.key.counter, b32_digits)) {
            add(v, {k, ": cnt2 '", r.key.counter, "' is not 2 base-32 digits"});
        }
        // Section 6.2: validity.
        if (!r.last_modified) {
            add(v, {k, ": listed without LastModified"});
        } else if (!r.key.ts) {
            add(v, {k, ": no time in the key"});
        } else if (!r.valid) {
            add(v, {k, ": |ts - LastModified| = ",
                    std::to_string(std::llabs(*r.key.ts - *r.last_modified)),
                    " ms, not < 5000: invalid for every reader"});
        }
        // Sections 1 and 4: the body.
        if (!r.body) {
            add(v, {k, ": missing, not JSON, or not decodable (Content-Encoding '",
                    r.content_encoding, "')"});
            continue;
        }
        if (!is_json_type(r.content_type)) {
            add(v, {k, ": Content-Type '", r.content_type, "', not application/json"});
        }
        if (!r.readable) {
            add(v, {k, ": body is not an object with an object \"files\""});
            continue;
        }
        for (const auto& m : member(*r.body, "files")->GetObject()) {
            const std::string ref = str(m.name);
            if (m.value.IsNull()) {
                add(v, {k, ": files holds null for ", ref, " (a snapshot has no nulls)"});
            } else if (!good_file(m.value)) {
                add(v, {k, ": files[", ref, "] has no string \"version\""});
            } else if (const auto* rep = member(m.value, "replication");
                       rep != nullptr && !rep->IsString()) {
                add(v, {k, ": files[", ref, "].replication is not a string"});
            }
            if (!split_ref(ref)) {
                add(v, {k, ": files names '", ref, "', not <bucket>/<key>"});
            }
        }
        const auto* update = member(*r.body, "update");
        const auto* update_files = update != nullptr ? member(*update, "files") : nullptr;
        if (update_files == nullptr || !update_files->IsObject()) {
            add(v, {k, ": no object \"update\" with an object \"files\""});
        } else {
            for (const auto& m : update_files->GetObject()) {
                const std::string ref = str(m.name);
                if (m.value.IsNull()) {
                    continue;  // a delete writes no content
                }
                const auto* rep = member(m.value, "replication");
                if (!good_file(m.value) || rep == nullptr || !rep->IsString()) {
                    add(v, {k, ": update.files[", ref,
                            "] is not {\"version\": ..., \"replication\": ...}"});
                    continue;
                }
                const auto parts = split_ref(ref);
                if (!parts || parts->first != bucket) {
                    add(v, {k, ": update names '", ref, "', outside bucket ", bucket});
                    continue;
                }
                const auto where =
                    address_of(parts->second, std::string(str(*member(m.value, "version"))),
                               options.versioned);
                const std::string& object = where.name;
                if (!content_seen.contains(object)) {
                    auto content = co_await fetch_content(client, bucket, where);
                    if (!content) {
                        co_return std::move(content).err();
                    }
                    ++report.content_checked;
                    std::optional<std::string> problem;
                    if (!content->found) {
                        problem = "is missing";
                    } else if (!content->compact) {
                        problem = "is not JSON";
                    } else if (!is_json_type(content->content_type)) {
                        problem = "has Content-Type '" + content->content_type + "'";
                    }
                    content_seen.emplace(object, std::move(problem));
                }
                if (const auto& problem = content_seen.at(object)) {
                    add(v, {k, ": content ", object, " ", *problem});
                }
            }
        }
        // Sections 4 and 7.3: files is the whole state before this entry.
        if (!r.valid) {
            continue;
        }
        std::vector<const entry_record*> older;
        for (std::size_t j = i + 1; j < records.size(); ++j) {
            older.push_back(&records[j]);
        }
        // Section 7.1: a writer that had seen an entry stamps at least 1 ms after it.
        if (options.strict_snapshots) {
            const auto seen =
                std::find_if(older.begin(), older.end(), [](const auto* o) { return o->valid; });
            if (seen != older.end() && *(*seen)->key.ts >= *r.key.ts) {
                add(v,
                    {k, ": stamped ", std::to_string(*r.key.ts), ", not after ", (*seen)->key.key,
                     " (", std::to_string(*(*seen)->key.ts), ") that its writer had seen"});
            }
        }
        const resolved before = resolve(older);
        const auto expected = versions_of(before.files);
        const auto actual = versions_of(*member(*r.body, "files"));
        std::set<std::string> differing;
        for (const auto& [ref, version] : expected) {
            const auto it = actual.find(ref);
            if (it == actual.end() || it->second != version) {
                differing.insert(ref);
            }
        }
        for (const auto& [ref, version] : actual) {
            if (!expected.contains(ref)) {
                differing.insert(ref);
            }
        }
        for (const auto& ref : differing) {
            bool touched_in_window = false;
            for (const auto* o : older) {
                if (!o->valid || !o->readable || *o->key.ts <= *r.key.ts - window_ms) {
                    continue;
                }
                const auto* u = member(*o->body, "update");
                const auto* uf = u != nullptr ? member(*u, "files") : nullptr;
                if (uf != nullptr && member(*uf, ref) != nullptr) {
                    touched_in_window = true;
                    break;
                }
            }
            if (options.strict_snapshots || !touched_in_window) {
                const auto e = expected.find(ref);
                const auto a = actual.find(ref);
                add(v, {k, ": files[", ref, "] is ",
                        (a == actual.end() ? std::string("absent") : "version " + a->second),
                        " but the state before it has ",
                        (e == expected.end() ? std::string("none") : "version " + e->second),
                        (touched_in_window ? " (an entry in the window touched it)" : "")});
            }
        }
    }

    // Section 3: a session's counter descends as its stamps grow.
    for (auto& [session, entries] : sessions) {
        std::sort(entries.begin(), entries.end(), [](const auto* x, const auto* y) {
            const auto tx = x->key.ts.value_or(0);
            const auto ty = y->key.ts.value_or(0);
            return tx != ty ? tx < ty : x->key.counter > y->key.counter;
        });
        for (std::size_t i = 1; i < entries.size(); ++i) {
            if (!(entries[i]->key.counter < entries[i - 1]->key.counter)) {
                add(v, {"session ", session, ": counter ", entries[i]->key.counter, " of ",
                        entries[i]->key.key, " does not descend from ", entries[i - 1]->key.counter,
                        " of the older ", entries[i - 1]->key.key});
            }
        }
    }

    // Section 5: the marker.
    if (report.entries_checked > 0) {
        s3::get_options get;
        auto marker = co_await client.async_get_object(bucket, manifest, get);
        if (!marker) {
            if (marker.err().code != make_error_code(errc::not_found)) {
                co_return std::move(marker).err();
            }
            add(v, {"marker ", manifest, " is missing"});
        } else {
            if (marker->body != "\"\"") {
                add(v,
                    {"marker ", manifest, " holds '", marker->body.substr(0, 40), "', not \"\""});
            }
            if (!is_json_type(marker->content_type)) {
                add(v, {"marker ", manifest, ": Content-Type '", marker->content_type,
                        "', not application/json"});
            }
        }
    }
    co_return report;
}

}  // namespace mps3::test::spec
