/*
 * test_rule.c - escaping hostile names and formatting rules.
 *
 * Every hostile name must become a rule whose pattern, compiled with the
 * AARE matcher, matches exactly that name and none of its neighbours or of
 * a set of sensitive paths; apparmor_parser -QK must accept a profile that
 * holds all of them (the parser check is skipped only when no
 * apparmor_parser is installed; CI installs it).  Expected rule texts are
 * the shapes the upstream tools write in the corpus' .profile files, or
 * shapes apparmor_parser 3.0.8 was seen to accept.
 */
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

static const char *const sensitive[] = {
	"/etc/shadow", "/root/.ssh/id_rsa", "/proc/sys/kernel/core_pattern",
	"/var/run/docker.sock", "/", "/tmp", "/tmp/", "/etc/passwd",
};

static char long_name[4096 + 8];
static char long_ctl[4096];	/* 4 KiB of control bytes: \001 each */

static const char *hostile[] = {
	"/tmp/a b",
	"/tmp/a,b",
	"/tmp/x, /** rwx,",
	"/tmp/a\"b",
	"/tmp/{a,b}",
	"/tmp/{a}",
	"/tmp/[ab]",
	"/tmp/[^a]",
	"/tmp/*",
	"/tmp/**",
	"/tmp/?",
	"/tmp/@{HOME}",
	"/tmp/@{",
	"/tmp/@x",
	"/tmp/^hat",
	"/tmp/a\nb",
	"/tmp/a\tb",
	"/tmp/a\rb",
	"/tmp/\x01",
	"/tmp/\x7f",
	"/tmp/\x1b[31m",
	"/tmp/\xff\xfe",
	"/tmp/\xc0\xaf",		/* overlong '/' */
	"/tmp/\xed\xa0\x80",		/* UTF-16 surrogate */
	"/tmp/\xe2\x82",		/* truncated */
	"/tmp/caf\xc3\xa9",		/* valid UTF-8 */
	"/tmp/\xf0\x9f\x98\x80",	/* valid 4-byte UTF-8 */
	"/tmp/a\\b",
	"/tmp/a\\",
	"/tmp/a\\*",
	"/tmp/#x",
	"/tmp/a #b",
	"/tmp/a)b(",
	"/tmp/a$b",
	"/tmp/a=b",
	"/tmp/a\\052",
	"/tmp/\\0121",
	"/tmp/x\n/** rwx,\n/y",
	"/tmp/ends-with-slash/",
	long_name,
	long_ctl,
};

static const char *const bad_paths[] = {
	"",
	"relative/path",
	"pipe:[1234]",
	"/tmp//x",
	"/tmp/x//",
};

/* The AARE text of a quoted rule token (the quotes are rule syntax). */
static void
unquote(const char *q, char *out, size_t len)
{
	size_t n = strlen(q);

	if (n >= 2 && q[0] == '"' && q[n - 1] == '"') {
		assert_true(n - 2 < len);
		memcpy(out, q + 1, n - 2);
		out[n - 2] = '\0';
	} else {
		assert_true(n < len);
		memcpy(out, q, n + 1);
	}
}

/*
 * Neighbours of name that a narrow rule must not match: one byte more or
 * less, one byte changed, a sibling file, a subdirectory.
 */
static void
check_exact(const char *pattern, const char *name)
{
	static char nb[4096 + 64];
	struct aare *a = NULL;
	const char *err = NULL;
	size_t n = strlen(name), i;
	int r;

	r = aare_compile_path(pattern, strlen(pattern), NULL, &a, &err);
	if (r != 0)
		fail_msg("compile '%s': %d %s", pattern, r, err ? err : "");
	if (!aare_match(a, name, n))
		fail_msg("'%s' does not match its own name", pattern);
	for (i = 0; i < sizeof(sensitive) / sizeof(sensitive[0]); i++)
		if (strcmp(sensitive[i], name) != 0 &&
		    aare_match(a, sensitive[i], strlen(sensitive[i])))
			fail_msg("'%s' matches %s", pattern, sensitive[i]);
	/* one more byte */
	memcpy(nb, name, n);
	nb[n] = 'x';
	assert_false(aare_match(a, nb, n + 1));
	nb[n] = '/';
	assert_false(aare_match(a, nb, n + 1));
	/* one byte less */
	assert_false(aare_match(a, name, n - 1));
	/* each byte after "/tmp/" changed */
	for (i = 5; i < n; i++) {
		memcpy(nb, name, n);
		nb[i] = nb[i] == 'q' ? 'z' : 'q';
		if (aare_match(a, nb, n))
			fail_msg("'%s' matches a name changed at %zu", pattern,
			    i);
	}
	/* a subdirectory entry, and a sibling */
	memcpy(nb, name, n);
	memcpy(nb + n, "/x", 3);
	assert_false(aare_match(a, nb, n + 2));
	assert_false(aare_match(a, "/tmp/ab", 7) && strcmp(name, "/tmp/ab"));
	aare_free(a);
}

/*
 * The rule is one rule: its only ',' outside quotes and parentheses (the
 * permission and option lists) is the last byte.
 */
static void
check_one_rule(const char *rule)
{
	int inq = 0, esc = 0, paren = 0;
	size_t i, n = strlen(rule);

	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		char c = rule[i];

		assert_true(c != '\n' && c != '\r');
		if (esc) {
			esc = 0;
			continue;
		}
		if (c == '\\') {
			esc = 1;
			continue;
		}
		if (c == '"')
			inq = !inq;
		else if (c == '(' && !inq)
			paren++;
		else if (c == ')' && !inq)
			assert_true(--paren >= 0);
		else if (c == ',' && !inq && paren == 0 && i != n - 1)
			fail_msg("second rule in '%s'", rule);
		else if (c == '#' && !inq)
			fail_msg("comment in '%s'", rule);
	}
	assert_false(inq);
	assert_int_equal(paren, 0);
	assert_int_equal(rule[n - 1], ',');
}

static const char *
parser_path(void)
{
	static const char *const where[] = {
		"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser",
		"/usr/bin/apparmor_parser",
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

/* apparmor_parser -QK on a profile holding these rule lines: 1 ok, 0 not,
 * -1 no parser. */
static int
parser_accepts(const char *const *rules, size_t n)
{
	char path[] = "/tmp/aalearn-test-rule-XXXXXX";
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
	fprintf(f, "profile aalearn_test {\n");
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
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
	    getenv("AALEARN_TEST_KEEP") != NULL)
		fprintf(stderr, "kept %s\n", path);
	else
		unlink(path);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}


/*
 * What apparmor_parser itself makes of our rules: -D rule-exprs prints
 * each file rule's expression tree ("rule: PCRE  ->  TREE (0x...)").  A
 * literal name prints as its bytes (specials behind '\', non-printables as
 * \xH or \xHH); any glob, class or alternation prints with an unescaped
 * '(' or '['.  Decode the tree to bytes, or -1 when it is not a literal.
 */
static int
tree_decode(const char *t, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)t[i];

		if (o + 1 >= cap)
			return -1;
		if (c == '(' || c == '[')
			return -1;
		if (c != '\\') {
			out[o++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= n) {
			out[o++] = '\\';
			i++;
			continue;
		}
		c = (unsigned char)t[i + 1];
		i += 2;
		if (c == 'x') {
			unsigned v = 0;
			int k;

			for (k = 0; k < 2 && i < n && strchr("0123456789abcdef",
			    t[i]) != NULL && t[i] != '\0'; k++, i++)
				v = v * 16 + (unsigned)(t[i] <= '9' ?
				    t[i] - '0' : t[i] - 'a' + 10);
			out[o++] = (char)v;
		} else if (c == 'n') {
			out[o++] = '\n';
		} else if (c == 't') {
			out[o++] = '\t';
		} else if (c == 'r') {
			out[o++] = '\r';
		} else if (c == 'e') {
			out[o++] = 033;
		} else if (c == 'a') {
			out[o++] = '\a';
		} else if (c == 'f') {
			out[o++] = '\f';
		} else if (c == 'v') {
			out[o++] = '\v';
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* Names whose printed tree is unambiguous (see tree_decode). */
static int
tree_printable(const char *name)
{
	size_t i, n = strlen(name);

	if (strstr(name, "  ->  ") != NULL || strstr(name, " (0x") != NULL)
		return 0;
	/* the tree prints a literal backslash bare: "\\b" reads as "\b" */
	if (strchr(name, '\\') != NULL)
		return 0;
	for (i = 0; i + 1 < n; i++) {
		unsigned char c = (unsigned char)name[i];

		/* \xH followed by a hex digit reads as \xHH */
		if ((c < 0x20 || c >= 0x7f) && c != '\n' && c != '\t' &&
		    c != '\r' && strchr("0123456789abcdef", name[i + 1]))
			return 0;
	}
	return 1;
}

static void
parser_view(const char *const *names, size_t n)
{
	char path[] = "/tmp/aalearn-test-view-XXXXXX";
	static char out[1 << 20], q[3 * 4096 * 4], dec[8192];
	const char *parser = parser_path();
	size_t got = 0, i, found;
	int fd, pfd[2], status;
	FILE *f;
	pid_t pid;
	char *line;
	ssize_t r;

	if (parser == NULL)
		return;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "profile aalearn_view {\n");
	for (i = 0; i < n; i++) {
		assert_true(rule_quote_name(names[i], q, sizeof(q), NULL) > 0);
		fprintf(f, "  %s r,\n", q);
	}
	fprintf(f, "}\n");
	assert_int_equal(fclose(f), 0);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execl(parser, parser, "-QK", "-D", "rule-exprs", path,
		    (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while ((r = read(pfd[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)r;
	close(pfd[0]);
	out[got] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/*
	 * Every name shows up as a literal tree with exactly its bytes.  The
	 * left side may hold a raw newline, so rules are found by their
	 * markers, not by lines.
	 */
	for (i = 0; i < n; i++) {
		found = 0;
		for (line = strstr(out, "rule: "); line != NULL;
		    line = strstr(line + 6, "rule: ")) {
			char *arrow, *end;
			int d;

			arrow = strstr(line, "  ->  ");
			if (arrow == NULL)
				break;
			arrow += 6;
			end = strstr(arrow, " (0x");
			if (end == NULL)
				break;
			d = tree_decode(arrow, (size_t)(end - arrow), dec,
			    sizeof(dec));
			if (d >= 0 && (size_t)d == strlen(names[i]) &&
			    memcmp(dec, names[i], (size_t)d) == 0)
				found = 1;
		}
		if (!found)
			fail_msg("apparmor_parser does not read name %zu as "
			    "that literal", i);
	}
}

static void
setup_long(void)
{
	memcpy(long_name, "/tmp/", 5);
	memset(long_name + 5, 'L', 4096 - 5);
	long_name[100] = ' ';
	long_name[2000] = '*';
	long_name[4096] = '\0';
	memcpy(long_ctl, "/tmp/", 5);
	memset(long_ctl + 5, '\001', sizeof(long_ctl) - 6);
	long_ctl[sizeof(long_ctl) - 1] = '\0';
}

static struct access
file_access(const char *path, uint64_t mask)
{
	struct access a;
	int i;

	memset(&a, 0, sizeof(a));
	a.cls = ACCESS_FILE;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		a.f[i] = "";
	a.f[0] = path;
	a.mask = mask;
	return a;
}

static void
test_hostile_names(void **state)
{
	static char q[3 * 4096 * 4], aare[3 * 4096 * 4];
	static char rules[sizeof(hostile) / sizeof(hostile[0])][3 * 4096 * 4];
	const char *lines[sizeof(hostile) / sizeof(hostile[0])];
	size_t i;
	int r;

	(void)state;
	setup_long();
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const char *reason = NULL;
		struct access a = file_access(hostile[i], MASK_READ |
		    MASK_NOT_OWNER);

		r = rule_quote_name(hostile[i], q, sizeof(q), &reason);
		if (r < 0)
			fail_msg("name %zu refused: %s", i, reason);
		assert_int_equal((size_t)r, strlen(q));
		/* the profile stays printable text on one line */
		assert_null(strchr(q, '\n'));
		unquote(q, aare, sizeof(aare));
		check_exact(aare, hostile[i]);

		r = rule_format(&a, 0, rules[i], sizeof(rules[i]), &reason);
		if (r < 0)
			fail_msg("rule %zu refused: %s", i, reason);
		check_one_rule(rules[i]);
		/* the rule is the escaped name and " r," */
		assert_int_equal(strncmp(rules[i], q, strlen(q)), 0);
		assert_string_equal(rules[i] + strlen(q), " r,");
		lines[i] = rules[i];
	}
	r = parser_accepts(lines, i);
	if (r < 0)
		fprintf(stderr, "apparmor_parser not installed: skipped\n");
	else
		assert_int_equal(r, 1);

	/* and the parser reads each of them as exactly that name */
	{
		const char *view[sizeof(hostile) / sizeof(hostile[0])];
		size_t nv = 0;

		for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
			if (tree_printable(hostile[i]))
				view[nv++] = hostile[i];
		assert_true(nv >= 28);
		parser_view(view, nv);
	}
}

static void
test_refused_paths(void **state)
{
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		struct access a = file_access(bad_paths[i], MASK_READ);
		const char *reason = NULL;

		assert_int_equal(rule_format(&a, 0, buf, sizeof(buf), &reason),
		    -EINVAL);
		assert_non_null(reason);
		assert_string_equal(buf, "");
	}
	assert_int_equal(rule_quote_name("", buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(rule_quote_name(NULL, buf, sizeof(buf), NULL),
	    -EINVAL);
	/* too small a buffer */
	assert_int_equal(rule_quote_name("/tmp/abc", buf, 5, NULL), -ENOSPC);
	{
		struct access a = file_access("/tmp/abc", MASK_READ);

		assert_int_equal(rule_format(&a, 0, buf, 8, NULL), -ENOSPC);
	}
}

struct want {
	struct access	 a;
	unsigned	 flags;
	const char	*rule;		/* NULL: refused */
	int		 err;
};


static struct access
mk(enum access_class cls, uint64_t mask, const char *f0, const char *f1,
    const char *f2, const char *f3, const char *f4, const char *f5)
{
	struct access a;

	memset(&a, 0, sizeof(a));
	a.cls = cls;
	a.mask = mask;
	a.f[0] = f0;
	a.f[1] = f1;
	a.f[2] = f2;
	a.f[3] = f3;
	a.f[4] = f4;
	a.f[5] = f5;
	return a;
}

static void
test_classes(void **state)
{
	const uint64_t NO = MASK_NOT_OWNER;
	struct want w[] = {
		/* file: c and d are granted by w */
		{ mk(ACCESS_FILE, MASK_CREATE | NO, "/home/b.c", "", "", "",
		    "", ""), 0, "/home/b.c w,", 0 },
		{ mk(ACCESS_FILE, MASK_CREATE, "/home/b.c", "", "", "", "",
		    ""), 0, "owner /home/b.c w,", 0 },
		{ mk(ACCESS_FILE, MASK_APPEND | NO, "/var/log/x", "", "", "",
		    "", ""), 0, "/var/log/x a,", 0 },
		{ mk(ACCESS_FILE, MASK_APPEND | MASK_DELETE | NO, "/v/x", "",
		    "", "", "", ""), 0, "/v/x w,", 0 },
		{ mk(ACCESS_FILE, MASK_LOCK | NO, "/var/run/samba/unexpected.tdb",
		    "", "", "", "", ""), 0, "/var/run/samba/unexpected.tdb k,",
		    0 },
		{ mk(ACCESS_FILE, MASK_MMAP | MASK_READ | NO, "/lib/x.so", "",
		    "", "", "", ""), 0, "/lib/x.so mr,", 0 },
		{ mk(ACCESS_FILE, MASK_LINK, "/tmp/l", "/tmp/t", "", "", "",
		    ""), 0, "owner link /tmp/l -> /tmp/t,", 0 },
		{ mk(ACCESS_FILE, MASK_LINK | NO, "/tmp/target", "", "", "",
		    "", ""), 0, "/tmp/target l,", 0 },
		{ mk(ACCESS_FILE, MASK_SEND | NO, "/tmp/x", "", "", "", "", ""),
		    0, NULL, -EINVAL },
		{ mk(ACCESS_FILE, MASK_READ | MASK_UNKNOWN | NO, "/tmp/x", "",
		    "", "", "", ""), 0, NULL, -EINVAL },
		{ mk(ACCESS_FILE, NO, "/tmp/x", "", "", "", "", ""), 0, NULL,
		    -EINVAL },
		/* exec */
		{ mk(ACCESS_EXEC, MASK_EXEC | MASK_READ | MASK_MMAP | NO,
		    "/usr/bin/rm", "/home/cb/bin/hello.sh//null-/usr/bin/rm",
		    "", "", "", ""), 0, "/usr/bin/rm mrix,", 0 },
		{ mk(ACCESS_EXEC, MASK_EXEC | MASK_EXEC_PROFILE | NO,
		    "/usr/bin/x", "x_profile", "", "", "", ""), 0,
		    "/usr/bin/x px -> x_profile,", 0 },
		{ mk(ACCESS_EXEC, MASK_EXEC | MASK_EXEC_CHILD | NO,
		    "/usr/bin/y", "p//null-/usr/bin/y", "", "", "", ""), 0,
		    "/usr/bin/y cx,", 0 },
		{ mk(ACCESS_EXEC, MASK_EXEC | MASK_EXEC_PROFILE |
		    MASK_EXEC_CHILD | NO, "/usr/bin/x", "", "", "", "", ""), 0,
		    NULL, -EINVAL },
		/* capability */
		{ mk(ACCESS_CAPABILITY, 0, "net_bind_service", "", "", "", "",
		    ""), 0, "capability net_bind_service,", 0 },
		{ mk(ACCESS_CAPABILITY, 0, "sys_admin, /** rwx", "", "", "",
		    "", ""), 0, NULL, -EINVAL },
		{ mk(ACCESS_CAPABILITY, 0, "fly", "", "", "", "", ""), 0, NULL,
		    -EINVAL },
		/* network: 3.0.8 has no permissions in network rules */
		{ mk(ACCESS_NETWORK, MASK_SEND, "inet6", "stream", "6", "", "",
		    ""), 0, "network inet6 stream,", 0 },
		{ mk(ACCESS_NETWORK, 0, "packet", "raw", "768", "", "", ""), 0,
		    "network packet raw,", 0 },
		{ mk(ACCESS_NETWORK, MASK_SEND, "inet6", "stream", "6", "", "",
		    ""), RULE_NEW_SYNTAX, "network (send) inet6 stream,", 0 },
		{ mk(ACCESS_NETWORK, 0, "family", "unknown(1234)", "", "", "",
		    ""), 0, NULL, -EINVAL },
		{ mk(ACCESS_NETWORK, 0, "inet", "unknown(1234)", "", "", "",
		    ""), 0, NULL, -EINVAL },
		/* unix */
		{ mk(ACCESS_UNIX, MASK_CONNECT | MASK_RECEIVE | MASK_SEND,
		    "stream", "", "@test_abstract_socket", "", "", ""), 0,
		    "unix (connect, send, receive) type=stream "
		    "peer=(addr=@test_abstract_socket),", 0 },
		{ mk(ACCESS_UNIX, MASK_BIND, "stream", "@test_abstract_socket",
		    "", "", "", ""), 0,
		    "unix (bind) type=stream addr=@test_abstract_socket,", 0 },
		{ mk(ACCESS_UNIX, MASK_SEND, "stream", "", "", "unconfined", "",
		    ""), 0, "unix (send) type=stream peer=(label=unconfined),",
		    0 },
		{ mk(ACCESS_UNIX, 0, "stream", "", "", "", "", ""), 0, NULL,
		    -EINVAL },
		/* signal */
		{ mk(ACCESS_SIGNAL, MASK_SEND, "term",
		    "/usr/bin/pulseaudio///usr/lib/pulseaudio/pulse/gconf-helper",
		    "", "", "", ""), 0,
		    "signal (send) set=(term) peer=/usr/bin/pulseaudio///usr/"
		    "lib/pulseaudio/pulse/gconf-helper,", 0 },
		{ mk(ACCESS_SIGNAL, MASK_RECEIVE, "rtmin+3", "unconfined", "",
		    "", "", ""), 0,
		    "signal (receive) set=(rtmin+3) peer=unconfined,", 0 },
		{ mk(ACCESS_SIGNAL, MASK_RECEIVE, "term) peer=(**", "unconfined",
		    "", "", "", ""), 0, NULL, -EINVAL },
		{ mk(ACCESS_SIGNAL, 0, "term", "unconfined", "", "", "", ""), 0,
		    NULL, -EINVAL },
		/* ptrace */
		{ mk(ACCESS_PTRACE, MASK_TRACEDBY,
		    "/home/ubuntu/bzr/apparmor/tests/regression/apparmor/ptrace",
		    "", "", "", "", ""), 0,
		    "ptrace (tracedby) peer=/home/ubuntu/bzr/apparmor/tests/"
		    "regression/apparmor/ptrace,", 0 },
		{ mk(ACCESS_PTRACE, 0, "unconfined", "", "", "", "", ""), 0,
		    NULL, -EINVAL },
		/* mount */
		{ mk(ACCESS_MOUNT, 0, "mount", "ext2", "/dev/loop0/",
		    "/tmp/sdtest.19033-29001-MPfz98/mountpoint/", "rw, mand",
		    ""), 0, "mount fstype=ext2 options=(mand, rw) /dev/loop0/ "
		    "-> /tmp/sdtest.19033-29001-MPfz98/mountpoint/,", 0 },
		{ mk(ACCESS_MOUNT, 0, "remount", "", "", "/tmp/foo/",
		    "ro, remount", ""), 0,
		    "mount options=(remount, ro) -> /tmp/foo/,", 0 },
		{ mk(ACCESS_MOUNT, 0, "mount", "", "", "/newroot/dev/",
		    "rw, nosuid, nodev, remount, bind, silent, relatime, rw",
		    ""), 0, "mount options=(bind, nodev, nosuid, relatime, "
		    "remount, rw, silent) -> /newroot/dev/,", 0 },
		{ mk(ACCESS_MOUNT, 0, "umount", "", "", "/mnt/a/", "", ""), 0,
		    "umount /mnt/a/,", 0 },
		{ mk(ACCESS_MOUNT, 0, "pivot_root", "", "/n/put_old/", "/n/",
		    "", ""), 0, "pivot_root oldroot=/n/put_old/ /n/,", 0 },
		{ mk(ACCESS_MOUNT, 0, "mount", "", "", "/x/", "rw) /** (", ""),
		    0, NULL, -EINVAL },
		/* dbus */
		{ mk(ACCESS_DBUS, MASK_SEND, "system", "/org/freedesktop/DBus",
		    "org.freedesktop.DBus", "Hello", "unconfined",
		    "org.freedesktop.DBus"), 0,
		    "dbus (send) bus=system path=/org/freedesktop/DBus "
		    "interface=org.freedesktop.DBus member=Hello "
		    "peer=(label=unconfined),", 0 },
		{ mk(ACCESS_DBUS, MASK_BIND, "session", "", "", "", "",
		    "com.apparmor.Test"), 0,
		    "dbus (bind) bus=session name=com.apparmor.Test,", 0 },
		{ mk(ACCESS_DBUS, MASK_EAVESDROP, "session", "/x", "", "", "",
		    ""), 0, "dbus (eavesdrop) bus=session,", 0 },
		{ mk(ACCESS_DBUS, 0, "session", "/x", "", "", "", ""), 0, NULL,
		    -EINVAL },
		/* change_profile */
		{ mk(ACCESS_CHANGE_PROFILE, 0, "php-fpm//webapp", "", "", "",
		    "", ""), 0, "change_profile -> php-fpm//webapp,", 0 },
		/* only in AppArmor 4 syntax */
		{ mk(ACCESS_USERNS, MASK_CREATE, "create", "", "", "", "", ""),
		    0, NULL, -EOPNOTSUPP },
		{ mk(ACCESS_USERNS, MASK_CREATE, "create", "", "", "", "", ""),
		    RULE_NEW_SYNTAX, "userns create,", 0 },
		{ mk(ACCESS_IO_URING, MASK_SQPOLL, "sqpoll", "", "", "", "",
		    ""), 0, NULL, -EOPNOTSUPP },
		{ mk(ACCESS_IO_URING, MASK_OVERRIDE_CREDS, "override", "/x/y",
		    "", "", "", ""), RULE_NEW_SYNTAX,
		    "io_uring (override_creds) label=/x/y,", 0 },
		{ mk(ACCESS_MQUEUE, MASK_CREATE, "/queuename", "posix", "", "",
		    "", ""), RULE_NEW_SYNTAX,
		    "mqueue (create) type=posix /queuename,", 0 },
		{ mk(ACCESS_MQUEUE, MASK_READ, "123", "sysv", "", "", "", ""),
		    RULE_NEW_SYNTAX, "mqueue (read) type=sysv 123,", 0 },
		{ mk(ACCESS_MQUEUE, MASK_READ, "/q", "posix", "", "", "", ""),
		    0, NULL, -EOPNOTSUPP },
	};
	const char *ok[sizeof(w) / sizeof(w[0])];
	static char out[sizeof(w) / sizeof(w[0])][512];
	size_t i, nok = 0;

	(void)state;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		const char *reason = NULL;
		int r = rule_format(&w[i].a, w[i].flags, out[i],
		    sizeof(out[i]), &reason);

		if (w[i].rule == NULL) {
			if (r != w[i].err)
				fail_msg("case %zu: got %d '%s', want %d", i,
				    r, out[i], w[i].err);
			assert_non_null(reason);
			continue;
		}
		if (r < 0)
			fail_msg("case %zu: %d %s", i, r, reason);
		if (strcmp(out[i], w[i].rule) != 0)
			fail_msg("case %zu: got '%s' want '%s'", i, out[i],
			    w[i].rule);
		check_one_rule(out[i]);
		if (!(w[i].flags & RULE_NEW_SYNTAX))
			ok[nok++] = out[i];
	}
	if (parser_accepts(ok, nok) == 0)
		fail_msg("apparmor_parser refused the class rules");
}

/* Hostile strings in labels, D-Bus fields and mount points. */
static void
test_hostile_fields(void **state)
{
	static const char *const evil[] = {
		"a b", "x, /** rwx,", "q\"uote", "{a,b}", "[x]", "*", "@{HOME}",
		"^hat", "new\nline", "\xff\xfe", "back\\slash", "#c", "p)a(r",
	};
	static char out[64][1024];
	const char *lines[64];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		struct access as[4];
		size_t k;

		as[0] = mk(ACCESS_SIGNAL, MASK_SEND, "term", evil[i], "", "",
		    "", "");
		as[1] = mk(ACCESS_DBUS, MASK_SEND, "system", "/org/x",
		    "org.x", evil[i], evil[i], "");
		as[2] = mk(ACCESS_CHANGE_PROFILE, 0, evil[i], "", "", "", "",
		    "");
		as[3] = mk(ACCESS_UNIX, MASK_CONNECT, "stream", "", "",
		    evil[i], "", "");
		for (k = 0; k < 4; k++) {
			const char *reason = NULL;
			int r = rule_format(&as[k], 0, out[n], sizeof(out[n]),
			    &reason);

			if (r < 0)
				fail_msg("'%s' class %d: %s", evil[i],
				    as[k].cls, reason);
			check_one_rule(out[n]);
			lines[n] = out[n];
			n++;
		}
	}
	assert_true(n <= 64);
	if (parser_accepts(lines, n) == 0)
		fail_msg("apparmor_parser refused hostile labels");
}

static void
test_pattern_flag(void **state)
{
	char buf[256];
	struct access a = file_access("/tmp/upload.*", MASK_WRITE |
	    MASK_NOT_OWNER);
	const char *reason = NULL;

	(void)state;
	assert_int_equal(rule_format(&a, RULE_PATTERN, buf, sizeof(buf),
	    &reason), (int)strlen("/tmp/upload.* w,"));
	assert_string_equal(buf, "/tmp/upload.* w,");
	/* the same text as a literal name is escaped */
	assert_true(rule_format(&a, 0, buf, sizeof(buf), &reason) > 0);
	assert_string_equal(buf, "\"/tmp/upload.\\*\" w,");
	a.f[0] = "@{PROC}/@{pid}/status";
	assert_true(rule_format(&a, RULE_PATTERN, buf, sizeof(buf),
	    &reason) > 0);
	assert_string_equal(buf, "@{PROC}/@{pid}/status w,");
	a.f[0] = "/tmp/a\"b";
	assert_int_equal(rule_format(&a, RULE_PATTERN, buf, sizeof(buf),
	    &reason), -EINVAL);
	a.f[0] = "/tmp/a\nb";
	assert_int_equal(rule_format(&a, RULE_PATTERN, buf, sizeof(buf),
	    &reason), -EINVAL);
	/* a pattern that is not AARE */
	a.f[0] = "/tmp/{a}";
	assert_int_equal(rule_format(&a, RULE_PATTERN, buf, sizeof(buf),
	    &reason), -EINVAL);
	a.f[0] = "/tmp/[*]";
	assert_int_equal(rule_format(&a, RULE_PATTERN, buf, sizeof(buf),
	    &reason), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_refused_paths),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_hostile_fields),
		cmocka_unit_test(test_pattern_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
