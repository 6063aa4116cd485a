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
