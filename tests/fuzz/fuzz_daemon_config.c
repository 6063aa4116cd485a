/*
 * fuzz_daemon_config.c - config_parse() of aalearnd.conf on any bytes, and the
 * value parsers it uses (durations, source lists) on any string.
 *
 * The configuration file is root's, but a package, a configuration manager
 * or a typo writes it: the parser must not read or write outside its
 * buffers, and it must keep its promises:
 *   - the result is 0 or -EINVAL;
 *   - on -EINVAL the struct config is exactly what it was, and err holds a
 *     NUL-terminated "line N: ..." message;
 *   - on 0 every path is NUL-terminated inside its buffer, the values are
 *     inside their documented ranges, and parsing the same text again over
 *     the result changes nothing (every key is an assignment).
 *
 * Links the daemon/ library (tests/CMakeLists.txt: fuzz_daemon_* targets).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const char *buf, size_t len)
{
	if (memchr(buf, '\0', len) == NULL)
		abort();
}

static void
check_result(const struct config *c)
{
	check_path(c->audit_log, sizeof(c->audit_log));
	check_path(c->database, sizeof(c->database));
	check_path(c->proc_root, sizeof(c->proc_root));
	if (c->sources & ~(unsigned)(SOURCE_NETLINK | SOURCE_AUDITLOG |
	    SOURCE_KMSG))
		abort();
	if (c->flush_interval_ms < 10 ||
	    c->flush_interval_ms > 24LL * 3600 * 1000)
		abort();
	if (c->log_level != LOG_LEVEL_ERROR && c->log_level != LOG_LEVEL_WARN &&
	    c->log_level != LOG_LEVEL_INFO && c->log_level != LOG_LEVEL_DEBUG)
		abort();
	if (c->flush_max_pending < 1 || c->max_pending < 1 ||
	    c->max_observations_per_profile < 1 || c->attribution_cache < 1)
		abort();
	if (c->read_backlog != 0 && c->read_backlog != 1)
		abort();
}

static void
fuzz_values(const uint8_t *data, size_t size)
{
	char s[256];
	int64_t ms = -12345;
	unsigned src = 0xdeadu;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data, n);
	s[n] = '\0';
	/* ret_* written only on success. */
	if (config_parse_duration(s, &ms) == 0) {
		if (ms < 10 || ms > 24LL * 3600 * 1000)
			abort();
	} else if (ms != -12345) {
		abort();
	}
	if (config_parse_sources(s, &src) == 0) {
		if (src & ~(unsigned)(SOURCE_NETLINK | SOURCE_AUDITLOG |
		    SOURCE_KMSG))
			abort();
	} else if (src != 0xdeadu) {
		abort();
	}
	(void)log_level_parse(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, before, again;
	char err[256];
	int rc;

	fuzz_values(data, size);

	config_default(&cfg);
	before = cfg;
	memset(err, 'x', sizeof(err));
	rc = config_parse(&cfg, (const char *)data, size, err, sizeof(err));
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == -EINVAL) {
		if (memcmp(&cfg, &before, sizeof(cfg)) != 0)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL ||
		    strncmp(err, "line ", 5) != 0)
			abort();
		return 0;
	}
	check_result(&cfg);
	again = cfg;
	if (config_parse(&again, (const char *)data, size, err,
	    sizeof(err)) != 0)
		abort();
	if (memcmp(&again, &cfg, sizeof(cfg)) != 0)
		abort();
	return 0;
}
