/*
 * parse.c - aalearn parse [FILE|-] [--text]: how aalearn reads each record.
 *
 * One JSON object per AppArmor record on stdout (or, with --text, a readable
 * block per record); lines that are not AppArmor are skipped.  A summary on
 * stderr counts records, skipped lines and malformed records, and names the
 * lines of the first malformed ones.  Input is read in blocks and split by
 * hand: a line longer than the parser takes is not buffered whole, only its
 * head is looked at (to tell a malformed AppArmor record from other text).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define READ_BUF	(RECORD_LINE_MAX * 4)
#define MALFORMED_SHOWN	10

struct reader {
	int	 fd;
	int	 eof;
	int	 skipping;	/* inside the tail of an over-long line */
	size_t	 start, end;
	char	 buf[READ_BUF];
};

/*
 * The next line, without its newline.  1 and *ret_line, *ret_len; 0 at the
 * end, -errno on a read error.  A line longer than RECORD_LINE_MAX comes back
 * as its first RECORD_LINE_MAX + 1 bytes (the parser then refuses it) and
 * the rest of it is dropped.
 */
static int
reader_next(struct reader *rd, const char **ret_line, size_t *ret_len)
{
	char *nl;
	ssize_t n;
	size_t len = 0;

	for (;;) {
		nl = memchr(rd->buf + rd->start, '\n', rd->end - rd->start);
		if (rd->skipping) {
			if (nl != NULL) {
				rd->start = (size_t)(nl - rd->buf) + 1;
				rd->skipping = 0;
				continue;
			}
			rd->start = rd->end = 0;
		} else if (nl != NULL) {
			*ret_line = rd->buf + rd->start;
			*ret_len = (size_t)(nl - (rd->buf + rd->start));
			rd->start += *ret_len + 1;
			return 1;
		} else if ((len = rd->end - rd->start) > RECORD_LINE_MAX) {
			*ret_line = rd->buf + rd->start;
			*ret_len = RECORD_LINE_MAX + 1;
			rd->start = rd->end = 0;
			rd->skipping = 1;
			return 1;
		} else if (rd->eof) {
			if (len == 0)
				return 0;
			*ret_line = rd->buf + rd->start;
			*ret_len = len;
			rd->start = rd->end;
			return 1;
		}
		if (rd->eof)
			return 0;
		if (rd->start > 0) {
			memmove(rd->buf, rd->buf + rd->start, rd->end - rd->start);
			rd->end -= rd->start;
			rd->start = 0;
		}
		n = read(rd->fd, rd->buf + rd->end, sizeof(rd->buf) - rd->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			rd->eof = 1;
		rd->end += (size_t)n;
	}
}

struct counts {
	unsigned long records, skipped, malformed;
	unsigned long shown_malformed;
};

static void
print_json(const struct record *r, unsigned long line)
{
	const char *name, *s;
	long long num;
	size_t i;
	int rc;

	printf("{\"line\":%lu,\"kind\":\"%s\",\"audit_type\":%d", line,
	    record_kind_name(r->kind), r->audit_type);
	if (r->epoch >= 0)
		printf(",\"epoch\":%lld,\"msec\":%d,\"serial\":%lld",
		    (long long)r->epoch, r->msec, (long long)r->serial);
	for (i = 0; (rc = record_field(r, i, &name, &s, &num)) != -ENOENT; i++) {
		if (rc != 1)
			continue;
		printf(",\"%s\":", name);
		if (s != NULL)
			json_string(stdout, s);
		else
			printf("%lld", num);
	}
	fputs("}\n", stdout);
}

static void
print_text(const struct record *r, unsigned long line)
{
	const char *name, *s;
	long long num;
	size_t i;
	int rc;

	printf("line %lu: %s", line, record_kind_name(r->kind));
	if (r->epoch >= 0)
		printf(" audit(%lld.%03d:%lld)", (long long)r->epoch, r->msec,
		    (long long)r->serial);
	fputc('\n', stdout);
	for (i = 0; (rc = record_field(r, i, &name, &s, &num)) != -ENOENT; i++) {
		if (rc != 1)
			continue;
		printf("  %-15s ", name);
		if (s != NULL)
			text_safe(stdout, s);
		else
			printf("%lld", num);
		fputc('\n', stdout);
	}
}

static void
account(struct counts *c, enum record_result res, const struct record *r,
    unsigned long line, int text)
{
	switch (res) {
	case RECORD_OK:
		c->records++;
		if (text)
			print_text(r, line);
		else
			print_json(r, line);
		break;
	case RECORD_MALFORMED:
		c->malformed++;
		if (c->shown_malformed++ < MALFORMED_SHOWN)
			cli_error("parse: line %lu: malformed AppArmor record", line);
		break;
	case RECORD_NOT_APPARMOR:
		c->skipped++;
		break;
	case RECORD_CONTINUED:
		break;
	}
}

int
cmd_parse(struct cli *cli, int argc, char **argv)
{
	struct record_state *st = NULL;
	struct record *r = NULL;
	struct reader *rd = NULL;
	struct counts c = { 0 };
	const char *path = NULL, *line = NULL;
	unsigned long lineno = 0, held = 0;
	enum record_result res;
	size_t len = 0;
	int i, text = 0, rc, ret = EXIT_ERROR;

	(void)cli;
	if (cli_wants_help(argc, argv, "parse")) {
		printf("usage: aalearn parse [FILE|-] [--text]\n\n"
		    "Print how aalearn reads each AppArmor record of an audit log, a\n"
		    "kernel log (dmesg, syslog, journal) or stdin: one JSON object per\n"
		    "record, or a readable block with --text.  Other lines are skipped.\n"
		    "A summary on stderr counts records, skipped lines and malformed\n"
		    "records.\n");
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--text") == 0)
			text = 1;
		else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && path == NULL)
			path = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			cli_error("parse: unknown option %s", argv[i]);
			return EXIT_ERROR;
		} else if (path == NULL)
			path = argv[i];
		else {
			cli_error("parse: one FILE at most");
			return EXIT_ERROR;
		}
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (r = malloc(sizeof(*r))) == NULL ||
	    (rd = calloc(1, sizeof(*rd))) == NULL) {
		cli_error("parse: out of memory");
		goto out;
	}
	if (path == NULL || strcmp(path, "-") == 0) {
		rd->fd = STDIN_FILENO;
		path = "-";
	} else if ((rd->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_error("parse: open %s: %s", path, strerror(errno));
		rd->fd = -1;
		goto out;
	}
	while ((rc = reader_next(rd, &line, &len)) > 0) {
		lineno++;
		if (record_parse_pending(st)) {
			/* the record returned now began on an earlier line */
			res = record_parse(st, r, line, len);
			account(&c, res, r, held, text);
			if (record_parse_pending(st)) {
				held = lineno;
				res = record_parse(st, r, NULL, 0);
				account(&c, res, r, held, text);
			}
			continue;
		}
		res = record_parse(st, r, line, len);
		if (res == RECORD_CONTINUED)
			held = lineno;
		account(&c, res, r, lineno, text);
	}
	while (record_parse_pending(st)) {
		res = record_parse(st, r, NULL, 0);
		account(&c, res, r, held, text);
	}
	if (rc < 0) {
		cli_error("parse: read %s: %s", path, strerror(-rc));
		goto out;
	}
	if (c.shown_malformed > MALFORMED_SHOWN)
		cli_error("parse: %lu more malformed records not listed",
		    c.shown_malformed - MALFORMED_SHOWN);
	if (fflush(stdout) != 0) {
		cli_error("parse: write: %s", strerror(errno));
		goto out;
	}
	fprintf(stderr, "aalearn parse: %lu records, %lu skipped lines, "
	    "%lu malformed\n", c.records, c.skipped, c.malformed);
	ret = EXIT_OK;
out:
	if (rd != NULL && rd->fd > STDIN_FILENO)
		close(rd->fd);
	free(rd);
	free(r);
	free(st);
	return ret;
}
