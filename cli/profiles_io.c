/*
 * profiles_io.c - what the profile commands share: time and durations,
 * finding the file that defines a profile in --profile-dir, reading it,
 * writing it atomically while the store keeps every version, and running
 * apparmor_parser to check and to load.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_profile.h"

extern char **environ;

/* ------------------------------------------------------------------ time */

int64_t
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
cli_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "never");
		return buf;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm);
	return buf;
}

const char *
cli_time_iso(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[40];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", day, (int)(ms % 1000));
	return buf;
}

const char *
cli_ago(int64_t ms, int64_t now, char *buf, size_t len)
{
	int64_t s;

	if (ms <= 0) {
		snprintf(buf, len, "never");
		return buf;
	}
	s = (now - ms) / 1000;
	if (s < 0)
		snprintf(buf, len, "in the future");
	else if (s < 60)
		snprintf(buf, len, "%llds ago", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm ago", (long long)(s / 60));
	else if (s < 86400 * 2)
		snprintf(buf, len, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd ago", (long long)(s / 86400));
	return buf;
}

int
cli_parse_duration(const char *s, int64_t *ret_ms)
{
	int64_t total = 0, n, unit;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		n = 0;
		while (isdigit((unsigned char)*p)) {
			/* A year in ms fits easily; refuse what would overflow. */
			if (n > 1000000000)
				return -ERANGE;
			n = n * 10 + (*p++ - '0');
		}
		switch (*p) {
		case '\0':
			if (p != s && total != 0)
				return -EINVAL;	/* "1h30": unit missing */
			unit = 1000;
			break;
		case 's': unit = 1000; p++; break;
		case 'm': unit = 60 * 1000; p++; break;
		case 'h': unit = 3600 * 1000; p++; break;
		case 'd': unit = 86400 * 1000; p++; break;
		case 'w': unit = 7 * 86400 * 1000LL; p++; break;
		default:
			return -EINVAL;
		}
		if (n > INT64_MAX / unit || total > INT64_MAX - n * unit)
			return -ERANGE;
		total += n * unit;
	}
	*ret_ms = total;
	return 0;
}

/* ------------------------------------------------------- argument help */

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct cli_command *c;
	va_list ap;

	fputs("aalearn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (c = cli_commands; c->name != NULL; c++) {
		if (strcmp(c->name, cmd) == 0) {
			fprintf(stderr, "usage: aalearn %s %s\n", c->name, c->usage);
			break;
		}
	}
	return EXIT_ERROR;
}

bool
cli_name_ok(const char *name)
{
	const unsigned char *p;
	size_t n = 0;

	if (name == NULL || *name == '\0')
		return false;
	for (p = (const unsigned char *)name; *p != '\0'; p++, n++)
		if (*p < 0x20 || *p == 0x7f || n > 1024)
			return false;
	return true;
}

void
cli_field(FILE *f, const char *s)
{
	const char *p = s;
	char *part;
	size_t run;

	if (s[0] != '\0' && strpbrk(s, " ,\"") == NULL) {
		text_safe(f, s);
		return;
	}
	fputc('"', f);
	while (*p != '\0') {
		if (*p == '"') {
			fputs("\\x22", f);
			p++;
			continue;
		}
		run = strcspn(p, "\"");
		if ((part = strndup(p, run)) != NULL)
			text_safe(f, part);
		free(part);
		p += run;
	}
	fputc('"', f);
}

/* ------------------------------------------------------- profile files */

int
cli_read_file(const char *path, size_t max, char **ret_text, size_t *ret_len)
{
	struct stat sb;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (S_ISDIR(sb.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)sb.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	/* The file may grow while read: never past what was allocated. */
	while (len < (size_t)sb.st_size) {
		n = read(fd, buf + len, (size_t)sb.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			free(buf);
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*ret_text = buf;
	if (ret_len != NULL)
		*ret_len = len;
	return 0;
}

/*
 * apparmor_parser's own list of names it skips in a profile directory
 * (package manager leftovers), plus dotfiles, which include our own
 * temporary files.
 */
static bool
skip_name(const char *name)
{
	static const char *const suffixes[] = {
		".dpkg-new", ".dpkg-old", ".dpkg-dist", ".dpkg-bak",
		".dpkg-remove", ".pacsave", ".pacnew", ".rpmnew", ".rpmsave",
		".orig", ".rej", "~",
	};
	size_t i, n = strlen(name), l;

	if (name[0] == '.' || strcmp(name, "README") == 0)
		return true;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		l = strlen(suffixes[i]);
		if (n >= l && strcmp(name + n - l, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/*
 * The profile name a declaration line starts with ("profile NAME ...",
 * "/usr/bin/x flags=... {", "\"quoted name\" {"), unquoted into buf.
 * Returns false when the line declares no profile.
 */
static bool
decl_name(const char *p, const char *end, char *buf, size_t len,
    const char **ret_rest)
{
	size_t n = 0;

	if (end - p > 8 && strncmp(p, "profile", 7) == 0 &&
	    (p[7] == ' ' || p[7] == '\t')) {
		p = skip_space(p + 7, end);
	} else if (p >= end || (*p != '/' && *p != '@' && *p != '"' &&
	    *p != ':')) {
		return false;
	}
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (n + 1 < len)
				buf[n++] = *p;
		}
		if (p >= end)
			return false;
		p++;
	} else {
		while (p < end && *p != ' ' && *p != '\t' && *p != '{') {
			if (n + 1 < len)
				buf[n++] = *p;
			p++;
		}
	}
	buf[n] = '\0';
	if (ret_rest != NULL)
		*ret_rest = p;
	return n > 0;
}

/*
 * Visit the top-level profile declarations of text.  Blocks are followed
 * by lines that end in '{' and lines that start with '}', which is how
 * profiles are laid out; braces inside globs ({a,b}) end no line.
 */
typedef bool (*decl_cb)(const char *name, const char *line, const char *end,
    void *arg);

static void
foreach_decl(const char *text, decl_cb cb, void *arg)
{
	const char *p = text, *eol, *last, *s;
	char name[4096];
	int depth = 0;

	while (*p != '\0') {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		s = skip_space(p, eol);
		last = eol;
		while (last > s && (last[-1] == ' ' || last[-1] == '\t' ||
		    last[-1] == '\r'))
			last--;
		if (s < last && *s == '#') {
			/* a comment or an include */
		} else if (s < last && *s == '}') {
			if (depth > 0)
				depth--;
		} else if (last > s && last[-1] == '{') {
			if (depth == 0 && decl_name(s, last, name, sizeof(name),
			    NULL) && cb(name, s, last, arg))
				return;
			depth++;
		}
		p = *eol == '\n' ? eol + 1 : eol;
	}
}

struct defines_arg {
	const char *name;
	const char *line, *end;
};

static bool
defines_cb(const char *name, const char *line, const char *end, void *arg)
{
	struct defines_arg *a = arg;

	if (strcmp(name, a->name) != 0)
		return false;
	a->line = line;
	a->end = end;
	return true;
}

bool
cli_text_defines(const char *text, const char *name)
{
	struct defines_arg a = { name, NULL, NULL };

	foreach_decl(text, defines_cb, &a);
	return a.line != NULL;
}

const char *
cli_text_mode(const char *text, const char *name)
{
	struct defines_arg a = { name, NULL, NULL };
	const char *p, *close;
	size_t n;

	foreach_decl(text, defines_cb, &a);
	if (a.line == NULL)
		return "";
	n = (size_t)(a.end - a.line);
	for (p = a.line; p + 5 < a.end; p++) {
		if (strncmp(p, "flags", 5) != 0)
			continue;
		p = skip_space(p + 5, a.end);
		if (p < a.end && *p == '=')
			p = skip_space(p + 1, a.end);
		if (p >= a.end || *p != '(')
			break;
		close = memchr(p, ')', (size_t)(a.end - p));
		if (close == NULL)
			break;
		n = (size_t)(close - p);
		/* Word matches inside the flag list. */
		if (memmem(p, n, "complain", 8) != NULL)
			return "complain";
		if (memmem(p, n, "kill", 4) != NULL)
			return "kill";
		if (memmem(p, n, "unconfined", 10) != NULL)
			return "unconfined";
		if (memmem(p, n, "prompt", 6) != NULL)
			return "prompt";
		break;
	}
	return "enforce";
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cli_profile_find(struct cli *cli, const char *name, char **ret_path)
{
	struct dirent *de;
	struct stat sb;
	char **names = NULL, **tmp, *text, *path;
	size_t n = 0, cap = 0, i;
	DIR *d;
	int dfd, r = -ENOENT;

	dfd = open(cli->profile_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (d == NULL) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		if (skip_name(de->d_name))
			continue;
		/* Regular files only: subdirectories hold abstractions,
		 * tunables and local additions, not profiles. */
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			/* A directory of a million files is not a profile dir. */
			if (cap > 65536)
				break;
			tmp = realloc(names, cap * sizeof(*names));
			if (tmp == NULL) {
				r = -ENOMEM;
				goto out;
			}
			names = tmp;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && r == -ENOENT; i++) {
		if (asprintf(&path, "%s/%s", cli->profile_dir, names[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		if (cli_read_file(path, CLI_PROFILE_MAX, &text, NULL) == 0) {
			if (cli_text_defines(text, name)) {
				*ret_path = path;
				path = NULL;
				r = 0;
			}
			free(text);
		}
		free(path);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

int
cli_profile_load(struct cli *cli, const char *name, char **ret_path,
    char **ret_text)
{
	char *path, *text;
	size_t len;
	int r;

	r = cli_profile_find(cli, name, &path);
	if (r == -ENOENT) {
		cli_error("profile '%s' not found in %s; create it with "
		    "'aalearn init %s --container' or pass --profile-dir",
		    name, cli->profile_dir, name);
		return r;
	}
	if (r < 0) {
		cli_error("cannot read the profile directory %s: %s; pass "
		    "--profile-dir", cli->profile_dir, strerror(-r));
		return r;
	}
	r = cli_read_file(path, CLI_PROFILE_MAX, &text, &len);
	if (r < 0) {
		cli_error("cannot read %s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	if (strlen(text) != len) {
		cli_error("%s holds a NUL byte: it is not a profile; restore it "
		    "with 'aalearn rollback %s'", path, name);
		free(text);
		free(path);
		return -EINVAL;
	}
	*ret_path = path;
	*ret_text = text;
	return 0;
}

/* Append the text of one file to *buf; bounded by PROFILE_TEXT_MAX. */
static int
append_file(const char *path, char **buf, size_t *len)
{
	char *text, *tmp;
	size_t n;
	int r;

	if ((r = cli_read_file(path, PROFILE_TEXT_MAX, &text, &n)) < 0)
		return r;
	if (*len + n + 2 > PROFILE_TEXT_MAX) {
		free(text);
		return -E2BIG;
	}
	tmp = realloc(*buf, *len + n + 2);
	if (tmp == NULL) {
		free(text);
		return -ENOMEM;
	}
	*buf = tmp;
	memcpy(*buf + *len, text, n);
	*len += n;
	(*buf)[(*len)++] = '\n';
	(*buf)[*len] = '\0';
	free(text);
	return 0;
}

int
cli_loader(const char *name, bool angle, char **ret_text, size_t *ret_len,
    void *arg)
{
	struct cli *cli = arg;
	struct dirent **list = NULL;
	struct stat sb;
	char *path = NULL, *sub, *buf = NULL;
	size_t len = 0;
	int i, n, r;

	if (name == NULL || *name == '\0')
		return -EINVAL;
	if (name[0] == '/')
		path = strdup(name);
	else if (asprintf(&path, "%s/%s", cli->profile_dir, name) < 0)
		path = NULL;
	if (path == NULL)
		return -ENOMEM;
	if (stat(path, &sb) < 0) {
		r = -errno;
		free(path);
		return r;
	}
	if (!S_ISDIR(sb.st_mode)) {
		r = append_file(path, &buf, &len);
		goto out;
	}
	n = scandir(path, &list, NULL, alphasort);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	r = 0;
	for (i = 0; i < n; i++) {
		if (r == 0 && !skip_name(list[i]->d_name)) {
			if (asprintf(&sub, "%s/%s", path, list[i]->d_name) < 0) {
				r = -ENOMEM;
			} else {
				if (stat(sub, &sb) == 0 && S_ISREG(sb.st_mode))
					r = append_file(sub, &buf, &len);
				free(sub);
			}
		}
		free(list[i]);
	}
	free(list);
	if (r == 0 && buf == NULL && (buf = strdup("")) == NULL)
		r = -ENOMEM;
out:
	free(path);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret_text = buf;
	*ret_len = len;
	return 0;
}

/* ----------------------------------------------------------- the parser */

/* exec's argv is char *const[], yet never written: drop the const. */
static char *
mut(const char *s)
{
	return (char *)(uintptr_t)s;
}

bool
cli_kernel_has_apparmor(void)
{
	const char *fs = getenv("AALEARN_SECURITYFS");
	char path[PATH_MAX];

	if (fs == NULL || *fs == '\0')
		fs = "/sys/kernel/security/apparmor";
	snprintf(path, sizeof(path), "%s/profiles", fs);
	return access(path, F_OK) == 0;
}

/*
 * The parser's own words, minus its cache chatter, with the name of a
 * temporary file replaced by the file it stands for.
 */
static void
print_parser_output(char *out, const char *path, const char *shown)
{
	char *line = out, *nl, *hit, *p;
	size_t pl = strlen(path);

	while (*line != '\0') {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (*line != '\0' &&
		    strstr(line, "Cache read/write disabled") == NULL) {
			fputs("  ", stderr);
			for (p = line; (hit = strstr(p, path)) != NULL;
			    p = hit + pl) {
				*hit = '\0';
				text_safe(stderr, p);
				text_safe(stderr, shown);
				*hit = path[0];
			}
			text_safe(stderr, p);
			fputc('\n', stderr);
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
}

/*
 * Some valid patterns keep apparmor_parser 3.0.8 busy for minutes: every run
 * has a deadline, $AALEARN_PARSER_TIMEOUT seconds (0: none).
 */
#define PARSER_TIMEOUT_S 60

static int64_t
parser_timeout_ms(void)
{
	const char *s = getenv("AALEARN_PARSER_TIMEOUT");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return PARSER_TIMEOUT_S * 1000;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 86400 * 7)
		return PARSER_TIMEOUT_S * 1000;
	return (int64_t)v * 1000;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cli_parser_run(struct cli *cli, const char *flag, const char *overlay,
    const char *path, const char *shown)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	siginfo_t si;
	int64_t limit = parser_timeout_ms(), deadline;
	int timed_out = 0;
	char *argv[] = { mut(cli->parser), mut(flag), mut("-I"),
	    mut(cli->profile_dir), mut(path), NULL, NULL, NULL };
	char out[8192];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int pfd[2], status, r;

	if (shown == NULL)
		shown = path;
	/* An overlay directory is searched first: a local/ file being
	 * written is checked in place of the one on disk. */
	if (overlay != NULL) {
		argv[3] = mut(overlay);
		argv[4] = mut("-I");
		argv[5] = mut(cli->profile_dir);
		argv[6] = mut(path);
	}
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
	/*
	 * A group of its own: the parser forks workers, and a run past its
	 * deadline is stopped with all of them.
	 */
	posix_spawnattr_init(&sa);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&sa, 0);
	r = posix_spawnp(&pid, cli->parser, &fa, &sa, argv, environ);
	posix_spawnattr_destroy(&sa);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		cli_error("cannot run %s: %s; install the apparmor package or "
		    "pass --parser PATH", cli->parser, strerror(r));
		return -r;
	}
	/* Keep the first 8 KiB of what it says; drain the rest. */
	deadline = mono_ms() + limit;
	for (;;) {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		char drain[4096];
		int64_t left = deadline - mono_ms();

		if (limit > 0) {
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			r = poll(&p, 1, left > INT32_MAX ? INT32_MAX :
			    (int)left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				continue;
		}
		if (len < sizeof(out) - 1)
			n = read(pfd[0], out + len, sizeof(out) - 1 - len);
		else
			n = read(pfd[0], drain, sizeof(drain));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < sizeof(out) - 1)
			len += (size_t)n;
	}
	out[len] = '\0';
	close(pfd[0]);
	if (timed_out)
		(void)kill(-pid, SIGKILL);
	/*
	 * Workers it left behind go with it, while the unreaped leader
	 * keeps the group's id from being reused.
	 */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	(void)kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (timed_out) {
		cli_error("%s did not finish %s within %lld s (set "
		    "AALEARN_PARSER_TIMEOUT to wait longer); stopped it",
		    cli->parser, shown, (long long)(limit / 1000));
		return -ETIMEDOUT;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/*
	 * Where posix_spawn cannot report a failed exec (it forks under
	 * valgrind), the child's 127 and silence say the same.
	 */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && len == 0) {
		cli_error("cannot run %s; install the apparmor package or "
		    "pass --parser PATH", cli->parser);
		return -ENOENT;
	}
	if (strcmp(flag, "-r") == 0)
		cli_error("%s could not load %s into the kernel:", cli->parser,
		    shown);
	else
		cli_error("%s rejected %s:", cli->parser, shown);
	print_parser_output(out, path, shown);
	if (WIFSIGNALED(status))
		cli_error("%s was killed by signal %d", cli->parser,
		    WTERMSIG(status));
	return -EINVAL;
}

/* --------------------------------------------------------------- writes */

struct text_cb_arg {
	char	*text;
	int64_t	 version;
};

static int
newest_cb(const struct version_info *v, void *arg)
{
	struct text_cb_arg *a = arg;

	a->text = strdup(v->text != NULL ? v->text : "");
	a->version = v->version;
	return a->text == NULL ? -ENOMEM : 0;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
write_error(struct cli *cli, const char *dir, const char *what, int err)
{
	if (err == EROFS || err == EACCES || err == EPERM)
		cli_error("cannot write in %s (%s: %s); make it writable or "
		    "pass --profile-dir", dir, what, strerror(err));
	else
		cli_error("cannot write in %s (%s: %s)", dir, what,
		    strerror(err));
}

/* Within --profile-dir: nothing is written anywhere else. */
static bool
inside_profile_dir(struct cli *cli, const char *path)
{
	size_t l = strlen(cli->profile_dir);

	while (l > 1 && cli->profile_dir[l - 1] == '/')
		l--;
	return strncmp(path, cli->profile_dir, l) == 0 && path[l] == '/' &&
	    strstr(path + l, "/../") == NULL;
}

/*
 * Check the file that includes w->path as it would be with the new text:
 * the text goes into a private directory inside --profile-dir, under its
 * include name, and that directory is searched first.
 */
static int
check_overlay(struct cli *cli, const struct cli_write *w)
{
	char *top = NULL, *file = NULL, *p;
	int fd, r;

	if (w->include_name == NULL || w->include_name[0] == '/' ||
	    strstr(w->include_name, "..") != NULL)
		return -EINVAL;
	if (asprintf(&top, "%s/.aalearn-check-XXXXXX", cli->profile_dir) < 0)
		return -ENOMEM;
	if (mkdtemp(top) == NULL) {
		r = -errno;
		write_error(cli, cli->profile_dir, "create a directory", -r);
		free(top);
		return r;
	}
	if (asprintf(&file, "%s/%s", top, w->include_name) < 0) {
		file = NULL;
		r = -ENOMEM;
		goto out;
	}
	for (p = file + strlen(top) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		r = mkdir(file, 0700) < 0 && errno != EEXIST ? -errno : 0;
		*p = '/';
		if (r < 0)
			goto out;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, w->text, strlen(w->text));
	close(fd);
	if (r == 0)
		r = cli_parser_run(cli, "-QK", top, w->check_main, NULL);
out:
	/* Remove what was made, deepest first. */
	if (file != NULL) {
		(void)unlink(file);
		while ((p = strrchr(file, '/')) != NULL &&
		    (size_t)(p - file) > strlen(top)) {
			*p = '\0';
			(void)rmdir(file);
		}
	}
	(void)rmdir(top);
	free(file);
	free(top);
	return r;
}

int
cli_profile_write(struct cli *cli, struct store *st, const struct cli_write *w,
    int64_t *ret_version, int *ret_loaded)
{
	struct version_info v;
	struct text_cb_arg newest = { NULL, 0 };
	char *dir = NULL, *tmp = NULL, *old = NULL, *base, *reason = NULL;
	int64_t version = 0;
	int fd = -1, r, dfd, lfd = -1, loaded = 0;
	size_t len;

	if (!inside_profile_dir(cli, w->path)) {
		cli_error("refusing to write %s: outside --profile-dir %s",
		    w->path, cli->profile_dir);
		return -EPERM;
	}
	if ((dir = strdup(w->path)) == NULL)
		return -ENOMEM;
	base = strrchr(dir, '/');
	*base++ = '\0';
	/*
	 * One writer at a time in the profile directory (a lock on the
	 * directory itself: nothing is created for it), and the file must
	 * still be what the caller's new text was made from.
	 */
	lfd = open(cli->profile_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd >= 0 && flock(lfd, LOCK_EX) < 0) {
		close(lfd);
		lfd = -1;
	}
	r = cli_read_file(w->path, CLI_PROFILE_MAX, &old, NULL);
	if (r < 0 && r != -ENOENT) {
		cli_error("cannot read %s: %s", w->path, strerror(-r));
		goto out;
	}
	if (w->base_text != NULL &&
	    strcmp(old != NULL ? old : "", w->base_text) != 0) {
		cli_error("%s changed while aalearn was working on it; run the "
		    "command again", w->path);
		r = -EAGAIN;
		goto out;
	}
	if (old != NULL && strcmp(old, w->text) == 0) {
		/* Nothing changes: no write, no new version. */
		r = 0;
		goto reload;
	}

	if (asprintf(&tmp, "%s/.%s.aalearn-XXXXXX", dir, base) < 0) {
		tmp = NULL;
		r = -ENOMEM;
		goto out;
	}
	/* A local/ directory that does not exist yet is made. */
	if (w->check_main != NULL && mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		write_error(cli, dir, "create the directory", -r);
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		write_error(cli, dir, "create a temporary file", -r);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	len = strlen(w->text);
	if ((r = write_all(fd, w->text, len)) < 0 ||
	    (fchmod(fd, 0644) < 0 && (r = -errno)) ||
	    (fsync(fd) < 0 && (r = -errno))) {
		write_error(cli, dir, tmp, -r);
		goto out;
	}
	close(fd);
	fd = -1;

	/* The parser sees the new text before it replaces anything. */
	if (w->check_main != NULL)
		r = check_overlay(cli, w);
	else
		r = cli_parser_run(cli, "-QK", NULL, tmp, w->path);
	if (r < 0) {
		cli_error("%s left unchanged", w->path);
		goto out;
	}

	/*
	 * An included file that does not exist yet is kept as empty text,
	 * which includes nothing: rolling back to it undoes the first apply.
	 */
	if (old == NULL && w->check_main != NULL && (old = strdup("")) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	/* What is on disk now is kept unless the store has it already. */
	if (old != NULL) {
		r = store_get_version(st, w->profile, 0, newest_cb, &newest);
		if (r < 0 && r != -ENOENT) {
			cli_error("%s: cannot read the versions of '%s': %s",
			    cli->db, w->profile, strerror(-r));
			goto out;
		}
		if (newest.text == NULL || strcmp(newest.text, old) != 0) {
			if (asprintf(&reason, "on disk before %s", w->reason) < 0) {
				reason = NULL;
				r = -ENOMEM;
				goto out;
			}
			memset(&v, 0, sizeof(v));
			v.profile = w->profile;
			v.path = w->path;
			v.text = old;
			v.written_ms = cli_now_ms();
			v.reason = reason;
			if ((r = store_add_version(st, &v, &version)) < 0) {
				cli_error("%s: cannot keep the current text of %s: "
				    "%s; %s left unchanged", cli->db, w->path,
				    strerror(-r), w->path);
				goto out;
			}
		}
	}

	if (rename(tmp, w->path) < 0) {
		r = -errno;
		write_error(cli, dir, w->path, -r);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}

	memset(&v, 0, sizeof(v));
	v.profile = w->profile;
	v.path = w->path;
	v.text = w->text;
	v.written_ms = cli_now_ms();
	v.reason = w->reason;
	if ((r = store_add_version(st, &v, &version)) < 0) {
		cli_error("%s: %s was written but its version could not be "
		    "kept: %s", cli->db, w->path, strerror(-r));
		goto out;
	}
	(void)store_set_profile(st, w->profile,
	    cli_text_mode(w->text, w->profile), w->path);

reload:
	if (!w->no_reload && cli_kernel_has_apparmor()) {
		if ((r = cli_parser_run(cli, "-r", NULL, w->check_main != NULL ?
		    w->check_main : w->path, NULL)) < 0) {
			cli_error("%s is written but not loaded; fix it, or "
			    "'aalearn rollback %s'", w->path, w->profile);
			goto out;
		}
		loaded = 1;
	}
	r = 0;
	*ret_version = version;
	if (ret_loaded != NULL)
		*ret_loaded = loaded;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	if (lfd >= 0)
		close(lfd);
	free(tmp);
	free(reason);
	free(newest.text);
	free(old);
	free(dir);
	return r;
}

void
cli_print_loaded(struct cli *cli, const char *path, int loaded,
    bool no_reload)
{
	if (loaded)
		printf("loaded %s into the kernel\n", path);
	else if (no_reload)
		printf("not loaded (--no-reload); load it with '%s -r %s'\n",
		    cli->parser, path);
	else
		printf("the kernel has no AppArmor: %s is written, not "
		    "loaded\n", path);
}
