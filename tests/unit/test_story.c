/* test_story.c - nm_story: signatures (copies close, different texts far,
 * title and boilerplate ignored) and the index (bounded, deterministic).
 * Every text here is written for these tests. */
#include "nm_test_util.h"

#include "nm_article.h"
#include "nm_story.h"

/* A wire story of eight paragraphs, and another one on the same event. */
static const char *const STORY[] = {
    "The harbour authority of the northern port said on Tuesday that the new container "
    "terminal will open in the spring, two years later than first planned.",
    "Officials blamed the delay on a shortage of steel and on the long winter, which halted "
    "work on the quay walls for almost four months.",
    "The terminal is meant to double the port's capacity and to bring ships from three new "
    "shipping lines, according to the regional government.",
    "Local business groups welcomed the date but asked for better rail links, saying that "
    "trucks already block the coastal road every morning.",
    "The project has cost more than its budget, and the audit office is expected to publish "
    "a report on its finances before the end of the year.",
    "Dock workers said they hoped the new jobs would go to people from the town rather than "
    "to contractors brought in from the capital.",
    "A spokesman for the operator said that hiring would start in January and that training "
    "courses were being prepared with the local college.",
    "The first ship is expected to berth in April, weather permitting, the authority added "
    "in a statement published on its website.",
};
static const char *const OTHER[] = {
    "Ships will be able to use the northern port's new container terminal from the spring, "
    "the regional government announced, after a delay of two years.",
    "Steel shortages and a harsh winter had stopped construction for months, a minister told "
    "reporters, adding that costs had risen sharply.",
    "Business leaders in the town said they were relieved, although many complained about "
    "traffic on the coast road and the lack of a railway.",
    "The auditors will examine the overspending later this year, while unions want local "
    "people to be hired for the hundreds of new posts.",
};

static char *join(const char *const *paras, size_t from, size_t to, const char *extra) {
    size_t len = (extra ? strlen(extra) + 2 : 0) + 1;
    for (size_t i = from; i < to; i++) len += strlen(paras[i]) + 2;
    char *s = malloc(len);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = from; i < to; i++) {
        strcat(s, paras[i]);
        strcat(s, "\n\n");
    }
    if (extra) strcat(s, extra);
    return s;
}

static nm_story_sig_t sig_of(const char *title, const char *body) {
    nm_tag_result_t res;
    assert_int_equal(nm_tagger_tag(g_rules, g_ws, title, strlen(title), body, strlen(body), "en",
                                   &res),
                     NM_OK);
    return nm_story_sign_article(g_ws);
}

static void test_copies_are_close_different_texts_far(void **state) {
    (void)state;
    char *orig = join(STORY, 0, 8, NULL);
    char *cut = join(STORY, 1, 6, NULL); /* lead and the last two paragraphs cut */
    char *other = join(OTHER, 0, 4, NULL);
    nm_story_sig_t a = sig_of("Port terminal to open in spring", orig);
    nm_story_sig_t b = sig_of("New container terminal delayed by two years", cut);
    nm_story_sig_t c = sig_of("Port terminal to open in spring", other);
    assert_true(a.shingles > 150);
    assert_true(b.shingles < a.shingles);
    double close = nm_story_containment(&a, &b), far = nm_story_containment(&a, &c);
    assert_true(close >= NM_STORY_MIN_CONTAINMENT);
    assert_true(far < 0.2);
    assert_true(nm_story_containment(&a, &a) == 1.0);

    /* a few words changed still leave it close */
    char *edited = join(STORY, 0, 8, NULL);
    char *p = strstr(edited, "Tuesday");
    memcpy(p, "Monday ", 7);
    p = strstr(edited, "January");
    memcpy(p, "March  ", 7);
    nm_story_sig_t d = sig_of("Port terminal", edited);
    assert_true(nm_story_containment(&a, &d) >= 0.8);
    free(orig);
    free(cut);
    free(other);
    free(edited);
}

static void test_title_boilerplate_and_html_do_not_count(void **state) {
    (void)state;
    char *plain = join(STORY, 0, 8, NULL);
    /* the fixture's boilerplate cues open these lines */
    char *furnished = join(STORY, 0, 8, "Read more: Port workers strike over pay\n\nPhoto: the quay");
    size_t hl = strlen(plain) * 2 + 64;
    char *html = malloc(hl);
    assert_non_null(html);
    snprintf(html, hl, "<p>%s</p><div class=\"x\">%s</div>", STORY[0], STORY[1]);
    char *two = join(STORY, 0, 2, NULL);
    nm_story_sig_t a = sig_of("Port terminal to open in spring", plain);
    nm_story_sig_t b = sig_of("A different headline altogether", furnished);
    assert_int_equal(a.shingles, b.shingles);
    assert_memory_equal(a.min, b.min, sizeof a.min);
    nm_story_sig_t h = sig_of("x", html), t = sig_of("y", two);
    assert_int_equal(h.shingles, t.shingles);
    assert_memory_equal(h.min, t.min, sizeof h.min);
    /* unrecognised furniture is text: it changes the signature */
    char *extra = join(STORY, 0, 8, "Follow our reporters for the latest news from the coast");
    nm_story_sig_t e = sig_of("Port terminal to open in spring", extra);
    assert_true(e.shingles > a.shingles);
    free(plain);
    free(furnished);
    free(html);
    free(two);
    free(extra);
}

static void test_short_body_is_signed_with_its_title(void **state) {
    (void)state;
    nm_story_sig_t a = sig_of("Storm closes the northern port for two days", "More soon.");
    nm_story_sig_t b = sig_of("Election results delayed in three districts", "More soon.");
    assert_true(a.shingles > 0 && a.shingles < NM_STORY_MIN_SHINGLES);
    assert_true(memcmp(a.min, b.min, sizeof a.min) != 0);
    nm_story_sig_t e = sig_of("", "");
    assert_int_equal(e.shingles, 0);
}

static void test_unspaced_scripts_have_a_word_per_character(void **state) {
    (void)state;
    static const char ja[] =
        "北部の港湾当局は火曜日、新しいコンテナターミナルが春に開業すると発表した。"
        "当初の計画より二年遅れとなる。\n\n鉄鋼の不足と長い冬のため、岸壁の工事は約四か月止まった。"
        "\n\nターミナルは港の能力を倍にし、三つの新しい航路の船を呼び込むという。"
        "\n\n地元の経済団体は日程を歓迎したが、鉄道の接続の改善を求めた。";
    nm_story_signer_t sg;
    nm_story_sign_begin(&sg);
    nm_story_sign_text(&sg, "北部の港", strlen("北部の港"));
    assert_int_equal(nm_story_sign_end(&sg).shingles, 1); /* 4 characters, one shingle */
    nm_story_sig_t a = sig_of("港", ja);
    char cut[sizeof ja];
    memcpy(cut, ja, sizeof ja);
    *strstr(cut, "\n\n地元") = '\0';
    nm_story_sig_t b = sig_of("港の新ターミナル", cut);
    assert_true(a.shingles > 100);
    assert_true(nm_story_containment(&a, &b) >= NM_STORY_MIN_CONTAINMENT);
}

/* Which 3- and 4-byte code points are words of their own, checked for
 * every one against the documented ranges (Thai, Lao, Myanmar, Khmer, CJK
 * radicals to Han, CJK compatibility, Han of plane 2): five in a row give two
 * shingles when each is a word, one when they make one word. Both the
 * eight-byte and the byte-at-a-time paths are exercised (the text is the
 * code point five times, then padding in some rounds). */
static void test_unspaced_code_points_are_exactly_the_documented_ranges(void **state) {
    (void)state;
    for (uint32_t cp = 0x800; cp < 0x30000; cp++) {
        if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x10000 && cp < 0x20000 && cp % 64)) continue;
        int unspaced = (cp >= 0x0E00 && cp <= 0x0EFF) || (cp >= 0x1000 && cp <= 0x109F) ||
                       (cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0x2E80 && cp <= 0x9FFF) ||
                       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
        unsigned char enc[4];
        size_t el;
        if (cp < 0x10000) {
            enc[0] = (unsigned char)(0xE0 | cp >> 12);
            enc[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            enc[2] = (unsigned char)(0x80 | (cp & 0x3F));
            el = 3;
        } else {
            enc[0] = (unsigned char)(0xF0 | cp >> 18);
            enc[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
            enc[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            enc[3] = (unsigned char)(0x80 | (cp & 0x3F));
            el = 4;
        }
        char text[40];
        size_t n = 0;
        for (int i = 0; i < 5; i++, n += el) memcpy(text + n, enc, el);
        if (cp & 1) { /* a long last word: the five code points go eight bytes at a time */
            memcpy(text + n, " abcdefghij", 11);
            n += 11;
        }
        nm_story_signer_t sg;
        nm_story_sign_begin(&sg);
        nm_story_sign_text(&sg, text, n);
        uint32_t got = nm_story_sign_end(&sg).shingles, want = unspaced ? 2 + (cp & 1) : 1;
        if (got != want) fail_msg("U+%04X: %u shingles, expected %u", cp, got, want);
    }
}

/* Words are hashed eight bytes at a time away from the end of the text and
 * byte by byte near it: both must give the same hash, wherever a word is. */
static void test_word_hash_does_not_depend_on_position(void **state) {
    (void)state;
    static const char text[] = "a bb ccc dddddddd eeeeeeeee ffffffffffffffff ggggggggggggggggg "
                               "coree севернокорейский 북한군은 북한軍 nordkoreanische.x "
                               "munitionslieferungen 1234567 12345678 123456789 z";
    nm_story_signer_t one, each;
    nm_story_sign_begin(&one);
    nm_story_sign_text(&one, text, strlen(text));
    nm_story_sign_begin(&each);
    for (const char *p = text; *p;) { /* one call per word: each word ends its text */
        size_t n = strcspn(p, " .");
        nm_story_sign_text(&each, p, n);
        p += n + (p[n] != '\0');
    }
    nm_story_sig_t a = nm_story_sign_end(&one), b = nm_story_sign_end(&each);
    assert_int_equal(a.shingles, 16); /* 19 words: 북한軍 is two (Hangul is spaced, Han is not) */
    assert_int_equal(b.shingles, a.shingles);
    assert_memory_equal(a.min, b.min, sizeof a.min);
}

/* The signature as nm_story.h defines it, written plainly (a byte at a
 * time, one word after another): the signer's fast paths must give the
 * same bits, since stories stored in Redis compare against them. */
static uint64_t ref_rotl(uint64_t x, unsigned r) { return x << r | x >> (64 - r); }

static uint64_t ref_mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ h >> 33;
}

/* Bytes of the unspaced code point at p (n bytes left), else 0: decoded
 * from its lead byte and payload bits, as the signer reads them. */
static size_t ref_unspaced(const unsigned char *p, size_t n) {
    if (p[0] >= 0xE0 && p[0] <= 0xEF && n >= 3) {
        uint32_t cp = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
        return (cp >= 0x0E00 && cp <= 0x0EFF) || (cp >= 0x1000 && cp <= 0x109F) ||
                       (cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0x2E80 && cp <= 0x9FFF) ||
                       (cp >= 0xF900 && cp <= 0xFAFF)
                   ? 3
                   : 0;
    }
    if (p[0] >= 0xF0 && p[0] <= 0xF7 && n >= 4) {
        uint32_t cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
                      (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
        return cp >= 0x20000 && cp <= 0x2FFFF ? 4 : 0;
    }
    return 0;
}

typedef struct {
    uint64_t w[NM_STORY_SHINGLE]; /* newest first */
    uint32_t nwords;
    nm_story_sig_t sig;
} ref_signer_t;

static void ref_shingle(ref_signer_t *r) {
    uint64_t x = ref_mix(r->w[3] ^ ref_rotl(r->w[2], 16) ^ ref_rotl(r->w[1], 32) ^
                         ref_rotl(r->w[0], 48));
    uint32_t *m = &r->sig.min[x >> 59];
    if ((uint32_t)x < *m) *m = (uint32_t)x;
}

static void ref_word(ref_signer_t *r, uint64_t w) {
    memmove(r->w + 1, r->w, sizeof r->w - sizeof r->w[0]);
    r->w[0] = w;
    if (++r->nwords >= NM_STORY_SHINGLE) ref_shingle(r);
}

static void ref_sign_text(ref_signer_t *r, const unsigned char *u, size_t len) {
    const uint64_t gold = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < len;) {
        if (u[i] < '0') { /* a separator */
            i++;
            continue;
        }
        size_t cp = u[i] >= 0xE0 ? ref_unspaced(u + i, len - i) : 0, end = i + cp;
        uint64_t h = gold, chunk = 0;
        if (cp) { /* a word of its own */
            for (size_t k = 0; k < cp; k++) chunk |= (uint64_t)u[i + k] << (8 * k);
            ref_word(r, (chunk ^ (uint64_t)cp << 56) * gold);
            i = end;
            continue;
        }
        while (end < len && u[end] >= '0' && !(u[end] >= 0xE0 && ref_unspaced(u + end, len - end)))
            end++;
        for (size_t k = i; k < end; k++) { /* little-endian blocks of eight bytes */
            chunk |= (uint64_t)u[k] << (8 * ((k - i) % 8));
            if ((k - i) % 8 == 7) {
                h = ref_rotl((h ^ chunk) * 0x87c37b91114253d5ULL, 31);
                chunk = 0;
            }
        }
        ref_word(r, (h ^ chunk ^ (uint64_t)(end - i) << 56) * gold);
        i = end;
    }
    r->sig.shingles = r->nwords >= NM_STORY_SHINGLE ? r->nwords - (NM_STORY_SHINGLE - 1) : 0;
}

/* Random text of every script the signer tells apart, and bytes that are
 * no UTF-8 at all, in words of any length (across eight-byte blocks and
 * the signer's windows), ending anywhere, even inside a code point. */
static size_t random_text(unsigned char *out, size_t cap, unsigned *seed) {
    static const char *const atoms[] = {
        " ", " ", " ", ".", "\n", "!", "/", "a", "z", "0", "9", "K", "é", "ß", "ж", "ї",
        "북", "한", "ㄱ", "の", "港", "ア", "ก", "ລ", "က", "ក", "中", "⺀", "\xE2\xBA\x7F",
        "—", "क", "ﬀ", "豈", "！", "ﾝ", "\xF0\xA0\x80\x80", "\xF0\xAF\xBF\xBF",
        "\xF0\x9F\x98\x80", "\xF0\xB0\x80\x80", "\xE3\x81", "\xF0\xA0\x80", "\xE9",
    };
    const size_t natoms = sizeof atoms / sizeof atoms[0];
    size_t len = (size_t)(rand_r(seed) % 2) ? (size_t)rand_r(seed) % 24 : (size_t)rand_r(seed) % cap;
    size_t n = 0;
    while (n < len) {
        int k = rand_r(seed) % 8;
        const char *a = atoms[(size_t)rand_r(seed) % natoms];
        size_t al = strlen(a);
        unsigned char b = (unsigned char)rand_r(seed);
        if (k == 0) { a = (const char *)&b; al = 1; } /* any byte */
        int run = k == 1 ? 1 + rand_r(seed) % 80 : 1; /* a long word of one atom */
        for (int r = 0; r < run && n + al <= len; r++, n += al) memcpy(out + n, a, al);
        if (n + al > len) break;
    }
    return n;
}

static void test_signature_equals_the_plain_definition(void **state) {
    (void)state;
    unsigned seed = 13;
    for (int round = 0; round < 20000; round++) {
        nm_story_signer_t sg;
        ref_signer_t ref;
        nm_story_sign_begin(&sg);
        memset(&ref, 0, sizeof ref);
        memset(ref.sig.min, 0xFF, sizeof ref.sig.min);
        int calls = 1 + rand_r(&seed) % 4; /* shingles run on across calls */
        for (int c = 0; c < calls; c++) {
            unsigned char tmp[600];
            size_t n = random_text(tmp, sizeof tmp, &seed);
            unsigned char *text = malloc(n ? n : 1); /* exactly n bytes: ASan sees any over-read */
            assert_non_null(text);
            memcpy(text, tmp, n);
            nm_story_sign_text(&sg, (const char *)text, n);
            ref_sign_text(&ref, text, n);
            free(text);
        }
        nm_story_sig_t got = nm_story_sign_end(&sg);
        if (!ref.sig.shingles && ref.nwords) {
            ref_shingle(&ref); /* fewer words than a shingle: one, of them and zeros */
            ref.sig.shingles = 1;
        }
        if (got.shingles != ref.sig.shingles || memcmp(got.min, ref.sig.min, sizeof got.min))
            fail_msg("round %d: %u shingles, expected %u, or different bins", round, got.shingles,
                     ref.sig.shingles);
    }
}

static nm_story_sig_t sig_of_story(size_t from, size_t to) {
    char *s = join(STORY, from, to, NULL);
    nm_story_sig_t sig = sig_of("t", s);
    free(s);
    return sig;
}

static void test_index_assigns_stories_deterministically(void **state) {
    (void)state;
    nm_story_sig_t full = sig_of_story(0, 8), cut = sig_of_story(0, 6);
    char *o = join(OTHER, 0, 4, NULL);
    nm_story_sig_t other = sig_of("t", o);
    free(o);
    for (int run = 0; run < 2; run++) { /* a second index gives the same stories */
        nm_story_index_t *ix = nm_story_index_new(16);
        assert_non_null(ix);
        nm_story_t s;
        assert_int_equal(nm_story_assign(ix, "wire-1", &full, &s), NM_OK);
        assert_false(s.copy);
        assert_string_equal(s.first_article, "wire-1");
        char want[19];
        snprintf(want, sizeof want, "s-%016llx",
                 nm_article_hash("wire-1", 6, 0xcbf29ce484222325ULL));
        assert_string_equal(s.id, want);
        /* the same text again under another id: a copy; it ties with wire-1 later */
        assert_int_equal(nm_story_assign(ix, "site-a", &full, &s), NM_OK);
        assert_true(s.copy);
        assert_string_equal(s.first_article, "wire-1");
        assert_true(s.containment == 1.0);
        assert_int_equal(nm_story_assign(ix, "other-1", &other, &s), NM_OK);
        assert_false(s.copy);
        assert_string_equal(s.first_article, "other-1");
        assert_int_equal(nm_story_assign(ix, "site-b", &cut, &s), NM_OK);
        assert_true(s.copy);
        assert_string_equal(s.id, want); /* tie between wire-1 and site-a: the earlier */
        /* a redelivery of the first article is no copy */
        assert_int_equal(nm_story_assign(ix, "wire-1", &full, &s), NM_OK);
        assert_false(s.copy);
        assert_string_equal(s.id, want);
        assert_int_equal(nm_story_index_size(ix), 5);
        nm_story_index_destroy(ix);
    }
}

/* An entry added with its story (as the daemon adds what it found in Redis)
 * gives that story to a copy, as nm_story_assign would have. */
static void test_index_add_gives_the_stored_story(void **state) {
    (void)state;
    nm_story_sig_t full = sig_of_story(0, 8), cut = sig_of_story(1, 7), none = {.shingles = 0};
    nm_story_index_t *ix = nm_story_index_new(8);
    assert_non_null(ix);
    assert_int_equal(nm_story_index_add(ix, "", &full), NM_ERR_INPUT);
    assert_int_equal(nm_story_index_add(ix, "wire-1", &none), NM_OK);
    assert_int_equal(nm_story_index_size(ix), 0); /* no text: not added */
    assert_int_equal(nm_story_index_add(ix, "wire-1", &full), NM_OK); /* a copy of wire-1 */
    nm_story_t s, want;
    assert_int_equal(nm_story_assign(ix, "site-c", &cut, &s), NM_OK);
    assert_int_equal(nm_story_of("wire-1", "site-c", &want), NM_OK);
    assert_string_equal(s.id, want.id);
    assert_string_equal(s.first_article, "wire-1");
    assert_true(s.copy && want.copy);
    assert_int_equal(nm_story_of("wire-1", "wire-1", &want), NM_OK);
    assert_false(want.copy);
    assert_int_equal(nm_story_of("", "x", &want), NM_ERR_INPUT);
    nm_story_index_destroy(ix);
}

static void test_index_is_bounded(void **state) {
    (void)state;
    assert_null(nm_story_index_new(0));
    assert_null(nm_story_index_new((size_t)NM_STORY_WINDOW_MAX + 1));
    nm_story_index_t *ix = nm_story_index_new(4);
    assert_non_null(ix);
    nm_story_t s;
    /* eight different texts (a paragraph each) */
    nm_story_sig_t sig[8];
    for (int i = 0; i < 8; i++) {
        sig[i] = sig_of_story((size_t)i, (size_t)i + 1);
        char id[16];
        assert_int_equal(nm_story_assign(ix, "probe", &sig[i], &s), NM_OK);
        assert_false(s.copy); /* different from every earlier one */
        snprintf(id, sizeof id, "a-%d", i);
        assert_int_equal(nm_story_assign(ix, id, &sig[i], &s), NM_OK);
        assert_true(s.copy); /* of the probe just before */
        assert_true(nm_story_index_size(ix) <= 4);
    }
    assert_int_equal(nm_story_index_size(ix), 4);
    /* the oldest were dropped: a copy of paragraph 0 starts a story; one of 7 is found */
    assert_int_equal(nm_story_assign(ix, "late-0", &sig[0], &s), NM_OK);
    assert_false(s.copy);
    assert_int_equal(nm_story_assign(ix, "late-7", &sig[7], &s), NM_OK);
    assert_true(s.copy);
    assert_string_equal(s.first_article, "probe");
    /* no text: a story of its own, not indexed */
    nm_story_sig_t empty = {{0}, 0};
    size_t n = nm_story_index_size(ix);
    assert_int_equal(nm_story_assign(ix, "empty", &empty, &s), NM_OK);
    assert_false(s.copy);
    assert_int_equal(nm_story_index_size(ix), n);
    assert_int_equal(nm_story_assign(ix, "", &sig[1], &s), NM_ERR_INPUT);
    nm_story_index_destroy(ix);
}

static void test_long_ids_wrap_the_id_ring(void **state) {
    (void)state;
    nm_story_index_t *ix = nm_story_index_new(8);
    assert_non_null(ix);
    nm_story_sig_t full = sig_of_story(0, 8);
    nm_story_t s;
    char id[NM_STORY_ARTICLE_ID_MAX + 2];
    for (int i = 0; i < 40; i++) { /* 250-byte ids overflow the ring many times */
        memset(id, 'a' + i % 26, 250);
        snprintf(id + 250, 6, "%d", i);
        nm_story_sig_t own = sig_of_story((size_t)i % 8, (size_t)i % 8 + 1);
        assert_int_equal(nm_story_assign(ix, id, &own, &s), NM_OK);
        assert_int_equal(nm_story_assign(ix, "x", &full, &s), NM_OK); /* a short one between */
        assert_true(nm_story_index_size(ix) <= 8);
    }
    /* the longest id allowed, then its copy: the id comes back whole */
    memset(id, 'z', NM_STORY_ARTICLE_ID_MAX);
    id[NM_STORY_ARTICLE_ID_MAX] = '\0';
    char *o = join(OTHER, 0, 4, NULL); /* in no earlier text */
    nm_story_sig_t other = sig_of("t", o);
    free(o);
    assert_int_equal(nm_story_assign(ix, id, &other, &s), NM_OK);
    assert_false(s.copy);
    assert_int_equal(nm_story_assign(ix, "copy", &other, &s), NM_OK);
    assert_true(s.copy);
    assert_string_equal(s.first_article, id);
    id[NM_STORY_ARTICLE_ID_MAX] = 'z';
    id[NM_STORY_ARTICLE_ID_MAX + 1] = '\0';
    assert_int_equal(nm_story_assign(ix, id, &other, &s), NM_ERR_INPUT);
    nm_story_index_destroy(ix);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies_are_close_different_texts_far),
        cmocka_unit_test(test_unspaced_code_points_are_exactly_the_documented_ranges),
        cmocka_unit_test(test_title_boilerplate_and_html_do_not_count),
        cmocka_unit_test(test_short_body_is_signed_with_its_title),
        cmocka_unit_test(test_unspaced_scripts_have_a_word_per_character),
        cmocka_unit_test(test_word_hash_does_not_depend_on_position),
        cmocka_unit_test(test_signature_equals_the_plain_definition),
        cmocka_unit_test(test_index_assigns_stories_deterministically),
        cmocka_unit_test(test_index_add_gives_the_stored_story),
        cmocka_unit_test(test_index_is_bounded),
        cmocka_unit_test(test_long_ids_wrap_the_id_ring),
    };
    return cmocka_run_group_tests_name("nm_story", tests, nm_fixture_setup, nm_fixture_teardown);
}
