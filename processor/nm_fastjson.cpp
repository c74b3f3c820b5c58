// nm_fastjson.cpp - simdjson (DOM) behind the C interface of nm_fastjson.h.
// Built without exceptions: simdjson reports errors as codes, and nothing
// may unwind into C.
#include "nm_fastjson.h"

#include <cstring>

#include <simdjson.h>

namespace {

using simdjson::dom::element_type;

// Larger messages go to jansson: the parser keeps buffers of ~15 bytes per
// byte of the largest message it has seen, for the life of the thread.
constexpr size_t NM_FJ_MAX_MESSAGE = 1u << 20;
constexpr size_t NM_FJ_MIN_CAPACITY = 1u << 16;
// Duplicate members are found by comparing each key with the earlier ones:
// larger objects (not an article's shape) go to jansson.
constexpr size_t NM_FJ_MAX_MEMBERS = 32;

struct nm_fj_state {
    simdjson::dom::parser parser{NM_FJ_MAX_MESSAGE};
    simdjson::dom::document doc;
};
thread_local nm_fj_state nm_fj;

// jansson refuses \u0000 (without JSON_ALLOW_NUL) and unpaired surrogate
// escapes, which simdjson may decode to CESU-8 bytes: both make the text
// invalid for jansson.
bool nm_fj_string_ok(std::string_view s) {
    return !std::memchr(s.data(), 0, s.size()) && simdjson::validate_utf8(s.data(), s.size());
}

// Checks what simdjson accepts and jansson does not, below `e` at `depth`
// (of e's container; the top-level object is 1).
nm_fastjson_rc_t nm_fj_walk(simdjson::dom::element e, size_t depth, size_t max_depth) {
    switch (e.type()) {
    case element_type::OBJECT: {
        if (depth > max_depth) return NM_FASTJSON_DECLINED;
        simdjson::dom::object o;
        if (e.get_object().get(o)) return NM_FASTJSON_DECLINED;
        size_t n = 0;
        for (auto it = o.begin(); it != o.end(); ++it, ++n) {
            if (n == NM_FJ_MAX_MEMBERS) return NM_FASTJSON_DECLINED;
            std::string_view key = it.key();
            if (!nm_fj_string_ok(key)) return NM_FASTJSON_INVALID;
            for (auto prev = o.begin(); prev != it; ++prev)
                if (prev.key() == key) return NM_FASTJSON_INVALID; // JSON_REJECT_DUPLICATES
            nm_fastjson_rc_t rc = nm_fj_walk(it.value(), depth + 1, max_depth);
            if (rc != NM_FASTJSON_OK) return rc;
        }
        return NM_FASTJSON_OK;
    }
    case element_type::ARRAY: {
        if (depth > max_depth) return NM_FASTJSON_DECLINED;
        simdjson::dom::array a;
        if (e.get_array().get(a)) return NM_FASTJSON_DECLINED;
        for (simdjson::dom::element v : a) {
            nm_fastjson_rc_t rc = nm_fj_walk(v, depth + 1, max_depth);
            if (rc != NM_FASTJSON_OK) return rc;
        }
        return NM_FASTJSON_OK;
    }
    case element_type::STRING: {
        std::string_view s;
        if (e.get_string().get(s)) return NM_FASTJSON_DECLINED;
        return nm_fj_string_ok(s) ? NM_FASTJSON_OK : NM_FASTJSON_INVALID;
    }
    case element_type::UINT64:
        return NM_FASTJSON_INVALID; // above json_int_t (long long): "too big integer"
    default:
        return NM_FASTJSON_OK;
    }
}

nm_fastjson_rc_t nm_fj_rc(simdjson::error_code err) {
    switch (err) {
    case simdjson::SUCCESS: return NM_FASTJSON_OK;
    case simdjson::TAPE_ERROR:
    case simdjson::STRING_ERROR:
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
    case simdjson::NUMBER_ERROR:
    case simdjson::UTF8_ERROR:
    case simdjson::EMPTY:
    case simdjson::UNESCAPED_CHARS:
    case simdjson::UNCLOSED_STRING:
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
    case simdjson::TRAILING_CONTENT: return NM_FASTJSON_INVALID;
    default: return NM_FASTJSON_DECLINED; // capacity, memory, depth, internal
    }
}

} // namespace

extern "C" nm_fastjson_rc_t nm_fastjson_object(const char *buf, size_t len, size_t max_depth,
                                               const char *const *keys, size_t nkeys,
                                               nm_fastjson_field_t *fields) {
    for (size_t i = 0; i < nkeys; i++) fields[i] = nm_fastjson_field_t{NM_FASTJSON_ABSENT, nullptr, 0};
    if (len > NM_FJ_MAX_MESSAGE) return NM_FASTJSON_DECLINED;
    // a raw NUL byte is not JSON, yet jansson's reader skips some of them
    // (after a number, say) and simdjson others: leave them to jansson
    if (std::memchr(buf, 0, len)) return NM_FASTJSON_DECLINED;
    nm_fj_state &S = nm_fj;
    if (S.doc.capacity() < len || S.parser.capacity() < len) {
        // grow in powers of two, not to each new largest message
        size_t cap = NM_FJ_MIN_CAPACITY;
        while (cap < len) cap *= 2;
        if (S.doc.allocate(cap) || S.parser.allocate(cap)) return NM_FASTJSON_DECLINED;
    }
    simdjson::dom::element root;
    nm_fastjson_rc_t rc = nm_fj_rc(S.parser.parse_into_document(S.doc, buf, len, true).get(root));
    if (rc != NM_FASTJSON_OK) return rc;
    if (root.type() == element_type::ARRAY) return NM_FASTJSON_DECLINED; // jansson loads it
    if (root.type() != element_type::OBJECT) return NM_FASTJSON_INVALID; // "'[' or '{' expected"
    rc = nm_fj_walk(root, 1, max_depth);
    if (rc != NM_FASTJSON_OK) return rc;
    simdjson::dom::object top;
    if (root.get_object().get(top)) return NM_FASTJSON_DECLINED;
    for (simdjson::dom::key_value_pair kv : top) {
        for (size_t i = 0; i < nkeys; i++) {
            if (kv.key != keys[i]) continue;
            nm_fastjson_field_t &f = fields[i];
            switch (kv.value.type()) {
            case element_type::NULL_VALUE: f.type = NM_FASTJSON_NULL; break;
            case element_type::STRING: {
                std::string_view s;
                if (kv.value.get_string().get(s)) return NM_FASTJSON_DECLINED;
                f = nm_fastjson_field_t{NM_FASTJSON_STRING, s.data(), s.size()};
                break;
            }
            default: f.type = NM_FASTJSON_OTHER; break;
            }
            break;
        }
    }
    return NM_FASTJSON_OK;
}
