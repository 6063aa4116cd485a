/*
 * profile.c - AppArmor profile text in and out.
 *
 * The parser is a statement scanner, not a grammar: it finds profiles,
 * hats, includes, variables and rules, and keeps what it does not model as
 * opaque rules.  Writing never re-serialises a parsed file: it splices the
 * original bytes, so that everything outside aalearn's block is kept byte
 * for byte.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

#define PROFILE_MAX_BLOCKS	4096
#define PROFILE_MAX_RULES	200000
#define PROFILE_MAX_NESTING	32

/* ------------------------------------------------------------ strings */

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A growable byte buffer; on allocation failure it remembers the error. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n > PROFILE_TEXT_MAX * 4 || b->len > PROFILE_TEXT_MAX * 4) {
		b->err = -E2BIG;	/* an offset went wrong: never write */
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

/* Hand the buffer over: 0 and the text, or the remembered error. */
static int
sbuf_finish(struct sbuf *b, char **ret_text, size_t *ret_len)
{
	if (!b->err && b->p == NULL)
		sbuf_add(b, "", 0);
	if (b->err) {
		free(b->p);
		return b->err;
	}
	*ret_text = b->p;
	if (ret_len != NULL)
		*ret_len = b->len;
	return 0;
}

/* ------------------------------------------------------------ scanner */

struct scan {
	const char *t;
	size_t	 len, pos, line;
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_space(char c)
{
	return is_blank(c) || c == '\n';
}

static void
scan_advance(struct scan *sc, size_t n)
{
	while (n-- > 0 && sc->pos < sc->len) {
		if (sc->t[sc->pos] == '\n')
			sc->line++;
		sc->pos++;
	}
}

static bool
word_at(const char *t, size_t len, size_t pos, const char *w)
{
	size_t n = strlen(w);

	if (pos + n > len || memcmp(t + pos, w, n) != 0)
		return false;
	return pos + n == len || !(isalnum((unsigned char)t[pos + n]) ||
	    t[pos + n] == '_' || t[pos + n] == '-');
}

/* "#include" is a directive; "# include" is a comment (as the parser
 * reads them: checked with apparmor_parser 3.0.8). */
static bool
hash_include_at(const struct scan *sc)
{
	return word_at(sc->t, sc->len, sc->pos + 1, "include");
}

#define BEGIN_PREFIX "# aalearn:begin"

/*
 * Skip blanks, newlines and comments; false at the end of the text.  A
 * comment line starting with BEGIN_PREFIX has its line start given to
 * marker() (the same text inside a statement, say a quoted name that spans
 * lines, is not a comment and not a marker).  marker() < 0 stops the scan.
 */
static bool
scan_skip(struct scan *sc, int (*marker)(void *, size_t), void *arg, int *ret)
{
	while (sc->pos < sc->len) {
		char c = sc->t[sc->pos];

		if (is_space(c)) {
			scan_advance(sc, 1);
		} else if (c == '#' && !hash_include_at(sc)) {
			size_t ls = sc->pos;

			while (ls > 0 && is_blank(sc->t[ls - 1]))
				ls--;
			if ((ls == 0 || sc->t[ls - 1] == '\n') && marker != NULL &&
			    sc->len - sc->pos >= strlen(BEGIN_PREFIX) &&
			    memcmp(sc->t + sc->pos, BEGIN_PREFIX,
			    strlen(BEGIN_PREFIX)) == 0 &&
			    (*ret = marker(arg, ls)) < 0)
				return false;
			while (sc->pos < sc->len && sc->t[sc->pos] != '\n')
				sc->pos++;
		} else {
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------ tokens */

/*
 * Split rule text into tokens: whitespace separates, except inside quotes,
 * parentheses and braces; "->" and "=" stay inside their tokens unless
 * written apart.
 */
#define MAX_TOKENS 64

struct tokens {
	char	*v[MAX_TOKENS];
	size_t	 n;
};

static void
tokens_free(struct tokens *tk)
{
	for (size_t i = 0; i < tk->n; i++)
		free(tk->v[i]);
	tk->n = 0;
}

static int
tokenize(const char *s, size_t len, struct tokens *tk)
{
	size_t i = 0;

	tk->n = 0;
	while (i < len) {
		size_t start;
		int paren = 0, brace = 0;
		bool quote = false;

		while (i < len && is_space(s[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		for (; i < len; i++) {
			char c = s[i];

			if (c == '\\' && i + 1 < len) {
				i++;
				continue;
			}
			if (c == '"') {
				quote = !quote;
				continue;
			}
			if (quote)
				continue;
			if (c == '(' && (paren > 0 || i == start ||
			    s[i - 1] == '=' || is_space(s[i - 1])))
				paren++;	/* a list; not "test(me" */
			else if (c == ')' && paren > 0)
				paren--;
			else if (c == '{')
				brace++;
			else if (c == '}' && brace > 0)
				brace--;
			else if (is_space(c) && paren == 0 && brace == 0) {
				/* "key= value" and "key =value" join; a path
				 * ending in '=' is not a key. */
				size_t j = i;
				bool key = s[start] != '/' && s[start] != '@' &&
				    s[start] != '"';

				while (j < len && is_space(s[j]))
					j++;
				if (key && ((j < len && s[j] == '=' &&
				    !(j + 1 < len && s[j + 1] == '>')) ||
				    (i > start && s[i - 1] == '='))) {
					i = j - 1;
					continue;
				}
				break;
			}
		}
		if (tk->n == MAX_TOKENS) {
			tokens_free(tk);
			return -E2BIG;
		}
		if ((tk->v[tk->n] = xstrndup(s + start, i - start)) == NULL) {
			tokens_free(tk);
			return -ENOMEM;
		}
		/* Drop the blanks around a top-level '=' that the join above
		 * kept ("key = value"); blanks inside (...) and quotes stay. */
		{
			char *t = tk->v[tk->n], *w = t;
			int depth = 0;
			bool q = false;

			for (char *r = t; *r; r++) {
				if (*r == '"')
					q = !q;
				else if (!q && *r == '(')
					depth++;
				else if (!q && *r == ')' && depth > 0)
					depth--;
				if (is_space(*r) && !q && depth == 0 &&
				    t[0] != '/' && t[0] != '@') {
					char *nx = r;

					while (is_space(*nx))
						nx++;
					if ((w > t && w[-1] == '=') || *nx == '=')
						continue;
				}
				*w++ = *r;
			}
			*w = '\0';
		}
		tk->n++;
	}
	return 0;
}

/* Strip one pair of outer quotes, in place. */
static char *
unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	return s;
}

/* ------------------------------------------------------------ rules */

static void
rule_clear(struct profile_rule *r)
{
	free(r->text);
	for (int i = 0; i < ACCESS_NFIELDS; i++)
		free(r->f[i]);
	memset(r, 0, sizeof(*r));
}

static int
set_field(struct profile_rule *r, int i, const char *v)
{
	free(r->f[i]);
	r->f[i] = strdup(v);
	return r->f[i] == NULL ? -ENOMEM : 0;
}

/* Perm tokens: "(send, receive)", "send", "rw" -> mask; "" when none. */
static uint64_t
perms_of(const char *tok)
{
	char buf[512];
	size_t n = strlen(tok);

	if (n >= sizeof(buf))
		return MASK_UNKNOWN;
	memcpy(buf, tok, n + 1);
	for (char *p = buf; *p; p++)
		if (*p == '(' || *p == ')' || *p == ',')
			*p = ' ';
	return mask_parse(buf);
}

static bool
is_perm_word(const char *w)
{
	static const char *const words[] = { "r", "w", "rw", "read", "write",
	    "send", "receive", "bind", "connect", "listen", "accept", "create",
	    "delete", "open", "getattr", "setattr", "getopt", "setopt",
	    "shutdown", "trace", "tracedby", "read", "readby", "eavesdrop",
	    "sqpoll", "override_creds", "exec", "append", "lock", "link",
	    "mmap", "map", NULL };

	if (w[0] == '(')
		return true;
	for (int i = 0; words[i]; i++)
		if (strcmp(w, words[i]) == 0)
			return true;
	return false;
}

/* File permission letters, including exec modes, and nothing else. */
static bool
is_file_perms(const char *w)
{
	if (*w == '\0')
		return false;
	for (; *w; w++)
		if (strchr("rwaklmxiupcPUCIbB", *w) == NULL)
			return false;
	return true;
}

static void
exec_mode_of(const char *perms, struct profile_rule *r)
{
	const char *x = strchr(perms, 'x');
	size_t n = 0;

	if (x == NULL)
		return;
	if (x > perms && strchr("iupcPUCIbB", x[-1]) != NULL) {
		if (x - 1 > perms && strchr("iupcPUC", x[-2]) != NULL)
			r->exec_mode[n++] = x[-2];
		r->exec_mode[n++] = x[-1];
	}
	r->exec_mode[n++] = 'x';
	r->exec_mode[n] = '\0';
}

static bool
is_path_start(const char *w)
{
	return w[0] == '/' || w[0] == '@' || (w[0] == '"' && (w[1] == '/' ||
	    w[1] == '@'));
}

/* A key=value token: sets f[i] to the value (parens and quotes removed). */
static int
cond_value(const char *tok, const char *key, char **ret)
{
	size_t n = strlen(key);
	char *v;
	size_t vl;

	if (strncmp(tok, key, n) != 0 || tok[n] != '=')
		return 0;
	v = strdup(tok + n + 1);
	if (v == NULL)
		return -ENOMEM;
	vl = strlen(v);
	if (vl >= 2 && v[0] == '(' && v[vl - 1] == ')') {
		memmove(v, v + 1, vl - 2);
		v[vl - 2] = '\0';
	}
	unquote(v);
	*ret = v;
	return 1;
}

/*
 * Fill the class fields from key=value conditionals.  keys[i] names the
 * conditional that goes to f[i] (NULL: none); "peer" is looked into for
 * label= and addr=.  Unknown conditionals make the rule opaque to matching
 * (kept, but it covers nothing): narrower is the safe reading.
 */
static int
parse_conds(struct profile_rule *r, struct tokens *tk, size_t from,
    const char *const keys[ACCESS_NFIELDS], int peer_label, int peer_addr)
{
	for (size_t i = from; i < tk->n; i++) {
		const char *t = tk->v[i];
		bool done = false;
		char *v = NULL;
		int rc;

		if (strncmp(t, "peer=", 5) == 0 && t[5] == '(') {
			struct tokens sub;
			char *inner = NULL;

			if ((rc = cond_value(t, "peer", &inner)) < 0)
				return rc;
			rc = tokenize(inner, strlen(inner), &sub);
			free(inner);
			if (rc < 0)
				return rc;
			for (size_t j = 0; j < sub.n; j++) {
				char *pv = NULL;

				if (peer_label >= 0 && cond_value(sub.v[j],
				    "label", &pv) > 0) {
					free(r->f[peer_label]);
					r->f[peer_label] = pv;
				} else if (peer_addr >= 0 && cond_value(sub.v[j],
				    "addr", &pv) > 0) {
					free(r->f[peer_addr]);
					r->f[peer_addr] = pv;
				} else {
					free(pv);
					r->opaque = true;
				}
			}
			tokens_free(&sub);
			continue;
		}
		if (peer_label >= 0 && (rc = cond_value(t, "peer", &v)) != 0) {
			if (rc < 0)
				return rc;
			free(r->f[peer_label]);
			r->f[peer_label] = v;
			continue;
		}
		for (int k = 0; k < ACCESS_NFIELDS && !done; k++) {
			if (keys[k] == NULL)
				continue;
			if ((rc = cond_value(t, keys[k], &v)) < 0)
				return rc;
			if (rc > 0) {
				free(r->f[k]);
				r->f[k] = v;
				done = true;
			}
		}
		if (!done)
			r->opaque = true;
	}
	return 0;
}

/* Parse the text of one rule (no trailing comma) into r. */
static int
rule_parse(const char *text, size_t len, size_t line, struct profile_rule *r)
{
	struct tokens tk;
	size_t i = 0;
	const char *kw;
	int rc;

	memset(r, 0, sizeof(*r));
	r->line = line;
	if ((r->text = xstrndup(text, len)) == NULL)
		return -ENOMEM;
	if ((rc = tokenize(text, len, &tk)) < 0) {
		if (rc == -E2BIG) {
			r->cls = ACCESS_NONE;
			return 0;
		}
		rule_clear(r);
		return rc;
	}
	for (; i < tk.n; i++) {
		if (strcmp(tk.v[i], "audit") == 0)
			r->audit = true;
		else if (strcmp(tk.v[i], "deny") == 0)
			r->deny = true;
		else if (strcmp(tk.v[i], "owner") == 0)
			r->owner = true;
		else if (strcmp(tk.v[i], "allow") == 0 ||
		    strcmp(tk.v[i], "quiet") == 0)
			continue;
		else if (strcmp(tk.v[i], "other") == 0 ||
		    strncmp(tk.v[i], "priority=", 9) == 0)
			r->opaque = true;
		else
			break;
	}
	if (i >= tk.n)
		goto out;
	kw = tk.v[i];
	rc = 0;
	if (strcmp(kw, "file") == 0 && i + 1 == tk.n) {
		r->cls = ACCESS_FILE;	/* everything */
	} else if (strcmp(kw, "file") == 0 || is_path_start(kw) ||
	    (is_file_perms(kw) && i + 1 < tk.n && is_path_start(tk.v[i + 1]))) {
		const char *path, *perms;

		if (strcmp(kw, "file") == 0)
			kw = tk.v[++i];
		if (is_path_start(kw)) {
			path = kw;
			perms = i + 1 < tk.n ? tk.v[i + 1] : "";
		} else {
			perms = kw;
			path = i + 1 < tk.n ? tk.v[i + 1] : "";
		}
		r->cls = ACCESS_FILE;
		if ((rc = set_field(r, 0, path)) < 0)
			goto out;
		unquote(r->f[0]);
		r->mask = mask_parse(perms) | (strchr(perms, 'x') ?
		    MASK_EXEC : 0);
		exec_mode_of(perms, r);
		if (i + 3 < tk.n && strcmp(tk.v[i + 2], "->") == 0) {
			if ((rc = set_field(r, 1, tk.v[i + 3])) < 0)
				goto out;
			unquote(r->f[1]);
		}
		if (!is_file_perms(perms))
			r->opaque = true;
	} else if (strcmp(kw, "link") == 0) {
		size_t j = i + 1;

		r->cls = ACCESS_FILE;
		r->mask = MASK_LINK;
		if (j < tk.n && strcmp(tk.v[j], "subset") == 0)
			j++;
		if (j < tk.n && (rc = set_field(r, 0, tk.v[j])) < 0)
			goto out;
		if (j + 2 < tk.n && strcmp(tk.v[j + 1], "->") == 0 &&
		    (rc = set_field(r, 1, tk.v[j + 2])) < 0)
			goto out;
		for (int k = 0; k < 2; k++)
			if (r->f[k])
				unquote(r->f[k]);
	} else if (strcmp(kw, "capability") == 0) {
		struct sbuf b = { 0 };

		r->cls = ACCESS_CAPABILITY;
		for (size_t j = i + 1; j < tk.n; j++) {
			if (b.len)
				sbuf_add(&b, " ", 1);
			sbuf_str(&b, tk.v[j]);
		}
		if (b.len) {
			if ((rc = sbuf_finish(&b, &r->f[0], NULL)) < 0)
				goto out;
		}
	} else if (strcmp(kw, "network") == 0) {
		size_t j = i + 1, pos = 0;

		r->cls = ACCESS_NETWORK;
		if (j < tk.n && is_perm_word(tk.v[j]))
			r->mask = perms_of(tk.v[j++]);
		for (; j < tk.n; j++) {
			if (strchr(tk.v[j], '=') != NULL || pos >= 2) {
				r->opaque = true;	/* ip=, port=, peer= */
				continue;
			}
			if ((rc = set_field(r, (int)pos++, tk.v[j])) < 0)
				goto out;
		}
	} else if (strcmp(kw, "unix") == 0) {
		static const char *const k[ACCESS_NFIELDS] = { "type", "addr",
		    NULL, NULL, NULL, NULL };
		size_t j = i + 1;

		r->cls = ACCESS_UNIX;
		if (j < tk.n && is_perm_word(tk.v[j]))
			r->mask = perms_of(tk.v[j++]);
		rc = parse_conds(r, &tk, j, k, 3, 2);
	} else if (strcmp(kw, "signal") == 0) {
		static const char *const k[ACCESS_NFIELDS] = { "set", NULL };
		size_t j = i + 1;

		r->cls = ACCESS_SIGNAL;
		if (j < tk.n && is_perm_word(tk.v[j]))
			r->mask = perms_of(tk.v[j++]);
		rc = parse_conds(r, &tk, j, k, 1, -1);
	} else if (strcmp(kw, "ptrace") == 0) {
		static const char *const k[ACCESS_NFIELDS] = { NULL };
		size_t j = i + 1;

		r->cls = ACCESS_PTRACE;
		if (j < tk.n && is_perm_word(tk.v[j]))
			r->mask = perms_of(tk.v[j++]);
		rc = parse_conds(r, &tk, j, k, 0, -1);
	} else if (strcmp(kw, "dbus") == 0) {
		static const char *const k[ACCESS_NFIELDS] = { "bus", "path",
		    "interface", "member", NULL, "name" };
		size_t j = i + 1;

		r->cls = ACCESS_DBUS;
		if (j < tk.n && is_perm_word(tk.v[j]))
			r->mask = perms_of(tk.v[j++]);
		rc = parse_conds(r, &tk, j, k, 4, -1);
		/* peer=(name=...) is the peer's bus name: not modelled. */
	} else if (strcmp(kw, "mqueue") == 0) {
		static const char *const k[ACCESS_NFIELDS] = { NULL, "type" };
		size_t j = i + 1;

		r->cls = ACCESS_MQUEUE;
		if (j < tk.n && is_perm_word(tk.v[j]))
			r->mask = perms_of(tk.v[j++]);
		for (; j < tk.n; j++) {
			if (strchr(tk.v[j], '=') == NULL) {
				if ((rc = set_field(r, 0, tk.v[j])) < 0)
					goto out;
				unquote(r->f[0]);
				continue;
			}
			{
				struct tokens one = { .n = 1 };

				one.v[0] = tk.v[j];
				rc = parse_conds(r, &one, 0, k, -1, -1);
				if (rc < 0)
					goto out;
			}
		}
	} else if (strcmp(kw, "userns") == 0) {
		r->cls = ACCESS_USERNS;
		if (i + 1 < tk.n)
			r->mask = perms_of(tk.v[i + 1]);
		if (i + 2 < tk.n)
			r->opaque = true;
	} else if (strcmp(kw, "io_uring") == 0) {
		static const char *const k[ACCESS_NFIELDS] = { NULL, "label" };
		size_t j = i + 1;

		r->cls = ACCESS_IO_URING;
		if (j < tk.n && is_perm_word(tk.v[j]))
			r->mask = perms_of(tk.v[j++]);
		rc = parse_conds(r, &tk, j, k, -1, -1);
	} else if (strcmp(kw, "change_profile") == 0) {
		size_t j = i + 1;

		r->cls = ACCESS_CHANGE_PROFILE;
		for (; j < tk.n; j++) {
			if (strcmp(tk.v[j], "->") == 0 && j + 1 < tk.n) {
				if ((rc = set_field(r, 0, tk.v[j + 1])) < 0)
					goto out;
				unquote(r->f[0]);
				j++;
			} else {
				/* exec path or exec mode: narrower than
				 * we model, so it covers nothing */
				r->opaque = true;
			}
		}
	} else if (strcmp(kw, "mount") == 0 || strcmp(kw, "remount") == 0 ||
	    strcmp(kw, "umount") == 0 || strcmp(kw, "unmount") == 0 ||
	    strcmp(kw, "pivot_root") == 0) {
		size_t j = i + 1;
		int npos = 0;

		r->cls = ACCESS_MOUNT;
		if ((rc = set_field(r, 0, strcmp(kw, "unmount") == 0 ?
		    "umount" : kw)) < 0)
			goto out;
		for (; j < tk.n; j++) {
			const char *t = tk.v[j];
			char *v = NULL;

			if (strcmp(t, "->") == 0) {
				if (j + 1 < tk.n &&
				    (rc = set_field(r, 3, tk.v[++j])) < 0)
					goto out;
				if (r->f[3])
					unquote(r->f[3]);
			} else if ((rc = cond_value(t, "fstype", &v)) != 0 ||
			    (rc = cond_value(t, "vfstype", &v)) != 0) {
				if (rc < 0)
					goto out;
				free(r->f[1]);
				r->f[1] = v;
			} else if ((rc = cond_value(t, "options", &v)) != 0) {
				if (rc < 0)
					goto out;
				free(r->f[4]);
				r->f[4] = v;
			} else if ((rc = cond_value(t, "oldroot", &v)) != 0) {
				if (rc < 0)
					goto out;
				free(r->f[2]);
				r->f[2] = v;
			} else if (strchr(t, '=') == NULL && npos == 0) {
				/* mount SOURCE -> MP; umount MP; pivot NEW */
				int f = strcmp(r->f[0], "mount") == 0 ? 2 : 3;

				if ((rc = set_field(r, f, t)) < 0)
					goto out;
				unquote(r->f[f]);
				npos++;
			} else {
				r->opaque = true;
			}
		}
		rc = 0;
	} else {
		r->cls = ACCESS_NONE;	/* rlimit, alias, abi, set, ... */
	}
out:
	tokens_free(&tk);
	if (rc < 0) {
		rule_clear(r);
		return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ parser */

static bool variable_at(const struct scan *sc);

enum stmt_end {
	STMT_COMMA,	/* a rule, ended by ',' */
	STMT_OPEN,	/* a block header, ended by '{' */
	STMT_BARE,	/* ended by '}' or the end of the text without ',' */
};

/* A '{' that opens a block rather than an alternation in a glob. */
static bool
block_open_at(const struct scan *sc, size_t p, size_t start)
{
	bool before = p == start || is_space(sc->t[p - 1]) ||
	    sc->t[p - 1] == ')';
	bool after = p + 1 >= sc->len || is_space(sc->t[p + 1]) ||
	    sc->t[p + 1] == '#' || sc->t[p + 1] == '}';

	return before && after;
}

/* From sc->pos, find where the statement ends; *ret_end excludes ',' '{'. */
static enum stmt_end
scan_statement(struct scan *sc, size_t *ret_end)
{
	size_t start = sc->pos, p = sc->pos;
	int paren = 0, brace = 0;
	bool quote = false;

	for (; p < sc->len; p++) {
		char c = sc->t[p];

		if (c == '\\' && p + 1 < sc->len) {
			p++;
			continue;
		}
		if (c == '"') {
			quote = !quote;
			continue;
		}
		if (quote)
			continue;
		if (c == '#' && (p == start || is_space(sc->t[p - 1]))) {
			while (p + 1 < sc->len && sc->t[p + 1] != '\n')
				p++;
			continue;
		}
		if (c == '(') {
			/* a list "(a, b)" or "k=(a, b)"; not "/x(y" */
			if (paren > 0 || p == start || sc->t[p - 1] == '=' ||
			    is_space(sc->t[p - 1]))
				paren++;
		} else if (c == ')') {
			if (paren > 0)
				paren--;
		} else if (c == '{') {
			if (paren == 0 && brace == 0 &&
			    block_open_at(sc, p, start)) {
				*ret_end = p;
				return STMT_OPEN;
			}
			brace++;
		} else if (c == '}') {
			if (brace == 0) {
				*ret_end = p;
				return STMT_BARE;
			}
			brace--;
		} else if (c == ',' && paren == 0 && brace == 0) {
			*ret_end = p;
			return STMT_COMMA;
		}
	}
	*ret_end = p;
	return STMT_BARE;
}

/* Trim blanks and a trailing comment from [s, s+n). */
static size_t
trim_len(const char *s, size_t n)
{
	bool quote = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (s[i] == '"')
			quote = !quote;
		else if (!quote && s[i] == '#' && (i == 0 || is_space(s[i - 1]))) {
			n = i;
			break;
		}
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	return n;
}

static size_t
line_end(const struct scan *sc)
{
	size_t p = sc->pos;

	while (p < sc->len && sc->t[p] != '\n')
		p++;
	return p;
}

struct parser {
	struct profile_file *pf;
	size_t	 cap_blocks, cap_inc, cap_rules, cap_vars, cap_markers;
	int	 stack[PROFILE_MAX_NESTING];	/* block index, -1 transparent */
	int	 depth;
	bool	 open;		/* the last statement lacks its ',' */
	size_t	*cap_brules, *cap_binc;		/* per block capacities */
};

static int
grow(void **v, size_t *cap, size_t n, size_t size, size_t max)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -E2BIG;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	if ((p = realloc(*v, ncap * size)) == NULL)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

/* The block rules go to: innermost real block, or -1 (file level). */
static int
parser_current(const struct parser *ps)
{
	for (int i = ps->depth - 1; i >= 0; i--)
		if (ps->stack[i] >= 0)
			return ps->stack[i];
	return -1;
}

static int
parse_include(struct parser *ps, struct scan *sc)
{
	size_t end = line_end(sc), n;
	const char *s = sc->t + sc->pos;
	struct profile_include inc = { .line = sc->line };
	struct profile_include **v;
	size_t *cnt, *cap;
	int cur, rc;
	size_t i = 0;

	if (s[0] == '#') {
		n = 1 + trim_len(s + 1, end - sc->pos - 1);
		i++;
	} else {
		n = trim_len(s, end - sc->pos);
	}
	while (i < n && is_blank(s[i]))
		i++;
	i += strlen("include");
	while (i < n && is_blank(s[i]))
		i++;
	if (word_at(s, n, i, "if")) {
		i += 2;
		while (i < n && is_blank(s[i]))
			i++;
		if (word_at(s, n, i, "exists"))
			i += 6;
		inc.if_exists = true;
		while (i < n && is_blank(s[i]))
			i++;
	}
	if (i < n && (s[i] == '<' || s[i] == '"')) {
		char close = s[i] == '<' ? '>' : '"';
		size_t j = i + 1;

		inc.angle = s[i] == '<';
		while (j < n && s[j] != close)
			j++;
		inc.name = xstrndup(s + i + 1, j - i - 1);
	} else {
		size_t j = i;

		while (j < n && !is_space(s[j]) && s[j] != ',')
			j++;
		inc.name = xstrndup(s + i, j - i);
	}
	if (inc.name == NULL)
		return -ENOMEM;
	scan_advance(sc, end - sc->pos);
	cur = parser_current(ps);
	if (cur < 0) {
		v = &ps->pf->includes;
		cnt = &ps->pf->nincludes;
		cap = &ps->cap_inc;
	} else {
		v = &ps->pf->blocks[cur].includes;
		cnt = &ps->pf->blocks[cur].nincludes;
		cap = &ps->cap_binc[cur];
	}
	if ((rc = grow((void **)v, cap, *cnt, sizeof(**v),
	    PROFILE_MAX_RULES)) < 0) {
		free(inc.name);
		return rc;
	}
	(*v)[(*cnt)++] = inc;
	return 0;
}

static struct profile_var *
var_find(struct profile_var *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static int
var_add_value(struct profile_var *var, const char *val, size_t n)
{
	char **p;

	if (var->nvalues >= AARE_MAX_VALUES)
		return -E2BIG;
	p = realloc(var->values, (var->nvalues + 1) * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	var->values = p;
	if ((p[var->nvalues] = xstrndup(val, n)) == NULL)
		return -ENOMEM;
	var->nvalues++;
	return 0;
}

/* "@{NAME} = v1 v2" or "@{NAME} += v3", to the end of the line. */
static int
parse_variable(struct parser *ps, struct scan *sc)
{
	size_t end = line_end(sc), n, i, nstart;
	const char *s = sc->t + sc->pos;
	struct profile_var *var;
	struct tokens tk;
	bool append;
	char *name;
	int rc;

	n = trim_len(s, end - sc->pos);
	scan_advance(sc, end - sc->pos);
	for (i = 2; i < n && s[i] != '}'; i++)
		;
	if (i >= n)
		return 0;	/* not a definition after all: ignore */
	nstart = 2;
	if ((name = xstrndup(s + nstart, i - nstart)) == NULL)
		return -ENOMEM;
	i++;
	while (i < n && is_blank(s[i]))
		i++;
	append = i < n && s[i] == '+';
	if (append)
		i++;
	if (i >= n || s[i] != '=') {
		free(name);
		return 0;
	}
	i++;
	var = var_find(ps->pf->vars, ps->pf->nvars, name);
	if (var == NULL) {
		if ((rc = grow((void **)&ps->pf->vars, &ps->cap_vars,
		    ps->pf->nvars, sizeof(*var), AARE_MAX_VARS)) < 0) {
			free(name);
			return rc;
		}
		var = &ps->pf->vars[ps->pf->nvars++];
		memset(var, 0, sizeof(*var));
		var->name = name;
		var->append = append;
	} else {
		free(name);
		if (!append) {
			for (size_t k = 0; k < var->nvalues; k++)
				free(var->values[k]);
			var->nvalues = 0;
			var->append = false;
		}
	}
	if ((rc = tokenize(s + i, n - i, &tk)) < 0)
		return rc;
	for (size_t k = 0; k < tk.n && rc == 0; k++) {
		unquote(tk.v[k]);
		rc = var_add_value(var, tk.v[k], strlen(tk.v[k]));
	}
	tokens_free(&tk);
	return rc;
}

static enum profile_mode
mode_of_flags(const char *flags)
{
	static const struct { const char *w; enum profile_mode m; } t[] = {
		{ "complain", PROFILE_MODE_COMPLAIN },
		{ "kill", PROFILE_MODE_KILL },
		{ "unconfined", PROFILE_MODE_UNCONFINED },
		{ "enforce", PROFILE_MODE_ENFORCE },
	};
	const char *p = flags;

	while (p != NULL && *p) {
		size_t n;

		while (*p && (is_space(*p) || *p == ','))
			p++;
		n = strcspn(p, " \t\n,");
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (n == strlen(t[i].w) && strncmp(p, t[i].w, n) == 0)
				return t[i].m;
		p += n;
	}
	return PROFILE_MODE_ENFORCE;
}

/* The header of a block: "profile NAME [ATTACH] [flags=(...)]", "^hat"... */
static int
parse_header(struct parser *ps, struct scan *sc, size_t end, size_t hstart)
{
	struct profile_block b = { .parent = parser_current(ps),
	    .header_start = hstart };
	struct tokens tk;
	size_t i = 0;
	int rc;

	if (ps->depth >= PROFILE_MAX_NESTING)
		return -E2BIG;
	if ((rc = tokenize(sc->t + sc->pos, trim_len(sc->t + sc->pos,
	    end - sc->pos), &tk)) < 0)
		return rc;
	scan_advance(sc, end + 1 - sc->pos);
	if (tk.n == 0 || strcmp(tk.v[0], "if") == 0 ||
	    strcmp(tk.v[0], "else") == 0) {
		tokens_free(&tk);
		ps->stack[ps->depth++] = -1;
		return 0;
	}
	while (i < tk.n && (strcmp(tk.v[i], "audit") == 0 ||
	    strcmp(tk.v[i], "deny") == 0))
		i++;	/* not for profiles, but harmless */
	if (i < tk.n && strcmp(tk.v[i], "profile") == 0) {
		i++;
	} else if (i < tk.n && strcmp(tk.v[i], "hat") == 0) {
		b.hat = true;
		i++;
	} else if (i < tk.n && tk.v[i][0] == '^') {
		b.hat = true;
		memmove(tk.v[i], tk.v[i] + 1, strlen(tk.v[i]));
	}
	if (i < tk.n)
		b.name = strdup(unquote(tk.v[i++]));
	else
		b.name = strdup("");
	if (b.name == NULL)
		goto nomem;
	for (; i < tk.n; i++) {
		char *v = NULL;

		if ((rc = cond_value(tk.v[i], "flags", &v)) != 0) {
			if (rc < 0)
				goto fail;
			free(b.flags);
			b.flags = v;
		} else if (tk.v[i][0] == '(') {
			size_t n = strlen(tk.v[i]);

			free(b.flags);
			if ((b.flags = xstrndup(tk.v[i] + 1, n > 1 ?
			    n - 2 : 0)) == NULL)
				goto nomem;
		} else if (strchr(tk.v[i], '=') == NULL && b.attach == NULL &&
		    strcmp(tk.v[i], "->") != 0) {
			if ((b.attach = strdup(unquote(tk.v[i]))) == NULL)
				goto nomem;
		}
	}
	b.mode = mode_of_flags(b.flags);
	b.body_start = sc->pos;
	tokens_free(&tk);
	{
		size_t *c1 = ps->cap_brules, *c2 = ps->cap_binc;
		size_t ncap = ps->cap_blocks;

		if ((rc = grow((void **)&ps->pf->blocks, &ps->cap_blocks,
		    ps->pf->nblocks, sizeof(b), PROFILE_MAX_BLOCKS)) < 0)
			goto fail2;
		if (ps->cap_blocks != ncap) {
			c1 = realloc(c1, ps->cap_blocks * sizeof(*c1));
			if (c1 != NULL)
				ps->cap_brules = c1;
			c2 = c1 ? realloc(c2, ps->cap_blocks * sizeof(*c2)) :
			    NULL;
			if (c2 != NULL)
				ps->cap_binc = c2;
			if (c1 == NULL || c2 == NULL) {
				rc = -ENOMEM;
				goto fail2;
			}
		}
	}
	ps->cap_brules[ps->pf->nblocks] = 0;
	ps->cap_binc[ps->pf->nblocks] = 0;
	ps->stack[ps->depth++] = (int)ps->pf->nblocks;
	ps->pf->blocks[ps->pf->nblocks++] = b;
	return 0;
nomem:
	rc = -ENOMEM;
fail:
	tokens_free(&tk);
fail2:
	free(b.name);
	free(b.attach);
	free(b.flags);
	return rc;
}

static int
add_rule(struct parser *ps, const char *s, size_t n, size_t line)
{
	struct profile_rule r, **v;
	size_t *cnt, *cap;
	int cur = parser_current(ps), rc;

	n = trim_len(s, n);
	if (n == 0)
		return 0;
	if ((rc = rule_parse(s, n, line, &r)) < 0)
		return rc;
	if (cur < 0) {
		v = &ps->pf->rules;
		cnt = &ps->pf->nrules;
		cap = &ps->cap_rules;
	} else {
		v = &ps->pf->blocks[cur].rules;
		cnt = &ps->pf->blocks[cur].nrules;
		cap = &ps->cap_brules[cur];
	}
	if ((rc = grow((void **)v, cap, *cnt, sizeof(r), PROFILE_MAX_RULES)) < 0) {
		rule_clear(&r);
		return rc;
	}
	(*v)[(*cnt)++] = r;
	return 0;
}

static bool
variable_at(const struct scan *sc)
{
	size_t p = sc->pos + 2;

	if (sc->pos + 2 > sc->len || sc->t[sc->pos] != '@' ||
	    sc->t[sc->pos + 1] != '{')
		return false;
	while (p < sc->len && sc->t[p] != '}' && sc->t[p] != '\n')
		p++;
	if (p >= sc->len || sc->t[p] != '}')
		return false;
	p++;
	while (p < sc->len && is_blank(sc->t[p]))
		p++;
	return p < sc->len && (sc->t[p] == '=' || (sc->t[p] == '+' &&
	    p + 1 < sc->len && sc->t[p + 1] == '='));
}

/* A begin marker comment between statements: where a block may start. */
static int
parser_marker(void *arg, size_t ls)
{
	struct parser *ps = arg;
	int rc;

	if ((rc = grow((void **)&ps->pf->markers, &ps->cap_markers,
	    ps->pf->nmarkers, sizeof(*ps->pf->markers), PROFILE_MAX_RULES)) < 0)
		return rc;
	ps->pf->markers[ps->pf->nmarkers++] = ls;
	return 0;
}

static int
parse_all(struct parser *ps, struct scan *sc)
{
	int rc = 0;

	while (scan_skip(sc, parser_marker, ps, &rc)) {
		size_t end, start = sc->pos, line = sc->line;
		enum stmt_end how;

		if (sc->t[sc->pos] == '}') {
			int top;

			if (ps->depth == 0)
				return -EINVAL;
			top = ps->stack[--ps->depth];
			if (top >= 0) {
				ps->pf->blocks[top].body_end = sc->pos;
				ps->pf->blocks[top].open_end = ps->open;
			}
			ps->open = false;
			scan_advance(sc, 1);
			continue;
		}
		if (sc->t[sc->pos] == '#' || word_at(sc->t, sc->len, sc->pos,
		    "include")) {
			if ((rc = parse_include(ps, sc)) < 0)
				return rc;
			continue;
		}
		if (variable_at(sc)) {
			if ((rc = parse_variable(ps, sc)) < 0)
				return rc;
			continue;
		}
		how = scan_statement(sc, &end);
		if (how == STMT_OPEN) {
			/* The header line starts at the line's first byte. */
			size_t hs = start;

			while (hs > 0 && sc->t[hs - 1] != '\n')
				hs--;
			if ((rc = parse_header(ps, sc, end, hs)) < 0)
				return rc;
			continue;
		}
		if ((rc = add_rule(ps, sc->t + start, end - start, line)) < 0)
			return rc;
		/* ended by a '}' or the end of the text: left open */
		ps->open = how == STMT_BARE;
		scan_advance(sc, end - sc->pos + (how == STMT_COMMA ? 1 : 0));
	}
	if (rc < 0)
		return rc;
	ps->pf->open_end = ps->open;
	return ps->depth == 0 ? 0 : -EINVAL;
}

static void
include_free(struct profile_include *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static void
rules_free(struct profile_rule *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rule_clear(&v[i]);
	free(v);
}

void
profile_file_free(struct profile_file *pf)
{
	if (pf == NULL)
		return;
	for (size_t i = 0; i < pf->nblocks; i++) {
		struct profile_block *b = &pf->blocks[i];

		free(b->name);
		free(b->attach);
		free(b->flags);
		rules_free(b->rules, b->nrules);
		include_free(b->includes, b->nincludes);
	}
	free(pf->blocks);
	include_free(pf->includes, pf->nincludes);
	rules_free(pf->rules, pf->nrules);
	for (size_t i = 0; i < pf->nvars; i++) {
		for (size_t k = 0; k < pf->vars[i].nvalues; k++)
			free(pf->vars[i].values[k]);
		free(pf->vars[i].values);
		free(pf->vars[i].name);
	}
	free(pf->vars);
	free(pf->markers);
	free(pf->text);
	free(pf);
}

int
profile_parse(const char *text, size_t len, struct profile_file **ret_file)
{
	struct parser ps = { 0 };
	struct scan sc = { .t = text, .len = len, .line = 1 };
	int rc;

	if (len > PROFILE_TEXT_MAX)
		return -E2BIG;
	if (memchr(text, '\0', len) != NULL)
		return -EINVAL;
	if ((ps.pf = calloc(1, sizeof(*ps.pf))) == NULL)
		return -ENOMEM;
	if ((ps.pf->text = xstrndup(text, len)) == NULL) {
		free(ps.pf);
		return -ENOMEM;
	}
	ps.pf->len = len;
	sc.t = ps.pf->text;
	rc = parse_all(&ps, &sc);
	free(ps.cap_brules);
	free(ps.cap_binc);
	if (rc < 0) {
		profile_file_free(ps.pf);
		return rc;
	}
	*ret_file = ps.pf;
	return 0;
}

/* Find the block named by "p", "p//child", "p//child//grandchild". */
static int
block_index(const struct profile_file *pf, const char *name)
{
	int parent = -1;
	const char *p = name;

	if (pf == NULL || name == NULL)
		return -1;
	for (;;) {
		const char *sep = strstr(p, "//");
		size_t n = sep ? (size_t)(sep - p) : strlen(p);
		int found = -1;

		for (size_t i = 0; i < pf->nblocks; i++) {
			const struct profile_block *b = &pf->blocks[i];

			if (b->parent != parent)
				continue;
			if ((strlen(b->name) == n && memcmp(b->name, p, n) == 0) ||
			    (parent < 0 && b->attach != NULL &&
			    strlen(b->attach) == n &&
			    memcmp(b->attach, p, n) == 0)) {
				found = (int)i;
				break;
			}
		}
		if (found < 0 || sep == NULL)
			return found;
		parent = found;
		p = sep + 2;
	}
}

const struct profile_block *
profile_find(const struct profile_file *pf, const char *name)
{
	int i = block_index(pf, name);

	return i < 0 ? NULL : &pf->blocks[i];
}

const char *
profile_local_include(const struct profile_file *pf, const char *profile_name)
{
	const struct profile_block *b = profile_find(pf, profile_name);

	if (b == NULL)
		return NULL;
	for (size_t i = 0; i < b->nincludes; i++)
		if (b->includes[i].if_exists &&
		    strncmp(b->includes[i].name, "local/", 6) == 0)
			return b->includes[i].name;
	return NULL;
}

void
profile_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* ------------------------------------------------------------ writing */

/* Where aalearn's block sits: [start, end) whole lines; found or not. */
struct block_loc {
	bool	 found;
	size_t	 start, end;		/* the lines of the block, inclusive */
	size_t	 insert;		/* where a new block goes */
	size_t	 ind_at, ind_len;	/* the block's indentation: these bytes
					 * of the text ... */
	const char *ind_add;		/* ... then these */
	size_t	 lo, hi;		/* the region searched */
	int	 bi;			/* block index or -1 */
};

static size_t
line_start_of(const char *t, size_t p)
{
	while (p > 0 && t[p - 1] != '\n')
		p--;
	return p;
}

static size_t
line_end_of(const char *t, size_t len, size_t p)
{
	while (p < len && t[p] != '\n')
		p++;
	return p < len ? p + 1 : p;
}

/* Whether offset p lies inside a child block of bi (or any block: bi -1). */
static bool
inside_child(const struct profile_file *pf, int bi, size_t p)
{
	for (size_t i = 0; i < pf->nblocks; i++) {
		const struct profile_block *b = &pf->blocks[i];

		if ((int)i == bi || b->parent != bi)
			continue;
		if (p >= b->header_start && p <= b->body_end)
			return true;
	}
	return false;
}

/* The trimmed line at p equals (or starts with, for begin) the marker. */
static bool
marker_line(const char *t, size_t len, size_t p, const char *marker,
    bool prefix)
{
	size_t e = line_end_of(t, len, p), n;

	while (p < e && is_blank(t[p]))
		p++;
	n = e - p;
	while (n > 0 && is_space(t[p + n - 1]))
		n--;
	if (prefix)
		return n >= strlen(marker) && memcmp(t + p, marker,
		    strlen(marker)) == 0;
	return n == strlen(marker) && memcmp(t + p, marker, n) == 0;
}

static bool rule_text_ok(const char *r);

/* A line inside a block: blank, a comment, or one whole rule. */
static bool
block_line_ok(const char *t, size_t len, size_t p)
{
	size_t e = line_end_of(t, len, p), s = p, m;
	char *buf;
	bool ok;

	while (s < e && is_blank(t[s]))
		s++;
	m = e - s;
	while (m > 0 && is_space(t[s + m - 1]))
		m--;
	if (m == 0 || t[s] == '#')
		return true;
	if (m > RULE_LINE_MAX || (buf = xstrndup(t + s, m)) == NULL)
		return false;
	ok = rule_text_ok(buf);
	free(buf);
	return ok;
}

static int
block_locate(const struct profile_file *pf, const char *profile_name,
    struct block_loc *loc)
{
	const char *t = pf->text;
	size_t p;

	memset(loc, 0, sizeof(*loc));
	if (profile_name != NULL) {
		const struct profile_block *b;
		size_t ls, k = 0;

		loc->bi = block_index(pf, profile_name);
		if (loc->bi < 0)
			return -ENOENT;
		b = &pf->blocks[loc->bi];
		loc->lo = b->body_start;
		loc->hi = b->body_end;
		/*
		 * Indent: the closing brace's, plus two spaces (a tab after
		 * a tab), whatever its width: a rewrite takes the begin
		 * line's as it is, so that writing twice is writing once (a
		 * cap here and another there re-indented wide blocks).
		 */
		ls = line_start_of(t, b->body_end);
		for (p = ls; p < b->body_end && is_blank(t[p]); p++)
			k++;
		if (p != b->body_end) {
			/* "}" shares its line with a rule: no reuse */
			k = 0;
			ls = b->body_end;
		}
		loc->ind_at = ls;
		loc->ind_len = k;
		loc->ind_add = k > 0 && t[ls + k - 1] == '\t' ? "\t" : "  ";
		loc->insert = ls;
	} else {
		loc->bi = -1;
		loc->lo = 0;
		loc->hi = pf->len;
		loc->insert = pf->len;
		loc->ind_add = "";
	}
	/* Only begin lines that are comments: the parser found them. */
	for (size_t m = 0; m < pf->nmarkers; m++) {
		p = pf->markers[m];
		if (p < loc->lo || p >= loc->hi || inside_child(pf, loc->bi, p))
			continue;
		/*
		 * Ours only if every line up to the end marker is one rule
		 * of this block: a child profile or a hand-written
		 * multi-line rule in between means these markers are not a
		 * block we can rewrite (a new one is added instead).  Nor
		 * is a begin line followed by another before any end: its
		 * end line was deleted by hand, and the rules after it are
		 * the user's (taking them in would drop them on the next
		 * write); the later begin line is tried next.
		 */
		for (size_t q = line_end_of(t, pf->len, p); q < loc->hi;
		    q = line_end_of(t, pf->len, q)) {
			if (inside_child(pf, loc->bi, q) ||
			    marker_line(t, pf->len, q, BEGIN_PREFIX, true))
				break;
			if (marker_line(t, pf->len, q, PROFILE_BLOCK_END,
			    false)) {
				loc->found = true;
				loc->start = p;
				loc->end = line_end_of(t, pf->len, q);
				return 0;
			}
			if (!block_line_ok(t, pf->len, q))
				break;
		}
	}
	return 0;
}

/* The rules between the markers (trimmed, comments and blanks skipped). */
static int
block_read(const struct profile_file *pf, const struct block_loc *loc,
    char ***ret)
{
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		return -ENOMEM;
	if (loc->found) {
		const char *t = pf->text;
		size_t p = line_end_of(t, pf->len, loc->start);

		for (; p < loc->end; p = line_end_of(t, pf->len, p)) {
			size_t e = line_end_of(t, pf->len, p), s = p, m;
			char **nv;

			while (s < e && is_blank(t[s]))
				s++;
			m = e - s;
			while (m > 0 && is_space(t[s + m - 1]))
				m--;
			if (m == 0 || t[s] == '#')
				continue;
			if ((nv = realloc(v, (n + 2) * sizeof(*v))) == NULL)
				goto nomem;
			v = nv;
			if ((v[n] = xstrndup(t + s, m)) == NULL)
				goto nomem;
			v[++n] = NULL;
		}
	}
	*ret = v;
	return 0;
nomem:
	profile_strv_free(v);
	return -ENOMEM;
}

int
profile_block_rules(const char *text, size_t len, const char *profile_name,
    char ***ret_rules)
{
	struct profile_file *pf;
	struct block_loc loc;
	int rc;

	if ((rc = profile_parse(text, len, &pf)) < 0)
		return rc;
	if ((rc = block_locate(pf, profile_name, &loc)) == 0)
		rc = block_read(pf, &loc, ret_rules);
	profile_file_free(pf);
	return rc;
}

/*
 * A rule is accepted into the block only when it is one line and one
 * statement: the scanner must end it at its own final comma.  That keeps a
 * hostile text from smuggling a second rule or a comment.
 */
static bool
rule_text_ok(const char *r)
{
	size_t n = strlen(r), end;
	struct scan sc = { .t = r, .len = n, .line = 1 };

	if (n == 0 || n > RULE_LINE_MAX || strpbrk(r, "\n\r") != NULL)
		return false;
	if (is_space(r[0]) || is_space(r[n - 1]))
		return false;
	if (strncmp(r, "include ", 8) == 0 ||
	    strncmp(r, "include if exists ", 18) == 0) {
		const char *p = strchr(r, '<');

		return p != NULL && r[n - 1] == '>' &&
		    strcspn(p + 1, "<>\"#, \t") == (size_t)(r + n - 1 - p - 1);
	}
	if (r[0] == '#' || r[0] == '}' || variable_at(&sc) ||
	    word_at(r, n, 0, "include"))
		return false;
	if (scan_statement(&sc, &end) != STMT_COMMA || end != n - 1)
		return false;
	return trim_len(r, n) == n;
}

static void
block_indent(struct sbuf *b, const char *text, const struct block_loc *loc)
{
	sbuf_add(b, text + loc->ind_at, loc->ind_len);
	sbuf_str(b, loc->ind_add);
}

static int
write_block(const char *text, size_t len, const char *profile_name,
    const char *const *rules, size_t n, bool keep, char **ret_text,
    size_t *ret_len)
{
	struct profile_file *pf;
	struct block_loc loc;
	struct sbuf b = { 0 };
	char **old = NULL, **all = NULL;
	size_t nall = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (rules[i] == NULL || !rule_text_ok(rules[i]))
			return -EINVAL;
	if ((rc = profile_parse(text, len, &pf)) < 0)
		return rc;
	if ((rc = block_locate(pf, profile_name, &loc)) < 0 ||
	    (rc = block_read(pf, &loc, &old)) < 0)
		goto out;
	if (!loc.found && n == 0) {
		/* no block and none to write: the text as it is */
		sbuf_add(&b, text, len);
		rc = sbuf_finish(&b, ret_text, ret_len);
		goto out;
	}
	if (!loc.found && (profile_name != NULL ?
	    pf->blocks[loc.bi].open_end : pf->open_end)) {
		/*
		 * The statement before the closing brace (or the end of a
		 * local/ file) has no ',': a block written there would be
		 * read as part of it.  apparmor_parser refuses such a text;
		 * adding a ',' would change a line that is not ours.
		 */
		rc = -EBADMSG;
		goto out;
	}
	{
		size_t nold = 0;

		while (keep && old[nold])
			nold++;
		if ((all = calloc(nold + n + 1, sizeof(*all))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		/*
		 * Drop repeats, first one kept: a hash set of the rules
		 * taken (comparing each with every one before was quadratic:
		 * a block of 75,000 rules spent most of a diff here).
		 */
		size_t hsize = 16, *set;

		while (hsize < 2 * (nold + n))
			hsize *= 2;
		if ((set = calloc(hsize, sizeof(*set))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nold + n; i++) {
			const char *r = i < nold ? old[i] : rules[i - nold];
			size_t h = 0xcbf29ce484222325u, k;
			bool dup = false;

			for (const char *q = r; *q != '\0'; q++)
				h = (h ^ (unsigned char)*q) * 0x100000001b3u;
			for (k = h & (hsize - 1); set[k] != 0 && !dup;
			    k = (k + 1) & (hsize - 1))
				dup = strcmp(all[set[k] - 1], r) == 0;
			if (dup)
				continue;
			set[k] = nall + 1;
			all[nall++] = (char *)(uintptr_t)r;
		}
		free(set);
	}
	if (loc.found) {
		sbuf_add(&b, text, loc.start);
		/* Keep the begin line's own indentation for the block. */
		loc.ind_at = loc.start;
		for (loc.ind_len = 0; loc.start + loc.ind_len < len &&
		    is_blank(text[loc.start + loc.ind_len]); loc.ind_len++)
			;
		loc.ind_add = "";
	} else {
		sbuf_add(&b, text, loc.insert);
		if (loc.insert > 0 && text[loc.insert - 1] != '\n')
			sbuf_add(&b, "\n", 1);
	}
	if (nall > 0 || loc.found) {
		block_indent(&b, text, &loc);
		sbuf_str(&b, PROFILE_BLOCK_BEGIN "\n");
		for (size_t i = 0; i < nall; i++) {
			block_indent(&b, text, &loc);
			sbuf_str(&b, all[i]);
			sbuf_add(&b, "\n", 1);
		}
		block_indent(&b, text, &loc);
		sbuf_str(&b, PROFILE_BLOCK_END "\n");
	}
	if (loc.found) {
		sbuf_add(&b, text + loc.end, len - loc.end);
	} else {
		if (profile_name != NULL && loc.insert == pf->blocks[loc.bi].body_end) {
			/* the brace shared a line: give it back its own */
			size_t ls = line_start_of(text, loc.insert), k;

			for (k = ls; k < loc.insert && is_blank(text[k]); k++)
				;
			sbuf_add(&b, text + ls, k - ls);
		}
		sbuf_add(&b, text + loc.insert, len - loc.insert);
	}
	rc = sbuf_finish(&b, ret_text, ret_len);
out:
	free(all);
	profile_strv_free(old);
	profile_file_free(pf);
	return rc;
}

int
profile_set_rules(const char *text, size_t len, const char *profile_name,
    const char *const *rules, size_t n, char **ret_text, size_t *ret_len)
{
	return write_block(text, len, profile_name, rules, n, false, ret_text,
	    ret_len);
}

int
profile_add_rules(const char *text, size_t len, const char *profile_name,
    const char *const *rules, size_t n, char **ret_text, size_t *ret_len)
{
	return write_block(text, len, profile_name, rules, n, true, ret_text,
	    ret_len);
}

static const char *
mode_word(enum profile_mode m)
{
	switch (m) {
	case PROFILE_MODE_COMPLAIN:
		return "complain";
	case PROFILE_MODE_KILL:
		return "kill";
	case PROFILE_MODE_UNCONFINED:
		return "unconfined";
	default:
		return NULL;
	}
}

int
profile_set_mode(const char *text, size_t len, const char *profile_name,
    enum profile_mode mode, char **ret_text, size_t *ret_len)
{
	struct profile_file *pf;
	const struct profile_block *bl;
	struct sbuf b = { 0 };
	size_t hs, he, fs = 0, fe = 0, vs = 0, ve = 0, nclauses = 0;
	bool quote = false, have = false;
	const char *w = mode_word(mode);
	int rc;

	if ((rc = profile_parse(text, len, &pf)) < 0)
		return rc;
	if ((bl = profile_find(pf, profile_name)) == NULL) {
		profile_file_free(pf);
		return -ENOENT;
	}
	hs = bl->header_start;
	he = bl->body_start - 1;	/* the '{' */
	for (size_t p = hs; p < he; p++) {
		if (text[p] == '"')
			quote = !quote;
		if (quote || strncmp(text + p, "flags", 5) != 0 ||
		    (p > hs && !is_space(text[p - 1])))
			continue;
		{
			size_t q = p + 5, e;

			while (q < he && is_blank(text[q]))
				q++;
			if (q >= he || text[q] != '=')
				continue;
			q++;
			while (q < he && is_blank(text[q]))
				q++;
			if (q >= he || text[q] != '(')
				continue;
			for (e = q + 1; e < he && text[e] != ')'; e++)
				;
			if (e >= he)
				continue;
			/* the first one is edited; more than one: refused */
			if (nclauses++ > 0)
				continue;
			vs = q + 1;
			ve = e;
			fs = p;
			fe = ve + 1;
			have = true;
		}
	}
	/*
	 * The header scan and the parser must agree on whether there is a
	 * flags clause; where they do not (an unbalanced quote in the header,
	 * say), editing could leave the old mode in place: refuse instead.
	 */
	if (have != (bl->flags != NULL) || nclauses > 1) {
		/*
		 * Two flags clauses (apparmor_parser refuses the header; the
		 * parser here reads the last): editing one left the mode the
		 * other says.
		 */
		rc = -EINVAL;
		goto out;
	}
	if (have) {
		/* Rebuild the list: the other flags kept in their order. */
		struct sbuf f = { 0 };
		size_t p = vs;

		while (p < ve) {
			size_t n;

			while (p < ve && (is_space(text[p]) || text[p] == ','))
				p++;
			n = 0;
			while (p + n < ve && !is_space(text[p + n]) &&
			    text[p + n] != ',')
				n++;
			if (n == 0)
				break;
			if (!((n == 8 && !strncmp(text + p, "complain", 8)) ||
			    (n == 7 && !strncmp(text + p, "enforce", 7)) ||
			    (n == 4 && !strncmp(text + p, "kill", 4)) ||
			    (n == 10 && !strncmp(text + p, "unconfined", 10)))) {
				if (f.len)
					sbuf_add(&f, ",", 1);
				sbuf_add(&f, text + p, n);
			}
			p += n;
		}
		if (w != NULL) {
			if (f.len)
				sbuf_add(&f, ",", 1);
			sbuf_str(&f, w);
		}
		if (f.err) {
			rc = f.err;
			free(f.p);
			goto out;
		}
		if (f.len == 0) {
			/* No flag left: drop "flags=()" and a blank before. */
			size_t s = fs;

			while (s > hs && is_blank(text[s - 1]))
				s--;
			sbuf_add(&b, text, s);
			if (fe < len && !is_space(text[fe]))
				sbuf_add(&b, " ", 1);
		} else {
			sbuf_add(&b, text, vs);
			sbuf_add(&b, f.p, f.len);
			sbuf_add(&b, ")", 1);
		}
		free(f.p);
		sbuf_add(&b, text + fe, len - fe);
	} else if (w != NULL) {
		size_t s = he;

		while (s > hs && is_blank(text[s - 1]))
			s--;
		sbuf_add(&b, text, s);
		sbuf_str(&b, " flags=(");
		sbuf_str(&b, w);
		sbuf_str(&b, ") ");
		sbuf_add(&b, text + he, len - he);
	} else {
		sbuf_add(&b, text, len);
	}
	/*
	 * Whatever the header holds, the text written reads back with the
	 * mode asked for and the same profiles, or nothing is written.
	 */
	if (b.err == 0 && b.p != NULL) {
		struct profile_file *npf;
		const struct profile_block *nb;

		if ((rc = profile_parse(b.p, b.len, &npf)) < 0) {
			free(b.p);
			goto out;
		}
		nb = profile_find(npf, profile_name);
		if (npf->nblocks != pf->nblocks || nb == NULL ||
		    nb - npf->blocks != bl - pf->blocks || nb->mode != mode)
			rc = -EINVAL;
		profile_file_free(npf);
		if (rc < 0) {
			free(b.p);
			goto out;
		}
	}
	rc = sbuf_finish(&b, ret_text, ret_len);
out:
	profile_file_free(pf);
	return rc;
}

/* ------------------------------------------------------------ template */

static bool
plain_name(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '-' || *s == '.' ||
	    strlen(s) > 200)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-+:", *s) == NULL)
			return false;
	return true;
}

int
profile_container_template(const char *name, const char *runtime,
    char **ret_text, size_t *ret_len)
{
	static const struct {
		const char *runtime, *daemon;
	} rt[] = {
		{ "docker", "dockerd" },
		{ "containerd", "containerd" },
		{ "cri-o", "crio" },
		{ "podman", "podman" },
	};
	const char *daemon = NULL;
	struct sbuf b = { 0 };

	if (runtime == NULL)
		runtime = "docker";
	for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++)
		if (strcmp(runtime, rt[i].runtime) == 0)
			daemon = rt[i].daemon;
	if (!plain_name(name) || daemon == NULL)
		return -EINVAL;
	sbuf_str(&b, "# AppArmor profile for containers, written by aalearn init.\n"
	    "# It keeps the protections of the ");
	sbuf_str(&b, runtime);
	sbuf_str(&b, " default profile but none of its\n"
	    "# blanket allows (file, network, capability): it starts in complain mode\n"
	    "# and aalearn proposes the rules the workload turns out to need.\n"
	    "\n"
	    "include <tunables/global>\n"
	    "\n"
	    "profile ");
	sbuf_str(&b, name);
	sbuf_str(&b, " flags=(attach_disconnected,mediate_deleted,complain) {\n"
	    "  include <abstractions/base>\n"
	    "\n"
	    "  # The host and the runtime stop and kill the container's processes.\n"
	    "  signal (receive) peer=unconfined,\n"
	    "  signal (receive) peer={runc,crun,");
	sbuf_str(&b, daemon);
	sbuf_str(&b, "},\n"
	    "  # Processes of the container signal and inspect one another (ps, kill).\n"
	    "  signal (send, receive) peer=");
	sbuf_str(&b, name);
	sbuf_str(&b, ",\n"
	    "  ptrace (trace, read, tracedby, readby) peer=");
	sbuf_str(&b, name);
	sbuf_str(&b, ",\n"
	    "\n"
	    "  # No mounts from inside the container.\n"
	    "  deny mount,\n"
	    "\n"
	    "  # /proc: no writes outside the processes' own directories, and never\n"
	    "  # the kernel's memory or the magic SysRq trigger.\n"
	    "  deny @{PROC}/* w,\n"
	    "  deny @{PROC}/[^0-9]*/** w,\n"
	    "  deny @{PROC}/{sysrq-trigger,kcore,kmem,mem} rwklx,\n"
	    "\n"
	    "  # /sys: read-only except the cgroup tree; EFI variables and the\n"
	    "  # security filesystems not at all.\n"
	    "  deny /sys/{[^f],f[^s],fs/[^c],fs/c[^g],fs/cg[^r]}*/** wklx,\n"
	    "  deny /sys/firmware/efi/efivars/** rwklx,\n"
	    "  deny /sys/kernel/security/** rwklx,\n"
	    "}\n");
	return sbuf_finish(&b, ret_text, ret_len);
}

/* ------------------------------------------------------------ policy */

/* Which fields of a rule are AARE patterns (bit i: f[i]). */
static unsigned
pattern_fields(enum access_class cls)
{
	switch (cls) {
	case ACCESS_FILE:
	case ACCESS_EXEC:
		return 0x3;
	case ACCESS_UNIX:
		return 0xe;
	case ACCESS_SIGNAL:
		return 0x2;
	case ACCESS_PTRACE:
		return 0x1;
	case ACCESS_MOUNT:
		return 0xc;
	case ACCESS_DBUS:
		return 0x3e;
	case ACCESS_CHANGE_PROFILE:
		return 0x1;
	case ACCESS_IO_URING:
		return 0x2;
	case ACCESS_MQUEUE:
		return 0x1;
	default:
		return 0;
	}
}

struct prule {
	struct profile_rule r;
	struct aare *pat[ACCESS_NFIELDS];
	/*
	 * The pattern's literal start: every name it matches begins with
	 * the first lit[i] bytes of r.f[i], so a name that does not is
	 * refused without running the pattern (most of a policy's rules
	 * for most names: a diff of 100,000 observations spent half its
	 * time in aare_match).
	 */
	size_t	 lit[ACCESS_NFIELDS];
	/*
	 * A file rule's path, its leading variables and alternations
	 * expanded: every name it matches begins with one of these npaths
	 * strings ("@{PROC}/@{pid}/stat" -> "/proc/").
	 */
	char	*paths;	/* each: its length in one byte, its bytes */
	size_t	 npaths;
	bool	 bad;		/* a pattern did not compile */
};

#define IX_CLASS	256
#define IX_BUCKETS	(IX_CLASS + ACCESS_NCLASSES)

struct policy {
	struct prule *rules;
	size_t	 nrules, cap;
	struct aare_vars *vars;
	char	**names;	/* includes loaded, and child profiles */
	size_t	 nnames, capnames;
	size_t	 nfiles;
	size_t	 nvarsets;	/* changes to vars, to know when to recompile */
	/*
	 * The rules an access can match.  File rules with known path
	 * prefixes by the second byte of the name (the one after '/'):
	 * bucket b is ix[ix_start[b] .. ix_start[b + 1]), and a rule sits in
	 * the bucket of each of its prefixes: a name in another bucket
	 * cannot match it.  Every other rule in bucket IX_CLASS + its class.
	 * Without it (no memory), every rule is tried.
	 */
	uint32_t *ix;
	size_t	 ix_start[IX_BUCKETS + 1];
	bool	 ix_ok;
	/*
	 * The same file rules by their whole prefixes: a trie over the
	 * prefixes' bytes, each node with the rules one of whose prefixes
	 * ends there (trie_rules[rstart .. rstart + rcount)).  A name walks
	 * it once and meets exactly the rules with a prefix of the name,
	 * where its bucket held every rule of "/usr/..." for "/usr/share/x"
	 * and tried each prefix of each (a diff of 100,000 observations
	 * spent a third of its instructions there).  Nodes are numbered
	 * breadth first, so a node's children are trie[cfirst .. cfirst +
	 * ccount) and their bytes trie_byte[] at the same places.  trie_ok
	 * false (no memory): the buckets are used.
	 */
	struct ptrie_node {
		uint32_t cfirst, ccount;
		uint32_t rstart, rcount;
	} *trie;
	unsigned char *trie_byte;
	size_t	 ntrie;
	uint32_t *trie_rules;
	bool	 trie_ok;
};

static int
policy_note(struct policy *pol, const char *kind, const char *name)
{
	char *s;
	int rc;

	if ((rc = grow((void **)&pol->names, &pol->capnames, pol->nnames,
	    sizeof(char *), PROFILE_MAX_RULES)) < 0)
		return rc;
	if ((s = malloc(strlen(kind) + strlen(name) + 1)) == NULL)
		return -ENOMEM;
	strcpy(s, kind);
	strcat(s, name);
	pol->names[pol->nnames++] = s;
	return 0;
}

static bool
policy_noted(const struct policy *pol, const char *kind, const char *name)
{
	size_t k = strlen(kind);

	for (size_t i = 0; i < pol->nnames; i++)
		if (strncmp(pol->names[i], kind, k) == 0 &&
		    strcmp(pol->names[i] + k, name) == 0)
			return true;
	return false;
}

struct policy *
policy_new(void)
{
	struct policy *pol = calloc(1, sizeof(*pol));

	if (pol == NULL)
		return NULL;
	if ((pol->vars = aare_vars_new()) == NULL) {
		free(pol);
		return NULL;
	}
	return pol;
}

static void
prule_uncompile(struct prule *p)
{
	for (int i = 0; i < ACCESS_NFIELDS; i++) {
		aare_free(p->pat[i]);
		p->pat[i] = NULL;
		p->lit[i] = 0;
	}
	free(p->paths);
	p->paths = NULL;
	p->npaths = 0;
	p->bad = false;
}

void
policy_free(struct policy *pol)
{
	if (pol == NULL)
		return;
	for (size_t i = 0; i < pol->nrules; i++) {
		prule_uncompile(&pol->rules[i]);
		rule_clear(&pol->rules[i].r);
	}
	free(pol->rules);
	for (size_t i = 0; i < pol->nnames; i++)
		free(pol->names[i]);
	free(pol->names);
	free(pol->ix);
	free(pol->trie);
	free(pol->trie_byte);
	free(pol->trie_rules);
	aare_vars_free(pol->vars);
	free(pol);
}

/*
 * How many leading bytes of a pattern stand for themselves: letters,
 * digits and "/._-" up to the first anything else (globs, braces,
 * variables, escapes, quotes), and short of a second '/' in a row (a path
 * pattern folds "//").
 */
static size_t
literal_prefix(const char *pat)
{
	size_t n;

	for (n = 0; pat[n] != '\0'; n++) {
		unsigned char c = (unsigned char)pat[n];

		if (c == '/' && n > 0 && pat[n - 1] == '/')
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '.' ||
		    c == '_' || c == '-'))
			break;
	}
	return n;
}

#define PATH_PREFIXES	8
#define PATH_PREFIX_MAX	256

static bool
plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '_' ||
	    c == '-';
}

/*
 * A set of literal starts.  A closed one is complete as far as it is
 * known (what follows it was not read); an open one goes on with the
 * rest of the pattern.
 */
struct pfxset {
	char	 v[PATH_PREFIXES][PATH_PREFIX_MAX];
	size_t	 len[PATH_PREFIXES];
	bool	 closed[PATH_PREFIXES];
	size_t	 n;
};

/* Close every prefix: nothing more is known. */
static void
pfx_close(struct pfxset *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		ps->closed[i] = true;
}

/*
 * Every open prefix followed by each member of alt (the expansion of one
 * token: a set whose closed members close what they end).  A "//" is
 * never made: where and whether it folds is the compiler's business, so
 * the prefix closes before it.  False, ps untouched, when the set would
 * grow too large.
 */
static bool
pfx_extend(struct pfxset *ps, const struct pfxset *alt)
{
	struct pfxset out;

	out.n = 0;
	for (size_t i = 0; i < ps->n; i++) {
		size_t nalt = ps->closed[i] ? 1 : alt->n;

		for (size_t a = 0; a < nalt; a++) {
			char *d = out.v[out.n];
			size_t len = ps->len[i];
			bool closed = ps->closed[i] || alt->closed[a];

			if (out.n == PATH_PREFIXES)
				return false;
			memcpy(d, ps->v[i], len);
			for (size_t k = 0; !ps->closed[i] && k < alt->len[a];
			    k++) {
				char c = alt->v[a][k];

				if ((c == '/' && len > 0 && d[len - 1] == '/') ||
				    len + 1 >= PATH_PREFIX_MAX) {
					closed = true;
					break;
				}
				d[len++] = c;
			}
			out.len[out.n] = len;
			out.closed[out.n++] = closed;
		}
	}
	*ps = out;
	return true;
}

/*
 * Expand the literal start of n bytes of pattern text at q into ps (which
 * holds the prefixes so far): plain characters, alternations of plain
 * text, variables (their values expanded the same way, depth-limited).
 * Stops, closing every prefix, at anything else.
 */
static void
pfx_expand(const struct policy *pol, struct pfxset *ps, const char *q,
    size_t n, int depth)
{
	const char *end = q + n;
	struct pfxset alt;

	for (;;) {
		if (q >= end)
			return;		/* all read: the prefixes stay open */
		alt.n = 0;
		if (plain_char(*q)) {
			alt.v[0][0] = *q;
			alt.len[0] = 1;
			alt.closed[0] = false;
			alt.n = 1;
			q++;
		} else if (*q == '{') {
			const char *e = q + 1, *start = e;

			for (; e < end && *e != '}'; e++) {
				if (*e == ',') {
					if (alt.n + 1 >= PATH_PREFIXES ||
					    (size_t)(e - start) >= PATH_PREFIX_MAX)
						break;
					memcpy(alt.v[alt.n], start,
					    (size_t)(e - start));
					alt.len[alt.n] = (size_t)(e - start);
					alt.closed[alt.n++] = false;
					start = e + 1;
				} else if (!plain_char(*e))
					break;
			}
			if (e >= end || *e != '}' ||
			    (size_t)(e - start) >= PATH_PREFIX_MAX)
				break;
			memcpy(alt.v[alt.n], start, (size_t)(e - start));
			alt.len[alt.n] = (size_t)(e - start);
			alt.closed[alt.n++] = false;
			q = e + 1;
		} else if (*q == '@' && q + 1 < end && q[1] == '{') {
			const char *const *vals;
			const char *e = memchr(q + 2, '}', (size_t)(end - q - 2));
			char name[128];
			size_t nv, k = e != NULL ? (size_t)(e - q - 2) : 0;

			if (e == NULL || k == 0 || k >= sizeof(name) ||
			    depth >= 4)
				break;
			memcpy(name, q + 2, k);
			name[k] = '\0';
			vals = aare_vars_get(pol->vars, name, &nv);
			if (vals == NULL || nv == 0 || nv > PATH_PREFIXES)
				break;
			/* Each value from an empty start, then all of them. */
			for (k = 0; k < nv; k++) {
				struct pfxset one = { .n = 1 };

				pfx_expand(pol, &one, vals[k], strlen(vals[k]),
				    depth + 1);
				if (alt.n + one.n > PATH_PREFIXES)
					break;
				for (size_t i = 0; i < one.n; i++) {
					memcpy(alt.v[alt.n], one.v[i], one.len[i]);
					alt.len[alt.n] = one.len[i];
					alt.closed[alt.n++] = one.closed[i];
				}
			}
			if (k < nv)
				break;
			q = e + 1;
		} else
			break;
		if (!pfx_extend(ps, &alt))
			break;
	}
	/* Stopped short: nothing more is known. */
	pfx_close(ps);
}

/*
 * The literal starts of a file rule's path (conservative: stopping early
 * only leaves shorter prefixes).  None when one of them is empty.
 */
static void
path_prefixes(const struct policy *pol, struct prule *p, const char *pat)
{
	struct pfxset ps = { .n = 1 };
	size_t total = 0;
	char *out;

	pfx_expand(pol, &ps, pat, strlen(pat), 0);
	for (size_t i = 0; i < ps.n; i++) {
		if (ps.len[i] == 0)
			return;		/* no constraint */
		total += ps.len[i] + 1;
	}
	if ((out = malloc(total)) == NULL)
		return;			/* only slower */
	p->paths = out;
	p->npaths = ps.n;
	/* Length-prefixed: PATH_PREFIX_MAX keeps a length in one byte. */
	for (size_t i = 0; i < ps.n; i++) {
		*out++ = (char)(unsigned char)ps.len[i];
		memcpy(out, ps.v[i], ps.len[i]);
		out += ps.len[i];
	}
}

static bool
path_prefix_ok(const struct prule *p, const char *v)
{
	const char *s = p->paths;

	/* Each prefix is its length (one byte) and its bytes. */
	for (size_t i = 0; i < p->npaths; i++) {
		size_t n = (unsigned char)s[0], k;

		s++;
		/* Most names part from the prefix in its first bytes. */
		for (k = 0; k < n && v[k] == s[k]; k++)
			;
		if (k == n)
			return true;
		s += n;
	}
	return false;
}

static void
prule_compile(const struct policy *pol, struct prule *p)
{
	unsigned pf = pattern_fields(p->r.cls);

	prule_uncompile(p);
	for (int i = 0; i < ACCESS_NFIELDS; i++) {
		if (!(pf & (1u << i)) || p->r.f[i] == NULL)
			continue;
		/* file rules fold "//" after expansion, as the parser
		 * does ("@{PROC}/1" with @{PROC}=/proc/) */
		int (*compile)(const char *, size_t, const struct aare_vars *,
		    struct aare **, const char **) = p->r.cls == ACCESS_FILE ?
		    aare_compile_path : aare_compile;

		if (compile(p->r.f[i], strlen(p->r.f[i]), pol->vars,
		    &p->pat[i], NULL) < 0) {
			p->pat[i] = NULL;
			p->bad = true;
		} else if (p->r.cls == ACCESS_FILE && i == 0)
			path_prefixes(pol, p, p->r.f[i]);
		else
			p->lit[i] = literal_prefix(p->r.f[i]);
	}
}

/*
 * The buckets a rule belongs in, marked in an IX_BUCKETS array.  Returns
 * the number marked.
 */
static size_t
prule_buckets(const struct prule *p, bool *mark)
{
	const char *s = p->paths;
	unsigned any = IX_CLASS + (p->r.cls < ACCESS_NCLASSES ?
	    (unsigned)p->r.cls : 0);
	size_t n = 0;

	memset(mark, 0, IX_BUCKETS * sizeof(*mark));
	if (p->r.cls != ACCESS_FILE || p->npaths == 0 || p->pat[0] == NULL) {
		mark[any] = true;
		return 1;
	}
	for (size_t i = 0; i < p->npaths; i++) {
		size_t len = (unsigned char)s[0];
		unsigned b = len >= 2 ? (unsigned char)s[2] : any;

		if (!mark[b]) {
			mark[b] = true;
			n++;
		}
		s += len + 1;
	}
	if (mark[any]) {
		memset(mark, 0, IX_BUCKETS * sizeof(*mark));
		mark[any] = true;
		n = 1;
	}
	return n;
}

static void policy_trie(struct policy *);

static void
policy_index(struct policy *pol)
{
	bool mark[IX_BUCKETS];
	size_t count[IX_BUCKETS] = { 0 }, total = 0, fill[IX_BUCKETS];

	free(pol->ix);
	pol->ix = NULL;
	pol->ix_ok = false;
	if (pol->nrules > UINT32_MAX)
		return;
	for (size_t i = 0; i < pol->nrules; i++) {
		total += prule_buckets(&pol->rules[i], mark);
		for (int b = 0; b < IX_BUCKETS; b++)
			count[b] += mark[b];
	}
	if ((pol->ix = malloc((total + 1) * sizeof(*pol->ix))) == NULL)
		return;
	pol->ix_start[0] = 0;
	for (int b = 0; b < IX_BUCKETS; b++) {
		pol->ix_start[b + 1] = pol->ix_start[b] + count[b];
		fill[b] = pol->ix_start[b];
	}
	for (size_t i = 0; i < pol->nrules; i++) {
		prule_buckets(&pol->rules[i], mark);
		for (int b = 0; b < IX_BUCKETS; b++)
			if (mark[b])
				pol->ix[fill[b]++] = (uint32_t)i;
	}
	pol->ix_ok = true;
	policy_trie(pol);
}

/* A trie as it is built: first child and next sibling (0: none). */
struct tnode {
	uint32_t child, sibling;
	unsigned char byte;
};

struct tbuild {
	struct tnode *v;
	size_t	 n, cap;
};

/* The child of node n for byte c, made if missing; 0 without memory. */
static uint32_t
tbuild_child(struct tbuild *tb, uint32_t n, unsigned char c)
{
	uint32_t k;

	for (k = tb->v[n].child; k != 0; k = tb->v[k].sibling)
		if (tb->v[k].byte == c)
			return k;
	if (tb->n >= UINT32_MAX)
		return 0;
	if (tb->n == tb->cap) {
		size_t cap = tb->cap ? tb->cap * 2 : 64;
		struct tnode *v = realloc(tb->v, cap * sizeof(*v));

		if (v == NULL)
			return 0;
		tb->v = v;
		tb->cap = cap;
	}
	k = (uint32_t)tb->n++;
	tb->v[k] = (struct tnode){ 0, tb->v[n].child, c };
	tb->v[n].child = k;
	return k;
}

static void
policy_trie_clear(struct policy *pol)
{
	free(pol->trie);
	free(pol->trie_byte);
	free(pol->trie_rules);
	pol->trie = NULL;
	pol->trie_byte = NULL;
	pol->trie_rules = NULL;
	pol->ntrie = 0;
	pol->trie_ok = false;
}

/*
 * The trie of the rules the byte buckets hold (see struct policy): each
 * prefix of each rule is walked in, making nodes, and the rule noted at
 * the node it ends at; then the nodes are renumbered breadth first and
 * the notes grouped by node.
 */
static void
policy_trie(struct policy *pol)
{
	bool mark[IX_BUCKETS];
	struct tbuild tb = { NULL, 0, 0 };
	uint32_t (*notes)[2] = NULL;	/* node, rule */
	uint32_t *newid = NULL, *queue = NULL;
	size_t nnotes = 0, capnotes = 0, head = 0, tail = 0;

	policy_trie_clear(pol);
	if (pol->nrules > UINT32_MAX ||
	    (tb.v = calloc(64, sizeof(*tb.v))) == NULL)
		return;
	tb.cap = 64;
	tb.n = 1;
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct prule *p = &pol->rules[i];
		const char *s = p->paths;

		if (prule_buckets(p, mark) == 1 &&
		    mark[IX_CLASS + (p->r.cls < ACCESS_NCLASSES ?
		    (unsigned)p->r.cls : 0)])
			continue;	/* in its class' bucket */
		for (size_t k = 0; k < p->npaths; k++) {
			size_t len = (unsigned char)s[0];
			uint32_t n = 0;

			for (size_t b = 0; b < len; b++)
				if ((n = tbuild_child(&tb, n,
				    (unsigned char)s[1 + b])) == 0)
					goto fail;
			s += len + 1;
			if (nnotes == capnotes) {
				size_t cap = capnotes ? capnotes * 2 : 64;
				void *v = realloc(notes, cap * sizeof(*notes));

				if (v == NULL)
					goto fail;
				notes = v;
				capnotes = cap;
			}
			notes[nnotes][0] = n;
			notes[nnotes++][1] = (uint32_t)i;
		}
	}
	pol->ntrie = tb.n;
	pol->trie = calloc(tb.n, sizeof(*pol->trie));
	pol->trie_byte = calloc(tb.n, sizeof(*pol->trie_byte));
	pol->trie_rules = malloc((nnotes + 1) * sizeof(*pol->trie_rules));
	newid = malloc(tb.n * sizeof(*newid));
	queue = malloc(tb.n * sizeof(*queue));
	if (pol->trie == NULL || pol->trie_byte == NULL ||
	    pol->trie_rules == NULL || newid == NULL || queue == NULL)
		goto fail;
	/* Breadth first: the children of each node get consecutive ids. */
	newid[0] = 0;
	queue[tail++] = 0;
	while (head < tail) {
		uint32_t old = queue[head++];
		struct ptrie_node *t = &pol->trie[newid[old]];

		t->cfirst = (uint32_t)tail;
		for (uint32_t k = tb.v[old].child; k != 0; k = tb.v[k].sibling) {
			newid[k] = (uint32_t)tail;
			pol->trie_byte[tail] = tb.v[k].byte;
			queue[tail++] = k;
		}
		t->ccount = (uint32_t)tail - t->cfirst;
	}
	/* Counting sort of the notes by node, in rule order within one. */
	for (size_t k = 0; k < nnotes; k++)
		pol->trie[newid[notes[k][0]]].rcount++;
	for (size_t n = 0, at = 0; n < pol->ntrie; n++) {
		pol->trie[n].rstart = (uint32_t)at;
		at += pol->trie[n].rcount;
		pol->trie[n].rcount = 0;
	}
	for (size_t k = 0; k < nnotes; k++) {
		struct ptrie_node *t = &pol->trie[newid[notes[k][0]]];

		pol->trie_rules[t->rstart + t->rcount++] = notes[k][1];
	}
	pol->trie_ok = true;
	goto out;
fail:
	policy_trie_clear(pol);
out:
	free(tb.v);
	free(notes);
	free(newid);
	free(queue);
}

static void
policy_recompile(struct policy *pol)
{
	for (size_t i = 0; i < pol->nrules; i++)
		prule_compile(pol, &pol->rules[i]);
	policy_index(pol);
}

/* Values are kept as written: file patterns fold "//" when compiled. */
static int
policy_var_put(struct policy *pol, const char *name, const char *value,
    bool replace)
{
	pol->nvarsets++;
	return replace ? aare_vars_set(pol->vars, name, value) :
	    aare_vars_add(pol->vars, name, value);
}

int
policy_var_add(struct policy *pol, const char *name, const char *value)
{
	int rc;

	if (pol == NULL || name == NULL || value == NULL)
		return -EINVAL;
	if ((rc = policy_var_put(pol, name, value, false)) < 0)
		return rc;
	policy_recompile(pol);
	return 0;
}

const char *const *
policy_var(const struct policy *pol, const char *name, size_t *ret_n)
{
	const char *const *v;
	size_t n = 0;

	if (pol == NULL || (v = aare_vars_get(pol->vars, name, &n)) == NULL) {
		if (ret_n != NULL)
			*ret_n = 0;
		return NULL;
	}
	if (ret_n != NULL)
		*ret_n = n;
	return v;
}

/* Take over a parsed rule (moved: r is cleared). */
static int
policy_take_rule(struct policy *pol, struct profile_rule *r)
{
	int rc;

	if (r->cls == ACCESS_NONE)
		return 0;
	if ((rc = grow((void **)&pol->rules, &pol->cap, pol->nrules,
	    sizeof(struct prule), PROFILE_MAX_RULES)) < 0)
		return rc;
	memset(&pol->rules[pol->nrules], 0, sizeof(struct prule));
	pol->rules[pol->nrules].r = *r;
	memset(r, 0, sizeof(*r));
	pol->nrules++;
	return 0;
}

static int policy_load_file(struct policy *, const char *text, size_t len,
    const char *block, profile_loader, void *, int depth);

static int
policy_include(struct policy *pol, const struct profile_include *inc,
    profile_loader loader, void *arg, int depth)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (depth >= PROFILE_INCLUDE_DEPTH)
		return -ELOOP;
	if (policy_noted(pol, "i:", inc->name))
		return 0;
	if (loader == NULL)
		return inc->if_exists ? 0 : -ENOENT;
	if (pol->nfiles >= PROFILE_INCLUDE_FILES)
		return -E2BIG;
	rc = loader(inc->name, inc->angle, &text, &len, arg);
	if (rc == -ENOENT && inc->if_exists)
		return 0;
	if (rc < 0)
		return rc;
	pol->nfiles++;
	if ((rc = policy_note(pol, "i:", inc->name)) == 0)
		rc = policy_load_file(pol, text, len, NULL, loader, arg,
		    depth + 1);
	free(text);
	return rc;
}

static int
policy_load_file(struct policy *pol, const char *text, size_t len,
    const char *block, profile_loader loader, void *arg, int depth)
{
	struct profile_file *pf;
	int rc, bi = -1;

	if ((rc = profile_parse(text, len, &pf)) < 0)
		return rc;
	for (size_t i = 0; i < pf->nvars && rc == 0; i++) {
		const struct profile_var *v = &pf->vars[i];

		for (size_t k = 0; k < v->nvalues && rc == 0; k++)
			rc = policy_var_put(pol, v->name, v->values[k],
			    k == 0 && !v->append);
	}
	for (size_t i = 0; i < pf->nincludes && rc == 0; i++)
		rc = policy_include(pol, &pf->includes[i], loader, arg, depth);
	if (rc < 0)
		goto out;
	if (block == NULL) {
		for (size_t i = 0; i < pf->nrules && rc == 0; i++)
			rc = policy_take_rule(pol, &pf->rules[i]);
		goto out;
	}
	if ((bi = block_index(pf, block)) < 0) {
		rc = -ENOENT;
		goto out;
	}
	{
		struct profile_block *b = &pf->blocks[bi];

		for (size_t i = 0; i < b->nrules && rc == 0; i++)
			rc = policy_take_rule(pol, &b->rules[i]);
		for (size_t i = 0; i < b->nincludes && rc == 0; i++)
			rc = policy_include(pol, &b->includes[i], loader, arg,
			    depth);
	}
	/* Profiles a px/cx may go to: children, and the file's others. */
	for (size_t i = 0; i < pf->nblocks && rc == 0; i++) {
		const struct profile_block *c = &pf->blocks[i];

		if ((int)i == bi)
			continue;
		if (c->parent == bi)
			rc = policy_note(pol, "c:", c->name);
		else if (c->parent < 0)
			rc = policy_note(pol, "p:", c->name);
	}
out:
	profile_file_free(pf);
	return rc;
}

int
policy_load(const char *text, size_t len, const char *profile_name,
    profile_loader loader, void *arg, struct policy **ret_policy)
{
	struct policy *pol;
	int rc;

	if (text == NULL || profile_name == NULL)
		return -EINVAL;
	if ((pol = policy_new()) == NULL)
		return -ENOMEM;
	rc = policy_load_file(pol, text, len, profile_name, loader, arg, 0);
	if (rc < 0) {
		policy_free(pol);
		return rc;
	}
	policy_recompile(pol);
	*ret_policy = pol;
	return 0;
}

int
policy_add_rule(struct policy *pol, const char *rule, profile_loader loader,
    void *arg)
{
	size_t n, before, vars_before;
	int rc;

	if (pol == NULL || rule == NULL)
		return -EINVAL;
	n = strlen(rule);
	before = pol->nrules;
	vars_before = pol->nvarsets;
	if ((rc = policy_load_file(pol, rule, n, NULL, loader, arg, 0)) < 0)
		return rc;
	/* An include may have brought variables that earlier rules use. */
	if (pol->nvarsets != vars_before) {
		policy_recompile(pol);
	} else {
		for (size_t i = before; i < pol->nrules; i++)
			prule_compile(pol, &pol->rules[i]);
		if (pol->nrules != before)
			policy_index(pol);
	}
	return 0;
}

bool
policy_has_child(const struct policy *pol, const char *name)
{
	return pol != NULL && (policy_noted(pol, "c:", name) ||
	    policy_noted(pol, "p:", name));
}

/* ---- matching */

/* word lists: "term kill", "(term, kill)", "{a,b}" -> is w in it? */
static bool
word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;

	while (*p) {
		size_t k;

		while (*p && strchr(" \t\n,(){}", *p))
			p++;
		k = strcspn(p, " \t\n,(){}");
		if (k == n && strncmp(p, w, n) == 0)
			return true;
		p += k;
	}
	return false;
}

static bool
field_match(const struct prule *p, int i, const char *v)
{
	if (p->r.f[i] == NULL)
		return true;
	if (p->pat[i] != NULL) {
		if (p->lit[i] > 0 && strncmp(v, p->r.f[i], p->lit[i]) != 0)
			return false;
		if (i == 0 && p->npaths > 0 && !path_prefix_ok(p, v))
			return false;
		return aare_match(p->pat[i], v, strlen(v));
	}
	if (pattern_fields(p->r.cls) & (1u << i))
		return false;	/* did not compile */
	return word_in(p->r.f[i], v);
}

/* Every word of have (e.g. mount flags of the access) is in want. */
static bool
words_subset(const char *have, const char *want)
{
	const char *p = have;
	char w[128];

	while (*p) {
		size_t k;

		while (*p && strchr(" \t\n,()", *p))
			p++;
		k = strcspn(p, " \t\n,()");
		if (k == 0)
			break;
		if (k >= sizeof(w))
			return false;
		memcpy(w, p, k);
		w[k] = '\0';
		if (!word_in(want, w))
			return false;
		p += k;
	}
	return true;
}

static const char *
proto_name(const char *proto)
{
	static const struct { const char *num, *name; } t[] = {
		{ "6", "tcp" }, { "17", "udp" }, { "1", "icmp" },
		{ "58", "icmpv6" }, { "132", "sctp" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(proto, t[i].num) == 0)
			return t[i].name;
	return proto;
}

/*
 * What a rule grants of the class' permissions, if it applies to a at all
 * (else 0).  for_deny: opaque rules are read as applying (a deny must not
 * be missed), allow rules as not.
 */
static uint64_t
prule_grants(const struct prule *p, const struct access *a, bool for_deny)
{
	const struct profile_rule *r = &p->r;
	enum access_class cls = a->cls == ACCESS_EXEC ? ACCESS_FILE : a->cls;
	uint64_t all = mask_class_perms(a->cls) | MASK_EXEC, m;

	if (r->cls != cls)
		return 0;
	if ((r->opaque || p->bad) && !for_deny)
		return 0;
	if (r->owner && !for_deny && (a->mask & MASK_NOT_OWNER))
		return 0;
	m = r->mask & MASK_PERMS;
	if (m == 0)
		m = all;
	switch (cls) {
	case ACCESS_FILE:
		if (!field_match(p, 0, a->f[0]))
			return 0;
		if (m & MASK_WRITE)
			m |= MASK_APPEND | MASK_CREATE | MASK_DELETE |
			    MASK_RENAME | MASK_SETATTR;
		if (m & (MASK_READ | MASK_WRITE))
			m |= MASK_GETATTR | MASK_OPEN;
		if (m & MASK_EXEC_MODES)
			m |= MASK_EXEC;
		/* a link rule's target must match the access' target */
		if ((m & MASK_LINK) && r->f[1] != NULL && a->cls == ACCESS_FILE &&
		    a->f[1][0] != '\0' && !field_match(p, 1, a->f[1]))
			m &= ~MASK_LINK;
		return m;
	case ACCESS_CAPABILITY:
		return field_match(p, 0, a->f[0]) ? all : 0;
	case ACCESS_NETWORK:
		if (r->f[0] != NULL && strcmp(r->f[0], a->f[0]) != 0)
			return 0;
		if (r->f[1] != NULL && strcmp(r->f[1], a->f[1]) != 0 &&
		    strcmp(r->f[1], proto_name(a->f[2])) != 0)
			return 0;
		return m;
	case ACCESS_MOUNT:
		/* a mount rule covers remounts (its options decide) */
		if (strcmp(r->f[0], a->f[0]) != 0 &&
		    !(strcmp(r->f[0], "mount") == 0 &&
		    strcmp(a->f[0], "remount") == 0))
			return 0;
		for (int i = 1; i < 4; i++)
			if (!field_match(p, i, a->f[i]))
				return 0;
		if (r->f[4] != NULL && !words_subset(a->f[4], r->f[4]))
			return 0;
		return all;
	default:
		for (int i = 0; i < ACCESS_NFIELDS; i++)
			if (!field_match(p, i, a->f[i]))
				return 0;
		return m;
	}
}

struct eval {
	uint64_t allow, deny;
	bool	 aa, ad;
};

static void
eval_rule(const struct prule *p, const struct access *a, struct eval *ev)
{
	uint64_t g = prule_grants(p, a, p->r.deny);

	if (g == 0)
		return;
	if (p->r.deny) {
		ev->deny |= g;
		ev->ad = true;
	} else {
		ev->allow |= g;
		ev->aa = true;
	}
}

static void
policy_eval(const struct policy *pol, const struct access *a,
    uint64_t *ret_allow, uint64_t *ret_deny, bool *ret_any_allow,
    bool *ret_any_deny)
{
	struct eval ev = { 0, 0, false, false };
	size_t ranges[2][2] = { { 0, 0 }, { 0, 0 } };
	bool walk = false;

	if (pol != NULL && pol->ix_ok) {
		/*
		 * Rules or'ed together: the order they are tried in is moot,
		 * and so is trying one twice (a rule with two prefixes of
		 * the name is met at both in the trie).  A rule of another
		 * class grants nothing (prule_grants).
		 */
		enum access_class cls = a->cls == ACCESS_EXEC ? ACCESS_FILE :
		    a->cls;
		unsigned any = IX_CLASS + (cls < ACCESS_NCLASSES ?
		    (unsigned)cls : 0);

		ranges[0][0] = pol->ix_start[any];
		ranges[0][1] = pol->ix_start[any + 1];
		if (cls == ACCESS_FILE && pol->trie_ok) {
			walk = true;
		} else if (cls == ACCESS_FILE) {
			unsigned b = a->f[0][0] != '\0' ?
			    (unsigned char)a->f[0][1] : 0;

			ranges[1][0] = pol->ix_start[b];
			ranges[1][1] = pol->ix_start[b + 1];
		}
	} else if (pol != NULL)
		ranges[0][1] = pol->nrules;
	for (int r = 0; r < 2; r++)
		for (size_t k = ranges[r][0]; k < ranges[r][1]; k++)
			eval_rule(&pol->rules[pol->ix_ok ? pol->ix[k] : k], a,
			    &ev);
	if (walk) {
		const unsigned char *v = (const unsigned char *)a->f[0];
		uint32_t n = 0;

		for (; *v != '\0'; v++) {
			const struct ptrie_node *t = &pol->trie[n];
			uint32_t k = t->cfirst, end = t->cfirst + t->ccount;

			while (k < end && pol->trie_byte[k] != *v)
				k++;
			if (k == end)
				break;
			n = k;
			t = &pol->trie[n];
			for (k = 0; k < t->rcount; k++)
				eval_rule(&pol->rules[pol->trie_rules[
				    t->rstart + k]], a, &ev);
		}
	}
	*ret_allow = ev.allow;
	*ret_deny = ev.deny;
	*ret_any_allow = ev.aa;
	*ret_any_deny = ev.ad;
}

uint64_t
policy_allowed(const struct policy *pol, const struct access *a)
{
	uint64_t allow, deny;
	bool aa, ad;

	if (a == NULL)
		return 0;
	policy_eval(pol, a, &allow, &deny, &aa, &ad);
	return a->mask & MASK_PERMS & allow & ~deny;
}

/*
 * The trie walk of policy_eval without the rules: whether it meets one
 * (or the class has rules outside the trie).  The walk reads the bytes it
 * consumed and the one it stopped at, nothing after.
 */
bool
policy_file_candidates(const struct policy *pol, const char *name,
    size_t *ret_len)
{
	const unsigned char *v = (const unsigned char *)name;
	unsigned any = IX_CLASS + ACCESS_FILE;
	uint32_t n = 0;
	size_t d;
	bool found;

	if (pol == NULL || name == NULL) {
		*ret_len = 0;
		return false;	/* no rules at all */
	}
	if (!pol->ix_ok || !pol->trie_ok) {
		*ret_len = strlen(name) + 1;
		return true;
	}
	found = pol->ix_start[any + 1] > pol->ix_start[any];
	for (d = 0; v[d] != '\0'; d++) {
		const struct ptrie_node *t = &pol->trie[n];
		uint32_t k = t->cfirst, end = t->cfirst + t->ccount;

		while (k < end && pol->trie_byte[k] != v[d])
			k++;
		if (k == end)
			break;
		n = k;
		found |= pol->trie[n].rcount > 0;
	}
	*ret_len = d + 1;
	return found;
}

/* Only perms a rule can carry count: the rest (getattr...) always pass. */
static uint64_t
needed(const struct access *a)
{
	uint64_t m = a->mask & MASK_PERMS & ~MASK_EXEC_MODES;

	return m;
}

bool
policy_allows(const struct policy *pol, const struct access *a)
{
	uint64_t allow, deny, want;
	bool aa, ad;

	if (a == NULL)
		return false;
	want = needed(a);
	policy_eval(pol, a, &allow, &deny, &aa, &ad);
	if (want == 0)
		return aa && !ad;
	return (want & ~(allow & ~deny)) == 0;
}

/* Whether an explicit deny applies to (part of) a: no rule can help. */
bool
policy_denies(const struct policy *pol, const struct access *a)
{
	uint64_t allow, deny;
	bool aa, ad;

	if (a == NULL)
		return false;
	policy_eval(pol, a, &allow, &deny, &aa, &ad);
	if (needed(a) == 0)
		return ad;
	return (needed(a) & deny) != 0;
}

void
policy_check(const struct policy *pol, const struct access *a,
    bool *ret_allows, bool *ret_denies, uint64_t *ret_allowed)
{
	uint64_t allow, deny, want;
	bool aa, ad;

	if (a == NULL) {
		*ret_allows = *ret_denies = false;
		*ret_allowed = 0;
		return;
	}
	want = needed(a);
	policy_eval(pol, a, &allow, &deny, &aa, &ad);
	*ret_allows = want == 0 ? aa && !ad : (want & ~(allow & ~deny)) == 0;
	*ret_denies = want == 0 ? ad : (want & deny) != 0;
	*ret_allowed = a->mask & MASK_PERMS & allow & ~deny;
}

const struct aare_vars *
policy_vars(const struct policy *pol)
{
	return pol == NULL ? NULL : pol->vars;
}

static bool
prule_privileged(const struct profile_rule *r)
{
	switch (r->cls) {
	case ACCESS_CAPABILITY:
		/* binding a low port is what name services do; every other
		 * capability counts as privilege */
		return r->f[0] == NULL || !words_subset(r->f[0],
		    "net_bind_service");
	case ACCESS_MOUNT:
	case ACCESS_PTRACE:
	case ACCESS_CHANGE_PROFILE:
		return true;
	case ACCESS_FILE:
		return (r->mask & (MASK_EXEC_UNCONFINED | MASK_EXEC_PROFILE |
		    MASK_EXEC_CHILD)) != 0 || r->f[0] == NULL;
	default:
		return false;
	}
}

int
policy_unmatched_rules(const struct policy *pol, const struct access *acc,
    size_t n, size_t max, char ***ret_texts, size_t *ret_total,
    size_t *ret_privileged)
{
	char **v;
	size_t nv = 0, total = 0, priv = 0;

	if (pol == NULL || (acc == NULL && n > 0))
		return -EINVAL;
	if ((v = calloc(max + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct prule *p = &pol->rules[i];
		bool used = false;

		if (p->r.deny)
			continue;
		for (size_t k = 0; k < n && !used; k++)
			used = (prule_grants(p, &acc[k], false) & acc[k].mask &
			    MASK_PERMS) != 0 || ((acc[k].mask & MASK_PERMS) == 0 &&
			    prule_grants(p, &acc[k], false) != 0);
		if (used)
			continue;
		total++;
		priv += prule_privileged(&p->r);
		if (nv < max) {
			if ((v[nv] = strdup(p->r.text)) == NULL) {
				profile_strv_free(v);
				return -ENOMEM;
			}
			nv++;
		}
	}
	*ret_texts = v;
	if (ret_total != NULL)
		*ret_total = total;
	if (ret_privileged != NULL)
		*ret_privileged = priv;
	return 0;
}
