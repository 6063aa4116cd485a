/*
 * test_propose - observations to proposed rules: every class, merged
 * permissions, exec modes, generalisation (thresholds, forbidden roots,
 * variables), abstractions (and the aa-logprof trap), hostile names, and a
 * property test: every rule covers its evidence and no sensitive path the
 * evidence never touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "learner.h"
#include "host_profiles.h"

/* ---- helpers */

static bool
have_host_apparmor(void)
{
	return access("/etc/apparmor.d/tunables/global", R_OK) == 0 &&
	    access("/etc/apparmor.d/abstractions/nameservice", R_OK) == 0;
}

static const char *
parser_path(void)
{
	const char *p = getenv("AALEARN_PARSER");

	if (p != NULL)
		return p;
	return access("/sbin/apparmor_parser", X_OK) == 0 ?
	    "/sbin/apparmor_parser" : "/usr/sbin/apparmor_parser";
}

/* apparmor_parser -QK: 0 accepted, 1 refused, -1 unavailable. */
static int
parser_accepts(const char *text)
{
	char tmpl[] = "/tmp/aalearn-propose-XXXXXX";
	char cmd[8192];
	int fd, st;
	size_t n = strlen(text);

	if (access(parser_path(), X_OK) != 0)
		return -1;
	if ((fd = mkstemp(tmpl)) < 0)
		return -1;
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		unlink(tmpl);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s -QK %s >/dev/null 2>&1", parser_path(),
	    tmpl);
	st = system(cmd);
	unlink(tmpl);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static struct observation
ob(enum access_class cls, const char *f0, const char *f1, uint64_t mask)
{
	struct observation o;

	memset(&o, 0, sizeof(o));
	o.profile = "svc";
	o.label = "svc";
	o.access.cls = cls;
	for (int i = 0; i < ACCESS_NFIELDS; i++)
		o.access.f[i] = "";
	o.access.f[0] = f0 ? f0 : "";
	o.access.f[1] = f1 ? f1 : "";
	o.access.mask = mask;
	o.allowed = 1;
	o.first_ms = 1000;
	o.last_ms = 2000;
	return o;
}

/* A file observation on a file not owned by the task (no owner rule). */
static struct observation
fob(const char *path, uint64_t mask)
{
	return ob(ACCESS_FILE, path, NULL, mask | MASK_NOT_OWNER);
}

static struct policy *
host_vars_policy(void)
{
	struct policy *pol = policy_new();

	assert_non_null(pol);
	assert_int_equal(policy_var_add(pol, "PROC", "/proc/"), 0);
	assert_int_equal(policy_var_add(pol, "pid", "{[1-9],[1-9][0-9],"
	    "[1-9][0-9][0-9],[1-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9],"
	    "[1-9][0-9][0-9][0-9][0-9][0-9],[1-4][0-9][0-9][0-9][0-9][0-9][0-9]}"),
	    0);
	assert_int_equal(policy_var_add(pol, "tid", "@{pid}"), 0);
	return pol;
}

static size_t
count_kind(const struct proposal *p, size_t n, enum proposal_kind k)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += p[i].kind == k;
	return c;
}

static const struct proposal *
find_text(const struct proposal *p, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].text != NULL && strcmp(p[i].text, text) == 0)
			return &p[i];
	return NULL;
}

/* The proposal with that text; the test fails without it. */
static const struct proposal *
must_find(const struct proposal *p, size_t n, const char *text)
{
	const struct proposal *r = find_text(p, n, text);

	if (r == NULL) {
		fail_msg("no proposal \"%s\"", text);
		abort();
	}
	return r;
}

/* A policy holding exactly the proposed rules (plus host variables). */
static struct policy *
policy_of(const struct proposal *p, size_t n, bool vars)
{
	struct policy *pol = vars ? host_vars_policy() : policy_new();

	for (size_t i = 0; i < n; i++)
		if (p[i].kind != PROPOSAL_NONE)
			assert_int_equal(policy_add_rule(pol, p[i].text,
			    have_host_apparmor() ? host_loader : NULL, NULL), 0);
	return pol;
}

/* A profile around the rules, for apparmor_parser. */
static char *
profile_with(const struct proposal *p, size_t n)
{
	static const char base[] = "include <tunables/global>\n"
	    "profile svc {\n}\n";
	const char **rules = calloc(n + 1, sizeof(*rules));
	size_t k = 0, len;
	char *out = NULL;

	assert_non_null(rules);
	for (size_t i = 0; i < n; i++)
		if (p[i].kind != PROPOSAL_NONE)
			rules[k++] = p[i].text;
	assert_int_equal(profile_add_rules(base, strlen(base), "svc", rules, k,
	    &out, &len), 0);
	free(rules);
	return out;
}

/* ---- classes */

static void
file_permissions_merge(void **state)
{
	struct observation o[] = {
		fob("/srv/app/data.db", MASK_READ),
		fob("/srv/app/data.db", MASK_WRITE | MASK_CREATE),
		fob("/srv/app/log", MASK_APPEND),
		fob("/srv/app/lock", MASK_LOCK | MASK_READ),
	};
	struct proposal *p;
	size_t n;
	const struct proposal *db;

	(void)state;
	assert_int_equal(propose_rules(NULL, o, 4, NULL, &p, &n), 0);
	assert_int_equal(n, 3);
	db = must_find(p, n, "/srv/app/data.db rw,");
	assert_int_equal(db->nevidence, 2);
	assert_int_equal(db->allowed, 2);
	assert_int_equal(db->npaths, 1);
	assert_false(db->generalised);
	assert_non_null(find_text(p, n, "/srv/app/log a,"));
	assert_non_null(find_text(p, n, "/srv/app/lock rk,"));
	propose_free(p, n);

	/* owner: only when every event was on the task's own file */
	o[0].access.mask = MASK_READ;
	o[1].access.mask = MASK_WRITE;
	assert_int_equal(propose_rules(NULL, o, 2, NULL, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].text, "owner /srv/app/data.db rw,");
	propose_free(p, n);
	o[1].access.mask |= MASK_NOT_OWNER;
	assert_int_equal(propose_rules(NULL, o, 2, NULL, &p, &n), 0);
	assert_string_equal(p[0].text, "/srv/app/data.db rw,");
	propose_free(p, n);
}

static void
every_class(void **state)
{
	struct observation o[] = {
		fob("/etc/app.conf", MASK_READ),
		ob(ACCESS_EXEC, "/usr/bin/tool", "svc//null-/usr/bin/tool",
		    MASK_EXEC | MASK_NOT_OWNER),
		ob(ACCESS_CAPABILITY, "net_bind_service", NULL, 0),
		ob(ACCESS_NETWORK, "inet", "stream", MASK_CREATE),
		ob(ACCESS_UNIX, "stream", "@app.sock", MASK_CONNECT),
		ob(ACCESS_SIGNAL, "term", "unconfined", MASK_RECEIVE),
		ob(ACCESS_PTRACE, "svc", NULL, MASK_READ),
		ob(ACCESS_MOUNT, "mount", "tmpfs", 0),
		ob(ACCESS_DBUS, "system", "/org/freedesktop/DBus", MASK_SEND),
		ob(ACCESS_CHANGE_PROFILE, "svc//worker", NULL, 0),
		ob(ACCESS_USERNS, "create", NULL, MASK_CREATE),
		ob(ACCESS_IO_URING, "sqpoll", NULL, MASK_SQPOLL),
		ob(ACCESS_MQUEUE, "/jobs", "posix", MASK_READ | MASK_WRITE),
	};
	size_t no = sizeof(o) / sizeof(o[0]);
	struct propose_options v4opt = { .new_syntax = true };
	struct proposal *p;
	struct policy *pol;
	size_t n;
	char *text;

	(void)state;
	o[3].access.f[2] = "6";
	o[4].access.f[2] = "";
	o[7].access.f[2] = "tmpfs";
	o[7].access.f[3] = "/run/app/";
	o[7].access.f[4] = "nosuid, nodev";
	o[8].access.f[2] = "org.freedesktop.DBus";
	o[8].access.f[3] = "Hello";
	o[8].access.f[4] = "unconfined";
	o[11].access.f[1] = "";
	/* Debian 12's parser has no userns, io_uring or mqueue rules: no
	 * rule, with the reason */
	assert_int_equal(propose_rules(NULL, o, no, NULL, &p, &n), 0);
	assert_int_equal(n, no);
	assert_int_equal(count_kind(p, n, PROPOSAL_NONE), 3);
	for (size_t i = 0; i < n; i++) {
		enum access_class c = p[i].cls;
		bool v4 = c == ACCESS_USERNS || c == ACCESS_IO_URING ||
		    c == ACCESS_MQUEUE;

		assert_int_equal(p[i].kind == PROPOSAL_NONE, v4);
		if (v4)
			assert_non_null(p[i].reason);
	}
	text = profile_with(p, n);
	if (have_host_apparmor())
		assert_int_equal(parser_accepts(text), 0);
	free(text);
	propose_free(p, n);
	/* with AppArmor 4 syntax allowed, every class gets its rule */
	assert_int_equal(propose_rules(NULL, o, no, &v4opt, &p, &n), 0);
	assert_int_equal(count_kind(p, n, PROPOSAL_NONE), 0);
	assert_int_equal(n, no);
	/* one rule per class, each allowing its own observation */
	pol = policy_of(p, n, false);
	for (size_t i = 0; i < no; i++)
		assert_true(policy_allows(pol, &o[i].access));
	policy_free(pol);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(p[i].nevidence, 1);
		assert_int_equal(p[i].cls, o[p[i].evidence[0]].access.cls);
		assert_non_null(strchr(p[i].text, ','));
	}
	propose_free(p, n);
}

static void
exec_modes(void **state)
{
	struct observation o = ob(ACCESS_EXEC, "/usr/bin/tool",
	    "svc//null-/usr/bin/tool", MASK_EXEC | MASK_NOT_OWNER);
	const char *known[] = { "/usr/bin/tool" };
	const char *child[] = { "svc///usr/bin/tool" };
	struct propose_options opt = { .container = true };
	static const char prof[] = "profile svc {\n  profile /usr/bin/tool {\n  }\n}\n";
	struct policy *pol;
	struct proposal *p;
	size_t n;

	(void)state;
	assert_int_equal(propose_rules(NULL, &o, 1, &opt, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].text, "/usr/bin/tool ix,");
	propose_free(p, n);
	opt.known_profiles = known;
	opt.nknown_profiles = 1;
	assert_int_equal(propose_rules(NULL, &o, 1, &opt, &p, &n), 0);
	assert_string_equal(p[0].text, "/usr/bin/tool px,");
	propose_free(p, n);
	opt.known_profiles = child;
	assert_int_equal(propose_rules(NULL, &o, 1, &opt, &p, &n), 0);
	assert_string_equal(p[0].text, "/usr/bin/tool cx,");
	propose_free(p, n);
	/* the kernel ran it under a profile named by its path: px */
	opt.known_profiles = NULL;
	opt.nknown_profiles = 0;
	o.access.f[1] = "/usr/bin/tool";
	assert_int_equal(propose_rules(NULL, &o, 1, &opt, &p, &n), 0);
	assert_string_equal(p[0].text, "/usr/bin/tool px,");
	propose_free(p, n);
	o.access.f[1] = "svc//worker";
	assert_int_equal(propose_rules(NULL, &o, 1, &opt, &p, &n), 0);
	assert_string_equal(p[0].text, "/usr/bin/tool px -> svc//worker,");
	propose_free(p, n);
	/* ran unconfined: never ux */
	o.access.f[1] = "unconfined";
	assert_int_equal(propose_rules(NULL, &o, 1, &opt, &p, &n), 0);
	assert_string_equal(p[0].text, "/usr/bin/tool ix,");
	propose_free(p, n);
	o.access.f[1] = "svc//null-/usr/bin/tool";
	/* a child profile in the profile's own text */
	opt.known_profiles = NULL;
	opt.nknown_profiles = 0;
	assert_int_equal(policy_load(prof, strlen(prof), "svc", NULL, NULL,
	    &pol), 0);
	assert_int_equal(propose_rules(pol, &o, 1, &opt, &p, &n), 0);
	assert_string_equal(p[0].text, "/usr/bin/tool cx,");
	propose_free(p, n);
	policy_free(pol);
}

/* ---- generalisation */

static void
siblings_threshold(void **state)
{
	struct observation o[] = {
		fob("/tmp/upload.3fa9c1", MASK_READ | MASK_WRITE),
		fob("/tmp/upload.9b2e11", MASK_READ | MASK_WRITE),
		fob("/tmp/upload.a01b2c", MASK_READ | MASK_WRITE),
		fob("/tmp/upload.77e0aa", MASK_READ | MASK_WRITE),
	};
	struct propose_options opt = { 0 };
	const struct proposal *g;
	struct proposal *p;
	size_t n;

	(void)state;
	/* two siblings: below the default bar of three */
	assert_int_equal(propose_rules(NULL, o, 2, NULL, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_non_null(find_text(p, n, "/tmp/upload.3fa9c1 rw,"));
	propose_free(p, n);
	/* three: one glob, the narrowest, listing what it absorbed */
	assert_int_equal(propose_rules(NULL, o, 3, NULL, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].text, "/tmp/upload.* rw,");
	assert_true(p[0].generalised);
	assert_int_equal(p[0].npaths, 3);
	assert_int_equal(p[0].nevidence, 3);
	assert_non_null(p[0].beyond);
	propose_free(p, n);
	/* a higher threshold keeps them exact */
	opt.glob_threshold = 4;
	assert_int_equal(propose_rules(NULL, o, 3, &opt, &p, &n), 0);
	assert_int_equal(n, 3);
	propose_free(p, n);
	assert_int_equal(propose_rules(NULL, o, 4, &opt, &p, &n), 0);
	assert_int_equal(n, 1);
	propose_free(p, n);

	/* numbered JSON documents */
	{
		struct observation j[] = {
			fob("/var/lib/app/data/users/17.json", MASK_READ),
			fob("/var/lib/app/data/users/18.json", MASK_READ),
			fob("/var/lib/app/data/users/203.json", MASK_READ),
			fob("/var/lib/app/data/users/index.html", MASK_READ),
		};

		assert_int_equal(propose_rules(NULL, j, 4, NULL, &p, &n), 0);
		assert_int_equal(n, 2);
		g = must_find(p, n, "/var/lib/app/data/users/*.json r,");
		assert_int_equal(g->npaths, 3);
		assert_non_null(find_text(p, n,
		    "/var/lib/app/data/users/index.html r,"));
		propose_free(p, n);
	}
	/* names that differ by words, not by a random part, stay exact */
	{
		struct observation w[] = {
			fob("/srv/app/conf/alpha.conf", MASK_READ),
			fob("/srv/app/conf/beta.conf", MASK_READ),
			fob("/srv/app/conf/gamma.conf", MASK_READ),
		};

		assert_int_equal(propose_rules(NULL, w, 3, NULL, &p, &n), 0);
		assert_int_equal(n, 3);
		assert_int_equal(p[0].generalised, false);
		propose_free(p, n);
	}
	/* different permissions do not share a glob */
	{
		struct observation d[] = {
			fob("/srv/q/job-1.txt", MASK_READ),
			fob("/srv/q/job-2.txt", MASK_READ),
			fob("/srv/q/job-3.txt", MASK_WRITE),
		};

		assert_int_equal(propose_rules(NULL, d, 3, NULL, &p, &n), 0);
		assert_int_equal(n, 3);
		propose_free(p, n);
		d[2].access.mask = MASK_READ | MASK_NOT_OWNER;
		assert_int_equal(propose_rules(NULL, d, 3, NULL, &p, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(p[0].text, "/srv/q/job-*.txt r,");
		propose_free(p, n);
	}
	/* directories keep their trailing slash */
	{
		struct observation d[] = {
			fob("/srv/q/run-1/", MASK_READ),
			fob("/srv/q/run-22/", MASK_READ),
			fob("/srv/q/run-333/", MASK_READ),
		};

		assert_int_equal(propose_rules(NULL, d, 3, NULL, &p, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(p[0].text, "/srv/q/run-*/ r,");
		propose_free(p, n);
	}
}

static void
forbidden_roots(void **state)
{
	static const char *const sets[][3] = {
		{ "/etc/app1.conf", "/etc/app2.conf", "/etc/app3.conf" },
		{ "/home/u1", "/home/u2", "/home/u3" },
		{ "/root/n1", "/root/n2", "/root/n3" },
		{ "/run/secrets/db1", "/run/secrets/db2", "/run/secrets/db3" },
		{ "/var/run/secrets/kubernetes.io/t1",
		  "/var/run/secrets/kubernetes.io/t2",
		  "/var/run/secrets/kubernetes.io/t3" },
		{ "/proc/sys/kernel/x1", "/proc/sys/kernel/x2",
		  "/proc/sys/kernel/x3" },
		{ "/sys/class/net/eth0", "/sys/class/net/eth1",
		  "/sys/class/net/eth2" },
		{ "/dev/tty1", "/dev/tty2", "/dev/tty3" },
		{ "/boot/v1", "/boot/v2", "/boot/v3" },
		{ "/x1", "/x2", "/x3" },
		/* a top-level directory as a whole: /tmp/ + star */
		{ "/tmp/1", "/tmp/22", "/tmp/333" },
		{ "/data/4a7f2c91", "/data/9bd7e2aa", "/data/00fe17cd" },
	};

	(void)state;
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		struct observation o[3];
		struct proposal *p;
		size_t n;

		for (int i = 0; i < 3; i++)
			o[i] = fob(sets[s][i], MASK_READ);
		assert_int_equal(propose_rules(NULL, o, 3, NULL, &p, &n), 0);
		assert_int_equal(n, 3);
		for (size_t i = 0; i < n; i++) {
			assert_false(p[i].generalised);
			assert_null(strchr(p[i].text, '*'));
		}
		propose_free(p, n);
	}
}

static void
variables(void **state)
{
	struct observation o[] = {
		fob("/proc/1234/status", MASK_READ),
		fob("/proc/77/status", MASK_READ),
		fob("/proc/77/task/78/stat", MASK_READ),
		fob("/proc/self/mounts", MASK_READ),
	};
	struct policy *pol = host_vars_policy(), *check;
	const struct proposal *g;
	struct proposal *p;
	size_t n;

	(void)state;
	assert_int_equal(propose_rules(pol, o, 4, NULL, &p, &n), 0);
	assert_int_equal(n, 3);
	g = must_find(p, n, "@{PROC}/@{pid}/status r,");
	assert_true(g->generalised);
	assert_int_equal(g->npaths, 2);
	assert_non_null(find_text(p, n, "@{PROC}/@{pid}/task/@{tid}/stat r,"));
	assert_non_null(find_text(p, n, "/proc/self/mounts r,"));
	check = policy_of(p, n, true);
	for (int i = 0; i < 4; i++)
		assert_true(policy_allows(check, &o[i].access));
	{
		struct observation other = fob("/proc/sys/kernel/core_pattern",
		    MASK_READ);

		assert_false(policy_allows(check, &other.access));
		other = fob("/proc/1/environ", MASK_READ);
		assert_false(policy_allows(check, &other.access));
	}
	policy_free(check);
	propose_free(p, n);
	policy_free(pol);

	/* without the host's variables: exact paths */
	assert_int_equal(propose_rules(NULL, o, 2, NULL, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_non_null(find_text(p, n, "/proc/1234/status r,"));
	propose_free(p, n);
}

/* ---- policy interplay */

static void
already_allowed_and_denied(void **state)
{
	static const char prof[] = "profile svc {\n  /srv/a r,\n"
	    "  deny /srv/secret rw,\n  capability chown,\n}\n";
	struct observation o[] = {
		fob("/srv/a", MASK_READ),
		ob(ACCESS_CAPABILITY, "chown", NULL, 0),
		fob("/srv/a", MASK_WRITE),
		fob("/srv/secret", MASK_READ),
	};
	struct policy *pol;
	struct proposal *p;
	size_t n;

	(void)state;
	assert_int_equal(policy_load(prof, strlen(prof), "svc", NULL, NULL,
	    &pol), 0);
	assert_int_equal(propose_rules(pol, o, 2, NULL, &p, &n), 0);
	assert_int_equal(n, 0);
	propose_free(p, n);
	assert_int_equal(propose_rules(pol, o, 4, NULL, &p, &n), 0);
	assert_int_equal(n, 2);
	/* the write needs a rule */
	assert_int_equal(count_kind(p, n, PROPOSAL_RULE), 1);
	assert_int_equal(count_kind(p, n, PROPOSAL_NONE), 1);
	for (size_t i = 0; i < n; i++) {
		if (p[i].kind == PROPOSAL_NONE) {
			assert_non_null(p[i].reason);
			assert_null(p[i].text);
			assert_int_equal(p[i].evidence[0], 3);
		} else {
			assert_int_equal(p[i].evidence[0], 2);
			assert_string_equal(p[i].text, "/srv/a w,");
		}
	}
	propose_free(p, n);
	/* an access of no known class: no rule, said so */
	{
		struct observation odd[] = { ob(ACCESS_NONE, "x", NULL, 0),
		    ob((enum access_class)99, "y", NULL, 0) };

		assert_int_equal(propose_rules(pol, odd, 2, NULL, &p, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(count_kind(p, n, PROPOSAL_NONE), 2);
		assert_string_not_equal(p[0].id, p[1].id);
		propose_free(p, n);
	}
	/* r allowed, rw asked: only the w is proposed */
	o[2].access.mask = MASK_READ | MASK_WRITE | MASK_NOT_OWNER;
	assert_int_equal(propose_rules(pol, o + 2, 1, NULL, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].text, "/srv/a w,");
	assert_int_equal(p[0].evidence[0], 0);
	propose_free(p, n);
	policy_free(pol);
}

/* ---- abstractions */

static void
abstractions_narrow_and_trap(void **state)
{
	/* a service writing under /srv/shop, reading the name service files */
	struct observation o[] = {
		fob("/etc/passwd", MASK_READ),
		fob("/etc/group", MASK_READ),
		fob("/etc/nsswitch.conf", MASK_READ),
		ob(ACCESS_FILE, "/srv/shop/orders/new.json", NULL,
		    MASK_WRITE | MASK_CREATE),
		ob(ACCESS_FILE, "/srv/shop/cache/index", NULL, MASK_WRITE),
		ob(ACCESS_FILE, "/tmp/shop-upload", NULL, MASK_WRITE),
		ob(ACCESS_FILE, "/srv/shop/log/access.log", NULL, MASK_APPEND),
	};
	const char *cands[] = {
		"abstractions/ubuntu-browsers.d/user-files",
		"abstractions/user-tmp",
		"abstractions/user-write",
		"abstractions/nameservice",
		"abstractions/ssl_certs",
	};
	/* unrelated accesses a trap would let through */
	static const char *const unrelated[] = {
		"/srv/other/db", "/root/.ssh/id_rsa", "/tmp/other",
		"/etc/shadow", "/home/user/.bashrc", "/var/lib/other",
		"/srv/www/index.html", "/root/notes",
	};
	struct propose_options opt = { .loader = host_loader,
	    .abstractions = cands, .nabstractions = 5 };
	struct policy *pol, *check;
	const struct proposal *inc;
	struct proposal *p;
	size_t n;

	(void)state;
	if (!have_host_apparmor())
		skip();
	{
		static const char prof[] = "include <tunables/global>\n"
		    "profile svc {\n}\n";

		assert_int_equal(policy_load(prof, strlen(prof), "svc",
		    host_loader, NULL, &pol), 0);
	}
	assert_int_equal(propose_rules(pol, o, 7, &opt, &p, &n), 0);
	inc = must_find(p, n, "include <abstractions/nameservice>");
	assert_int_equal(inc->kind, PROPOSAL_INCLUDE);
	assert_int_equal(inc->nevidence, 3);
	assert_non_null(inc->beyond);
	assert_non_null(inc->reason);
	for (size_t i = 0; i < n; i++) {
		assert_null(strstr(p[i].text ? p[i].text : "", "user-"));
		assert_null(strstr(p[i].text ? p[i].text : "", "**"));
	}
	/* the accepted set lets none of the unrelated accesses through */
	check = policy_of(p, n, false);
	assert_int_equal(policy_add_rule(check, "include <tunables/global>",
	    host_loader, NULL), 0);
	for (size_t i = 0; i < 7; i++)
		assert_true(policy_allows(check, &o[i].access));
	for (size_t i = 0; i < sizeof(unrelated) / sizeof(unrelated[0]); i++) {
		struct observation u = ob(ACCESS_FILE, unrelated[i], NULL,
		    MASK_READ | MASK_WRITE);

		assert_false(policy_allows(check, &u.access));
	}
	policy_free(check);
	propose_free(p, n);

	/* one observation is not enough for an include */
	assert_int_equal(propose_rules(pol, o, 1, &opt, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].text, "/etc/passwd r,");
	propose_free(p, n);
	/* without a loader: never an include */
	opt.loader = NULL;
	assert_int_equal(propose_rules(pol, o, 3, &opt, &p, &n), 0);
	assert_int_equal(count_kind(p, n, PROPOSAL_INCLUDE), 0);
	propose_free(p, n);
	policy_free(pol);
}

struct memfile {
	const char *name, *text;
};

static int
mem_loader(const char *name, bool angle, char **ret_text, size_t *ret_len,
    void *arg)
{
	const struct memfile *m = arg;

	(void)angle;
	for (; m->name != NULL; m++) {
		if (strcmp(m->name, name) == 0) {
			*ret_text = strdup(m->text);
			*ret_len = strlen(m->text);
			return *ret_text ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

/* What an abstraction grants beyond the evidence decides, not its name. */
static void
abstractions_beyond(void **state)
{
	static struct memfile files[] = {
		{ "abstractions/good", "/etc/passwd r,\n/etc/group r,\n"
		    "/etc/hosts r,\n" },
		{ "abstractions/priv", "/etc/passwd r,\n/etc/group r,\n"
		    "capability sys_admin,\n" },
		{ "abstractions/wide", "/etc/passwd r,\n/etc/group r,\n"
		    "/srv/** rw,\n" },
		{ "abstractions/shadow", "/etc/passwd r,\n/etc/group r,\n"
		    "/etc/{passwd,group,shadow} r,\n" },
		{ NULL, NULL },
	};
	struct observation o[] = {
		fob("/etc/passwd", MASK_READ),
		fob("/etc/group", MASK_READ),
	};
	const char *one[1];
	struct propose_options opt = { .loader = mem_loader,
	    .loader_arg = files, .abstractions = one, .nabstractions = 1 };
	struct proposal *p;
	size_t n;

	(void)state;
	one[0] = "abstractions/good";
	assert_int_equal(propose_rules(NULL, o, 2, &opt, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].kind, PROPOSAL_INCLUDE);
	assert_string_equal(p[0].text, "include <abstractions/good>");
	assert_int_equal(p[0].nevidence, 2);
	assert_int_equal(p[0].npaths, 2);
	/* exactly the one rule the evidence did not use */
	assert_non_null(strstr(p[0].beyond, "1 of its rules"));
	assert_non_null(strstr(p[0].beyond, "/etc/hosts r"));
	assert_null(strstr(p[0].beyond, "/etc/passwd"));
	propose_free(p, n);
	/* a capability, a whole tree, a secret: refused, exact rules */
	for (int i = 1; i < 4; i++) {
		one[0] = files[i].name;
		assert_int_equal(propose_rules(NULL, o, 2, &opt, &p, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(count_kind(p, n, PROPOSAL_INCLUDE), 0);
		propose_free(p, n);
	}
	/* an abstraction that does not exist is skipped */
	one[0] = "abstractions/none";
	assert_int_equal(propose_rules(NULL, o, 2, &opt, &p, &n), 0);
	assert_int_equal(n, 2);
	propose_free(p, n);
}

/* ---- hostile names */

static void
hostile_names(void **state)
{
	static const char *const names[] = {
		"/tmp/x, /** rwx,",
		"/tmp/a\nb",
		"/tmp/{a,b}",
		"/tmp/*",
		"/tmp/**",
		"/tmp/?",
		"/tmp/@{HOME}",
		"/tmp/quote\"x",
		"/tmp/sp ace",
		"/tmp/\xff\xfe",
		"/tmp/^x",
		"/tmp/[ab]",
		"/tmp/#x",
		"/tmp/x #y",
		"/tmp/back\\slash",
		"/tmp/br}ace",
		"/tmp/\"",
		"/tmp/a\tb",
		"/tmp/x) r, /y (",
	};
	static const char *const others[] = { "/tmp/a", "/tmp/b", "/tmp/x",
	    "/tmp/", "/tmp/aa", "/etc/shadow", "/tmp/xx" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct observation o = fob(names[i], MASK_READ);
		struct proposal *p;
		struct policy *pol;
		size_t n;
		char *text;

		assert_int_equal(propose_rules(NULL, &o, 1, NULL, &p, &n), 0);
		assert_int_equal(n, 1);
		if (p[0].kind == PROPOSAL_NONE) {
			assert_non_null(p[0].reason);
			propose_free(p, n);
			continue;
		}
		/* one rule, exactly that name */
		pol = policy_of(p, n, false);
		assert_true(policy_allows(pol, &o.access));
		for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
			struct observation q = fob(others[k], MASK_READ);

			if (strcmp(others[k], names[i]) != 0)
				assert_false(policy_allows(pol, &q.access));
		}
		policy_free(pol);
		text = profile_with(p, n);
		if (have_host_apparmor())
			assert_int_equal(parser_accepts(text), 0);
		free(text);
		propose_free(p, n);
	}
	/* hostile siblings are never generalised */
	{
		struct observation o[] = {
			fob("/srv/up load.1", MASK_READ),
			fob("/srv/up load.2", MASK_READ),
			fob("/srv/up load.3", MASK_READ),
		};
		struct proposal *p;
		size_t n;

		assert_int_equal(propose_rules(NULL, o, 3, NULL, &p, &n), 0);
		assert_int_equal(n, 3);
		propose_free(p, n);
	}
}

/* ---- ids */

static void
stable_ids(void **state)
{
	struct observation o[] = {
		fob("/srv/a", MASK_READ),
		ob(ACCESS_CAPABILITY, "chown", NULL, 0),
		fob("/srv/b", MASK_WRITE),
		fob("/tmp/a\nb", MASK_READ),
	};
	struct observation r[] = { o[3], o[2], o[1], o[0] };
	struct proposal *p, *q;
	size_t n, m;
	char id[17];

	(void)state;
	assert_int_equal(propose_rules(NULL, o, 4, NULL, &p, &n), 0);
	assert_int_equal(propose_rules(NULL, r, 4, NULL, &q, &m), 0);
	assert_int_equal(n, m);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(p[i].id, q[i].id);
		assert_int_equal(strlen(p[i].id), 16);
		if (p[i].text != NULL) {
			proposal_id(p[i].text, id);
			assert_string_equal(id, p[i].id);
		}
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(p[k].id, p[i].id);
	}
	propose_free(p, n);
	propose_free(q, m);
}

/* ---- property test */

static const char *const sensitive[] = {
	"/etc/shadow", "/etc/gshadow", "/root/.ssh/id_rsa",
	"/proc/sys/kernel/core_pattern", "/var/run/docker.sock",
	"/run/docker.sock", "/run/secrets/token", "/etc/sudoers",
	"/home/user/.ssh/authorized_keys", "/proc/kcore", "/dev/mem",
	"/sys/kernel/security/apparmor/.load", "/boot/grub/grub.cfg",
	"/var/run/secrets/kubernetes.io/serviceaccount/token",
	"/etc/passwd", "/tmp/x", "/etc/ssl/private/key.pem",
};

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
property_cover_evidence_only(void **state)
{
	static const char *const dirs[] = { "/tmp", "/var/lib/app", "/srv/data",
	    "/etc", "/run", "/var/run", "/proc/1", "/proc/sys/kernel",
	    "/home/user/.ssh", "/root", "/run/secrets", "/var/cache/app/x",
	    "/dev", "/sys/class/net", "/opt/app/lib" };
	static const char *const stems[] = { "upload.", "job-", "", "docker",
	    "core_", "id_", "cache_", "shadow", "sess_" };
	static const char *const tails[] = { "", ".json", ".sock", ".tmp", "/",
	    "_pattern", ".pem" };
	static const uint64_t masks[] = { MASK_READ, MASK_WRITE,
	    MASK_READ | MASK_WRITE, MASK_APPEND, MASK_READ | MASK_LOCK };
	char (*paths)[128];
	uint32_t seed = 12345;
	size_t total_rules = 0, total_globs = 0;

	(void)state;
	paths = calloc(64, sizeof(*paths));
	assert_non_null(paths);
	for (int round = 0; round < 60; round++) {
		struct observation o[64];
		size_t no = 8 + rnd(&seed) % 56;
		struct policy *vars = host_vars_policy();
		struct proposal *p;
		size_t n;

		for (size_t i = 0; i < no; i++) {
			const char *d = dirs[rnd(&seed) % 15];
			const char *s = stems[rnd(&seed) % 9];
			const char *t = tails[rnd(&seed) % 7];
			char var[16];

			if (rnd(&seed) % 2)
				snprintf(var, sizeof(var), "%u",
				    rnd(&seed) % 400);
			else
				snprintf(var, sizeof(var), "%06x",
				    rnd(&seed) & 0xffffff);
			snprintf(paths[i], sizeof(paths[i]), "%s/%s%s%s", d, s,
			    var, t);
			o[i] = fob(paths[i], masks[rnd(&seed) % 5]);
			if (rnd(&seed) % 3 == 0)
				o[i].access.mask &= ~MASK_NOT_OWNER;
		}
		assert_int_equal(propose_rules(vars, o, no, NULL, &p, &n), 0);
		for (size_t i = 0; i < n; i++) {
			struct policy *one;

			assert_true(p[i].nevidence > 0);
			if (p[i].kind != PROPOSAL_RULE)
				continue;
			total_rules++;
			total_globs += p[i].generalised;
			one = host_vars_policy();
			assert_int_equal(policy_add_rule(one, p[i].text, NULL,
			    NULL), 0);
			/* covers all of its evidence */
			for (size_t k = 0; k < p[i].nevidence; k++)
				assert_true(policy_allows(one,
				    &o[p[i].evidence[k]].access));
			/* and none of the sensitive paths it never saw */
			for (size_t s = 0; s < sizeof(sensitive) /
			    sizeof(sensitive[0]); s++) {
				struct observation q = fob(sensitive[s], MASK_READ);
				bool seen = false;

				for (size_t k = 0; k < p[i].nevidence; k++)
					seen |= strcmp(o[p[i].evidence[k]].access.f[0],
					    sensitive[s]) == 0;
				if (!seen && policy_allows(one, &q.access))
					fail_msg("rule \"%s\" allows %s", p[i].text,
					    sensitive[s]);
			}
			policy_free(one);
		}
		/* every observation is in exactly one proposal */
		{
			size_t seen = 0;

			for (size_t i = 0; i < n; i++)
				seen += p[i].nevidence;
			assert_int_equal(seen, no);
		}
		propose_free(p, n);
		policy_free(vars);
	}
	free(paths);
	/* the generator must have exercised the globbing */
	assert_true(total_globs > 0);
	assert_true(total_rules > total_globs);
}

/*
 * The same observations in another order make the same proposals: the
 * store hands them over sorted, and the learner skips sorts when they
 * already are; a caller with them in any order must get what a sorted
 * caller gets (texts, kinds, evidence counts and absorbed paths).  Many
 * sibling clusters of equal size, so that the order between equal
 * candidates matters too.
 */
static void
order_does_not_matter(void **state)
{
	static const char *const dirs[] = { "/srv/www/a", "/srv/www/b",
	    "/var/lib/app/c1", "/var/lib/app/c2", "/tmp/job", "/opt/x/y" };
	enum { N = 360 };
	struct observation *o = calloc(N, sizeof(*o)), *sh;
	char (*paths)[96] = calloc(N, sizeof(*paths));
	struct proposal *p1, *p2;
	size_t n1, n2, globs = 0;
	uint32_t seed = 777;

	(void)state;
	assert_non_null(o);
	assert_non_null(paths);
	for (size_t i = 0; i < N; i++) {
		size_t d = i % 6;

		if (i % 5 == 0)
			snprintf(paths[i], sizeof(paths[i]), "%s/img%zu.png",
			    dirs[d], i);
		else if (i % 5 == 1)
			snprintf(paths[i], sizeof(paths[i]), "%s/%08x.blob",
			    dirs[d], rnd(&seed));
		else if (i % 5 == 2)
			snprintf(paths[i], sizeof(paths[i]), "%s/app.%zu.log",
			    dirs[d], i / 7);
		else if (i % 5 == 3)
			snprintf(paths[i], sizeof(paths[i]), "%s/one-%zu",
			    dirs[d], i % 2);
		else
			snprintf(paths[i], sizeof(paths[i]), "%s/s%zu/", dirs[d],
			    i);
		o[i] = fob(paths[i], i % 3 == 0 ? MASK_READ : MASK_WRITE);
		if (i % 4 == 0)
			o[i].access.mask &= ~MASK_NOT_OWNER;
	}
	/* sorted by path, as the store lists them */
	for (size_t i = 1; i < N; i++)
		for (size_t j = i; j > 0 && strcmp(o[j - 1].access.f[0],
		    o[j].access.f[0]) > 0; j--) {
			struct observation t = o[j];

			o[j] = o[j - 1];
			o[j - 1] = t;
		}
	sh = calloc(N, sizeof(*sh));
	assert_non_null(sh);
	memcpy(sh, o, N * sizeof(*o));
	for (size_t i = N - 1; i > 0; i--) {
		size_t j = rnd(&seed) % (i + 1);
		struct observation t = sh[i];

		sh[i] = sh[j];
		sh[j] = t;
	}
	assert_int_equal(propose_rules(NULL, o, N, NULL, &p1, &n1), 0);
	assert_int_equal(propose_rules(NULL, sh, N, NULL, &p2, &n2), 0);
	assert_int_equal(n1, n2);
	for (size_t i = 0; i < n1; i++) {
		assert_int_equal(p1[i].kind, p2[i].kind);
		assert_string_equal(p1[i].id, p2[i].id);
		if (p1[i].text != NULL || p2[i].text != NULL)
			assert_string_equal(p1[i].text, p2[i].text);
		assert_int_equal(p1[i].nevidence, p2[i].nevidence);
		assert_int_equal(p1[i].npaths, p2[i].npaths);
		for (size_t k = 0; k < p1[i].npaths; k++)
			assert_string_equal(p1[i].paths[k], p2[i].paths[k]);
		globs += p1[i].generalised;
	}
	/* the case is only worth something with several globs */
	assert_true(globs >= 6);
	propose_free(p1, n1);
	propose_free(p2, n2);
	free(sh);
	free(o);
	free(paths);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_permissions_merge),
		cmocka_unit_test(every_class),
		cmocka_unit_test(exec_modes),
		cmocka_unit_test(siblings_threshold),
		cmocka_unit_test(forbidden_roots),
		cmocka_unit_test(variables),
		cmocka_unit_test(already_allowed_and_denied),
		cmocka_unit_test(abstractions_narrow_and_trap),
		cmocka_unit_test(abstractions_beyond),
		cmocka_unit_test(hostile_names),
		cmocka_unit_test(stable_ids),
		cmocka_unit_test(property_cover_evidence_only),
		cmocka_unit_test(order_does_not_matter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
