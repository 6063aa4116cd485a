/*
 * test_policy_index - the policy matcher skips rules that cannot match a
 * name (by the literal start of their path, variables and alternations
 * expanded, and by the byte after the first '/'); the answers must be the
 * ones the pattern itself gives.  The oracle is aare_compile_path +
 * aare_match on each rule alone with the same variables: no shortcut.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

struct var {
	const char *name;
	const char *values[4];
};

/* Shaped like Debian's tunables: trailing slashes, nesting, globs. */
static const struct var vars[] = {
	{ "PROC", { "/proc/" } },
	{ "sys", { "/sys/" } },
	{ "run", { "/run/", "/var/run/" } },
	{ "HOMEDIRS", { "/home/" } },
	{ "HOME", { "@{HOMEDIRS}/*/", "/root/" } },
	{ "etc_ro", { "/etc/", "/usr/etc/" } },
	{ "multiarch", { "*-linux-gnu*" } },
	{ "pid", { "{[1-9],[1-9][0-9],[1-9][0-9][0-9]}" } },
	{ "slash", { "/" } },
	{ "empty", { "" } },
	{ "many", { "/a/", "/b/", "/c/", "/d/" } },
	{ "big", { "/p{a,b,c,d,e,f,g,h,i}" } },
	{ "nest", { "@{etc_ro}ssl/", "/opt/" } },
	{ "d1", { "@{d2}a" } },
	{ "d2", { "@{d3}b" } },
	{ "d3", { "@{d4}c" } },
	{ "d4", { "@{d5}d" } },
	{ "d5", { "/e" } },
	{ "glob", { "/g*/", "/h/" } },
};

static const char *const rules[] = {
	"/etc/ld.so.cache",
	"/usr/share/**",
	"/usr/lib{,32,64}/locale/**",
	"/{usr/,}lib{,32,64}/**.so*",
	"/{usr/,}lib/@{multiarch}/**",
	"@{PROC}/@{pid}/stat",
	"@{PROC}/sys/kernel/version",
	"@{run}/systemd/journal/socket",
	"@{etc_ro}/ld.so.conf.d/{,*.conf}",
	"@{HOME}/.config/**",
	"owner @{HOME}/.cache/x",
	"@{sys}/devices/system/cpu/",
	"//server/share",
	"/a//b/c",
	"@{slash}/x",
	"@{slash}@{slash}y",
	"@{empty}/z/*",
	"@{many}@{many}q",
	"/{a,b}{c,d}{e,f}{g,h}/x",
	"/tmp/{a,b/}/c",
	"/srv/[abc]*/x",
	"/**",
	"/x\\{y",
	"/e?c/p",
	"/",
	"@{big}/x",
	"@{nest}certs/*",
	"@{d1}/z",
	"@{glob}k/@{many}",
	"@{PROC}{1,2}",
	"/x{@{many},y}",
};

static const char *const names[] = {
	"/", "/etc/ld.so.cache", "/etc/ld.so.cachex", "/usr/share/a/b",
	"/usr/lib/locale/C", "/usr/lib64/locale/x", "/usr/lib/libc.so.6",
	"/lib64/libm.so", "/lib/x86_64-linux-gnu/libz.so", "/proc/1/stat",
	"/proc/42/stat", "/proc/0/stat", "/proc/sys/kernel/version",
	"/run/systemd/journal/socket", "/var/run/systemd/journal/socket",
	"/etc/ld.so.conf.d/", "/etc/ld.so.conf.d/a.conf",
	"/usr/etc/ld.so.conf.d/b.conf", "/home/u/.config/app/x",
	"/root/.config/y", "/home/u/.cache/x", "/sys/devices/system/cpu/",
	"//server/share", "/server/share", "/a/b/c", "/a//b/c", "/x", "//x",
	"/y", "//y", "/z/w", "//z/w", "/a/a/q", "/a/b/q", "/d/d/q", "/aq",
	"/aceg/x", "/bdfh/x", "/bdf/x", "/tmp/a/c", "/tmp/b/c", "/tmp/b//c",
	"/srv/a1/x", "/srv/d1/x", "/x{y", "/xy", "/etc/p", "/ecc/p", "",
	"/proc/", "/proc", "/pro", "/usr", "/usr/", "/pa/x", "/pi/x", "/p/x",
	"/etc/ssl/certs/a", "/usr/etc/ssl/certs/b", "/opt/certs/c",
	"/etcssl/certs/a", "/edcba/z", "/edcb/z", "/gx/k/a/", "/h/k/b/",
	"/h/k/", "/g/k/c/", "/proc/1", "/proc/3", "/x/a/", "/xy", "/x//a/",
};

static struct aare_vars *
make_vars(void)
{
	struct aare_vars *v = aare_vars_new();

	assert_non_null(v);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		for (size_t k = 0; k < 4 && vars[i].values[k] != NULL; k++)
			assert_int_equal(aare_vars_add(v, vars[i].name,
			    vars[i].values[k]), 0);
	return v;
}

static char *
profile_text(const char *rule)
{
	size_t cap = 8192, len = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		len += (size_t)snprintf(t + len, cap - len, "@{%s} =",
		    vars[i].name);
		for (size_t k = 0; k < 4 && vars[i].values[k] != NULL; k++)
			len += (size_t)snprintf(t + len, cap - len, " %s",
			    *vars[i].values[k] != '\0' ? vars[i].values[k] :
			    "\"\"");
		len += (size_t)snprintf(t + len, cap - len, "\n");
	}
	snprintf(t + len, cap - len, "profile p {\n  %s r,\n}\n", rule);
	return t;
}

static struct access
file_access(const char *name, bool owner)
{
	struct access a;

	memset(&a, 0, sizeof(a));
	a.cls = ACCESS_FILE;
	for (int i = 0; i < ACCESS_NFIELDS; i++)
		a.f[i] = "";
	a.f[0] = name;
	a.mask = MASK_READ | (owner ? 0 : MASK_NOT_OWNER);
	return a;
}

/* Each rule alone: the policy's answer is the pattern's. */
static void
each_rule_as_its_pattern(void **state)
{
	struct aare_vars *v = make_vars();

	(void)state;
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		const char *pat = rules[r];
		bool owner_rule = strncmp(pat, "owner ", 6) == 0;
		struct policy *pol = NULL;
		struct aare *a = NULL;
		char *t = profile_text(pat);

		if (owner_rule)
			pat += 6;
		assert_int_equal(aare_compile_path(pat, strlen(pat), v, &a,
		    NULL), 0);
		assert_int_equal(policy_load(t, strlen(t), "p", NULL, NULL,
		    &pol), 0);
		for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
			struct access acc = file_access(names[n], true);
			bool want = aare_match(a, names[n], strlen(names[n]));

			if (policy_allows(pol, &acc) != want)
				fail_msg("rule '%s', name '%s': policy says %d, "
				    "the pattern %d", rules[r], names[n],
				    !want, want);
			if (owner_rule) {
				acc = file_access(names[n], false);
				assert_false(policy_allows(pol, &acc));
			}
		}
		aare_free(a);
		policy_free(pol);
		free(t);
	}
	aare_vars_free(v);
}

/* All rules together: allowed exactly when one of them matches. */
static void
all_rules_together(void **state)
{
	struct aare_vars *v = make_vars();
	struct aare *a[sizeof(rules) / sizeof(rules[0])];
	struct policy *pol = NULL;
	size_t cap = 16384, len = 0, nr = sizeof(rules) / sizeof(rules[0]);
	char *t = malloc(cap), *one;

	(void)state;
	assert_non_null(t);
	one = profile_text("/nothing");
	/* The variables of profile_text, then every rule. */
	len = (size_t)(strstr(one, "profile p {") - one);
	memcpy(t, one, len);
	len += (size_t)snprintf(t + len, cap - len, "profile p {\n");
	for (size_t r = 0; r < nr; r++) {
		const char *pat = rules[r];

		len += (size_t)snprintf(t + len, cap - len, "  %s r,\n", pat);
		if (strncmp(pat, "owner ", 6) == 0)
			pat += 6;
		assert_int_equal(aare_compile_path(pat, strlen(pat), v, &a[r],
		    NULL), 0);
	}
	snprintf(t + len, cap - len, "}\n");
	assert_int_equal(policy_load(t, strlen(t), "p", NULL, NULL, &pol), 0);
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		struct access acc = file_access(names[n], true);
		bool want = false;

		for (size_t r = 0; r < nr; r++)
			want |= aare_match(a[r], names[n], strlen(names[n]));
		if (policy_allows(pol, &acc) != want)
			fail_msg("name '%s': policy says %d, the patterns %d",
			    names[n], !want, want);
	}
	for (size_t r = 0; r < nr; r++)
		aare_free(a[r]);
	policy_free(pol);

	/* Rules added one by one keep the index current. */
	assert_int_equal(policy_load("profile p {\n  /etc/x r,\n}\n", 26,
	    "p", NULL, NULL, &pol), 0);
	{
		struct access acc = file_access("/added/only/y", true);

		assert_false(policy_allows(pol, &acc));
		assert_int_equal(policy_add_rule(pol, "/added/only/{x,y} r,",
		    NULL, NULL), 0);
		assert_true(policy_allows(pol, &acc));
		acc = file_access("/added/only/z", true);
		assert_false(policy_allows(pol, &acc));
		acc = file_access("/etc/x", true);
		assert_true(policy_allows(pol, &acc));
	}
	policy_free(pol);
	free(one);
	free(t);
	aare_vars_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_rule_as_its_pattern),
		cmocka_unit_test(all_rules_together),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
