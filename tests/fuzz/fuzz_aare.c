/*
 * fuzz_aare.c - the AARE matcher and name escaping under hostile input.
 *
 * Input: PATTERN '\n' NAME (no '\n': the whole input is both).
 *   1. PATTERN is compiled (with a few variables set, one of them
 *      self-referencing) and, when it compiles, matched against NAME: no
 *      crash, no leak, bounded time (the NFA never backtracks).
 *   2. NAME is escaped with rule_quote_name(); the result, compiled as
 *      AARE, must match NAME exactly: NAME itself, not NAME + one byte,
 *      not NAME without its last byte, not NAME with one byte changed.
 *   3. NAME as the path of a file rule: rule_format() either refuses it
 *      with a reason or writes one rule whose path matches only NAME.
 *   4. Small patterns also go through a reference matcher written the
 *      other way round (expand, then backtrack): both must agree on
 *      whether the pattern is valid and on whether NAME matches.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct aare_vars *
fuzz_vars(void)
{
	static struct aare_vars *v;

	if (v != NULL)
		return v;
	v = aare_vars_new();
	if (v == NULL)
		abort();
	aare_vars_set(v, "HOME", "/home/*/");
	aare_vars_add(v, "HOME", "/root/");
	aare_vars_set(v, "pid", "{[1-9],[1-9][0-9],[1-9][0-9][0-9]}");
	aare_vars_set(v, "PROC", "/proc/");
	aare_vars_set(v, "loop", "a@{loop}");
	aare_vars_set(v, "multi", "@{HOME}@{pid}");
	return v;
}

/* The AARE text inside the quotes of a quoted token. */
static char *
unquoted(const char *q)
{
	size_t n = strlen(q);
	char *s;

	if (n >= 2 && q[0] == '"' && q[n - 1] == '"') {
		s = malloc(n - 1);
		if (s == NULL)
			abort();
		memcpy(s, q + 1, n - 2);
		s[n - 2] = '\0';
		return s;
	}
	s = strdup(q);
	if (s == NULL)
		abort();
	return s;
}

static void
check_exact(const char *pat, const char *name, size_t n, int path)
{
	struct aare *a = NULL;
	const char *err = NULL;
	char *nb;
	size_t i;
	int r = path ? aare_compile_path(pat, strlen(pat), NULL, &a, &err) :
	    aare_compile(pat, strlen(pat), NULL, &a, &err);

	if (r != 0)
		abort();	/* an escaped name always compiles */
	if (!aare_match(a, name, n))
		abort();
	nb = malloc(n + 2);
	if (nb == NULL)
		abort();
	memcpy(nb, name, n);
	nb[n] = 'x';
	if (aare_match(a, nb, n + 1))
		abort();
	nb[n] = '/';
	if (aare_match(a, nb, n + 1))
		abort();
	if (n > 0 && aare_match(a, name, n - 1))
		abort();
	for (i = 0; i < n && i < 64; i++) {
		memcpy(nb, name, n);
		nb[i] = (char)(nb[i] ^ 0x01);
		if (aare_match(a, nb, n))
			abort();
	}
	free(nb);
	aare_free(a);
}


/* ------------------------------------------------------------------
 * A second, deliberately different matcher for small patterns without
 * variables or numeric escapes: alternations are expanded into plain
 * token lists and each is matched by backtracking.  Where both accept the
 * pattern, both must agree on every name; where one refuses the pattern,
 * the other must too.
 */
enum ref_tok { R_LIT, R_ANY1, R_STAR, R_DSTAR, R_CLASS, R_LB, R_COMMA, R_RB };

struct ref_t {
	enum ref_tok	 t;
	unsigned char	 c;
	int		 min1;		/* star after '/', before '/' or end */
	unsigned char	 set[32];
};

#define REF_MAXT	64
#define REF_MAXALT	64

struct ref_seq {
	int	 n;
	int	 idx[REF_MAXT];		/* into the token array */
};

/* 1 ok, 0 invalid pattern, -1 outside what the reference handles */
static int
ref_lex(const char *p, size_t n, struct ref_t *t, int *nt)
{
	size_t i = 0;
	int k = 0, depth = 0;

	while (i < n) {
		struct ref_t x;

		if (k >= REF_MAXT)
			return -1;
		memset(&x, 0, sizeof(x));
		if (p[i] == '@' || (unsigned char)p[i] < 0x20)
			return -1;
		if (p[i] == '\\') {
			if (i + 1 >= n)
				return 0;
			if (strchr("01234567dxaefnrt", p[i + 1]) != NULL)
				return -1;
			x.t = R_LIT;
			x.c = (unsigned char)p[i + 1];
			i += 2;
		} else if (p[i] == '*') {
			size_t j = i;

			while (j < n && p[j] == '*')
				j++;
			x.t = (i + 1 < n && p[i + 1] == '*') ? R_DSTAR : R_STAR;
			x.min1 = i > 0 && p[i - 1] == '/' &&
			    (j == n || p[j] == '/');
			i += x.t == R_DSTAR ? 2 : 1;
		} else if (p[i] == '?') {
			x.t = R_ANY1;
			i++;
		} else if (p[i] == '[') {
			int neg = 0, cnt = 0, prev = -1;

			i++;
			if (i < n && p[i] == '^') {
				neg = 1;
				i++;
			}
			for (;;) {
				int c;

				if (i >= n)
					return 0;
				if (p[i] == ']') {
					i++;
					break;
				}
				if (p[i] == '*' || p[i] == '?')
					return 0;	/* refused */
				if (p[i] == '-' && cnt > 0 && i + 1 < n &&
				    p[i + 1] == ']')
					return 0;	/* "[a-]" refused */
				if (p[i] == '\\') {
					if (i + 1 >= n)
						return 0;
					if (strchr("01234567dxaefnrt",
					    p[i + 1]) != NULL)
						return -1;
					c = (unsigned char)p[i + 1];
					i += 2;
				} else if (p[i] == '-' && prev >= 0 && i + 1 < n &&
				    p[i + 1] != ']') {
					int hi;

					if (p[i + 1] == '\\')
						return -1;
					hi = (unsigned char)p[i + 1];
					if (hi < prev) {
						int sw = hi;

						hi = prev;
						prev = sw;
					}
					for (c = prev; c <= hi; c++)
						x.set[c >> 3] |= (unsigned char)
						    (1u << (c & 7));
					i += 2;
					prev = -1;
					cnt++;
					continue;
				} else {
					c = (unsigned char)p[i];
					i++;
				}
				x.set[c >> 3] |= (unsigned char)(1u << (c & 7));
				prev = c;
				cnt++;
			}
			if (cnt == 0)
				return 0;
			if (neg) {
				int b;

				for (b = 0; b < 32; b++)
					x.set[b] = (unsigned char)~x.set[b];
			}
			x.set[0] &= 0xfe;
			x.t = R_CLASS;
		} else if (p[i] == ']') {
			return 0;
		} else if (p[i] == '{') {
			x.t = R_LB;
			depth++;
			i++;
		} else if (p[i] == '}') {
			if (depth == 0)
				return 0;
			depth--;
			x.t = R_RB;
			i++;
		} else if (p[i] == ',' && depth > 0) {
			x.t = R_COMMA;
			i++;
		} else {
			x.t = R_LIT;
			x.c = (unsigned char)p[i];
			i++;
		}
		t[k++] = x;
	}
	if (depth != 0)
		return 0;
	*nt = k;
	return 1;
}

/* Expand t[from..to) into sequences appended to out; -1 too many. */
static int
ref_expand(const struct ref_t *t, int from, int to, struct ref_seq *out,
    int *nout)
{
	struct ref_seq cur[REF_MAXALT], next[REF_MAXALT];
	int ncur = 1, i, a, b;

	cur[0].n = 0;
	for (i = from; i < to; i++) {
		if (t[i].t != R_LB) {
			for (a = 0; a < ncur; a++) {
				if (cur[a].n >= REF_MAXT)
					return -1;
				cur[a].idx[cur[a].n++] = i;
			}
			continue;
		}
		{
			/* the group: its alternatives at depth 1 */
			struct ref_seq alts[REF_MAXALT];
			int nalts = 0, d = 0, j, start = i + 1, commas = 0;

			for (j = i + 1; j < to; j++) {
				if (t[j].t == R_LB)
					d++;
				else if (t[j].t == R_RB && d-- == 0)
					break;
				else if (t[j].t == R_COMMA && d == 0) {
					if (ref_expand(t, start, j, alts,
					    &nalts) < 0)
						return -1;
					start = j + 1;
					commas++;
				}
			}
			if (commas == 0)
				return -2;	/* {a}: invalid */
			if (ref_expand(t, start, j, alts, &nalts) < 0)
				return -1;
			{
				int nn = 0;

				for (a = 0; a < ncur; a++)
					for (b = 0; b < nalts; b++) {
						int k;

						if (nn >= REF_MAXALT ||
						    cur[a].n + alts[b].n >
						    REF_MAXT)
							return -1;
						next[nn] = cur[a];
						for (k = 0; k < alts[b].n; k++)
							next[nn].idx[next[nn].n++] =
							    alts[b].idx[k];
						nn++;
					}
				memcpy(cur, next, (size_t)nn * sizeof(cur[0]));
				ncur = nn;
			}
			i = j;
		}
	}
	for (a = 0; a < ncur; a++) {
		if (*nout >= REF_MAXALT)
			return -1;
		out[(*nout)++] = cur[a];
	}
	return 0;
}

static int
ref_one(const struct ref_t *t, const struct ref_seq *s, int k,
    const unsigned char *name, size_t n, size_t pos)
{
	const struct ref_t *x;
	size_t j;

	if (k == s->n)
		return pos == n;
	x = &t[s->idx[k]];
	switch (x->t) {
	case R_LIT:
		return pos < n && name[pos] == x->c &&
		    ref_one(t, s, k + 1, name, n, pos + 1);
	case R_ANY1:
		return pos < n && name[pos] != '/' &&
		    ref_one(t, s, k + 1, name, n, pos + 1);
	case R_CLASS:
		return pos < n &&
		    ((x->set[name[pos] >> 3] >> (name[pos] & 7)) & 1) &&
		    ref_one(t, s, k + 1, name, n, pos + 1);
	case R_STAR:
	case R_DSTAR:
		if (x->min1) {
			if (pos >= n || name[pos] == '/')
				return 0;
			pos++;
		}
		for (j = pos; j <= n; j++) {
			if (ref_one(t, s, k + 1, name, n, j))
				return 1;
			if (j < n && x->t == R_STAR && name[j] == '/')
				return 0;
		}
		return 0;
	default:
		abort();
	}
}

static void
ref_check(const char *pat, size_t plen, const char *name, size_t nlen)
{
	static struct ref_t t[REF_MAXT];
	struct ref_seq seqs[REF_MAXALT];
	struct aare *a = NULL;
	int nt = 0, nseq = 0, lex, exp, i, want = 0, stars = 0;
	int got;

	/* '@' anywhere may start a variable (even inside [], as the
	 * parser expands variables before it reads the pattern) */
	if (plen > 24 || nlen > 24 || memchr(pat, '\0', plen) != NULL ||
	    memchr(pat, '@', plen) != NULL ||
	    memchr(name, '\0', nlen) != NULL)
		return;
	lex = ref_lex(pat, plen, t, &nt);
	if (lex < 0)
		return;
	got = aare_compile(pat, plen, NULL, &a, NULL);
	if (lex == 0) {
		if (got == 0)
			abort();	/* reference refuses, matcher took it */
		return;
	}
	exp = ref_expand(t, 0, nt, seqs, &nseq);
	if (exp == -1) {
		aare_free(a);
		return;
	}
	if (exp == -2) {
		if (got == 0)
			abort();	/* "{a}" must be refused */
		return;
	}
	if (got != 0)
		abort();		/* reference took it, matcher refused */
	for (i = 0; i < nt; i++)
		stars += t[i].t == R_STAR || t[i].t == R_DSTAR;
	if (stars <= 6)		/* keep backtracking cheap */
		for (i = 0; i < nseq && !want; i++)
			want = ref_one(t, &seqs[i], 0,
			    (const unsigned char *)name, nlen, 0);
	else
		want = -1;
	if (want >= 0 && want != (int)aare_match(a, name, nlen))
		abort();
	aare_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char q[4 * 8192 + 16];
	const char *nl;
	char *pat, *name, *aare;
	size_t plen, nlen;
	struct aare *a = NULL;
	const char *reason = NULL;

	if (size > 8192)
		return 0;
	nl = memchr(data, '\n', size);
	plen = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	nlen = nl != NULL ? size - plen - 1 : size;
	pat = malloc(plen + 1);
	name = malloc(nlen + 1);
	if (pat == NULL || name == NULL)
		abort();
	memcpy(pat, data, plen);
	pat[plen] = '\0';
	memcpy(name, nl != NULL ? nl + 1 : (const char *)data, nlen);
	name[nlen] = '\0';

	/* 1. any pattern */
	if (aare_compile(pat, plen, fuzz_vars(), &a, &reason) == 0) {
		(void)aare_match(a, name, nlen);
		(void)aare_is_literal(a);
		aare_free(a);
	} else if (reason == NULL) {
		abort();	/* every failure says why */
	}
	if (aare_compile_path(pat, plen, fuzz_vars(), &a, NULL) == 0) {
		(void)aare_match(a, name, nlen);
		aare_free(a);
	}

	/* the same pattern through the reference matcher */
	ref_check(pat, plen, name, nlen);

	/* names stop at a NUL, as record strings do */
	nlen = strlen(name);

	/* 2. escaping */
	if (nlen > 0) {
		int r = rule_quote_name(name, q, sizeof(q), &reason);

		if (r < 0)
			abort();	/* non-empty names always escape */
		if (memchr(q, '\n', (size_t)r) != NULL)
			abort();
		aare = unquoted(q);
		check_exact(aare, name, nlen, 0);
		free(aare);
	}

	/* 3. a file rule for the name */
	{
		struct access ac;
		int i, r;

		memset(&ac, 0, sizeof(ac));
		ac.cls = ACCESS_FILE;
		for (i = 0; i < ACCESS_NFIELDS; i++)
			ac.f[i] = "";
		ac.f[0] = name;
		ac.mask = MASK_READ | MASK_WRITE | MASK_NOT_OWNER;
		r = rule_format(&ac, 0, q, sizeof(q), &reason);
		if (r < 0) {
			if (reason == NULL)
				abort();
		} else {
			char *sp;

			/* "PATH rw," */
			if (r < 4 || strcmp(q + r - 4, " rw,") != 0)
				abort();
			q[r - 4] = '\0';
			sp = unquoted(q);
			check_exact(sp, name, nlen, 1);
			free(sp);
		}
	}
	free(pat);
	free(name);
	return 0;
}
