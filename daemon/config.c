/*
 * config.c - aalearnd.conf: "key = value" lines and "#" comments.
 *
 * Every key has a default; unknown keys and bad values are errors naming the
 * line, and a failed parse leaves the old configuration untouched so that a
 * bad SIGHUP reload keeps the daemon running as it was.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

/* A config file is small; anything bigger is not one. */
#define CONFIG_FILE_MAX (1024 * 1024)

void
config_default(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sources = SOURCE_AUTO;
	snprintf(cfg->audit_log, sizeof(cfg->audit_log), "%s",
	    "/var/log/audit/audit.log");
	cfg->read_backlog = 0;
	snprintf(cfg->database, sizeof(cfg->database), "%s",
	    STORE_DEFAULT_PATH);
	cfg->flush_interval_ms = 1000;
	cfg->flush_max_pending = 50000;
	cfg->max_observations_per_profile = STORE_DEFAULT_CAP;
	cfg->max_pending = 200000;
	snprintf(cfg->proc_root, sizeof(cfg->proc_root), "%s", "/proc");
	cfg->attribution_cache = 4096;
	cfg->netlink_rcvbuf = 8 * 1024 * 1024;
	snprintf(cfg->status_file, sizeof(cfg->status_file), "%s",
	    "/run/aalearn/status");
	cfg->log_level = LOG_LEVEL_INFO;
}

int
config_parse_duration(const char *text, int64_t *ret_ms)
{
	unsigned long long n;
	int64_t mul;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60 * 1000;
	else
		return -EINVAL;
	/* Between 10 ms and a day: outside that it is a typo. */
	if (n > 24ULL * 3600 * 1000 || (int64_t)n * mul < 10 ||
	    (int64_t)n * mul > 24LL * 3600 * 1000)
		return -EINVAL;
	*ret_ms = (int64_t)n * mul;
	return 0;
}

int
config_parse_sources(const char *text, unsigned *ret_sources)
{
	unsigned bits = 0;
	const char *p = text;

	if (strcmp(text, "auto") == 0) {
		*ret_sources = SOURCE_AUTO;
		return 0;
	}
	while (*p != '\0') {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (n == 7 && strncmp(p, "netlink", n) == 0)
			bits |= SOURCE_NETLINK;
		else if (n == 8 && strncmp(p, "auditlog", n) == 0)
			bits |= SOURCE_AUDITLOG;
		else if (n == 4 && strncmp(p, "kmsg", n) == 0)
			bits |= SOURCE_KMSG;
		else
			return -EINVAL;
		p += n;
	}
	if (bits == 0)
		return -EINVAL;
	*ret_sources = bits;
	return 0;
}

static int
config_parse_size(const char *text, size_t min, size_t max, size_t *ret)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -EINVAL;
	*ret = (size_t)n;
	return 0;
}

static int
config_parse_bool(const char *text, int *ret)
{
	if (strcmp(text, "yes") == 0 || strcmp(text, "true") == 0 ||
	    strcmp(text, "1") == 0 || strcmp(text, "on") == 0)
		*ret = 1;
	else if (strcmp(text, "no") == 0 || strcmp(text, "false") == 0 ||
	    strcmp(text, "0") == 0 || strcmp(text, "off") == 0)
		*ret = 0;
	else
		return -EINVAL;
	return 0;
}

static int
config_parse_path(const char *text, char *dst, size_t dstlen)
{
	if (text[0] != '/' && strcmp(text, ":memory:") != 0)
		return -EINVAL;
	if (strlen(text) >= dstlen)
		return -ENAMETOOLONG;
	memcpy(dst, text, strlen(text) + 1);
	return 0;
}

static void config_err(char *, size_t, unsigned, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
config_err(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "line %u: %s", line, msg);
}

/* One "key = value"; 0, or -EINVAL with a message in why. */
static int
config_set(struct config *cfg, const char *key, const char *val,
    const char **why)
{
	size_t n;
	int r;

	*why = "bad value";
	if (strcmp(key, "sources") == 0) {
		*why = "expected auto or a list of netlink, auditlog, kmsg";
		return config_parse_sources(val, &cfg->sources);
	}
	if (strcmp(key, "audit_log") == 0) {
		*why = "expected an absolute path";
		return config_parse_path(val, cfg->audit_log,
		    sizeof(cfg->audit_log));
	}
	if (strcmp(key, "read_backlog") == 0) {
		*why = "expected yes or no";
		return config_parse_bool(val, &cfg->read_backlog);
	}
	if (strcmp(key, "database") == 0) {
		*why = "expected an absolute path";
		return config_parse_path(val, cfg->database,
		    sizeof(cfg->database));
	}
	if (strcmp(key, "flush_interval") == 0) {
		*why = "expected a duration between 10ms and 24h (500ms, 1s, 2m)";
		return config_parse_duration(val, &cfg->flush_interval_ms);
	}
	if (strcmp(key, "flush_max_pending") == 0) {
		*why = "expected a number from 1 to 100000000";
		return config_parse_size(val, 1, 100000000,
		    &cfg->flush_max_pending);
	}
	if (strcmp(key, "max_observations_per_profile") == 0) {
		*why = "expected a number from 1 to 100000000";
		return config_parse_size(val, 1, 100000000,
		    &cfg->max_observations_per_profile);
	}
	if (strcmp(key, "max_pending") == 0) {
		*why = "expected a number from 1 to 100000000";
		return config_parse_size(val, 1, 100000000,
		    &cfg->max_pending);
	}
	if (strcmp(key, "proc_root") == 0) {
		*why = "expected an absolute path";
		return config_parse_path(val, cfg->proc_root,
		    sizeof(cfg->proc_root));
	}
	if (strcmp(key, "status_file") == 0) {
		*why = "expected an absolute path";
		if (val[0] != '/')
			return -EINVAL;
		return config_parse_path(val, cfg->status_file,
		    sizeof(cfg->status_file));
	}
	if (strcmp(key, "attribution_cache") == 0) {
		*why = "expected a number from 1 to 10000000";
		return config_parse_size(val, 1, 10000000,
		    &cfg->attribution_cache);
	}
	if (strcmp(key, "netlink_rcvbuf") == 0) {
		*why = "expected a byte count from 65536 to 1073741824";
		r = config_parse_size(val, 65536, 1024 * 1024 * 1024, &n);
		if (r == 0)
			cfg->netlink_rcvbuf = (int)n;
		return r;
	}
	if (strcmp(key, "log_level") == 0) {
		*why = "expected error, warn, info or debug";
		r = log_level_parse(val);
		if (r < 0)
			return r;
		cfg->log_level = r;
		return 0;
	}
	*why = "unknown key";
	return -EINVAL;
}

int
config_parse(struct config *cfg, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct config next = *cfg;
	const char *p = text, *end = text + len;
	unsigned lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		char line[CONFIG_PATH_MAX + 128], *s, *eq, *key, *val, *t;
		const char *why;
		size_t n = (size_t)(e - p);

		lineno++;
		if (n >= sizeof(line)) {
			config_err(err, errlen, lineno, "line too long");
			return -EINVAL;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl != NULL ? nl + 1 : end;
		if (memchr(line, '\0', n) != NULL) {
			config_err(err, errlen, lineno, "NUL byte");
			return -EINVAL;
		}
		/* '#' starts a comment anywhere: paths with '#' are not kept. */
		if ((t = strchr(line, '#')) != NULL)
			*t = '\0';
		s = line;
		while (isspace((unsigned char)*s))
			s++;
		t = s + strlen(s);
		while (t > s && isspace((unsigned char)t[-1]))
			*--t = '\0';
		if (*s == '\0')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			config_err(err, errlen, lineno, "expected key = value");
			return -EINVAL;
		}
		key = s;
		t = eq;
		while (t > key && isspace((unsigned char)t[-1]))
			t--;
		*t = '\0';
		val = eq + 1;
		while (isspace((unsigned char)*val))
			val++;
		if (*key == '\0') {
			config_err(err, errlen, lineno, "missing key");
			return -EINVAL;
		}
		if (*val == '\0') {
			config_err(err, errlen, lineno, "%.64s: missing value",
			    key);
			return -EINVAL;
		}
		if (config_set(&next, key, val, &why) < 0) {
			config_err(err, errlen, lineno, "%.64s: %s", key, why);
			return -EINVAL;
		}
	}
	*cfg = next;
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf, msg[256];
	ssize_t n;
	size_t off = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		r = -errno;
		if (err != NULL)
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_FILE_MAX) {
		if (err != NULL)
			snprintf(err, errlen, "%s: not a regular file of at "
			    "most %d bytes", path, CONFIG_FILE_MAX);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	r = config_parse(cfg, buf, off, msg, sizeof(msg));
	if (r < 0 && err != NULL)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(buf);
	return r;
}
