/* test_text.c - nm_text: normalisation, separators, HTML, offsets. */
#include "nm_test_util.h"

#include "nm_text.h"

static nm_text_t *g_text;

static int setup(void **state) {
    (void)state;
    g_text = nm_text_new();
    return g_text ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    nm_text_destroy(g_text);
    return 0;
}

/* Normalise `len` bytes with `flags`; returns a malloc'ed copy of the result. */
static char *norm_n(const char *in, size_t len, unsigned flags) {
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    assert_int_equal(nm_text_append(g_text, &b, in, len, flags), NM_OK);
    char *out = malloc(b.len + 1);
    assert_non_null(out);
    if (b.len) memcpy(out, b.s, b.len);
    out[b.len] = '\0';
    nm_textbuf_free(&b);
    return out;
}

#define NORM_EQ(in, flags, expected)                                            \
    do {                                                                        \
        char *got_ = norm_n((in), strlen(in), (flags));                         \
        char buf_[512];                                                         \
        snprintf(buf_, sizeof buf_, "%s", got_);                                \
        free(got_); /* before failing: a failed test must not leak */          \
        if (strcmp(buf_, (expected)) != 0)                                      \
            fail_msg("normalise(\"%s\") = \"%s\", expected \"%s\"", (in), buf_, \
                     (expected));                                               \
    } while (0)

#define TXT(in, expected) NORM_EQ(in, 0, expected)
#define HTML(in, expected) NORM_EQ(in, NM_TEXT_HTML, expected)

static void test_case_folding_latin(void **state) {
    (void)state;
    TXT("Hello WORLD", "hello world");
    TXT("NORTH Korea", "north korea");
    TXT("Straße", "strasse");          /* full case folding */
    TXT("ÜBER Größe", "uber grosse");
    TXT("İstanbul", "istanbul");       /* dotted capital I: mark removed */
}

static void test_accents_stripped_latin_all_languages(void **state) {
    (void)state;
    TXT("Corée du Nord", "coree du nord");                 /* fr */
    TXT("nord-coréen", "nord coreen");
    TXT("Élysée à Paris", "elysee a paris");
    TXT("Nordkorea liefert Geschütze", "nordkorea liefert geschutze"); /* de */
    TXT("Año, Corea del Norte", "ano corea del norte");    /* es */
    TXT("¿Qué pasó?", "que paso");
    TXT("Korea Utara meluncurkan rudal", "korea utara meluncurkan rudal"); /* id */
    /* decomposed input (e + combining acute) folds like the precomposed one */
    TXT("Core\xCC\x81" "e", "coree");
}

static void test_nfkc_fullwidth_and_ligatures(void **state) {
    (void)state;
    TXT("ｎｅｗｓ", "news");
    TXT("ＮＥＷＳ　ｔｏｄａｙ", "news today"); /* ideographic space separates */
    TXT("ﬁle ﬂow", "file flow");
    TXT("ﬃ", "ffi");
    TXT("ﾐｻｲﾙ", "ミサイル");             /* half-width katakana */
    TXT("①", "1");
    TXT("x²", "x2");
}

static void test_cyrillic_and_greek_folding(void **state) {
    (void)state;
    TXT("ПУТИН и КНДР", "путин и кндр");                   /* ru */
    TXT("Україна ЇЖАК Ґанок Єдність", "україна їжак ґанок єдність"); /* uk letters kept */
    TXT("ΑΘΗΝΑ Ελλάδα", "αθηνα ελλαδα");                   /* Greek: accents stripped */
    TXT("ΟΔΟΣ", "οδοσ");                                   /* case folding maps sigma */
}

/* docs/RULES.md: "combining marks removed (`Corée` = `coree`, `Ёж` = `еж`)". */
static void test_cyrillic_yo_folds_to_ye_as_documented(void **state) {
    (void)state;
    TXT("Ёж", "еж");
}

static void test_hangul_kana_han_kept(void **state) {
    (void)state;
    TXT("북한은 러시아에", "북한은 러시아에");             /* ko */
    TXT("北朝鮮のミサイル。", "北朝鮮のミサイル");        /* ja: final 。 dropped */
    TXT("朝鲜，俄罗斯。", "朝鲜 俄罗斯");                  /* zh: full-width comma */
    TXT("北朝鮮がミサイル。ロシアへ", "北朝鮮がミサイル.ロシアへ");
}

static void test_html_entities_decoded(void **state) {
    (void)state;
    HTML("Caf&eacute;", "cafe");
    HTML("&#233;t&#233;", "ete");
    HTML("&#x4E2D;&#X56FD;", "中国");
    HTML("Tom &amp; Jerry", "tom jerry");
    HTML("&lt;b&gt;not a tag&lt;/b&gt;", "b not a tag b");
    HTML("a&nbsp;b", "a b");
    HTML("&bogus, &#xZZ, &#0, & end", "bogus xzz 0 end"); /* unknown: plain text */
    HTML("a&bogus;b", "a bogus.b");                   /* ';' ends a sentence */
    /* without NM_TEXT_HTML entities are plain text */
    TXT("Caf&eacute;", "caf eacute");
}

static void test_html_tags_removed(void **state) {
    (void)state;
    HTML("<p>One</p><p>Two</p>", "one\ntwo");
    HTML("Line<br>next<BR/>last", "line\nnext\nlast");
    HTML("<div class=\"x\">A</div><li>B", "a\nb");
    HTML("<b>bold</b> and <a href='u'>link</a>", "bold and link");
    HTML("<!-- comment -->text", "text");
    HTML("3 < 4 and 5 > 2", "3 4 and 5 2"); /* not tags */
    HTML("a <", "a");
    TXT("<p>One</p>", "p one p");           /* tags only in HTML mode */
}

static void test_quotes_nbsp_and_punctuation_separate(void **state) {
    (void)state;
    TXT("\xE2\x80\x9C" "Kim\xE2\x80\x9D\xE2\x80\x99" "s", "kim s");   /* “Kim”’s */
    TXT("«Poutine»", "poutine");
    TXT("North\xC2\xA0Korea", "north korea");                           /* NBSP */
    TXT("North\xE2\x80\xAF" "Korea", "north korea");                    /* narrow NBSP */
    TXT("Kim Jong-un", "kim jong un");
    TXT("Kim\xE2\x80\x94Putin", "kim putin");                           /* em dash */
    TXT("a   ,,,   b", "a b");                                          /* runs: one separator */
    TXT("Nord\xC2\xAD" "korea", "nordkorea");                           /* soft hyphen ignored */
    TXT("ab\xE2\x80\x8B" "cd", "abcd");                                 /* zero width space? Cf */
}

static void test_sentence_marks(void **state) {
    (void)state;
    TXT("One. Two", "one.two");
    TXT("One! Two? Three", "one.two.three");
    TXT("Done.", "done");                         /* trailing separators dropped */
    TXT("The U.S. and Russia", "the u s and russia");
    TXT("U.S. sanctions. New talks", "u s sanctions.new talks");
    TXT("J. Smith said", "j smith said");
    TXT("3.5 percent", "3 5 percent");
    TXT("www.example.com", "www example com");
    TXT("He said \"no.\" Then", "he said no.then");
    TXT("Ends.\nNext", "ends\nnext");             /* paragraph outranks sentence */
    TXT("a\n\n\r\nb", "a\nb");
    TXT("  leading", "leading");
    NORM_EQ("One. Two!", NM_TEXT_TERM, "one two"); /* term mode: plain spaces */
}

#define KEEP(in, expected) NORM_EQ(in, NM_TEXT_KEEP_MARKS, expected)

/* Vowel signs, tone marks and viramas of abugidas are letters. */
static void test_thai_devanagari_bengali_signs_kept(void **state) {
    (void)state;
    TXT("อาวุธ", "อาวุธ");                        /* th: sara u below */
    TXT("ปูติน", "ปูติน");                        /* sara uu */
    /* tone marks kept; sara am becomes its NFKC nikhahit + sara aa */
    TXT("น้ำท่วม", "น\xE0\xB9\x89\xE0\xB9\x8D\xE0\xB8\xB2ท่วม");
    TXT("ปี ๒๕๖๘", "ปี 2568");                    /* Thai digits */
    TXT("हथियार और मिसाइलें", "हथियार और मिसाइलें"); /* hi: matras, anusvara */
    TXT("फ़ौज", "फ\xE0\xA4\xBC" "ौज");           /* precomposed nukta letter ... */
    TXT("फ\xE0\xA4\xBC" "ौज", "फ\xE0\xA4\xBC" "ौज"); /* ... folds like the decomposed one */
    TXT("सेना आई। फिर", "सेना आई.फिर");           /* danda ends a sentence */
    TXT("वर्ष २०२५", "वर्ष 2025");
    TXT("ক্ষেপণাস্ত্র ও সেনা", "ক্ষেপণাস্ত্র ও সেনা"); /* bn: virama, vowel signs */
    TXT("২০২৫ সাল", "2025 সাল");
}

/* Without NM_TEXT_KEEP_MARKS Vietnamese loses its tones like French its
 * accents; with it (a pack's `marks = keep`) every mark stays, in the
 * canonical decomposed order, whether the input was precomposed or not. */
static void test_vietnamese_marks_kept_on_request(void **state) {
    (void)state;
    TXT("Nga và ngà voi", "nga va nga voi");
    KEEP("Nga", "nga");
    KEEP("ngà", "nga\xCC\x80");
    KEEP("NGÀ", "nga\xCC\x80");
    KEEP("nga\xCC\x80", "nga\xCC\x80");                 /* decomposed input */
    KEEP("Triều Tiên", "trie\xCC\x82\xCC\x80u tie\xCC\x82n");
    KEEP("Trie\xCC\x82\xCC\x80u Tie\xCC\x82n", "trie\xCC\x82\xCC\x80u tie\xCC\x82n");
    KEEP("Hoa Kỳ", "hoa ky\xCC\x80");
    KEEP("tên lửa", "te\xCC\x82n lu\xCC\x9B\xCC\x89" "a"); /* horn, hook above */
    KEEP("ĐÀ NẴNG", "đa\xCC\x80 na\xCC\x86\xCC\x83ng");
    /* other scripts fold as usual */
    KEEP("ΑΘΗΝΑ Москва", "αθηνα москва");
}

/* Turkish writes I/ı and İ/i: all four fold to i, so a headline in capitals
 * matches the lower-case body whichever way it was typed. */
static void test_turkish_dotted_and_dotless_i(void **state) {
    (void)state;
    TXT("ILIK Ilık ılık", "ilik ilik ilik");
    TXT("İSTANBUL İstanbul istanbul", "istanbul istanbul istanbul");
    TXT("KUZEY KORE SILAH", "kuzey kore silah");
    TXT("Kuzey Kore silah gönderdi", "kuzey kore silah gonderdi");
    TXT("I think It is", "i think it is");              /* en: I -> i unchanged */
}

static void test_arabic_persian_urdu_folding(void **state) {
    (void)state;
    TXT("أَحْمَد", "احمد");                             /* harakat removed */
    TXT("إيران أو آسيا", "ايران او اسيا");              /* alef variants */
    TXT("الكـــتاب", "الكتاب");                          /* tatweel */
    TXT("مدرسة", "مدرسه");                              /* teh marbuta */
    TXT("على", "علي");                                  /* alef maqsura */
    TXT("عام ٢٠٢٥", "عام 2025");                        /* Arabic-Indic digits */
    TXT("ﻻ", "لا");                                      /* presentation forms (NFKC) */
    TXT("ایران", "ايران");                              /* fa: Farsi yeh */
    TXT("کره شمالی", "كره شمالي");                      /* fa: keheh */
    TXT("سال ۱۴۰۴", "سال 1404");                        /* Persian digits */
    TXT("پاکستان", "پاكستان");                          /* ur */
    TXT("اس نے کہا۔ پھر", "اس نے كها.پھر");            /* ur: heh goal, full stop */
    TXT("هل؟ نعم", "هل.نعم");
}

static void test_hebrew_points_removed(void **state) {
    (void)state;
    TXT("שָׁלוֹם", "שלום");                              /* niqqud */
    TXT("בְּרֵאשִׁ֖ית", "בראשית");                       /* cantillation */
    TXT("צבא ישראל", "צבא ישראל");                      /* final letters stay */
}

static void test_greek_accents_and_final_sigma(void **state) {
    (void)state;
    TXT("Αθήνα", "αθηνα");
    TXT("ΠΟΛΕΜΟΣ πόλεμος", "πολεμοσ πολεμοσ");
    TXT("Τι; Ναι", "τι.ναι");                           /* Greek question mark */
}

static void test_unspaced_scripts(void **state) {
    (void)state;
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    static const struct { const char *term; nm_script_t script; } cases[] = {
        {"รัสเซีย", NM_SCRIPT_THAI},   {"ລັດເຊຍ", NM_SCRIPT_LAO},
        {"រុស្ស៊ី", NM_SCRIPT_KHMER},  {"ရုရှား", NM_SCRIPT_MYANMAR},
        {"ロシア", NM_SCRIPT_KANA},      {"俄罗斯", NM_SCRIPT_HAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nm_script_t f, l;
        assert_int_equal(nm_text_term(g_text, &b, cases[i].term, 0), NM_OK);
        nm_text_edge_scripts(g_text, b.s, b.len, &f, &l);
        assert_int_equal(f, cases[i].script);
        assert_int_equal(l, cases[i].script);
        assert_true(nm_script_unspaced(f));
    }
    assert_false(nm_script_unspaced(NM_SCRIPT_LATIN));
    assert_false(nm_script_unspaced(NM_SCRIPT_HANGUL));
    assert_false(nm_script_unspaced(NM_SCRIPT_HEBREW));
    nm_textbuf_free(&b);
}

static void test_invalid_utf8_and_nul_are_separators(void **state) {
    (void)state;
    char *o;
    o = norm_n("ab\xFF" "cd", 5, 0);
    assert_string_equal(o, "ab cd");
    free(o);
    o = norm_n("ab\0cd", 5, 0);
    assert_string_equal(o, "ab cd");
    free(o);
    o = norm_n("ab\xC0\xAF" "cd", 6, 0); /* overlong '/' */
    assert_string_equal(o, "ab cd");
    free(o);
    o = norm_n("ab\xED\xA0\x80" "cd", 7, 0); /* UTF-16 surrogate */
    assert_string_equal(o, "ab cd");
    free(o);
    o = norm_n("ab\xE4\xB8", 4, 0); /* truncated at the end */
    assert_string_equal(o, "ab");
    free(o);
    o = norm_n("\xF4\x90\x80\x80" "x", 5, 0); /* above U+10FFFF */
    assert_string_equal(o, "x");
    free(o);
    o = norm_n("\0\0\0", 3, NM_TEXT_HTML);
    assert_string_equal(o, "");
    free(o);
}

static int is_valid_utf8(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (!k || i + k > n) return 0;
        for (size_t j = 1; j < k; j++)
            if (((unsigned char)s[i + j] & 0xC0) != 0x80) return 0;
        i += k;
    }
    return 1;
}

/* Random bytes (fixed seed): never crash, output invariants always hold. */
static void test_random_bytes_never_crash(void **state) {
    (void)state;
    uint64_t seed = 0x5eed1234abcdULL;
    static const char *const alpha[] = {"a", "Z", " ", ".", "\n", "<p>", "&amp;", "&#x",
                                        "\xC3\xA9", "\xE4\xB8\xAD", "\xFF", "\x80", "\0",
                                        "\xF0\x9F\x98\x80", "\xEF\xB7\xBA", "\xE2\x80\x9C",
                                        "U.S.", "\xED\xA0\x80", ";", "<"};
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    for (int iter = 0; iter < 400; iter++) {
        char in[600];
        size_t n = 0;
        size_t want = nm_rand(&seed) % 500;
        while (n < want) {
            if (nm_rand(&seed) % 3 == 0) {
                in[n++] = (char)(nm_rand(&seed) & 0xFF);
            } else {
                const char *a = alpha[nm_rand(&seed) % (sizeof alpha / sizeof alpha[0])];
                size_t al = a[0] ? strlen(a) : 1;
                if (n + al > sizeof in) break;
                memcpy(in + n, a, al);
                n += al;
            }
        }
        nm_textbuf_reset(&b);
        assert_int_equal(nm_text_append(g_text, &b, in, n, iter & 1 ? NM_TEXT_HTML : 0), NM_OK);
        assert_true(is_valid_utf8(b.s, b.len));
        if (b.len) {
            assert_false(nm_text_is_sep(b.s[0]));
            assert_false(nm_text_is_sep(b.s[b.len - 1]));
        }
        for (size_t i = 0; i < b.len; i++) {
            assert_true(b.s[i] != '\0' && b.s[i] != '\t' && b.s[i] != '\r');
            if (i && nm_text_is_sep(b.s[i])) assert_false(nm_text_is_sep(b.s[i - 1]));
            assert_true(b.src[i] < n);
            if (i) assert_true(b.src[i] >= b.src[i - 1]);
        }
    }
    nm_textbuf_free(&b);
}

/* The ASCII fast path's vector step against the byte loop: the same text,
 * offsets, marks, script counts and pending state, over random token text
 * (words longer and shorter than a vector, digits, capitals, separators,
 * sentence marks, markup, other scripts) in one or more appends. */
static void test_vector_step_equals_byte_loop(void **state) {
    (void)state;
    nm_text_t *bytes = nm_text_new();
    assert_non_null(bytes);
    nm_text_set_vector(bytes, 0);
#ifdef __SSE2__
    assert_true(nm_text_set_vector(g_text, 1)); /* else this test compares nothing */
#endif
    static const char *const tok[] = {"Pyongyang", "KIM", "un", "x", "2024", "A1b2C3",
                                      "Interministerial", "abcdefghijklmnopqrstuvwxyz0123456789",
                                      " ", "  ", ", ", "-", "\t", "\n", ". ", "U.S.", "!",
                                      "&amp;", "<p>", "<", "\"", "'", "_", "$",
                                      "\xC3\xA9t\xC3\xA9", "\xD0\x9A\xD0\x9D\xD0\x94\xD0\xA0",
                                      "\xEC\xA1\xB0\xEC\x84\xA0", "\xE4\xB8\xAD", "\xEF\xAC\x81",
                                      "\xF0\x9F\x98\x80", "\xFF", "Stra\xC3\x9F" "e"};
    uint64_t seed = 0x7e57ab1eULL;
    nm_textbuf_t a, b;
    nm_textbuf_init(&a);
    nm_textbuf_init(&b);
    for (int iter = 0; iter < 600; iter++) {
        static const unsigned flag_sets[] = {0, NM_TEXT_HTML, NM_TEXT_TERM, NM_TEXT_KEEP_MARKS};
        unsigned flags = flag_sets[iter % 4];
        nm_textbuf_reset(&a);
        nm_textbuf_reset(&b);
        for (int part = 0, parts = 1 + (int)(nm_rand(&seed) % 3); part < parts; part++) {
            char in[1200];
            size_t n = 0, want = nm_rand(&seed) % 1000;
            while (n < want) {
                const char *t = tok[nm_rand(&seed) % (sizeof tok / sizeof tok[0])];
                size_t tl = strlen(t);
                if (n + tl > sizeof in) break;
                memcpy(in + n, t, tl);
                n += tl;
            }
            assert_int_equal(nm_text_append(g_text, &a, in, n, flags), NM_OK);
            assert_int_equal(nm_text_append(bytes, &b, in, n, flags), NM_OK);
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.s, b.s, a.len);
            if (a.len) assert_memory_equal(a.src, b.src, a.len * sizeof *a.src);
            assert_int_equal(a.marks, b.marks);
            assert_memory_equal(a.script_count, b.script_count, sizeof a.script_count);
            assert_int_equal(a.pending_sep, b.pending_sep);
            if (a.pending_sep) assert_int_equal(a.pending_src, b.pending_src);
            assert_int_equal(a.word_cps, b.word_cps);
        }
    }
    nm_textbuf_free(&a);
    nm_textbuf_free(&b);
    nm_text_destroy(bytes);
}

/* Text that grows a lot under NFKC (U+FDFA is 3 bytes in, 33 out) mixed
 * with ASCII, at every length around the buffer's growth points. */
static void test_expanding_text_fills_buffer_safely(void **state) {
    (void)state;
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    char in[3 * 400 + 400];
    for (size_t k = 0; k < 400; k++) {
        for (size_t tail = 0; tail < 4; tail++) {
            size_t n = 0;
            for (size_t i = 0; i < k; i++) memcpy(in + n, "\xEF\xB7\xBA", 3), n += 3;
            for (size_t i = 0; i < tail; i++) in[n++] = i % 2 ? 'a' : ' ';
            nm_textbuf_reset(&b);
            assert_int_equal(nm_text_append(g_text, &b, in, n, 0), NM_OK);
            /* the terminating NUL must be inside the allocation (273 x U+FDFA
             * then " a" used to put it one byte past the end) */
            size_t len = b.len, cap = b.cap;
            if (len >= cap) nm_textbuf_free(&b);
            if (len >= cap)
                fail_msg("%zu x U+FDFA + %zu ASCII: len %zu, cap %zu: NUL written out of bounds",
                         k, tail, len, cap);
            assert_int_equal(b.s[b.len], '\0');
        }
    }
    nm_textbuf_free(&b);
}

static void test_offsets_map_to_original_bytes(void **state) {
    (void)state;
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    const char *in = "  Corée du Nord";
    assert_int_equal(nm_text_append(g_text, &b, in, strlen(in), 0), NM_OK);
    assert_string_equal(b.s, "coree du nord");
    assert_int_equal(b.src[0], 2);  /* 'C' */
    assert_int_equal(b.src[3], 5);  /* 'é' starts at byte 5 */
    assert_int_equal(b.src[4], 7);  /* final 'e' */
    assert_int_equal(b.src[6], 9);  /* 'd' */
    /* HTML: the decoded letter points at its '&' */
    nm_textbuf_reset(&b);
    in = "<p>&Eacute;t&eacute; &#x4E2D;</p>";
    assert_int_equal(nm_text_append(g_text, &b, in, strlen(in), NM_TEXT_HTML), NM_OK);
    assert_string_equal(b.s, "ete 中");
    assert_int_equal(b.src[0], 3);
    assert_int_equal(b.src[1], 11);
    assert_int_equal(b.src[2], 12);
    assert_int_equal(b.src[4], 21);
    assert_int_equal(b.src[5], 21); /* all three bytes of 中 */
    assert_int_equal(b.src[6], 21);
    /* a ligature's letters both point at it; full-width at its 3 bytes */
    nm_textbuf_reset(&b);
    in = "x ﬁｎ";
    assert_int_equal(nm_text_append(g_text, &b, in, strlen(in), 0), NM_OK);
    assert_string_equal(b.s, "x fin");
    assert_int_equal(b.src[2], 2);
    assert_int_equal(b.src[3], 2);
    assert_int_equal(b.src[4], 5);
    /* a second append maps into its own input */
    in = "Kim";
    nm_textbuf_break(&b, '\n');
    assert_int_equal(nm_text_append(g_text, &b, in, 3, 0), NM_OK);
    assert_string_equal(b.s, "x fin\nkim");
    assert_int_equal(b.src[6], 0);
    assert_int_equal(b.src[8], 2);
    nm_textbuf_free(&b);
}

static void test_appends_and_breaks(void **state) {
    (void)state;
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    assert_int_equal(nm_text_append(g_text, &b, "Hello ", 6, 0), NM_OK);
    assert_string_equal(b.s, "hello"); /* trailing separator pending */
    assert_int_equal(nm_text_append(g_text, &b, "world", 5, 0), NM_OK);
    assert_string_equal(b.s, "hello world");
    assert_int_equal(nm_text_append(g_text, &b, "end.", 4, 0), NM_OK);
    assert_int_equal(nm_text_append(g_text, &b, "Next", 4, 0), NM_OK);
    assert_string_equal(b.s, "hello worldend.next");
    nm_textbuf_break(&b, ' ');
    nm_textbuf_break(&b, '\n');
    nm_textbuf_break(&b, '.'); /* lower rank than the pending '\n' */
    assert_int_equal(nm_text_append(g_text, &b, "para", 4, 0), NM_OK);
    assert_string_equal(b.s, "hello worldend.next\npara");
    nm_textbuf_reset(&b);
    assert_int_equal(b.len, 0);
    nm_textbuf_break(&b, '\n'); /* leading separators are dropped */
    assert_int_equal(nm_text_append(g_text, &b, "x", 1, 0), NM_OK);
    assert_string_equal(b.s, "x");
    assert_int_equal(nm_text_append(g_text, &b, "", 0, 0), NM_OK);
    assert_string_equal(b.s, "x");
    nm_textbuf_free(&b);
}

static void test_marks_counted(void **state) {
    (void)state;
    /* `marks` is what the tagger sizes its sentence tables by: it must be
     * every '.' and '\n' of the text, across appends and breaks */
    const char *in[] = {"\n\nLead. Second sentence! Third?\n\nU.S. and J. Smith said... yes",
                        "<p>One</p><p>Two.</p><br>Three&#46; four", "  ", "word",
                        "Россия. 北朝鮮。ミサイル！ 북한\n\n\nend.", ""};
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        assert_int_equal(nm_text_append(g_text, &b, in[i], strlen(in[i]), NM_TEXT_HTML), NM_OK);
        nm_textbuf_break(&b, i % 2 ? '\n' : '.');
        size_t n = 0;
        for (size_t k = 0; k < b.len; k++) n += b.s[k] == '.' || b.s[k] == '\n';
        assert_int_equal(b.marks, n);
    }
    assert_true(b.marks >= 10);
    nm_textbuf_reset(&b);
    assert_int_equal(b.marks, 0);
    nm_textbuf_free(&b);
}

static void test_script_counts(void **state) {
    (void)state;
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    const char *in = "ab Рос Україна 북한 ミサ 中国";
    assert_int_equal(nm_text_append(g_text, &b, in, strlen(in), 0), NM_OK);
    assert_int_equal(b.script_count[NM_SCRIPT_LATIN], 2);
    assert_int_equal(b.script_count[NM_SCRIPT_CYRILLIC], 3 + 6);
    assert_int_equal(b.script_count[NM_SCRIPT_UKRAINIAN], 1); /* ї */
    assert_int_equal(b.script_count[NM_SCRIPT_HANGUL], 2);
    assert_int_equal(b.script_count[NM_SCRIPT_KANA], 2);
    assert_int_equal(b.script_count[NM_SCRIPT_HAN], 2);
    nm_textbuf_free(&b);
}

static void test_term_normalisation_and_edge_scripts(void **state) {
    (void)state;
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    assert_int_equal(nm_text_term(g_text, &b, "Kim Jong-un", 0), NM_OK);
    assert_string_equal(b.s, "kim jong un");
    assert_int_equal(nm_text_term(g_text, &b, "U.S.A.", 0), NM_OK);
    assert_string_equal(b.s, "u s a");
    assert_int_equal(nm_text_term(g_text, &b, "ＮＯＲＤ-Coréen", 0), NM_OK);
    assert_string_equal(b.s, "nord coreen");
    assert_int_equal(nm_text_term(g_text, &b, "--!!", 0), NM_OK);
    assert_int_equal(b.len, 0);
    nm_script_t f, l;
    assert_int_equal(nm_text_term(g_text, &b, "북한 nuclear", 0), NM_OK);
    nm_text_edge_scripts(g_text, b.s, b.len, &f, &l);
    assert_int_equal(f, NM_SCRIPT_HANGUL);
    assert_int_equal(l, NM_SCRIPT_LATIN);
    assert_int_equal(nm_text_term(g_text, &b, "ロシア軍", 0), NM_OK);
    nm_text_edge_scripts(g_text, b.s, b.len, &f, &l);
    assert_int_equal(f, NM_SCRIPT_KANA);
    assert_int_equal(l, NM_SCRIPT_HAN);
    assert_int_equal(nm_text_term(g_text, &b, "путин 1", 0), NM_OK);
    nm_text_edge_scripts(g_text, b.s, b.len, &f, &l);
    assert_int_equal(f, NM_SCRIPT_CYRILLIC);
    assert_int_equal(l, NM_SCRIPT_OTHER); /* digits */
    nm_text_edge_scripts(g_text, "", 0, &f, &l);
    assert_int_equal(f, NM_SCRIPT_OTHER);
    assert_int_equal(l, NM_SCRIPT_OTHER);
    nm_textbuf_free(&b);
}

static void test_astral_code_points(void **state) {
    (void)state;
    TXT("a\xF0\x9F\x98\x80" "b", "a b");                  /* emoji: symbol */
    TXT("\xF0\x9D\x90\x80\xF0\x9D\x90\x81", "ab");        /* math bold AB -> ab */
    TXT("\xF0\xA0\x80\x80", "\xF0\xA0\x80\x80");          /* CJK ext B kept */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_folding_latin),
        cmocka_unit_test(test_accents_stripped_latin_all_languages),
        cmocka_unit_test(test_nfkc_fullwidth_and_ligatures),
        cmocka_unit_test(test_cyrillic_and_greek_folding),
        cmocka_unit_test(test_cyrillic_yo_folds_to_ye_as_documented),
        cmocka_unit_test(test_hangul_kana_han_kept),
        cmocka_unit_test(test_html_entities_decoded),
        cmocka_unit_test(test_html_tags_removed),
        cmocka_unit_test(test_quotes_nbsp_and_punctuation_separate),
        cmocka_unit_test(test_sentence_marks),
        cmocka_unit_test(test_thai_devanagari_bengali_signs_kept),
        cmocka_unit_test(test_vietnamese_marks_kept_on_request),
        cmocka_unit_test(test_turkish_dotted_and_dotless_i),
        cmocka_unit_test(test_arabic_persian_urdu_folding),
        cmocka_unit_test(test_hebrew_points_removed),
        cmocka_unit_test(test_greek_accents_and_final_sigma),
        cmocka_unit_test(test_unspaced_scripts),
        cmocka_unit_test(test_invalid_utf8_and_nul_are_separators),
        cmocka_unit_test(test_random_bytes_never_crash),
        cmocka_unit_test(test_vector_step_equals_byte_loop),
        cmocka_unit_test(test_expanding_text_fills_buffer_safely),
        cmocka_unit_test(test_offsets_map_to_original_bytes),
        cmocka_unit_test(test_appends_and_breaks),
        cmocka_unit_test(test_script_counts),
        cmocka_unit_test(test_marks_counted),
        cmocka_unit_test(test_term_normalisation_and_edge_scripts),
        cmocka_unit_test(test_astral_code_points),
    };
    return cmocka_run_group_tests_name("nm_text", tests, setup, teardown);
}
