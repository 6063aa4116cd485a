/*
 * log.c - leveled logging to stderr for aalearnd.
 *
 * journald keeps a "<N>" prefix as the line's priority when stderr is its
 * stream; elsewhere the level is written in words so that a person reading a
 * terminal or a file sees it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

static int log_level = LOG_LEVEL_INFO;
static int log_journal;

/* $JOURNAL_STREAM is "dev:ino" of the stream journald gave us. */
static int
log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int level)
{
	log_set_level(level);
	log_journal = log_stderr_is_journal();
}

void
log_set_level(int level)
{
	if (level < LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;
	if (level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *name)
{
	if (strcmp(name, "error") == 0)
		return LOG_LEVEL_ERROR;
	if (strcmp(name, "warn") == 0 || strcmp(name, "warning") == 0)
		return LOG_LEVEL_WARN;
	if (strcmp(name, "info") == 0)
		return LOG_LEVEL_INFO;
	if (strcmp(name, "debug") == 0)
		return LOG_LEVEL_DEBUG;
	return -EINVAL;
}

const char *
log_level_name(int level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARN:
		return "warn";
	case LOG_LEVEL_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void log_vwrite(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite(int level, const char *fmt, va_list ap)
{
	char msg[2048];
	int saved = errno;
	size_t i;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/*
	 * Messages may quote hostile text (paths, comm): one log line per
	 * message, control bytes shown as '?'.
	 */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", level, msg);
	else
		fprintf(stderr, "aalearnd: %s: %s\n", log_level_name(level),
		    msg);
	errno = saved;
}

#define LOG_FUNC(name, level)                                                  \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, fmt, ap);                                    \
		va_end(ap);                                                    \
	}

LOG_FUNC(log_error, LOG_LEVEL_ERROR)
LOG_FUNC(log_warn, LOG_LEVEL_WARN)
LOG_FUNC(log_info, LOG_LEVEL_INFO)
LOG_FUNC(log_debug, LOG_LEVEL_DEBUG)
