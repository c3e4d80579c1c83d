// Manifest entry bodies (BUCKET_FORMAT.md section 4) as any client may have written them.
//
// Invariants: names given twice count as in JavaScript (the last wins); a body that parses
// serialises, and the serialisation parses to the same files and
// update with nothing skipped; warnings describe at most max_entry_warnings of the skipped
// members; apply_update agrees with RFC 7386 merge_patch of the update's JSON over the files'
// JSON (the reference semantics, json/merge_patch.hpp).
#include "fuzz_check.hpp"

#include "json/merge_patch.hpp"
#include "protocol/entry_body.hpp"

#include <cstddef>
#include <cstdint>

namespace {

using namespace mps3::protocol;

// v as JavaScript's JSON.parse reads it: of members named alike, the last one's value counts.
rapidjson::Value last_wins(const rapidjson::Value& v, rapidjson::Document::AllocatorType& a) {
    if (v.IsArray()) {
        rapidjson::Value out(rapidjson::kArrayType);
        for (const auto& item : v.GetArray()) {
            out.PushBack(last_wins(item, a), a);
        }
        return out;
    }
    if (!v.IsObject()) {
        return rapidjson::Value(v, a);
    }
    rapidjson::Value out(rapidjson::kObjectType);
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
        if (const auto it = out.FindMember(m->name); it != out.MemberEnd()) {
            it->value = last_wins(m->value, a);
        } else {
            out.AddMember(rapidjson::Value(m->name, a), last_wins(m->value, a), a);
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = mps3::fuzz::as_text(data, size);
    const auto body = parse_entry_body(input);
    if (!body) {
        return 0;
    }
    // Names given twice are read as MPS3 (JavaScript) reads them: the same body without the
    // earlier duplicates gives the same entry.
    auto doc_in = mps3::json::parse(input);
    FUZZ_CHECK(doc_in.has_value());
    if (mps3::fuzz::has_duplicate_names(*doc_in)) {
        rapidjson::Document js;
        static_cast<rapidjson::Value&>(js) = last_wins(*doc_in, js.GetAllocator());
        const auto as_js = parse_entry_body(mps3::fuzz::to_json(js));
        FUZZ_CHECK(as_js.has_value());
        FUZZ_CHECK(as_js->files == body->files && as_js->update == body->update);
    }
    // Warnings also note dropped "replication" members, which skip nothing.
    FUZZ_CHECK(body->warnings.size() <= max_entry_warnings);
    FUZZ_CHECK(body->skipped == 0 || !body->warnings.empty());

    // Everything parse_entry_body returns came from valid JSON strings, so it serialises.
    const auto text = serialize_entry_body(body->files, body->update);
    FUZZ_CHECK(text.has_value());
    const auto again = parse_entry_body(*text);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->files == body->files && again->update == body->update);
    FUZZ_CHECK(again->skipped == 0 && again->warnings.empty());

    // The typed update against the merge patch it stands for.
    manifest_state applied = body->files;
    apply_update(applied, body->update);
    auto doc = mps3::json::parse(*text);
    FUZZ_CHECK(doc.has_value());
    rapidjson::Value& files = (*doc)["files"];
    mps3::json::merge_patch(files, (*doc)["update"]["files"], doc->GetAllocator());
    const auto expected = serialize_entry_body(applied, {});
    FUZZ_CHECK(expected.has_value());
    const auto expected_doc = mps3::json::parse(*expected);
    FUZZ_CHECK(expected_doc.has_value());
    FUZZ_CHECK((*expected_doc)["files"] == files);
    return 0;
}
