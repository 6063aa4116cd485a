/*
 * test_aare.c - the AARE matcher against cases with known answers.
 *
 * The expected answers come from apparmor.d(5) (globbing section and the
 * "Paths and Globbing" examples) and from what apparmor_parser 3.0.8 on
 * this machine compiles each pattern into (apparmor_parser -QK
 * -D rule-exprs), not from the matcher itself.
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
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
	{ "/x/[c-a]", "/x/b", 1 },	/* the parser swaps a reversed range */
	{ "/x/[-a]", "/x/-", 1 },
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
	/* nor is a star that opens an alternative after one ending in '/'
	 * (found by the random parser comparison) */
	{ "/{b/,*/x}", "//x", 1 },
	{ "/x/{*/,b}", "/x//", 1 },
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


/*
 * Patterns apparmor_parser takes but mistranslates ("[*]" compiles to
 * "[[^/]*]": a class of NUL, '/', '[' and '^' repeated, then ']'): the
 * matcher refuses them rather than guess.
 */
static const char *const unmodelled[] = {
	"/tmp/[*]",
	"/tmp/[a?]",
};

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
	"/tmp/[a-]",
	"/tmp/@{undefined}",
	"/tmp/@{bad name}",
	"/tmp/@{x",
};

/* -------------------------------------------------------------------
 * The real thing: apparmor_parser compiles a profile holding one rule
 * into a DFA and prints it (-D dfa-states):
 *   {N} (0x ...)                                 accepting (listed first)
 *   {N} perms: none | {N} perms:  (0x ...)      a state, accepting or not
 *       C 0xHH -> {M}  /  0xHH -> {M}            one byte
 *       [^...] -> {M}                            every other byte but ...
 *       [] -> {M}                                every other byte
 * Running names through that DFA says what the kernel would allow; the
 * matcher must say the same for every pattern and name below.
 */
#define DFA_MAX 4096

struct dfa {
	int	 n;
	int	 accept[DFA_MAX];
	int	 next[DFA_MAX][256];
};

static const char *
dfa_parser(void)
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
hexd(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "[^\x0/]" or "[abc]": the bytes it stands for. */
static void
dfa_class(const char *p, const char *end, unsigned char set[256])
{
	int neg = 0, c;

	memset(set, 0, 256);
	assert_true(*p == '[');
	p++;
	if (*p == '^') {
		neg = 1;
		p++;
	}
	while (p < end && *p != ']') {
		if (*p == '\\' && p + 1 < end) {
			p++;
			if (*p == 'x' && p + 1 < end && hexd(p[1]) >= 0) {
				c = hexd(p[1]);
				p += 2;
				if (p < end && hexd(*p) >= 0)
					c = c * 16 + hexd(*p++);
			} else {
				c = (unsigned char)*p++;
			}
		} else {
			c = (unsigned char)*p++;
		}
		set[c] = 1;
	}
	assert_true(p < end);	/* the closing ']' */
	/*
	 * The dump prints a default move as the bytes it leaves out:
	 * "[^\x0/]" covers all but NUL and '/', and "[]" leaves out
	 * nothing.  Any other positive list is a shape we do not know.
	 */
	if (!neg) {
		for (c = 0; c < 256; c++)
			assert_false(set[c]);
		neg = 1;
	}
	if (neg)
		for (c = 0; c < 256; c++)
			set[c] = !set[c];
}

static int
dfa_state(char *s)
{
	assert_true(s[0] == '{');
	return atoi(s + 1);
}

/* 1 ok, 0 parser refused the profile, -1 no parser, -2 parser too slow */
static int
dfa_build(const char *preamble, const char *pattern, struct dfa *d)
{
	char path[] = "/tmp/aalearn-test-dfa-XXXXXX";
	static char out[1 << 20];
	const char *parser = dfa_parser();
	char *line, *save = NULL;
	int fd, pfd[2], status, cur = -1, i, c;
	size_t got = 0;
	ssize_t r;
	FILE *f;
	pid_t pid;

	if (parser == NULL)
		return -1;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "%sprofile aalearn_dfa {\n  \"%s\" r,\n}\n", preamble,
	    pattern);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		/* its own group: the parser forks a worker, and both go
		 * when it takes too long */
		setpgid(0, 0);
		execl(parser, parser, "-QK", "-D", "dfa-states", path,
		    (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);
	{
		/* some patterns make the parser's DFA build run for
		 * minutes: give up on those after 20 s */
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		int waited = 0, timedout = 0;

		for (;;) {
			int pr = poll(&pf, 1, 1000);

			if (pr == 0) {
				if (++waited >= 20) {
					timedout = 1;
					break;
				}
				continue;
			}
			r = read(pfd[0], out + got, sizeof(out) - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (timedout)
			kill(-pid, SIGKILL);
		close(pfd[0]);
		out[got] = '\0';
		assert_int_equal(waitpid(pid, &status, 0), pid);
		unlink(path);
		if (timedout)
			return -2;
	}
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < DFA_MAX; i++) {
		for (c = 0; c < 256; c++)
			d->next[i][c] = -1;
	}
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *arrow;

		if (line[0] == '{' && strstr(line, " perms:") == NULL &&
		    strstr(line, "} (0x") != NULL) {
			/* the list of accepting states heading the dump
			 * (states without moves have no block below) */
			i = dfa_state(line);
			assert_true(i > 0 && i < DFA_MAX);
			d->accept[i] = 1;
			if (i >= d->n)
				d->n = i + 1;
			continue;
		}
		if (line[0] == '{' && strstr(line, " perms:") != NULL) {
			cur = dfa_state(line);
			assert_true(cur > 0 && cur < DFA_MAX);
			d->accept[cur] = strstr(line, "perms: none") == NULL;
			if (cur >= d->n)
				d->n = cur + 1;
			continue;
		}
		if (strncmp(line, "    ", 4) != 0 || cur < 0)
			continue;
		arrow = strstr(line, " -> {");
		assert_non_null(arrow);
		{
			int to = dfa_state(arrow + 4);
			char *p = line + 4;

			assert_true(to > 0 && to < DFA_MAX);
			if (to >= d->n)
				d->n = to + 1;
			/* a byte '[' prints escaped ("\\[ 0x5b"): a line
			 * opening with '[' is the default move */
			if (*p == '[') {
				unsigned char set[256];

				dfa_class(p, arrow, set);
				for (c = 0; c < 256; c++)
					if (set[c] && d->next[cur][c] < 0)
						d->next[cur][c] = -2 - to;
				continue;
			}
			/* one byte: the last "0xHH" before the arrow */
			{
				char *q, *hx = NULL;

				for (q = p; q + 2 < arrow; q++)
					if (q[0] == '0' && q[1] == 'x' &&
					    (q == p || q[-1] == ' '))
						hx = q;
				assert_non_null(hx);
				c = (int)strtol(hx + 2, NULL, 16);
				assert_true(c >= 0 && c < 256);
				d->next[cur][c] = to;
			}
		}
	}
	/* class (default) moves were marked -2 - to: explicit bytes win */
	for (i = 0; i < d->n; i++)
		for (c = 0; c < 256; c++)
			if (d->next[i][c] <= -2)
				d->next[i][c] = -2 - d->next[i][c];
	assert_true(d->n > 1);
	return 1;
}

static int
dfa_run(const struct dfa *d, const char *name, size_t n)
{
	int s = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		s = d->next[s][(unsigned char)name[i]];
		if (s < 0)
			return 0;
	}
	return d->accept[s];
}

static const char *const oracle_patterns[] = {
	"/tmp/*", "/tmp/**", "/tmp/*bar", "/*/foo", "/tmp/a*", "/some/**/",
	"/some/**[^/]", "/a**b", "/dir", "/dir/", "/a?b", "/home[01]/*/.plan",
	"/x/[a-c]", "/x/[-a]", "/x/[^a]", "/x[^a]y", "/x/[\\]]",
	"/{usr,www}/pages/**", "/x{,.bak}", "/{a,{b,c}}", "/{a,b}{c,d}",
	"/{a/*,b}", "/a,b", "/a^b$c", "/a.b", "/a+(b)|c", "/a\\*b",
	"/a\\{b\\}", "/a\\?", "/a\\012b", "/a\\x41", "/a\\052", "/a\\q",
	"/a\\/*", "/tmp/**/x", "/tmp/*/*/", "/t/{*,**/x}", "/t/*{a,b/}",
	"/t/{,x/}*", "/t/***", "/t/**.log", "/t//x",
	"@{H}/.ssh/*", "/x/@{H}/y", "@{L}/z", "/q/@{M}/w", "/q/@{M}w",
	"@{P}/@{pid}/status", "@{H}", "@{H}*",
};

static const char *const oracle_preamble =
    "@{H}=/root/ /home/x/\n@{L}=/l1 /l2/\n@{M}=a// b\n@{P}=/proc\n"
    "@{pid}={[1-9],[1-9][0-9]}\n";

static void
test_parser_oracle(void **state)
{
	static struct dfa d;
	static const char *const extra[] = {
		"/", "//", "/tmp", "/tmp/", "/tmp//", "/tmp/a", "/tmp/a/",
		"/tmp/a/b", "/tmp/a/b/", "/tmp/x", "/tmp/a/x", "/tmp/a/b/x",
		"/tmp/bar", "/tmp/xbar", "/tmp//x", "/t/x", "/t/a", "/t/b/",
		"/t/", "/t/*", "/t/x/x", "/t/a.log", "/t/a/b.log", "/t/.log",
		"/t/ab/", "/t//x", "/root/.ssh/id", "/home/x/.ssh/id",
		"/home/.ssh/id", "/root//.ssh/id", "/x/root/y", "/x/home/x/y",
		"/l1/z", "/l2/z", "/l2//z", "/q/a/w", "/q/b/w", "/q/aw",
		"/q/a/bw", "/q/bw", "/proc/1/status", "/proc/12/status",
		"/proc/0/status", "/proc/123/status", "/root/", "/root",
		"/home/x/", "/root/x", "/home/x/y", "/a/", "/a*b", "/axb",
		"/a{b}", "/a?", "/ax", "/a\nb", "/aA", "/a*", "/ab", "/aq",
		"/a/x", "/a/", "/a,b", "/a^b$c", "/a+(b)|c", "/x/]", "/x/b",
		"/x/a", "/x/-", "/x/y", "/x/yz", "/xby", "/x/y/", "/dir",
		"/dir/", "/dir/x", "/a/x/y/b", "/ab", "/x", "/x.bak", "/x.b",
		"/b", "/c", "/d", "/bd", "/ac", "/a/q", "/usr/pages/a",
		"/www/pages/x/y", "/srv/pages/a", "/some/a/", "/some/a/b",
		"/some/a", "/some//", "/home0/u/.plan", "/home2/u/.plan",
		"/tmp/a/b/c/x", "/tmp/x/", "/t/a/", "/t/x/", "/t/x/y/",
	};
	struct aare_vars *v = aare_vars_new();
	size_t i, j, k, names = 0, checks = 0, refused = 0, npat;
	int r;

	(void)state;
	assert_int_equal(aare_vars_set(v, "H", "/root/"), 0);
	assert_int_equal(aare_vars_add(v, "H", "/home/x/"), 0);
	assert_int_equal(aare_vars_set(v, "L", "/l1"), 0);
	assert_int_equal(aare_vars_add(v, "L", "/l2/"), 0);
	assert_int_equal(aare_vars_set(v, "M", "a//"), 0);
	assert_int_equal(aare_vars_add(v, "M", "b"), 0);
	assert_int_equal(aare_vars_set(v, "P", "/proc"), 0);
	assert_int_equal(aare_vars_set(v, "pid", "{[1-9],[1-9][0-9]}"), 0);
	for (i = 0; i < sizeof(oracle_patterns) / sizeof(oracle_patterns[0]) +
	    sizeof(cases) / sizeof(cases[0]); i++) {
		size_t no = sizeof(oracle_patterns) / sizeof(oracle_patterns[0]);
		const char *pat = i < no ? oracle_patterns[i] :
		    cases[i - no].pattern;
		struct aare *a = NULL;

		/* the table's patterns too (file rules start with '/') */
		if (pat[0] != '/' && pat[0] != '@')
			continue;

		r = dfa_build(oracle_preamble, pat, &d);
		if (r == -2)
			fail_msg("apparmor_parser too slow on '%s'", pat);
		if (r < 0) {
			print_message("apparmor_parser not installed: "
			    "skipped\n");
			break;
		}
		if (r == 0) {
			/* what the parser refuses, the matcher refuses */
			if (aare_compile_path(pat, strlen(pat), v, &a,
			    NULL) == 0)
				fail_msg("apparmor_parser refused '%s'", pat);
			refused++;
			continue;
		}
		if (aare_compile_path(pat, strlen(pat), v, &a, NULL) != 0)
			fail_msg("apparmor_parser took '%s', aare did not",
			    pat);
		for (k = 0; k < 2; k++) {
			size_t nn = k == 0 ?
			    sizeof(cases) / sizeof(cases[0]) :
			    sizeof(extra) / sizeof(extra[0]);

			for (j = 0; j < nn; j++) {
				const char *name = k == 0 ? cases[j].name :
				    extra[j];
				size_t len = strlen(name);

				if (len == 0)
					continue;
				if (dfa_run(&d, name, len) !=
				    (int)aare_match(a, name, len))
					fail_msg("'%s' vs '%s': parser %d, "
					    "aare %d", pat, name,
					    dfa_run(&d, name, len),
					    (int)aare_match(a, name, len));
				checks++;
			}
			names += nn;
		}
		aare_free(a);
	}
	npat = i;
	/* and every pattern the matcher refuses, the parser refuses */
	for (i = 0; r >= 0 && i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dfa_build(oracle_preamble, bad[i], &d) != 0)
			fail_msg("apparmor_parser took '%s'", bad[i]);
	/* but for these, which the parser mistranslates */
	for (i = 0; r >= 0 && i < sizeof(unmodelled) / sizeof(unmodelled[0]);
	    i++) {
		struct aare *a = NULL;

		assert_int_equal(dfa_build(oracle_preamble, unmodelled[i], &d),
		    1);
		assert_false(dfa_run(&d, "/tmp/*", 6));	/* not a class */
		assert_int_equal(aare_compile(unmodelled[i],
		    strlen(unmodelled[i]), NULL, &a, NULL), -EINVAL);
	}
	aare_vars_free(v);
	print_message("parser oracle: %zu patterns (%zu refused by both), "
	    "%zu checks\n", npat, refused, checks);
	(void)names;
}


/* Random small patterns over a, b, '/', globs, classes and groups. */
static unsigned long rnd_state = 12345;

static unsigned
rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rnd_state >> 33) % n);
}

static void
gen_seq(char *p, size_t cap, int depth)
{
	static const char *const atoms[] = {
		"a", "b", "/", "/", "*", "**", "?", "[ab]", "[^a]", "\\*",
		"@{S}", "@{T}", "@{U}",
	};
	unsigned k = rnd(4), i;

	for (i = 0; i < k; i++) {
		if (depth < 2 && rnd(5) == 0) {
			unsigned alts = 2 + rnd(2), j;

			strncat(p, "{", cap - strlen(p) - 1);
			for (j = 0; j < alts; j++) {
				if (j > 0)
					strncat(p, ",", cap - strlen(p) - 1);
				gen_seq(p, cap, depth + 1);
			}
			strncat(p, "}", cap - strlen(p) - 1);
		} else {
			strncat(p, atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))],
			    cap - strlen(p) - 1);
		}
	}
}

static const char *const rnd_preamble =
    "@{S}=/a/ b\n@{T}=a\n@{U}=/ a//\n";

static void
test_parser_random(void **state)
{
	static struct dfa d;
	static char names[1 << 11][8];
	size_t nn = 0, len, i, j, checks = 0, slow = 0;
	const char *env = getenv("AALEARN_RANDOM_PATTERNS");
	struct aare_vars *v = aare_vars_new();
	int t, r, count = env != NULL ? atoi(env) : 120;

	(void)state;
	assert_non_null(v);
	assert_int_equal(aare_vars_set(v, "S", "/a/"), 0);
	assert_int_equal(aare_vars_add(v, "S", "b"), 0);
	assert_int_equal(aare_vars_set(v, "T", "a"), 0);
	assert_int_equal(aare_vars_set(v, "U", "/"), 0);
	assert_int_equal(aare_vars_add(v, "U", "a//"), 0);
	if (env != NULL && getenv("AALEARN_RANDOM_SEED") != NULL)
		rnd_state = strtoul(getenv("AALEARN_RANDOM_SEED"), NULL, 10);
	if (dfa_parser() == NULL) {
		print_message("apparmor_parser not installed: skipped\n");
		return;
	}
	/* every name "/" + up to 5 of a, b, '/' */
	for (len = 0; len <= 5; len++) {
		size_t total = 1, c;

		for (i = 0; i < len; i++)
			total *= 3;
		for (c = 0; c < total; c++) {
			size_t x = c;

			names[nn][0] = '/';
			for (i = 0; i < len; i++, x /= 3)
				names[nn][1 + i] = "ab/"[x % 3];
			names[nn][1 + len] = '\0';
			nn++;
		}
	}
	for (t = 0; t < count; t++) {
		char pat[256] = "/";
		struct aare *a = NULL;

		gen_seq(pat, sizeof(pat), 0);
		r = dfa_build(rnd_preamble, pat, &d);
		if (r == -2) {
			slow++;
			continue;
		}
		if (r == 0) {
			if (aare_compile_path(pat, strlen(pat), v, &a,
			    NULL) == 0)
				fail_msg("apparmor_parser refused '%s'", pat);
			continue;
		}
		if (aare_compile_path(pat, strlen(pat), v, &a, NULL) != 0)
			fail_msg("apparmor_parser took '%s', aare did not", pat);
		for (j = 0; j < nn; j++) {
			size_t l = strlen(names[j]);

			if (dfa_run(&d, names[j], l) !=
			    (int)aare_match(a, names[j], l))
				fail_msg("'%s' vs '%s': parser %d, aare %d",
				    pat, names[j], dfa_run(&d, names[j], l),
				    (int)aare_match(a, names[j], l));
			checks++;
		}
		aare_free(a);
	}
	aare_vars_free(v);
	print_message("parser random: %d patterns (%zu too slow for the "
	    "parser), %zu checks\n", count, slow, checks);
}

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
		cmocka_unit_test(test_parser_oracle),
		cmocka_unit_test(test_parser_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
