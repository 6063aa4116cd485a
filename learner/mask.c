/*
 * mask.c - permission masks as bit sets.
 *
 * The kernel logs masks in two shapes: file letters ("rwc", "mrwIxl", and
 * on old kernels an owner split "r::" / "::r") and words for the other
 * classes ("send receive", "read trace", "userns_create").  Both land in one
 * uint64_t so that aggregation can take unions; the class decides how a
 * mask is written back into a rule.
 */
#include <errno.h>
#include <string.h>

#include "learner.h"

struct mask_word {
	const char	*word;
	size_t		 len;
	uint64_t	 bit;
};

#define W(word, bit)	{ word, sizeof(word) - 1, bit }
#define MASK_WORD_MIN	4	/* the shortest word's length */

/* Words as the kernel logs them and as rules spell them. */
static const struct mask_word mask_words[] = {
	W("read",		MASK_READ),
	W("write",		MASK_WRITE),
	W("append",		MASK_APPEND),
	W("create",		MASK_CREATE),
	W("delete",		MASK_DELETE),
	W("exec",		MASK_EXEC),
	W("mmap",		MASK_MMAP),
	W("link",		MASK_LINK),
	W("lock",		MASK_LOCK),
	W("rename",		MASK_RENAME),
	W("setattr",		MASK_SETATTR),
	W("getattr",		MASK_GETATTR),
	W("open",		MASK_OPEN),
	W("bind",		MASK_BIND),
	W("listen",		MASK_LISTEN),
	W("accept",		MASK_ACCEPT),
	W("connect",		MASK_CONNECT),
	W("send",		MASK_SEND),
	W("receive",		MASK_RECEIVE),
	W("shutdown",		MASK_SHUTDOWN),
	W("getopt",		MASK_GETOPT),
	W("setopt",		MASK_SETOPT),
	W("trace",		MASK_TRACE),
	W("readby",		MASK_READBY),
	W("tracedby",		MASK_TRACEDBY),
	W("eavesdrop",		MASK_EAVESDROP),
	W("sqpoll",		MASK_SQPOLL),
	W("override_creds",	MASK_OVERRIDE_CREDS),
	/* userns records log the operation as the mask */
	W("userns_create",	MASK_CREATE),
};

static int
mask_is_sep(char c)
{
	return c == ' ' || c == ',' || c == '\t' || c == '(' || c == ')';
}

static uint64_t
mask_word_bit(const char *w, size_t n)
{
	size_t i;

	/* File letters ("r", "rw", "wc") are the common case. */
	if (n < MASK_WORD_MIN)
		return 0;
	for (i = 0; i < sizeof(mask_words) / sizeof(mask_words[0]); i++)
		if (mask_words[i].len == n &&
		    memcmp(mask_words[i].word, w, n) == 0)
			return mask_words[i].bit;
	return 0;
}

/*
 * File letters.  i, p, u and c before an x are exec modes (c alone is
 * create); upper case P, C, U are the environment-scrubbing variants.  The
 * old 'I' (inherit, upper case) is read as ix.
 */
static uint64_t
mask_letters(const char *s, size_t n)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		int before_x = i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');

		switch (c) {
		case 'r': m |= MASK_READ; break;
		case 'w': m |= MASK_WRITE; break;
		case 'a': m |= MASK_APPEND; break;
		case 'd': m |= MASK_DELETE; break;
		case 'x': case 'X': m |= MASK_EXEC; break;
		case 'm': m |= MASK_MMAP; break;
		case 'l': m |= MASK_LINK; break;
		case 'k': m |= MASK_LOCK; break;
		case 'c':
			m |= before_x ? MASK_EXEC_CHILD : MASK_CREATE;
			break;
		case 'C': m |= MASK_EXEC_CHILD | MASK_EXEC_SCRUB; break;
		case 'i': case 'I': m |= MASK_EXEC_INHERIT; break;
		case 'p': m |= MASK_EXEC_PROFILE; break;
		case 'P': m |= MASK_EXEC_PROFILE | MASK_EXEC_SCRUB; break;
		case 'u': m |= MASK_EXEC_UNCONFINED; break;
		case 'U': m |= MASK_EXEC_UNCONFINED | MASK_EXEC_SCRUB; break;
		default:
			/* not a mask we know: trust none of its letters */
			return MASK_UNKNOWN;
		}
	}
	return m;
}

/* One half of a mask: words and letter runs separated by blanks/commas. */
static uint64_t
mask_parse_part(const char *s, size_t n)
{
	uint64_t m = 0, bit;
	size_t i = 0, j;

	while (i < n) {
		if (mask_is_sep(s[i])) {
			i++;
			continue;
		}
		for (j = i; j < n && !mask_is_sep(s[j]); j++)
			;
		if ((bit = mask_word_bit(s + i, j - i)) != 0)
			m |= bit;
		else
			m |= mask_letters(s + i, j - i);
		i = j;
	}
	return m;
}

uint64_t
mask_parse(const char *text)
{
	const char *split;
	uint64_t owner, other;

	if (text == NULL)
		return 0;
	if ((split = strstr(text, "::")) == NULL)
		return mask_parse_part(text, strlen(text));
	owner = mask_parse_part(text, (size_t)(split - text));
	other = mask_parse_part(split + 2, strlen(split + 2));
	if (strstr(split + 2, "::") != NULL)
		other |= MASK_UNKNOWN;
	if (other & MASK_PERMS)
		other |= MASK_NOT_OWNER;
	return owner | other;
}

uint64_t
mask_class_perms(int access_class)
{
	switch (access_class) {
	case ACCESS_FILE:
	case ACCESS_EXEC:
		return MASK_READ | MASK_WRITE | MASK_APPEND | MASK_CREATE |
		    MASK_DELETE | MASK_EXEC | MASK_MMAP | MASK_LINK |
		    MASK_LOCK | MASK_RENAME | MASK_SETATTR | MASK_EXEC_MODES;
	case ACCESS_NETWORK:
	case ACCESS_UNIX:
		return MASK_CREATE | MASK_BIND | MASK_LISTEN | MASK_ACCEPT |
		    MASK_CONNECT | MASK_SEND | MASK_RECEIVE | MASK_SHUTDOWN |
		    MASK_GETATTR | MASK_SETATTR | MASK_GETOPT | MASK_SETOPT;
	case ACCESS_SIGNAL:
		return MASK_SEND | MASK_RECEIVE;
	case ACCESS_PTRACE:
		return MASK_READ | MASK_TRACE | MASK_READBY | MASK_TRACEDBY;
	case ACCESS_DBUS:
		return MASK_SEND | MASK_RECEIVE | MASK_BIND | MASK_EAVESDROP;
	case ACCESS_MQUEUE:
		return MASK_CREATE | MASK_OPEN | MASK_DELETE | MASK_READ |
		    MASK_WRITE | MASK_GETATTR | MASK_SETATTR;
	case ACCESS_USERNS:
		return MASK_CREATE;
	case ACCESS_IO_URING:
		return MASK_SQPOLL | MASK_OVERRIDE_CREDS;
	default:
		return 0;
	}
}

/* Append s to buf at *pos; -ENOSPC when it does not fit with its NUL. */
static int
mask_put(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n + 1 > len)
		return -ENOSPC;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return 0;
}

static const char *
mask_format_file(uint64_t m, char *buf, size_t len)
{
	uint64_t modes = m & MASK_EXEC_MODES;
	size_t pos = 0;
	const char *x = NULL;
	int r = 0;

	/* AppArmor grants create, delete, rename and chmod/chown with w. */
	if (m & (MASK_CREATE | MASK_DELETE | MASK_RENAME | MASK_SETATTR))
		m |= MASK_WRITE;
	if (m & MASK_WRITE)
		m &= ~MASK_APPEND;	/* the parser refuses "wa"; w covers a */
	if (modes != 0)
		m |= MASK_EXEC;
	if (m & MASK_EXEC) {
		int scrub = (modes & MASK_EXEC_SCRUB) != 0;

		switch (modes & ~MASK_EXEC_SCRUB) {
		case 0:
		case MASK_EXEC_INHERIT:
			x = scrub ? NULL : "ix";
			break;
		case MASK_EXEC_PROFILE:
			x = scrub ? "Px" : "px";
			break;
		case MASK_EXEC_CHILD:
			x = scrub ? "Cx" : "cx";
			break;
		case MASK_EXEC_UNCONFINED:
			x = scrub ? "Ux" : "ux";
			break;
		case MASK_EXEC_PROFILE | MASK_EXEC_INHERIT:
			x = scrub ? "Pix" : "pix";
			break;
		case MASK_EXEC_CHILD | MASK_EXEC_INHERIT:
			x = scrub ? "Cix" : "cix";
			break;
		default:
			x = NULL;	/* conflicting modes: no rule says that */
		}
		if (x == NULL)
			return NULL;
	}
	buf[0] = '\0';
	if (m & MASK_MMAP)
		r |= mask_put(buf, len, &pos, "m");
	if (m & MASK_READ)
		r |= mask_put(buf, len, &pos, "r");
	if (m & MASK_WRITE)
		r |= mask_put(buf, len, &pos, "w");
	if (m & MASK_APPEND)
		r |= mask_put(buf, len, &pos, "a");
	if (m & MASK_LINK)
		r |= mask_put(buf, len, &pos, "l");
	if (m & MASK_LOCK)
		r |= mask_put(buf, len, &pos, "k");
	if (x != NULL)
		r |= mask_put(buf, len, &pos, x);
	return r == 0 ? buf : NULL;
}

/* Rule words in the order they are written. */
static const struct mask_word mask_rule_words[] = {
	W("create",		MASK_CREATE),
	W("open",		MASK_OPEN),
	W("delete",		MASK_DELETE),
	W("read",		MASK_READ),
	W("write",		MASK_WRITE),
	W("bind",		MASK_BIND),
	W("listen",		MASK_LISTEN),
	W("accept",		MASK_ACCEPT),
	W("connect",		MASK_CONNECT),
	W("send",		MASK_SEND),
	W("receive",		MASK_RECEIVE),
	W("shutdown",		MASK_SHUTDOWN),
	W("getattr",		MASK_GETATTR),
	W("setattr",		MASK_SETATTR),
	W("getopt",		MASK_GETOPT),
	W("setopt",		MASK_SETOPT),
	W("trace",		MASK_TRACE),
	W("readby",		MASK_READBY),
	W("tracedby",		MASK_TRACEDBY),
	W("eavesdrop",		MASK_EAVESDROP),
	W("sqpoll",		MASK_SQPOLL),
	W("override_creds",	MASK_OVERRIDE_CREDS),
};

const char *
mask_format(uint64_t mask, int access_class, char *buf, size_t len)
{
	uint64_t m = mask & MASK_PERMS;
	size_t i, pos = 0;
	int r = 0, first = 1;

	if (buf == NULL || len == 0)
		return NULL;
	if (m & ~mask_class_perms(access_class))
		return NULL;
	if (access_class == ACCESS_FILE || access_class == ACCESS_EXEC)
		return mask_format_file(m, buf, len);
	buf[0] = '\0';
	if (m == 0)
		return buf;
	r |= mask_put(buf, len, &pos, "(");
	for (i = 0; i < sizeof(mask_rule_words) / sizeof(mask_rule_words[0]);
	    i++) {
		if (!(m & mask_rule_words[i].bit))
			continue;
		if (!first)
			r |= mask_put(buf, len, &pos, ", ");
		r |= mask_put(buf, len, &pos, mask_rule_words[i].word);
		first = 0;
	}
	r |= mask_put(buf, len, &pos, ")");
	return r == 0 ? buf : NULL;
}
