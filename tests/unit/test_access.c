/*
 * test_access.c - from a record to the access a rule must allow.
 *
 * The corpus test reads every record of AppArmor's own log-parser corpus
 * that has an expected profile (written by the upstream tools), and checks
 * that the access we derive, written with rule_format(), allows the same
 * access as the upstream rule or less: the same class, every condition of
 * the upstream rule (path, peer, bus, type...) kept, no permission the
 * upstream rule lacks, `owner` kept.  Network addresses (ip=, port=) are the
 * one condition AppArmor 3.0.8 cannot write and are not required.  Then
 * apparmor_parser -QK must accept every rule 3.0.8 can express.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "learner.h"

/* ------------------------------------------------------- hand-made records */

static void
rec_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = RECORD_DENIED;
	r->audit_type = 1400;
	r->pid = r->peer_pid = r->task = r->parent = -1;
	r->fsuid = r->ouid = r->magic_token = r->capability = -1;
	r->error = r->lport = r->fport = -1;
}

static void
test_file_owner(void **state)
{
	static struct record r;
	struct access a;

	(void)state;
	rec_init(&r);
	r.operation = "open";
	r.name = "/etc/x";
	r.requested = "r";
	r.denied = "r";
	r.fsuid = 1000;
	r.ouid = 1000;
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_FILE);
	assert_string_equal(a.f[0], "/etc/x");
	assert_string_equal(a.f[1], "");
	assert_int_equal(a.mask, MASK_READ);	/* owner: no NOT_OWNER */

	r.ouid = 0;
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.mask, MASK_READ | MASK_NOT_OWNER);

	r.ouid = -1;	/* unknown owner: not an owner rule */
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_true(a.mask & MASK_NOT_OWNER);

	/* old kernels: the split says it */
	r.requested = r.denied = "r::";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.mask, MASK_READ);
	r.requested = r.denied = "::r";
	r.fsuid = r.ouid = 0;
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.mask, MASK_READ | MASK_NOT_OWNER);

	/* denied= wins over requested= (requested may hold what is allowed) */
	r.requested = "mrwIxl";
	r.denied = "l";
	r.fsuid = 0;
	r.ouid = 1;
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.mask, MASK_LINK | MASK_NOT_OWNER);
	/* no denied= (audit mode): requested= */
	r.kind = RECORD_AUDIT;
	r.requested = "w";
	r.denied = NULL;
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.mask, MASK_WRITE | MASK_NOT_OWNER);
	/* x outside an exec is what the other end of a link needs */
	r.operation = "link";
	r.requested = r.denied = "xm";
	r.name2 = "/tmp/target";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_FILE);
	assert_int_equal(a.mask, MASK_MMAP | MASK_NOT_OWNER);
	assert_string_equal(a.f[1], "/tmp/target");
	/* an unknown permission is carried, so nothing guesses */
	r.operation = "open";
	r.requested = r.denied = "rQ";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_true(a.mask & MASK_UNKNOWN);
}

static void
test_kinds(void **state)
{
	static struct record r;
	struct access a;

	(void)state;
	rec_init(&r);
	r.operation = "open";
	r.name = "/x";
	r.requested = "r";
	r.kind = RECORD_STATUS;
	assert_int_equal(access_from_record(&r, &a), -ENOENT);
	r.kind = RECORD_HINT;
	assert_int_equal(access_from_record(&r, &a), -ENOENT);
	r.kind = RECORD_ERROR;
	assert_int_equal(access_from_record(&r, &a), -ENOENT);
	r.kind = RECORD_INVALID;
	assert_int_equal(access_from_record(&r, &a), -EINVAL);
	r.kind = RECORD_ALLOWED;
	r.operation = "profile_replace";
	assert_int_equal(access_from_record(&r, &a), -ENOENT);
	r.operation = "change_hat";
	r.target = "p//hat";
	assert_int_equal(access_from_record(&r, &a), -ENOENT);
	r.operation = "open";
	r.name = NULL;
	assert_int_equal(access_from_record(&r, &a), -ENOENT);
	r.class_name = "file";
	assert_int_equal(access_from_record(&r, &a), -EINVAL);
	assert_int_equal(access_from_record(NULL, &a), -EINVAL);
	/* ret_access untouched on failure */
	memset(&a, 0x5a, sizeof(a));
	assert_int_equal(access_from_record(&r, &a), -EINVAL);
	assert_int_equal(a.mask, 0x5a5a5a5a5a5a5a5aULL);
}

static void
test_other_classes(void **state)
{
	static struct record r;
	struct access a;

	(void)state;
	rec_init(&r);
	r.operation = "capable";
	r.capability = 23;
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_CAPABILITY);
	assert_string_equal(a.f[0], "sys_nice");
	r.capname = "net_raw";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_string_equal(a.f[0], "net_raw");
	r.capname = NULL;
	r.capability = 999;
	assert_int_equal(access_from_record(&r, &a), -EINVAL);

	rec_init(&r);
	r.operation = "exec";
	r.name = "/usr/bin/rm";
	r.requested = r.denied = "x";
	r.target = "p//null-/usr/bin/rm";
	r.fsuid = 1000;
	r.ouid = 0;
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_EXEC);
	assert_string_equal(a.f[1], "p//null-/usr/bin/rm");
	assert_int_equal(a.mask, MASK_EXEC | MASK_NOT_OWNER);

	rec_init(&r);
	r.operation = "connect";
	r.class_name = "net";
	r.family = "unix";
	r.sock_type = "stream";
	r.requested = r.denied = "send receive connect";
	r.net_addr = "none";
	r.peer_addr = "@sock";
	r.peer = "/srv";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_UNIX);
	assert_string_equal(a.f[0], "stream");
	assert_string_equal(a.f[1], "");
	assert_string_equal(a.f[2], "@sock");
	assert_string_equal(a.f[3], "/srv");
	assert_int_equal(a.mask, MASK_SEND | MASK_RECEIVE | MASK_CONNECT);

	r.family = "inet6";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_NETWORK);
	assert_string_equal(a.f[0], "inet6");

	rec_init(&r);
	r.operation = "signal";
	r.signal = "term";
	r.peer = "unconfined";
	r.requested = r.denied = "receive";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_SIGNAL);
	assert_string_equal(a.f[0], "term");
	assert_string_equal(a.f[1], "unconfined");
	assert_int_equal(a.mask, MASK_RECEIVE);

	rec_init(&r);
	r.operation = "ptrace";
	r.peer_profile = "/bin/x";
	r.requested = r.denied = "trace";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_PTRACE);
	assert_string_equal(a.f[0], "/bin/x");

	rec_init(&r);
	r.operation = "mount";
	r.name = "/mnt/";
	r.flags = "ro, remount";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_MOUNT);
	assert_string_equal(a.f[0], "remount");
	assert_string_equal(a.f[3], "/mnt/");
	r.operation = "pivotroot";
	r.srcname = "/new/old/";
	r.name = "/new/";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_string_equal(a.f[0], "pivot_root");
	assert_string_equal(a.f[2], "/new/old/");

	rec_init(&r);
	r.audit_type = 1107;
	r.operation = "dbus_bind";
	r.bus = "session";
	r.name = "org.x";
	r.denied = "bind";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_DBUS);
	assert_string_equal(a.f[0], "session");
	assert_string_equal(a.f[5], "org.x");
	assert_int_equal(a.mask, MASK_BIND);

	rec_init(&r);
	r.operation = "change_onexec";
	r.name = "snap.x";
	assert_int_equal(access_from_record(&r, &a), -ENOENT);
	r.target = "system_tor";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_CHANGE_PROFILE);
	assert_string_equal(a.f[0], "system_tor");

	rec_init(&r);
	r.operation = "userns_create";
	r.class_name = "namespace";
	r.requested = "userns_create";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_USERNS);
	assert_string_equal(a.f[0], "create");
	assert_int_equal(a.mask, MASK_CREATE);

	rec_init(&r);
	r.operation = "uring_sqpoll";
	r.class_name = "io_uring";
	r.requested = r.denied = "sqpoll";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_IO_URING);
	assert_int_equal(a.mask, MASK_SQPOLL);

	rec_init(&r);
	r.operation = "sysv_mqueue";
	r.class_name = "sysv_mqueue";
	r.name = "123";
	r.requested = r.denied = "read";
	assert_int_equal(access_from_record(&r, &a), 0);
	assert_int_equal(a.cls, ACCESS_MQUEUE);
	assert_string_equal(a.f[1], "sysv");
	assert_string_equal(a.f[0], "123");
}

static void
test_class_names(void **state)
{
	int c;

	(void)state;
	for (c = ACCESS_FILE; c < ACCESS_NCLASSES; c++) {
		const char *n = access_class_name((enum access_class)c);

		assert_non_null(n);
		assert_int_equal(access_class_from_name(n), c);
	}
	assert_null(access_class_name(ACCESS_NCLASSES));
	assert_int_equal(access_class_from_name("bogus"), ACCESS_NONE);
	assert_int_equal(access_class_from_name(NULL), ACCESS_NONE);
	assert_string_equal(access_class_name(ACCESS_DBUS), "dbus");
}

/* ----------------------------------------------------------------- corpus */

/* Copy that fails the test instead of truncating. */
static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	assert_true(n < cap);
	memcpy(dst, src, n + 1);
}

static const char *const perm_words[] = {
	"create", "open", "delete", "read", "write", "bind", "listen",
	"accept", "connect", "send", "receive", "shutdown", "getattr",
	"setattr", "getopt", "setopt", "trace", "readby", "tracedby",
	"eavesdrop", "sqpoll", "override_creds",
};

static int
is_perm_word(const char *t)
{
	size_t i;

	for (i = 0; i < sizeof(perm_words) / sizeof(perm_words[0]); i++)
		if (strcmp(t, perm_words[i]) == 0)
			return 1;
	return 0;
}

#define MAXTOK 64

/* Split a non-file rule into tokens; () and , are list syntax. */
static int
tokens(const char *rule, char tok[MAXTOK][1024])
{
	char buf[4096], *p, *save = NULL;
	int n = 0;
	size_t i;

	size_t o = 0;

	/* "set=(term)" and "set=term" are the same condition */
	for (i = 0; rule[i] != '\0' && o + 1 < sizeof(buf); i++) {
		if (rule[i] == '(' && i > 0 && rule[i - 1] == '=')
			continue;
		buf[o++] = rule[i];
	}
	buf[o] = '\0';
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '(' || buf[i] == ')' || buf[i] == ',')
			buf[i] = ' ';
	for (p = strtok_r(buf, " ", &save); p != NULL && n < MAXTOK;
	    p = strtok_r(NULL, " ", &save)) {
		if (strncmp(p, "peer=", 5) == 0 && p[5] != '\0' &&
		    strchr(p + 5, '=') != NULL)
			p += 5;		/* peer=(label=x) -> label=x */
		copy_str(tok[n++], 1024, p);
	}
	return n;
}

static int
has_tok(char tok[MAXTOK][1024], int n, const char *t)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(tok[i], t) == 0)
			return 1;
	return 0;
}

/* "owner /path perms," or "owner link A -> B," split up */
struct frule {
	int	 owner, link;
	char	 path[4096];
	char	 perms[64];
	char	 target[4096];
};

static const char *
next_token(const char *p, char *out, size_t len)
{
	size_t n = 0;
	int inq = 0;

	while (*p == ' ')
		p++;
	while (*p != '\0' && (inq || (*p != ' ' && *p != ','))) {
		if (*p == '"')
			inq = !inq;
		if (n + 1 < len)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return p;
}

static void
strip_quotes(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

static int
split_file(const char *rule, struct frule *f)
{
	char t[4096];
	const char *p = rule;

	memset(f, 0, sizeof(*f));
	p = next_token(p, t, sizeof(t));
	if (strcmp(t, "audit") == 0)
		p = next_token(p, t, sizeof(t));
	if (strcmp(t, "owner") == 0) {
		f->owner = 1;
		p = next_token(p, t, sizeof(t));
	}
	if (strcmp(t, "link") == 0) {
		f->link = 1;
		p = next_token(p, f->path, sizeof(f->path));
		p = next_token(p, t, sizeof(t));	/* -> */
		next_token(p, f->target, sizeof(f->target));
		strcpy(f->perms, "l");
		strip_quotes(f->target);
	} else {
		copy_str(f->path, sizeof(f->path), t);
		next_token(p, f->perms, sizeof(f->perms));
	}
	strip_quotes(f->path);
	return f->path[0] == '/' || f->path[0] == '@';
}

/* Our file rule allows no more than the upstream one. */
static void
check_file(const char *name, const char *ours, const char *up)
{
	struct frule o, u;
	struct aare *a = NULL;
	uint64_t om, um;

	if (!split_file(up, &u))
		fail_msg("%s: upstream '%s' is a file rule, ours '%s' is not",
		    name, up, ours);
	if (!split_file(ours, &o))
		fail_msg("%s: '%s' is not a file rule (upstream '%s')", name,
		    ours, up);
	if (u.owner && !o.owner)
		fail_msg("%s: upstream is owner-only: '%s' vs '%s'", name,
		    ours, up);
	/* our path, as AARE, names the upstream (literal) path */
	assert_int_equal(aare_compile_path(o.path, strlen(o.path), NULL, &a,
	    NULL), 0);
	if (!aare_match(a, u.path, strlen(u.path)))
		fail_msg("%s: '%s' does not name '%s'", name, o.path, u.path);
	aare_free(a);
	om = mask_parse(o.perms) & MASK_PERMS;
	um = mask_parse(u.perms) & MASK_PERMS;
	assert_false(um & MASK_UNKNOWN);
	if (om & ~um)
		fail_msg("%s: '%s' grants more than '%s'", name, ours, up);
}

/* Our other rule: same class, every upstream condition, no extra perm. */
static void
check_other(const char *name, const char *ours, const char *up)
{
	static char ot[MAXTOK][1024], ut[MAXTOK][1024];
	int on = tokens(ours, ot), un = tokens(up, ut), i, j = 0;

	if (un > 0 && strcmp(ut[0], "audit") == 0)
		j = 1;
	if (on == 0 || un <= j || strcmp(ot[0], ut[j]) != 0)
		fail_msg("%s: class of '%s' differs from '%s'", name, ours, up);
	for (i = j + 1; i < un; i++) {
		if (strncmp(ut[i], "ip=", 3) == 0 ||
		    strncmp(ut[i], "port=", 5) == 0)
			continue;	/* 3.0.8 has no network addresses */
		if (strcmp(ut[i], "peer=") == 0)
			continue;	/* its contents are compared */
		if (is_perm_word(ut[i]))
			continue;
		if (!has_tok(ot, on, ut[i]))
			fail_msg("%s: '%s' lacks '%s' of '%s'", name, ours,
			    ut[i], up);
	}
	for (i = 1; i < on; i++)
		if (is_perm_word(ot[i]) && !has_tok(ut, un, ot[i]))
			fail_msg("%s: '%s' grants %s, '%s' does not", name,
			    ours, ot[i], up);
}

/* The rule lines of an upstream .profile (headers, hats, braces out). */
static int
upstream_rules(const char *path, char rules[8][4096])
{
	char line[8192];
	FILE *f = fopen(path, "re");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL && n < 8) {
		char *s = line;
		size_t l;

		while (*s == ' ' || *s == '\t')
			s++;
		l = strcspn(s, "\n");
		s[l] = '\0';
		if (l == 0 || *s == '#' || *s == '}' || *s == '^' ||
		    strncmp(s, "include", 7) == 0 ||
		    strncmp(s, "profile ", 8) == 0 || s[l - 1] == '{')
			continue;
		copy_str(rules[n++], 4096, s);
	}
	fclose(f);
	return n;
}

static const char *
parser_path(void)
{
	static const char *const where[] = {
		"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser",
	};
	const char *env = getenv("AALEARN_APPARMOR_PARSER");
	size_t i;

	if (env != NULL && env[0] != '\0')
		return env;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

static int
parser_accepts(char (*rules)[4096], size_t n)
{
	char path[] = "/tmp/aalearn-test-access-XXXXXX";
	const char *parser = parser_path();
	FILE *f;
	pid_t pid;
	int fd, status;
	size_t i;

	if (parser == NULL)
		return -1;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "profile aalearn_corpus {\n");
	for (i = 0; i < n; i++)
		fprintf(f, "  %s\n", rules[i]);
	fprintf(f, "}\n");
	assert_int_equal(fclose(f), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0 && getenv("AALEARN_TEST_VERBOSE") == NULL)
			dup2(null, 2);
		execl(parser, parser, "-QK", path, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
test_corpus(void **state)
{
	static struct record r;
	static struct record_state st;
	static char up[8][4096];
	static char accepted[256][4096];
	const char *corpus = getenv("AALEARN_CORPUS");
	char dir[1024], path[1600];
	struct dirent *e;
	DIR *d;
	size_t naccepted = 0;
	int cases = 0, compared = 0, unread = 0;

	(void)state;
	if (corpus == NULL)
		corpus = "../shared/corpus";
	snprintf(dir, sizeof(dir), "%s/libapparmor-test_multi", corpus);
	d = opendir(dir);
	if (d == NULL)
		fail_msg("corpus %s: set AALEARN_CORPUS", dir);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char line[20000], ours[RULE_LINE_MAX];
		const char *why = NULL;
		struct access a;
		FILE *f;
		int got = 0, nup, err, i;

		if (n < 4 || strcmp(e->d_name + n - 3, ".in") != 0)
			continue;
		cases++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "re");
		assert_non_null(f);
		memset(&st, 0, sizeof(st));
		while (!got && fgets(line, sizeof(line), f) != NULL) {
			size_t l = strcspn(line, "\r\n");

			if (l > 0 && record_parse(&st, &r, line, l) ==
			    RECORD_OK)
				got = 1;
		}
		fclose(f);
		snprintf(path, sizeof(path), "%s/%.*s.profile", dir,
		    (int)(n - 3), e->d_name);
		nup = upstream_rules(path, up);
		if (!got) {
			/* a record cut short in the corpus itself */
			unread += nup > 0;
			continue;
		}
		err = access_from_record(&r, &a);
		if (nup <= 0)
			continue;	/* upstream derives no rule */
		if (err != 0)
			fail_msg("%s: no access (%d) for '%s'", e->d_name, err,
			    up[0]);
		err = rule_format(&a, RULE_NEW_SYNTAX, ours, sizeof(ours),
		    &why);
		if (err < 0)
			fail_msg("%s: no rule: %s", e->d_name, why);
		for (i = 0; i < nup; i++) {
			if (ours[0] == '/' || ours[0] == '"' ||
			    strncmp(ours, "owner ", 6) == 0 ||
			    strncmp(ours, "link ", 5) == 0)
				check_file(e->d_name, ours, up[i]);
			else
				check_other(e->d_name, ours, up[i]);
		}
		compared++;
		/* the rule in 3.0.8's grammar, for the parser */
		err = rule_format(&a, 0, ours, sizeof(ours), &why);
		if (err == -EOPNOTSUPP)
			continue;
		if (err < 0)
			fail_msg("%s: no 3.0.8 rule: %s", e->d_name, why);
		assert_true(naccepted < 256);
		copy_str(accepted[naccepted++], 4096, ours);
	}
	closedir(d);
	print_message("corpus: %d cases, %d compared with upstream rules, "
	    "%d unread, %zu rules for apparmor_parser\n", cases, compared,
	    unread, naccepted);
	assert_true(cases >= 179);
	assert_true(compared >= 130);
	assert_true(unread <= 1);
	{
		int ok = parser_accepts(accepted, naccepted);

		if (ok < 0)
			print_message("apparmor_parser not installed: "
			    "skipped\n");
		else if (ok == 0)
			fail_msg("apparmor_parser refused the corpus rules");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_owner),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_other_classes),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
