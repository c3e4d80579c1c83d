#include "protocol/entry_body.hpp"

#include "json/document.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <utility>

namespace mps3::protocol {
namespace {

std::string_view name_of(const rapidjson::Value& name) {
    return {name.GetString(), name.GetStringLength()};
}

// The member called `name`; of several, the last, as JavaScript's JSON.parse (which MPS3 reads
// entries with) keeps it. RapidJSON's FindMember returns the first, so a body with "version" (or
// "files") given twice would resolve differently here than in every MPS3 client.
rapidjson::Value::ConstMemberIterator last_member(const rapidjson::Value& object,
                                                  std::string_view name) {
    auto found = object.MemberEnd();
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        if (name_of(it->name) == name) {
            found = it;
        }
    }
    return found;
}

// Heterogeneous map::erase is C++23.
template <class Map>
void erase(Map& map, std::string_view key) {
    if (const auto it = map.find(key); it != map.end()) {
        map.erase(it);
    }
}

class body_reader {
  public:
    explicit body_reader(entry_body& body) : body_(body) {}

    void skip(std::string_view where, std::string_view ref, std::string_view why) {
        ++body_.skipped;
        if (body_.warnings.size() < max_entry_warnings) {
            std::string w(where);
            w.append(" \"").append(ref).append("\" skipped: ").append(why);
            body_.warnings.push_back(std::move(w));
        }
    }

    // A file object of "files" or of "update.files"; nullopt (and a warning) when unusable.
    std::optional<file_state> read_file(std::string_view where, std::string_view ref,
                                        const rapidjson::Value& v) {
        if (!v.IsObject()) {
            skip(where, ref, "is " + std::string(json::type_name(v)) + ", not an object");
            return std::nullopt;
        }
        const auto version = last_member(v, "version");
        if (version == v.MemberEnd() || !version->value.IsString()) {
            skip(where, ref, "no string \"version\"");
            return std::nullopt;
        }
        file_state file{std::string(name_of(version->value)), std::nullopt};
        if (const auto rep = last_member(v, "replication"); rep != v.MemberEnd()) {
            if (rep->value.IsString()) {
                file.replication = std::string(name_of(rep->value));
            } else {
                // The file itself is fine; only the experimental field is not understood.
                if (body_.warnings.size() < max_entry_warnings) {
                    body_.warnings.push_back(std::string(where) + " \"" + std::string(ref) +
                                             "\": non-string \"replication\" dropped");
                }
            }
        }
        return file;
    }

    void read_files(const rapidjson::Value& files) {
        for (const auto& member : files.GetObject()) {
            const auto ref = name_of(member.name);
            if (auto file = read_file("files", ref, member.value)) {
                body_.files.insert_or_assign(std::string(ref), std::move(*file));
            } else {
                erase(body_.files, ref);  // a bad duplicate replaces a good one, as in JS
            }
        }
    }

    void read_update(const rapidjson::Value& update) {
        if (update.IsNull()) {
            return;
        }
        if (!update.IsObject()) {
            skip("update", "", "is " + std::string(json::type_name(update)) + ", not an object");
            return;
        }
        const auto files = last_member(update, "files");
        if (files == update.MemberEnd() || files->value.IsNull()) {
            return;  // e.g. MPS3's initial {"update": {}}
        }
        if (!files->value.IsObject()) {
            skip("update", "files",
                 "is " + std::string(json::type_name(files->value)) + ", not an object");
            return;
        }
        for (const auto& member : files->value.GetObject()) {
            const auto ref = name_of(member.name);
            if (member.value.IsNull()) {
                body_.update.insert_or_assign(std::string(ref), std::nullopt);
            } else if (auto file = read_file("update.files", ref, member.value)) {
                body_.update.insert_or_assign(std::string(ref), std::move(file));
            } else {
                erase(body_.update, ref);
            }
        }
    }

  private:
    entry_body& body_;
};

using writer_t = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                   rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

bool write_string(writer_t& w, std::string_view s) {
    return w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

bool write_file(writer_t& w, const file_state& file) {
    bool ok = w.StartObject() && w.Key("version") && write_string(w, file.version);
    if (ok && file.replication) {
        ok = w.Key("replication") && write_string(w, *file.replication);
    }
    return ok && w.EndObject();
}

}  // namespace

result<entry_body> parse_entry_body(std::string_view text, std::size_t max_refs) {
    auto doc = json::parse(text);
    if (!doc) {
        return error(errc::invalid_argument, "manifest entry: " + doc.err().message);
    }
    if (!doc->IsObject()) {
        return error(
            errc::invalid_argument,
            "manifest entry: body is " + std::string(json::type_name(*doc)) + ", not an object");
    }
    const auto files = last_member(*doc, "files");
    if (files == doc->MemberEnd()) {
        return error(errc::invalid_argument, "manifest entry: no \"files\" member");
    }
    if (!files->value.IsObject()) {
        return error(errc::invalid_argument, std::string("manifest entry: \"files\" is ") +
                                                 std::string(json::type_name(files->value)) +
                                                 ", not an object");
    }
    const auto update = last_member(*doc, "update");
    std::size_t refs = files->value.MemberCount();
    if (update != doc->MemberEnd() && update->value.IsObject()) {
        if (const auto up = last_member(update->value, "files");
            up != update->value.MemberEnd() && up->value.IsObject()) {
            refs += up->value.MemberCount();
        }
    }
    if (refs > max_refs) {
        return error(errc::too_large, "manifest entry: names " + std::to_string(refs) +
                                          " files, more than the limit of " +
                                          std::to_string(max_refs));
    }
    entry_body body;
    body_reader reader(body);
    reader.read_files(files->value);
    if (update != doc->MemberEnd()) {
        reader.read_update(update->value);
    }
    return body;
}

result<std::string> serialize_entry_body(const manifest_state& files,
                                         const manifest_update& update) {
    rapidjson::StringBuffer buffer;
    writer_t w(buffer);
    bool ok = w.StartObject() && w.Key("files") && w.StartObject();
    for (auto it = files.begin(); ok && it != files.end(); ++it) {
        ok = write_string(w, it->first) && write_file(w, it->second);
    }
    ok = ok && w.EndObject() && w.Key("update") && w.StartObject() && w.Key("files") &&
         w.StartObject();
    for (auto it = update.begin(); ok && it != update.end(); ++it) {
        ok = write_string(w, it->first) && (it->second ? write_file(w, *it->second) : w.Null());
    }
    ok = ok && w.EndObject() && w.EndObject() && w.EndObject();
    if (!ok) {
        return error(errc::invalid_argument,
                     "manifest entry: a content ref or version is not valid UTF-8");
    }
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace mps3::protocol
