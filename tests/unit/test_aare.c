/*
 * test_aare.c - the AARE matcher against cases with known answers.
 *
 * The expected answers come from apparmor.d(5) (globbing section and the
 * "Paths and Globbing" examples) and from what apparmor_parser 3.0.8 on
 * this machine compiles each pattern into (apparmor_parser -QK
 * -D rule-exprs), not from the matcher itself.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "learner.h"

struct mcase {
	const char	*pattern;
	const char	*name;
	int		 match;
};

static const struct mcase cases[] = {
	/* '*': any run without '/'; after a '/' it needs one byte when
	 * the stars end the pattern or are followed by '/' */
	{ "/tmp/*", "/tmp/a", 1 },
	{ "/tmp/*", "/tmp/.hidden", 1 },
	{ "/tmp/*", "/tmp/", 0 },
	{ "/tmp/*", "/tmp/a/b", 0 },
	{ "/tmp/*", "/tmp", 0 },
	{ "/tmp/*bar", "/tmp/bar", 1 },
	{ "/tmp/*bar", "/tmp/foobar", 1 },
	{ "/tmp/*bar", "/tmp/x/bar", 0 },
	{ "/*/foo", "//foo", 0 },
	{ "/*/foo", "/x/foo", 1 },
	{ "/tmp/a*", "/tmp/a", 1 },
	{ "/tmp/a*", "/tmp/abc", 1 },
	/* '**': any run, '/' included */
	{ "/tmp/**", "/tmp/a/b/c", 1 },
	{ "/tmp/**", "/tmp/a/", 1 },
	{ "/tmp/**", "/tmp/", 0 },
	{ "/tmp/**", "/tmpx", 0 },
	{ "/some/**/", "/some/a/", 1 },
	{ "/some/**/", "/some/a/b/", 1 },
	{ "/some/**/", "/some/a", 0 },
	{ "/some/**/", "/some//", 0 },
	{ "/some/**[^/]", "/some/a/b", 1 },
	{ "/some/**[^/]", "/some/a/", 0 },
	{ "/a**b", "/ab", 1 },
	{ "/a**b", "/a/x/y/b", 1 },
	/* a trailing '/' is part of the name */
	{ "/dir", "/dir/", 0 },
	{ "/dir/", "/dir", 0 },
	{ "/dir/", "/dir/", 1 },
	/* '?' */
	{ "/a?b", "/axb", 1 },
	{ "/a?b", "/a/b", 0 },
	{ "/a?b", "/ab", 0 },
	{ "/a?b", "/axxb", 0 },
	/* [...] */
	{ "/home[01]/*/.plan", "/home0/u/.plan", 1 },
	{ "/home[01]/*/.plan", "/home1/u/.plan", 1 },
	{ "/home[01]/*/.plan", "/home2/u/.plan", 0 },
	{ "/x/[a-c]", "/x/b", 1 },
	{ "/x/[a-c]", "/x/d", 0 },
	{ "/x/[a-c]", "/x/-", 0 },
	{ "/x/[-a]", "/x/-", 1 },
	{ "/x/[a-]", "/x/-", 1 },
	{ "/x/[^a]", "/x/b", 1 },
	{ "/x/[^a]", "/x/a", 0 },
	{ "/x[^a]y", "/x/y", 1 },	/* [^...] does not exclude '/' */
	{ "/x/[\\]]", "/x/]", 1 },
	{ "/x/[{}]", "/x/{", 1 },
	{ "/x/[,]", "/x/,", 1 },
	{ "/x/[0-9][0-9]", "/x/42", 1 },
	{ "/x/[0-9][0-9]", "/x/4a", 0 },
	/* {...} */
	{ "/{usr,www}/pages/**", "/usr/pages/a", 1 },
	{ "/{usr,www}/pages/**", "/www/pages/x/y", 1 },
	{ "/{usr,www}/pages/**", "/srv/pages/a", 0 },
	{ "/x{,.bak}", "/x", 1 },
	{ "/x{,.bak}", "/x.bak", 1 },
	{ "/x{,.bak}", "/x.b", 0 },
	{ "/{a,{b,c}}", "/c", 1 },
	{ "/{a,{b,c}}", "/d", 0 },
	{ "/{a,b}{c,d}", "/bd", 1 },
	{ "/{a,b}{c,d}", "/ab", 0 },
	{ "/{a/*,b}", "/b", 1 },
	{ "/{a/*,b}", "/a/x", 1 },
	/* in a group the star is followed by ',', so no one-byte rule */
	{ "/{a/*,b}", "/a/", 1 },
	/* literal outside groups and classes */
	{ "/a,b", "/a,b", 1 },
	{ "/a^b$c", "/a^b$c", 1 },
	{ "/a.b", "/axb", 0 },
	{ "/a+(b)|c", "/a+(b)|c", 1 },
	/* escapes */
	{ "/a\\*b", "/a*b", 1 },
	{ "/a\\*b", "/axb", 0 },
	{ "/a\\\\b", "/a\\b", 1 },
	{ "/a\\\\*", "/a\\xyz", 1 },	/* \\ then a real star */
	{ "/a\\{b\\}", "/a{b}", 1 },
	{ "/a\\[b\\]", "/a[b]", 1 },
	{ "/a\\?", "/a?", 1 },
	{ "/a\\?", "/ax", 0 },
	{ "/a\\@\\{x\\}", "/a@{x}", 1 },
	{ "/a\\012b", "/a\nb", 1 },
	{ "/a\\nb", "/a\nb", 1 },
	{ "/a\\tb", "/a\tb", 1 },
	{ "/a\\x41", "/aA", 1 },
	{ "/a\\d065", "/aA", 1 },
	{ "/a\\052", "/a*", 1 },	/* a numeric escape is a literal */
	{ "/a\\052", "/ab", 0 },
	{ "/a\\377", "/a\xff", 1 },
	{ "/a\\q", "/aq", 1 },		/* unknown escape: the byte */
	{ "/a\\0121", "/a\n1", 1 },	/* octal takes at most 3 digits */
	{ "/a\\/*", "/a/x", 1 },
	{ "", "", 1 },
	{ "", "/", 0 },
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct aare *a = NULL;
		const char *err = NULL;
		int r = aare_compile(cases[i].pattern,
		    strlen(cases[i].pattern), NULL, &a, &err);

		if (r != 0)
			fail_msg("compile '%s': %d %s", cases[i].pattern, r,
			    err ? err : "");
		if ((int)aare_match(a, cases[i].name, strlen(cases[i].name)) !=
		    cases[i].match)
			fail_msg("'%s' vs '%s': expected %d", cases[i].pattern,
			    cases[i].name, cases[i].match);
		aare_free(a);
	}
}

static const char *const bad[] = {
	"/tmp/{a}",		/* parser: invalid number of items in {} */
	"/tmp/{}",
	"/tmp/[]a]",
	"/tmp/[]",
	"/tmp/a\\",
	"/tmp/{a,b",
	"/tmp/a}",
	"/tmp/a]",
	"/tmp/[a",
	"/tmp/[z-a]",
	"/tmp/@{undefined}",
	"/tmp/@{bad name}",
	"/tmp/@{x",
};

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aare *a = NULL;
		const char *err = NULL;
		int r = aare_compile(bad[i], strlen(bad[i]), NULL, &a, &err);

		if (r == 0)
			fail_msg("'%s' compiled", bad[i]);
		assert_int_equal(r, -EINVAL);
		assert_non_null(err);
		assert_null(a);
	}
	/* NUL inside the pattern */
	{
		struct aare *a = NULL;

		assert_int_equal(aare_compile("/a\0b", 4, NULL, &a, NULL),
		    -EINVAL);
		assert_null(a);
	}
}

static void
test_vars(void **state)
{
	struct aare_vars *v = aare_vars_new();
	struct aare *a = NULL;
	const char *const *vals;
	size_t n = 0;

	(void)state;
	assert_non_null(v);
	assert_int_equal(aare_vars_set(v, "HOMEDIRS", "/home/"), 0);
	assert_int_equal(aare_vars_set(v, "HOME", "@{HOMEDIRS}/*/"), 0);
	assert_int_equal(aare_vars_add(v, "HOME", "/root/"), 0);
	assert_int_equal(aare_vars_set(v, "pid", "{[1-9],[1-9][0-9]}"), 0);
	assert_int_equal(aare_vars_set(v, "PROC", "/proc/"), 0);
	assert_int_equal(aare_vars_set(v, "bad name", "x"), -EINVAL);
	vals = aare_vars_get(v, "HOME", &n);
	assert_non_null(vals);
	assert_int_equal(n, 2);
	assert_string_equal(vals[1], "/root/");

	/* file rule: slashes fold after expansion */
	assert_int_equal(aare_compile_path("@{HOME}/.ssh/id_rsa",
	    strlen("@{HOME}/.ssh/id_rsa"), v, &a, NULL), 0);
	assert_true(aare_match(a, "/root/.ssh/id_rsa", 17));
	assert_true(aare_match(a, "/home/u/.ssh/id_rsa", 19));
	assert_false(aare_match(a, "/home/.ssh/id_rsa", 17));
	assert_false(aare_match(a, "/home/u/v/.ssh/id_rsa", 21));
	assert_false(aare_match(a, "/root/.ssh/id_rsa.pub", 21));
	aare_free(a);

	/* not folded: the text as written */
	assert_int_equal(aare_compile("@{HOME}/.ssh", 12, v, &a, NULL), 0);
	assert_false(aare_match(a, "/root/.ssh", 10));
	assert_true(aare_match(a, "/root//.ssh", 11));
	aare_free(a);

	assert_int_equal(aare_compile_path("@{PROC}/@{pid}/status",
	    strlen("@{PROC}/@{pid}/status"), v, &a, NULL), 0);
	assert_true(aare_match(a, "/proc/1/status", 14));
	assert_true(aare_match(a, "/proc/42/status", 15));
	assert_false(aare_match(a, "/proc/0/status", 14));
	assert_false(aare_match(a, "/proc/123/status", 16));
	assert_false(aare_match(a, "/proc/self/status", 17));
	aare_free(a);

	/* an escaped @{ is not a variable */
	assert_int_equal(aare_match_once("/x/\\@{HOME}", v, "/x/@{HOME}"), -EINVAL);
	assert_int_equal(aare_match_once("/x/\\@\\{HOME\\}", v, "/x/@{HOME}"), 1);

	/* loops */
	assert_int_equal(aare_vars_set(v, "A", "x@{B}"), 0);
	assert_int_equal(aare_vars_set(v, "B", "y@{A}"), 0);
	assert_int_equal(aare_compile("/@{A}", 5, v, &a, NULL), -ELOOP);
	assert_int_equal(aare_vars_set(v, "S", "@{S}"), 0);
	assert_int_equal(aare_compile("/@{S}", 5, v, &a, NULL), -ELOOP);

	assert_int_equal(aare_vars_unset(v, "A"), 0);
	assert_int_equal(aare_vars_unset(v, "A"), -ENOENT);
	assert_null(aare_vars_get(v, "A", &n));
	assert_int_equal(aare_compile("/@{B}", 5, v, &a, NULL), -EINVAL);
	aare_vars_free(v);
	aare_vars_free(NULL);
}

/*
 * How apparmor_parser 3.0.8 expands variables in file rules, as printed by
 * -D rule-exprs for @{H}=/root/ /home/x/, @{S}=/srv/, @{L}=/l1 /l2/,
 * @{M}=a// b:
 *   /x/@{H}/y  -> /x/(root|home/x)/y      @{L}/z   -> (/l1|/l2)/z
 *   /x@{S}y    -> /x/srv/y                /q/@{M}/w -> /q/(a|b)/w
 *   /q/@{M}w   -> /q/(a/|b)w
 */
static void
test_vars_parser_shapes(void **state)
{
	static const struct mcase vc[] = {
		{ "/x/@{H}/y", "/x/root/y", 1 },
		{ "/x/@{H}/y", "/x/home/x/y", 1 },
		{ "/x/@{H}/y", "/x//root//y", 0 },
		{ "/x@{S}y", "/x/srv/y", 1 },
		{ "@{L}/z", "/l1/z", 1 },
		{ "@{L}/z", "/l2/z", 1 },
		{ "@{L}/z", "/l2//z", 0 },
		{ "/q/@{M}/w", "/q/a/w", 1 },
		{ "/q/@{M}/w", "/q/b/w", 1 },
		{ "/q/@{M}w", "/q/a/w", 1 },
		{ "/q/@{M}w", "/q/bw", 1 },
		{ "@{H}", "/root/", 1 },
		{ "@{H}", "/root", 0 },
	};
	struct aare_vars *v = aare_vars_new();
	size_t i;

	(void)state;
	assert_int_equal(aare_vars_set(v, "H", "/root/"), 0);
	assert_int_equal(aare_vars_add(v, "H", "/home/x/"), 0);
	assert_int_equal(aare_vars_set(v, "S", "/srv/"), 0);
	assert_int_equal(aare_vars_set(v, "L", "/l1"), 0);
	assert_int_equal(aare_vars_add(v, "L", "/l2/"), 0);
	assert_int_equal(aare_vars_set(v, "M", "a//"), 0);
	assert_int_equal(aare_vars_add(v, "M", "b"), 0);
	for (i = 0; i < sizeof(vc) / sizeof(vc[0]); i++) {
		struct aare *a = NULL;

		assert_int_equal(aare_compile_path(vc[i].pattern,
		    strlen(vc[i].pattern), v, &a, NULL), 0);
		if ((int)aare_match(a, vc[i].name, strlen(vc[i].name)) !=
		    vc[i].match)
			fail_msg("'%s' vs '%s': expected %d", vc[i].pattern,
			    vc[i].name, vc[i].match);
		aare_free(a);
	}
	aare_vars_free(v);
}

static void
test_caps(void **state)
{
	struct aare_vars *v = aare_vars_new();
	struct aare *a = NULL;
	char val[101], pat[AARE_MAX_DEPTH * 2 + 8];
	int i, r;

	(void)state;
	/* 100 values of 100 bytes: 10 KB per use; 8 uses exceed the cap */
	memset(val, 'a', 100);
	val[100] = '\0';
	for (i = 0; i < 100; i++) {
		val[0] = (char)('A' + i % 26);
		assert_int_equal(aare_vars_add(v, "big", val), 0);
	}
	assert_int_equal(aare_vars_set(v, "huge",
	    "@{big}@{big}@{big}@{big}@{big}@{big}@{big}@{big}"), 0);
	r = aare_compile("/@{huge}", 8, v, &a, NULL);
	assert_int_equal(r, -E2BIG);
	assert_null(a);
	r = aare_compile("/@{big}", 7, v, &a, NULL);
	assert_int_equal(r, 0);
	val[0] = 'Q';
	{
		char name[102];

		name[0] = '/';
		memcpy(name + 1, val, 101);
		assert_true(aare_match(a, name, 101));
		name[50] = 'b';
		assert_false(aare_match(a, name, 101));
	}
	aare_free(a);

	/* nesting of {} beyond the cap */
	pat[0] = '/';
	for (i = 0; i < AARE_MAX_DEPTH + 2; i++)
		pat[1 + i] = '{';
	pat[1 + i] = '\0';
	r = aare_compile(pat, strlen(pat), NULL, &a, NULL);
	assert_true(r == -E2BIG || r == -EINVAL);

	/* too long */
	{
		char *p = malloc(AARE_MAX_PATTERN + 2);

		assert_non_null(p);
		memset(p, 'a', AARE_MAX_PATTERN + 1);
		p[AARE_MAX_PATTERN + 1] = '\0';
		assert_int_equal(aare_compile(p, AARE_MAX_PATTERN + 1, NULL,
		    &a, NULL), -E2BIG);
		free(p);
	}
	aare_vars_free(v);
}

/* A pattern that makes a backtracking matcher take exponential time. */
static void
test_pathological(void **state)
{
	struct aare *a = NULL;
	char name[4097];

	(void)state;
	assert_int_equal(aare_compile("/**a**a**a**a**a**a**a**a**b",
	    strlen("/**a**a**a**a**a**a**a**a**b"), NULL, &a, NULL), 0);
	name[0] = '/';
	memset(name + 1, 'a', sizeof(name) - 1);
	assert_false(aare_match(a, name, sizeof(name)));
	name[sizeof(name) - 1] = 'b';
	assert_true(aare_match(a, name, sizeof(name)));
	/* a NUL in the name never matches */
	assert_false(aare_match(a, "/a\0b", 4));
	aare_free(a);
	assert_false(aare_match(NULL, "/x", 2));
	aare_free(NULL);
}

static void
test_literal(void **state)
{
	struct aare *a = NULL;

	(void)state;
	assert_int_equal(aare_compile("/etc/passwd", 11, NULL, &a, NULL), 0);
	assert_true(aare_is_literal(a));
	aare_free(a);
	assert_int_equal(aare_compile("/a\\*", 4, NULL, &a, NULL), 0);
	assert_true(aare_is_literal(a));
	aare_free(a);
	assert_int_equal(aare_compile("/etc/*", 6, NULL, &a, NULL), 0);
	assert_false(aare_is_literal(a));
	aare_free(a);
	assert_int_equal(aare_compile("/e{a,b}", 7, NULL, &a, NULL), 0);
	assert_false(aare_is_literal(a));
	aare_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_vars_parser_shapes),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_pathological),
		cmocka_unit_test(test_literal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
