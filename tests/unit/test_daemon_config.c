/* test_daemon_config - aalearnd.conf parsing, durations, source lists, dedup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

static int
parse(struct config *c, const char *text, char *err, size_t errlen)
{
	return config_parse(c, text, strlen(text), err, errlen);
}

static void
defaults(void **state)
{
	struct config c;

	config_default(&c);
	assert_int_equal(c.sources, SOURCE_AUTO);
	assert_string_equal(c.audit_log, "/var/log/audit/audit.log");
	assert_string_equal(c.database, "/var/lib/aalearn/aalearn.db");
	assert_int_equal(c.flush_interval_ms, 1000);
	assert_int_equal(c.max_observations_per_profile, 100000);
	assert_int_equal(c.read_backlog, 0);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
}

static void
every_key(void **state)
{
	struct config c;
	char err[256] = "";

	config_default(&c);
	assert_int_equal(parse(&c,
	    "# a comment\n"
	    "\n"
	    "sources = netlink, auditlog   # trailing comment\n"
	    "audit_log = /tmp/x/audit.log\n"
	    "read_backlog = yes\n"
	    "database=/tmp/a.db\n"
	    "  flush_interval\t=\t500ms  \n"
	    "flush_max_pending = 77\n"
	    "max_observations_per_profile = 12\n"
	    "max_pending = 99\n"
	    "proc_root = /tmp/proc\n"
	    "attribution_cache = 5\n"
	    "netlink_rcvbuf = 1048576\n"
	    "status_file = /tmp/st/status\n"
	    "log_level = debug", err, sizeof(err)), 0);
	assert_int_equal(c.sources, SOURCE_NETLINK | SOURCE_AUDITLOG);
	assert_string_equal(c.audit_log, "/tmp/x/audit.log");
	assert_int_equal(c.read_backlog, 1);
	assert_string_equal(c.database, "/tmp/a.db");
	assert_int_equal(c.flush_interval_ms, 500);
	assert_int_equal(c.flush_max_pending, 77);
	assert_int_equal(c.max_observations_per_profile, 12);
	assert_int_equal(c.max_pending, 99);
	assert_string_equal(c.proc_root, "/tmp/proc");
	assert_int_equal(c.attribution_cache, 5);
	assert_int_equal(c.netlink_rcvbuf, 1048576);
	assert_string_equal(c.status_file, "/tmp/st/status");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
}

/* A bad line names its number and leaves the configuration untouched. */
static void
rejects_with_line(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "log_level = info\nbogus = 1\n", "line 2: bogus: unknown key" },
		{ "\n\n\nflush_interval = fast\n", "line 4: flush_interval" },
		{ "flush_interval = 5ms\n", "line 1: flush_interval" },
		{ "read_backlog = maybe\n", "line 1: read_backlog" },
		{ "sources = netlink,journal\n", "line 1: sources" },
		{ "sources = ,\n", "line 1: sources" },
		{ "database = relative.db\n", "line 1: database" },
		{ "max_pending = -3\n", "line 1: max_pending" },
		{ "max_pending = 0\n", "line 1: max_pending" },
		{ "max_pending = 12x\n", "line 1: max_pending" },
		{ "netlink_rcvbuf = 10\n", "line 1: netlink_rcvbuf" },
		{ "log_level = loud\n", "line 1: log_level" },
		{ "status_file = :memory:\n", "line 1: status_file" },
		{ "status_file = run/status\n", "line 1: status_file" },
		{ "just words\n", "line 1: expected key = value" },
		{ "database =\n", "line 1: database: missing value" },
		{ " = x\n", "line 1: missing key" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c, before;
		char err[256] = "";

		config_default(&c);
		c.max_pending = 4242;
		before = c;
		assert_int_equal(parse(&c, bad[i].text, err, sizeof(err)),
		    -EINVAL);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("\"%s\": got \"%s\", want \"%s\"",
			    bad[i].text, err, bad[i].msg);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void
nul_byte_rejected(void **state)
{
	static const char text[] = "log_level = info\nlog_level = de\0bug\n";
	struct config c;
	char err[128] = "";

	config_default(&c);
	assert_int_equal(config_parse(&c, text, sizeof(text) - 1, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2"));
}

static void
durations(void **state)
{
	int64_t ms = -1;

	assert_int_equal(config_parse_duration("1s", &ms), 0);
	assert_int_equal(ms, 1000);
	assert_int_equal(config_parse_duration("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(config_parse_duration("2m", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(config_parse_duration("3", &ms), 0);
	assert_int_equal(ms, 3000);
	ms = 7;
	assert_int_equal(config_parse_duration("", &ms), -EINVAL);
	assert_int_equal(config_parse_duration("s", &ms), -EINVAL);
	assert_int_equal(config_parse_duration("1h", &ms), -EINVAL);
	assert_int_equal(config_parse_duration("-1s", &ms), -EINVAL);
	assert_int_equal(config_parse_duration("99999999999999999999s", &ms),
	    -EINVAL);
	assert_int_equal(config_parse_duration("2000m", &ms), -EINVAL);
	assert_int_equal(ms, 7);
}

static void
source_lists(void **state)
{
	unsigned s = 99;

	assert_int_equal(config_parse_sources("auto", &s), 0);
	assert_int_equal(s, SOURCE_AUTO);
	assert_int_equal(config_parse_sources("kmsg", &s), 0);
	assert_int_equal(s, SOURCE_KMSG);
	assert_int_equal(config_parse_sources("kmsg netlink,  auditlog", &s),
	    0);
	assert_int_equal(s, SOURCE_KMSG | SOURCE_NETLINK | SOURCE_AUDITLOG);
	assert_int_equal(config_parse_sources("netlinks", &s), -EINVAL);
	assert_int_equal(config_parse_sources("auto,kmsg", &s), -EINVAL);
}

static void
load_file(void **state)
{
	char path[] = "/tmp/test_daemon_config.XXXXXX", err[512] = "";
	struct config c;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("flush_interval = 2s\nfrob = 1\n", f);
	fclose(f);
	config_default(&c);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -EINVAL);
	/* The message names the file and the line. */
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(c.flush_interval_ms, 1000);
	unlink(path);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -ENOENT);
}

/* The config shipped in systemd/ parses once uncommented, key by key. */
static void
shipped_config(void **state)
{
	const char *src = getenv("AALEARN_SOURCE_DIR");
	char path[1024], line[1024], err[256];
	struct config c;
	FILE *f;
	int keys = 0;

	if (src == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/systemd/aalearnd.conf", src);
	f = fopen(path, "r");
	assert_non_null(f);
	config_default(&c);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] != '#' || strstr(line, " = ") == NULL ||
		    line[1] < 'a' || line[1] > 'z')
			continue;
		if (config_parse(&c, line + 1, strlen(line + 1), err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", line + 1, err);
		keys++;
	}
	fclose(f);
	assert_int_equal(keys, 13);
	/* The file documents the default, the one 'aalearn status' reads. */
	assert_string_equal(c.status_file, "/run/aalearn/status");
}

static void
log_levels(void **state)
{
	assert_int_equal(log_level_parse("error"), LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("warn"), LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("info"), LOG_LEVEL_INFO);
	assert_int_equal(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("DEBUG"), -EINVAL);
	assert_string_equal(log_level_name(LOG_LEVEL_WARN), "warn");
}

static void
stamps(void **state)
{
	static const char kmsg[] =
	    "audit: type=1107 audit(1700000000.123:45): pid=1 msg='x'";
	static const char nl[] = "audit(17.001:9): apparmor=\"ALLOWED\"";
	int64_t e = -1, s = -1;
	int ms = -1;

	assert_int_equal(dedup_stamp(kmsg, strlen(kmsg), &e, &ms, &s), 0);
	assert_int_equal(e, 1700000000);
	assert_int_equal(ms, 123);
	assert_int_equal(s, 45);
	assert_int_equal(dedup_stamp(nl, strlen(nl), &e, &ms, &s), 0);
	assert_int_equal(e, 17);
	assert_int_equal(ms, 1);
	assert_int_equal(s, 9);
	/* Broken stamps are not stamps; a later good one is found. */
	assert_int_equal(dedup_stamp("audit(1.2:3)", 12, &e, &ms, &s), -ENOENT);
	assert_int_equal(dedup_stamp("audit(x) audit(5:6)", 19, &e, &ms, &s),
	    0);
	assert_int_equal(e, 5);
	assert_int_equal(s, 6);
	/* Cut short: the length is honoured. */
	assert_int_equal(dedup_stamp(nl, 14, &e, &ms, &s), -ENOENT);
	assert_int_equal(dedup_stamp("audit(99999999999999999999:1)", 29, &e,
	    &ms, &s), -ENOENT);
}

static void
dedup_owners(void **state)
{
	struct dedup *d = dedup_new(4);

	assert_non_null(d);
	assert_int_equal(dedup_forgotten(d, 100, 1), 0);
	assert_int_equal(dedup_claim(d, 100, 1, 0), 1);
	assert_int_equal(dedup_claim(d, 100, 1, 0), 1);	/* same owner */
	assert_int_equal(dedup_claim(d, 100, 1, 1), 0);	/* other owner */
	assert_int_equal(dedup_claim(d, 101, 1, 1), 1);	/* other epoch */
	assert_int_equal(dedup_claim(d, 100, 1, 0), 1);
	dedup_free(d);
	dedup_free(NULL);
}

/* Bounded: the oldest event is forgotten first, the newest kept. */
static void
dedup_bounded(void **state)
{
	struct dedup *d = dedup_new(1000);
	int64_t i;

	assert_non_null(d);
	for (i = 0; i < 100000; i++)
		assert_int_equal(dedup_claim(d, 7, i, (int)(i % 2)), 1);
	/* The last 1000 are remembered with their owner... */
	for (i = 99000; i < 100000; i++)
		assert_int_equal(dedup_claim(d, 7, i, (int)((i + 1) % 2)), 0);
	/* ...and an old one is not any more, but known to be forgotten. */
	assert_int_equal(dedup_owner(d, 7, 5), -ENOENT);
	assert_int_equal(dedup_forgotten(d, 7, 5), 1);
	assert_int_equal(dedup_forgotten(d, 7, 98999), 1);
	assert_int_equal(dedup_forgotten(d, 7, 99000), 0);
	assert_int_equal(dedup_forgotten(d, 8, 1), 0);
	assert_int_equal(dedup_owner(d, 7, 99001), 1);
	assert_int_equal(dedup_claim(d, 7, 5, 0), 1);
	assert_int_equal(dedup_claim(d, 7, 5, 1), 0);
	dedup_free(d);
}

/* Capture what log_*() writes to stderr, with or without the journal. */
static void
log_capture(int journal, char *out, size_t outlen)
{
	char path[] = "/tmp/test_daemon_log.XXXXXX", env[64];
	struct stat st;
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	dup2(fd, STDERR_FILENO);
	if (journal) {
		snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
		    (uintmax_t)st.st_ino);
		setenv("JOURNAL_STREAM", env, 1);
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	log_init(LOG_LEVEL_INFO);
	log_warn("disk %s", "full\nsecond line");
	log_debug("not shown at info");
	log_error("bad");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
}

static void
log_prefixes(void **state)
{
	char out[512];

	log_capture(1, out, sizeof(out));
	/* journald reads the priority from "<N>"; one line per message. */
	assert_string_equal(out, "<4>disk full?second line\n<3>bad\n");
	log_capture(0, out, sizeof(out));
	assert_string_equal(out, "aalearnd: warn: disk full?second line\n"
	    "aalearnd: error: bad\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(rejects_with_line),
		cmocka_unit_test(nul_byte_rejected),
		cmocka_unit_test(durations),
		cmocka_unit_test(source_lists),
		cmocka_unit_test(load_file),
		cmocka_unit_test(shipped_config),
		cmocka_unit_test(log_levels),
		cmocka_unit_test(log_prefixes),
		cmocka_unit_test(stamps),
		cmocka_unit_test(dedup_owners),
		cmocka_unit_test(dedup_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
