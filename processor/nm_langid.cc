// nm_langid.cc - the CLD2 call behind nm_langid.h (the only C++ in newsmon).
#include "nm_langid.h"

#include <cstdio>  // compact_lang_det.h uses FILE without including it
#include <cstring>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

namespace {

// Copy the valid UTF-8 of in[0..len) to out, at most cap bytes, never
// cutting a character: invalid sequences, NULs and other C0 controls
// become spaces (CLD2 refuses text that is not "interchange-valid").
size_t copy_clean(const char *in, size_t len, char *out, size_t cap) {
    size_t i = 0, n = 0;
    while (i < len && n < cap) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        size_t k = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                             : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        bool ok = k > 0 && i + k <= len;
        for (size_t j = 1; ok && j < k; j++)
            ok = (static_cast<unsigned char>(in[i + j]) & 0xC0) == 0x80;
        if (ok && k == 3) {
            unsigned char d = static_cast<unsigned char>(in[i + 1]);
            ok = !(c == 0xE0 && d < 0xA0) && !(c == 0xED && d >= 0xA0); // overlong, surrogate
        } else if (ok && k == 4) {
            unsigned char d = static_cast<unsigned char>(in[i + 1]);
            ok = !(c == 0xF0 && d < 0x90) && !(c == 0xF4 && d >= 0x90);
        }
        if (!ok || (k == 1 && c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
            out[n++] = ' ';
            i++;
            continue;
        }
        if (n + k > cap) break;
        std::memcpy(out + n, in + i, k);
        n += k;
        i += k;
    }
    return n;
}

// CLD2's code for a language, as ISO 639-1 writes it and the corpora use it.
void iso_code(CLD2::Language lang, char out[8]) {
    const char *code = CLD2::LanguageCode(lang);
    // legacy codes CLD2 keeps from Google's tables
    if (!std::strcmp(code, "iw")) code = "he";
    else if (!std::strcmp(code, "jw")) code = "jv";
    size_t n = std::strcspn(code, "-"); // "zh-Hant" -> "zh", "sr-ME" -> "sr"
    if (n >= 8) n = 7;
    std::memcpy(out, code, n);
    out[n] = '\0';
}

} // namespace

extern "C" int nm_langid_detect(const char *title, size_t title_len, const char *body,
                                size_t body_len, char out[8]) {
    // CLD2's scanners look a few bytes past the end of the text they are
    // given: the padding keeps those reads inside buf and defined
    enum { PAD = 16 };
    char buf[NM_LANGID_MAX_BYTES + PAD];
    const size_t cap = NM_LANGID_MAX_BYTES;
    size_t n = copy_clean(title, title_len, buf, cap - 1);
    if (n < cap - 1) {
        buf[n++] = '\n';
        n += copy_clean(body, body_len, buf + n, cap - n);
    }
    std::memset(buf + n, 0, PAD);
    CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
    CLD2::Language top3[3];
    int percent3[3], text_bytes, valid_prefix;
    double score3[3];
    bool reliable;
    CLD2::Language lang = CLD2::UNKNOWN_LANGUAGE;
    // a second call on the valid prefix if CLD2 still finds something it
    // refuses (e.g. a noncharacter such as U+FFFE)
    for (int tries = 0; tries < 2 && n > 0; tries++) {
        lang = CLD2::ExtDetectLanguageSummaryCheckUTF8(buf, static_cast<int>(n), false, &hints, 0,
                                                       top3, percent3, score3, nullptr,
                                                       &text_bytes, &reliable, &valid_prefix);
        if (valid_prefix >= static_cast<int>(n)) break;
        n = static_cast<size_t>(valid_prefix);
        std::memset(buf + n, 0, PAD);
        lang = CLD2::UNKNOWN_LANGUAGE;
    }
    if (lang == CLD2::UNKNOWN_LANGUAGE || lang == CLD2::TG_UNKNOWN_LANGUAGE ||
        !std::strncmp(CLD2::LanguageCode(lang), "xx-", 3)) {
        std::strcpy(out, "und");
        return 0;
    }
    iso_code(lang, out);
    return 1;
}
