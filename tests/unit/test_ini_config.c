/* test_ini_config.c - nm_ini (line format) and nm_config (newsmon.conf). */
#include "nm_test_util.h"

#include "nm_config.h"
#include "nm_ini.h"

/* ---- nm_ini ---------------------------------------------------------- */

typedef struct {
    char log[2048];
    int fail_at; /* line whose callback fails, or 0 */
} ini_rec_t;

static int rec_cb(void *ud, const char *section, const char *key, const char *value, int line,
                  char *errstr, size_t errstr_size) {
    ini_rec_t *r = ud;
    size_t n = strlen(r->log);
    if (key)
        snprintf(r->log + n, sizeof r->log - n, "%d:[%s]%s=%s|", line, section, key, value);
    else
        snprintf(r->log + n, sizeof r->log - n, "%d:[%s]|", line, section);
    if (line == r->fail_at) return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "no thanks");
    return 0;
}

static void test_ini_parses_sections_keys_comments(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new();
    char *p = nm_write_file(dir, "a.ini",
                            "top = level\n"
                            "# comment\n"
                            "  ; also a comment\n"
                            "\n"
                            "[ sec one ]\n"
                            "  key  =  value with spaces   \n"
                            "hash = a#b # trailing comment\n"
                            "empty =\n"
                            "eq = a=b\n"
                            "[two]\n"
                            "k=v");
    ini_rec_t r = {"", 0};
    char err[256] = "";
    assert_int_equal(nm_ini_parse_file(p, rec_cb, &r, err, sizeof err), NM_OK);
    assert_string_equal(r.log, "1:[]top=level|5:[sec one]|6:[sec one]key=value with spaces|"
                               "7:[sec one]hash=a#b|8:[sec one]empty=|9:[sec one]eq=a=b|"
                               "10:[two]|11:[two]k=v|");
    free(p);
    nm_tmpdir_rm(dir);
}

static void expect_ini_error(const char *text, int fail_at, const char *reason_suffix) {
    char *dir = nm_tmpdir_new();
    char *p = nm_write_file(dir, "bad.ini", text);
    ini_rec_t r = {"", fail_at};
    char err[512] = "", want[600];
    assert_int_equal(nm_ini_parse_file(p, rec_cb, &r, err, sizeof err), NM_ERR_CONFIG);
    snprintf(want, sizeof want, "%s:%s", p, reason_suffix);
    assert_string_equal(err, want);
    free(p);
    nm_tmpdir_rm(dir);
}

static void test_ini_errors_have_file_and_line(void **state) {
    (void)state;
    expect_ini_error("[ok]\nno equals sign\n", 0, "2: expected 'key = value'");
    expect_ini_error("[ok]\n\n[broken\n", 0, "3: malformed section header");
    expect_ini_error("[a] x\n", 0, "1: malformed section header");
    expect_ini_error("[   ]\n", 0, "1: empty or too long section name");
    expect_ini_error("[s]\n = v\n", 0, "2: empty key");
    expect_ini_error("[s]\na = 1\nb = 2\n", 3, "3: no thanks");
}

static void test_ini_nul_byte_and_missing_file(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new();
    char path[4200];
    snprintf(path, sizeof path, "%s/nul.ini", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("[s]\na = b\0c\n", 1, 12, f);
    fclose(f);
    ini_rec_t r = {"", 0};
    char err[512];
    assert_int_equal(nm_ini_parse_file(path, rec_cb, &r, err, sizeof err), NM_ERR_CONFIG);
    assert_non_null(strstr(err, ":2: NUL byte in line"));
    snprintf(path, sizeof path, "%s/missing.ini", dir);
    assert_int_equal(nm_ini_parse_file(path, rec_cb, &r, err, sizeof err), NM_ERR_CONFIG);
    assert_non_null(strstr(err, "missing.ini: cannot open"));
    nm_tmpdir_rm(dir);
}

static int list_cb(void *ud, const char *item, char *errstr, size_t errstr_size) {
    char *out = ud;
    if (strcmp(item, "stop") == 0) return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "stop");
    strcat(out, item);
    strcat(out, "|");
    return 0;
}

static void test_ini_split_list(void **state) {
    (void)state;
    char out[1024] = "", err[128];
    assert_int_equal(nm_ini_split_list(" a , b b,,c ,  ", list_cb, out, err, sizeof err), NM_OK);
    assert_string_equal(out, "a|b b|c|");
    out[0] = '\0';
    assert_int_equal(nm_ini_split_list("", list_cb, out, err, sizeof err), NM_OK);
    assert_string_equal(out, "");
    assert_int_equal(nm_ini_split_list("x, stop, y", list_cb, out, err, sizeof err),
                     NM_ERR_CONFIG);
    assert_string_equal(out, "x|");
    char big[700];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(nm_ini_split_list(big, list_cb, out, err, sizeof err), NM_ERR_CONFIG);
    assert_non_null(strstr(err, "longer than 511"));
}

static void test_ini_numbers_and_bools(void **state) {
    (void)state;
    double d;
    long l;
    assert_int_equal(nm_ini_parse_double("2.5", &d), 0);
    assert_double_eq(d, 2.5);
    assert_int_equal(nm_ini_parse_double("-1e3", &d), 0);
    assert_double_eq(d, -1000);
    assert_int_equal(nm_ini_parse_double("", &d), -1);
    assert_int_equal(nm_ini_parse_double("1.5x", &d), -1);
    assert_int_equal(nm_ini_parse_double("abc", &d), -1);
    assert_int_equal(nm_ini_parse_double("1e999", &d), -1);
    assert_int_equal(nm_ini_parse_long("42", &l), 0);
    assert_int_equal(l, 42);
    assert_int_equal(nm_ini_parse_long("-7", &l), 0);
    assert_int_equal(l, -7);
    assert_int_equal(nm_ini_parse_long("4.2", &l), -1);
    assert_int_equal(nm_ini_parse_long("", &l), -1);
    assert_int_equal(nm_ini_parse_long("99999999999999999999999", &l), -1);
    assert_int_equal(nm_ini_parse_bool("true"), 1);
    assert_int_equal(nm_ini_parse_bool("YES"), 1);
    assert_int_equal(nm_ini_parse_bool("on"), 1);
    assert_int_equal(nm_ini_parse_bool("1"), 1);
    assert_int_equal(nm_ini_parse_bool("False"), 0);
    assert_int_equal(nm_ini_parse_bool("no"), 0);
    assert_int_equal(nm_ini_parse_bool("off"), 0);
    assert_int_equal(nm_ini_parse_bool("0"), 0);
    assert_int_equal(nm_ini_parse_bool("maybe"), -1);
    assert_int_equal(nm_ini_parse_bool(""), -1);
}

static void test_err_helpers(void **state) {
    (void)state;
    char buf[32];
    assert_int_equal(nm_seterr(buf, sizeof buf, NM_ERR_IO, "x=%d", 5), NM_ERR_IO);
    assert_string_equal(buf, "x=5");
    for (int e = 0; e >= -8; e--) {
        assert_non_null(nm_err2str((nm_err_t)e));
        assert_true(strlen(nm_err2str((nm_err_t)e)) > 0);
    }
    assert_non_null(nm_err2str((nm_err_t)-99));
    assert_int_equal(nm_log_level_parse("debug"), NM_LOG_DEBUG);
    assert_int_equal(nm_log_level_parse("info"), NM_LOG_INFO);
    assert_int_equal(nm_log_level_parse("warn"), NM_LOG_WARN);
    assert_int_equal(nm_log_level_parse("error"), NM_LOG_ERROR);
    assert_int_equal(nm_log_level_parse("loud"), -1);
    nm_log_set_level(NM_LOG_WARN);
    assert_false(nm_log_enabled(NM_LOG_INFO));
    assert_true(nm_log_enabled(NM_LOG_ERROR));
    nm_log_set_level(NM_LOG_INFO);
}

/* ---- nm_config ------------------------------------------------------- */

static void clear_env(void) {
    unsetenv("NEWSMON_REDIS_PORT");
    unsetenv("NEWSMON_KAFKA_SASL_USERNAME");
    unsetenv("NEWSMON_INPUT_BATCH_SIZE");
    unsetenv("NEWSMON_LOG_LEVEL");
    unsetenv("NEWSMON_KAFKA_LINGER_MS");
    unsetenv("NEWSMON_KAFKA_GROUP_ID");
}

static int cfg_setup(void **state) {
    (void)state;
    clear_env();
    return 0;
}

static const char *kv_get(const nm_kvlist_t *l, const char *k) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].key, k) == 0) return l->items[i].value;
    return NULL;
}

static void test_config_defaults(void **state) {
    (void)state;
    char err[512] = "";
    nm_config_t *c = nm_config_load(NULL, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->input_topic, "news.raw");
    assert_int_equal(c->batch_size, 100);
    assert_int_equal(c->workers, 1);
    assert_int_equal(c->batch_timeout_ms, 5);
    assert_int_equal(c->max_message_bytes, 4194304);
    assert_int_equal(c->max_body_bytes, 2097152);
    assert_int_equal(c->max_json_depth, 32);
    assert_string_equal(c->enriched_topic, "news.enriched");
    assert_string_equal(c->alert_topic_prefix, "alerts.");
    assert_string_equal(c->dlq_topic, "news.dlq");
    assert_int_equal(c->include_body, 1);
    assert_string_equal(c->redis_host, "127.0.0.1");
    assert_int_equal(c->redis_port, 6379);
    assert_string_equal(c->redis_password, "");
    assert_string_equal(c->redis_prefix, "nm:");
    assert_string_equal(c->gazetteer, "./gazetteer.conf");
    assert_string_equal(c->rules, "./rules.conf");
    assert_string_equal(c->languages, "./lang");
    assert_string_equal(c->log_level, "info");
    assert_string_equal(kv_get(&c->kafka, "bootstrap.servers"), "127.0.0.1:9092");
    assert_int_equal(c->kafka_consumer.n, 0);
    assert_int_equal(c->kafka_producer.n, 0);
    nm_config_destroy(c);
    nm_config_destroy(NULL);
}

static void test_config_file_values_and_relative_paths(void **state) {
    (void)state;
    char err[512] = "";
    nm_config_t *c = nm_config_load(NM_FIX("newsmon.conf"), err, sizeof err);
    if (!c) fail_msg("%s", err);
    assert_string_equal(c->input_topic, "test.raw");
    assert_int_equal(c->batch_size, 42);
    assert_int_equal(c->batch_timeout_ms, 5); /* untouched default */
    assert_int_equal(c->max_json_depth, 16);
    assert_int_equal(c->include_body, 0);
    assert_string_equal(c->redis_host, "redis.example");
    assert_int_equal(c->redis_port, 6380);
    assert_string_equal(c->redis_password, "s3cret"); /* inline comment stripped */
    /* relative rule paths resolve against the config file's folder */
    assert_string_equal(c->gazetteer, NM_FIXTURES "/gazetteer.conf");
    assert_string_equal(c->rules, NM_FIXTURES "/sub/rules.conf");
    assert_string_equal(c->languages, "/abs/lang");
    assert_string_equal(c->log_level, "debug");
    assert_string_equal(kv_get(&c->kafka, "bootstrap.servers"), "broker1:9092,broker2:9092");
    assert_int_equal(c->kafka.n, 2); /* the default entry was replaced, not duplicated */
    assert_string_equal(kv_get(&c->kafka, "security.protocol"), "SASL_SSL");
    assert_string_equal(kv_get(&c->kafka_consumer, "group.id"), "tests");
    assert_string_equal(kv_get(&c->kafka_producer, "linger.ms"), "1");
    nm_config_destroy(c);
}

static void test_config_path_without_folder(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new();
    char *p = nm_write_file(dir, "n.conf", "[rules]\nrules = r.conf\n");
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    char err[512] = "";
    nm_config_t *c = nm_config_load("n.conf", err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(c);
    assert_string_equal(c->rules, "./r.conf");
    nm_config_destroy(c);
    free(p);
    nm_tmpdir_rm(dir);
}

static void expect_config_error(const char *text, const char *suffix) {
    char *dir = nm_tmpdir_new();
    char *p = nm_write_file(dir, "newsmon.conf", text);
    char err[512] = "", want[700];
    nm_config_t *c = nm_config_load(p, err, sizeof err);
    assert_null(c);
    snprintf(want, sizeof want, "%s:%s", p, suffix);
    assert_string_equal(err, want);
    free(p);
    nm_tmpdir_rm(dir);
}

static void test_config_errors_with_file_and_line(void **state) {
    (void)state;
    expect_config_error("[input]\ntopic = a\nbatch_sise = 3\n",
                        "3: unknown key 'batch_sise' in [input]");
    expect_config_error("# c\n[inputs]\n", "2: unknown section [inputs]");
    expect_config_error("[redis]\nport = 70000\n",
                        "2: [redis] port must be an integer from 1 to 65535");
    expect_config_error("[redis]\nport = 12ab\n",
                        "2: [redis] port must be an integer from 1 to 65535");
    expect_config_error("[output]\ninclude_body = perhaps\n",
                        "2: [output] include_body must be true or false");
    expect_config_error("topic = x\n", "1: unknown key 'topic' in []");
    /* librdkafka judges its properties at load time */
    expect_config_error("[kafka]\nclient.id = a\nlinger.msx = 5\n",
                        "3: Kafka property linger.msx: No such configuration property: "
                        "\"linger.msx\"");
    expect_config_error("[kafka.producer]\nlinger.ms = soon\n",
                        "2: Kafka property linger.ms: Invalid value for configuration property "
                        "\"queue.buffering.max.ms\"");
    expect_config_error("[kafka.consumer]\nauto.offset.reset = sideways\n",
                        "2: Kafka property auto.offset.reset: Invalid value \"sideways\" for "
                        "configuration property \"auto.offset.reset\"");
    char err[512];
    assert_null(nm_config_load("/nonexistent/newsmon.conf", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/newsmon.conf: cannot open"));
}

static void test_config_bad_log_level(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new();
    char *p = nm_write_file(dir, "newsmon.conf", "[log]\nlevel = chatty\n");
    char err[512] = "";
    assert_null(nm_config_load(p, err, sizeof err));
    assert_non_null(strstr(err, "[log] level must be debug, info, warn or error"));
    free(p);
    nm_tmpdir_rm(dir);
}

static void test_config_env_overrides(void **state) {
    (void)state;
    char err[512] = "";
    setenv("NEWSMON_REDIS_PORT", "7000", 1);
    setenv("NEWSMON_KAFKA_SASL_USERNAME", "alice", 1);
    setenv("NEWSMON_INPUT_BATCH_SIZE", "7", 1);
    nm_config_t *c = nm_config_load(NM_FIX("newsmon.conf"), err, sizeof err);
    if (!c) fail_msg("%s", err);
    assert_int_equal(c->redis_port, 7000);       /* env beats the file's 6380 */
    assert_int_equal(c->batch_size, 7);
    assert_string_equal(kv_get(&c->kafka, "sasl.username"), "alice");
    assert_null(kv_get(&c->kafka, "SASL_USERNAME"));
    nm_config_destroy(c);
    /* a Kafka property the file sets in [kafka.producer] or [kafka.consumer]
     * (applied after [kafka]) is overridden there too */
    setenv("NEWSMON_KAFKA_LINGER_MS", "20", 1);
    setenv("NEWSMON_KAFKA_GROUP_ID", "from-env", 1);
    c = nm_config_load(NM_FIX("newsmon.conf"), err, sizeof err);
    if (!c) fail_msg("%s", err);
    assert_string_equal(kv_get(&c->kafka_producer, "linger.ms"), "20"); /* file: 1 */
    assert_string_equal(kv_get(&c->kafka_consumer, "group.id"), "from-env"); /* file: tests */
    assert_string_equal(kv_get(&c->kafka, "linger.ms"), "20");
    assert_null(kv_get(&c->kafka_consumer, "linger.ms")); /* not added where absent */
    assert_string_equal(kv_get(&c->kafka, "bootstrap.servers"), "broker1:9092,broker2:9092");
    nm_config_destroy(c);
    /* a bad environment value is an error naming the variable */
    setenv("NEWSMON_REDIS_PORT", "0", 1);
    c = nm_config_load(NULL, err, sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, "environment NEWSMON_REDIS_PORT"));
    assert_non_null(strstr(err, "port must be an integer"));
    clear_env();
    setenv("NEWSMON_KAFKA_LINGER_MSX", "3", 1);
    assert_null(nm_config_load(NULL, err, sizeof err));
    assert_string_equal(err, "environment NEWSMON_KAFKA_LINGER_MSX: Kafka property linger.msx: "
                             "No such configuration property: \"linger.msx\"");
    unsetenv("NEWSMON_KAFKA_LINGER_MSX");
}

static void test_config_secret_keys(void **state) {
    (void)state;
    assert_true(nm_config_is_secret("sasl.password"));
    assert_true(nm_config_is_secret("ssl.key.password"));
    assert_true(nm_config_is_secret("sasl.oauthbearer.config"));
    assert_true(nm_config_is_secret("ssl.key.pem"));
    assert_true(nm_config_is_secret("client.secret"));
    assert_false(nm_config_is_secret("sasl.username"));
    assert_false(nm_config_is_secret("bootstrap.servers"));
}

static void test_config_default_path(void **state) {
    (void)state;
    setenv("NEWSMON_CONFIG", "/x/y.conf", 1);
    assert_string_equal(nm_config_default_path(), "/x/y.conf");
    unsetenv("NEWSMON_CONFIG");
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char *dir = nm_tmpdir_new();
    assert_int_equal(chdir(dir), 0);
    assert_string_equal(nm_config_default_path(), "/etc/newsmon/newsmon.conf");
    assert_int_equal(mkdir("config", 0700), 0);
    FILE *f = fopen("config/newsmon.conf", "w");
    assert_non_null(f);
    fclose(f);
    assert_string_equal(nm_config_default_path(), "config/newsmon.conf");
    assert_int_equal(chdir(cwd), 0);
    nm_tmpdir_rm(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini_parses_sections_keys_comments),
        cmocka_unit_test(test_ini_errors_have_file_and_line),
        cmocka_unit_test(test_ini_nul_byte_and_missing_file),
        cmocka_unit_test(test_ini_split_list),
        cmocka_unit_test(test_ini_numbers_and_bools),
        cmocka_unit_test(test_err_helpers),
        cmocka_unit_test_setup(test_config_defaults, cfg_setup),
        cmocka_unit_test_setup(test_config_file_values_and_relative_paths, cfg_setup),
        cmocka_unit_test_setup(test_config_path_without_folder, cfg_setup),
        cmocka_unit_test_setup(test_config_errors_with_file_and_line, cfg_setup),
        cmocka_unit_test_setup(test_config_bad_log_level, cfg_setup),
        cmocka_unit_test_setup(test_config_env_overrides, cfg_setup),
        cmocka_unit_test(test_config_secret_keys),
        cmocka_unit_test_setup(test_config_default_path, cfg_setup),
    };
    return cmocka_run_group_tests_name("nm_ini+nm_config", tests, NULL, NULL);
}
