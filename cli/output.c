/*
 * output.c - printing that every command shares: errors, JSON strings,
 * terminal-safe text, opening the store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("aalearn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else if (*p == '\t') {
			fputs("\\t", f);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if ((n = utf8_len(p)) > 0) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			/*
			 * Not UTF-8: JSON cannot carry the raw byte.  Write it
			 * as a lone low surrogate U+DC80+byte (PEP 383's
			 * "surrogateescape"): no real name can hold one, since
			 * surrogates are not UTF-8, so the form is unambiguous,
			 * and Python's json + surrogateescape gives the bytes back.
			 */
			fprintf(f, "\\udc%02x", *p++);
		}
	}
	fputc('"', f);
}

void
text_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (s == NULL)
		return;
	while (*p != '\0') {
		if (*p == '\\') {
			fputs("\\\\", f);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p++);
		} else if ((n = utf8_len(p)) > 0) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fprintf(f, "\\x%02x", *p++);
		}
	}
}

struct store *
cli_open_store(struct cli *cli, int flags)
{
	char err[512];
	struct store *st;

	st = store_open(cli->db, flags, err, sizeof(err));
	if (st == NULL) {
		cli_error("%s", err);
		if (!(flags & STORE_CREATE) && access(cli->db, F_OK) != 0)
			cli_error("no store yet: start aalearnd, or learn from a log "
			    "with 'aalearn import LOG', or name another with --db");
		return NULL;
	}
	if (store_loose_permissions(st))
		cli_error("warning: %s or its directory is readable by others; "
		    "chmod 0600 the file and 0700 the directory", cli->db);
	return st;
}

void
cli_usage(FILE *f, const struct cli_command *c)
{
	fprintf(f, "usage: aalearn %s %s\n\n%s.\n\n%s", c->name, c->usage,
	    c->summary, c->help);
	fprintf(f, "\nGlobal options (--db, --profile-dir, --parser, --json) may stand\n"
	    "before or after the command; see 'aalearn --help'.\n");
}

bool
cli_wants_help(int argc, char **argv, const char *name)
{
	int i;

	(void)name;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}
