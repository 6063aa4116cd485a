/*
 * attribution.c - which container a process runs in.
 *
 * The runtimes name their cgroups after the container: Docker
 * (docker-<id>.scope with systemd, /docker/<id> with cgroupfs),
 * containerd under Kubernetes (cri-containerd-<id>.scope, or
 * kubepods-...-pod<uid>.slice:cri-containerd:<id>), CRI-O (crio-<id>.scope),
 * Podman (libpod-<id>.scope).  A container inside a container shows both;
 * the innermost is the one whose profile logged the record.
 *
 * A pid is only a name for a process while it lives, so the cache is keyed
 * by (pid, start time): a reused pid has another start time and is looked up
 * again.  Reading the start time costs an open, a read and a close of
 * /proc/<pid>/stat per record (measured: five sixths of the daemon's CPU on
 * a backlog of a million records), so an entry checked less than
 * RECHECK_MS ago is trusted: the kernel hands out pids in turn, and before a
 * pid comes round again every other one below pid_max is handed out, which
 * takes seconds at any fork rate Linux reaches once pid_max is at least
 * RECHECK_PID_MAX.  Below that (or when pid_max cannot be read) every
 * lookup checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define ID_MIN		ATTRIBUTION_ID_MIN
#define ID_MAX		ATTRIBUTION_ID_MAX
#define POD_MAX		ATTRIBUTION_POD_MAX

struct found {
	const char *runtime;
	const char *id;		/* into the text */
	size_t	 idlen;
	const char *pod;	/* into the text, NULL when none */
	size_t	 podlen;
};

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t l = strlen(prefix);

	return n >= l && memcmp(s, prefix, l) == 0;
}

static int
has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t l = strlen(suffix);

	return n >= l && memcmp(s + n - l, suffix, l) == 0;
}

/* A container id: hex, of a plausible length. */
static int
valid_id(const char *s, size_t n)
{
	return n >= ID_MIN && n <= ID_MAX && is_hex(s, n);
}

/* A pod uid as found in a path: hex digits and '-' or '_'. */
static int
valid_pod(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > POD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* "PREFIX<id>.scope" (or without .scope when scope_optional). */
static int
scope_id(const char *c, size_t n, const char *prefix, int scope_optional,
    const char **ret_id, size_t *ret_len)
{
	size_t l = strlen(prefix);

	if (!has_prefix(c, n, prefix))
		return 0;
	c += l;
	n -= l;
	if (has_suffix(c, n, ".scope"))
		n -= 6;
	else if (!scope_optional)
		return 0;
	if (!valid_id(c, n))
		return 0;
	*ret_id = c;
	*ret_len = n;
	return 1;
}

/*
 * The pod uid in one component: systemd's kubepods-<qos>-pod<uid>.slice
 * (uid with '_' for '-') or cgroupfs's pod<uid> under /kubepods.
 */
static int
pod_of(const char *c, size_t n, int under_kubepods, const char **ret,
    size_t *ret_len)
{
	const char *p;

	if (has_prefix(c, n, "kubepods") && has_suffix(c, n, ".slice")) {
		n -= 6;
		for (p = c + n; p > c + 3; p--)
			if (memcmp(p - 4, "-pod", 4) == 0)
				break;
		if (p <= c + 3 || !valid_pod(p, (size_t)(c + n - p)))
			return 0;
		*ret = p;
		*ret_len = (size_t)(c + n - p);
		return 1;
	}
	if (under_kubepods && has_prefix(c, n, "pod") && valid_pod(c + 3, n - 3)) {
		*ret = c + 3;
		*ret_len = n - 3;
		return 1;
	}
	return 0;
}

/* One cgroup path: the innermost container in it, and its depth. */
static int
parse_path(const char *path, size_t len, struct found *ret, int *ret_depth)
{
	const char *c, *end = path + len, *next, *id, *m;
	const char *pod = NULL, *prev = NULL;
	size_t n, idlen, podlen = 0, prevlen = 0;
	int depth = 0, found = 0, kubepods = 0;

	for (c = path; c < end; c = next + 1) {
		next = memchr(c, '/', (size_t)(end - c));
		if (next == NULL)
			next = end;
		n = (size_t)(next - c);
		if (n == 0)
			continue;
		depth++;
		if (has_prefix(c, n, "kubepods"))
			kubepods = 1;
		{
			const char *pp;
			size_t pl;

			if (pod_of(c, n, kubepods, &pp, &pl)) {
				pod = pp;
				podlen = pl;
			}
		}
		id = NULL;
		if (scope_id(c, n, "docker-", 0, &id, &idlen))
			ret->runtime = "docker";
		else if (scope_id(c, n, "cri-containerd-", 0, &id, &idlen))
			ret->runtime = "containerd";
		else if (!has_prefix(c, n, "crio-conmon-") &&
		    scope_id(c, n, "crio-", 0, &id, &idlen))
			ret->runtime = "cri-o";
		else if (!has_prefix(c, n, "libpod-conmon-") &&
		    scope_id(c, n, "libpod-", 1, &id, &idlen))
			ret->runtime = "podman";
		else if ((m = memmem(c, n, ":cri-containerd:", 16)) != NULL &&
		    valid_id(m + 16, (size_t)(next - m - 16))) {
			/* kubepods-...-pod<uid>.slice:cri-containerd:<id> */
			const char *pp;
			size_t pl;

			if (pod_of(c, (size_t)(m - c), 1, &pp, &pl)) {
				pod = pp;
				podlen = pl;
			}
			id = m + 16;
			idlen = (size_t)(next - id);
			ret->runtime = "containerd";
		} else if (n == 64 && is_hex(c, n) && prev != NULL &&
		    prevlen == 6 && memcmp(prev, "docker", 6) == 0) {
			id = c;
			idlen = n;
			ret->runtime = "docker";
		} else if (n == 64 && is_hex(c, n) && kubepods && pod != NULL) {
			/* cgroupfs driver: /kubepods/<qos>/pod<uid>/<id>; the
			 * runtime behind the CRI is not named. */
			id = c;
			idlen = n;
			ret->runtime = "cri";
		}
		if (id != NULL) {
			ret->id = id;
			ret->idlen = idlen;
			ret->pod = pod;
			ret->podlen = podlen;
			*ret_depth = depth;
			found = 1;
		}
		prev = c;
		prevlen = n;
		if (next == end)
			break;
	}
	return found;
}

int
attribution_parse_cgroup(const char *text, size_t len,
    struct container *ret_container, char *buf, size_t buflen)
{
	const char *line, *end = text + len, *nl, *path;
	struct found best = { 0 }, f;
	int best_depth = 0, depth = 0;
	size_t i;

	for (line = text; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		/* hierarchy-id:controllers:path; the path may hold ':' */
		path = memchr(line, ':', (size_t)(nl - line));
		if (path != NULL)
			path = memchr(path + 1, ':', (size_t)(nl - path - 1));
		if (path != NULL) {
			path++;
			memset(&f, 0, sizeof(f));
			if (parse_path(path, (size_t)(nl - path), &f, &depth) &&
			    depth > best_depth) {
				best = f;
				best_depth = depth;
			}
		}
		if (nl == end)
			break;
	}
	if (best.id == NULL)
		return -ENOENT;
	if (best.idlen + 1 + (best.pod ? best.podlen + 1 : 0) > buflen)
		return -ENOBUFS;
	memcpy(buf, best.id, best.idlen);
	buf[best.idlen] = '\0';
	ret_container->runtime = best.runtime;
	ret_container->id = buf;
	ret_container->pod_uid = NULL;
	if (best.pod != NULL) {
		char *pod = buf + best.idlen + 1;

		/* systemd escapes the uid's '-' as '_' in slice names. */
		for (i = 0; i < best.podlen; i++)
			pod[i] = best.pod[i] == '_' ? '-' : best.pod[i];
		pod[best.podlen] = '\0';
		ret_container->pod_uid = pod;
	}
	return 0;
}

#define CGROUP_MAX	(64 * 1024)	/* a cgroup file longer than this is cut */
#define RECHECK_MS	50
#define RECHECK_PID_MAX	32768

struct attr_entry {
	long	 pid;			/* 0: empty */
	unsigned long long start;
	long long checked_ms;		/* the start time last read */
	int	 in_container;
	const char *runtime;		/* static */
	char	 buf[ID_MAX + 1 + POD_MAX + 1];
	char	*pod;
};

struct attribution {
	char	*proc_root;
	size_t	 cache_max;
	struct attr_entry *cache;
	long long recheck_ms;		/* 0: check every lookup */
	char	 text[CGROUP_MAX];
};

static long long recheck_window(const struct attribution *);

struct attribution *
attribution_new(const char *proc_root, size_t cache_max)
{
	struct attribution *a;

	if (cache_max == 0)
		cache_max = 4096;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->proc_root = strdup(proc_root != NULL ? proc_root : "/proc");
	a->cache_max = cache_max;
	a->cache = calloc(cache_max, sizeof(*a->cache));
	if (a->proc_root == NULL || a->cache == NULL) {
		attribution_free(a);
		return NULL;
	}
	a->recheck_ms = recheck_window(a);
	return a;
}

long long
attribution_recheck_ms(const struct attribution *a)
{
	return a->recheck_ms;
}

void
attribution_set_recheck_ms(struct attribution *a, long long ms)
{
	a->recheck_ms = ms > 0 ? ms : 0;
}

void
attribution_free(struct attribution *a)
{
	if (a == NULL)
		return;
	free(a->proc_root);
	free(a->cache);
	free(a);
}

/* Read at most size - 1 bytes of <proc_root>/<pid>/<what>; -ESRCH when gone. */
static ssize_t
read_proc(struct attribution *a, long pid, const char *what, char *buf,
    size_t size)
{
	char path[4096];
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%ld/%s", a->proc_root, pid,
	    what) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	while (off < size - 1) {
		n = read(fd, buf + off, size - 1 - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = errno == ESRCH ? -ESRCH : -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return (ssize_t)off;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* RECHECK_MS when <proc_root>/sys/kernel/pid_max allows it, else 0. */
static long long
recheck_window(const struct attribution *a)
{
	char path[4096], buf[32];
	long long v;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/sys/kernel/pid_max",
	    a->proc_root) >= sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	v = strtoll(buf, NULL, 10);
	return v >= RECHECK_PID_MAX ? RECHECK_MS : 0;
}

/*
 * Field 22 of /proc/<pid>/stat, the start time in clock ticks.  comm (field
 * 2) may hold spaces and parentheses, so fields are counted after the last
 * ')'.
 */
static int
start_time(struct attribution *a, long pid, unsigned long long *ret)
{
	char buf[1024], *p, *end;
	unsigned long long v;
	ssize_t n;
	int field;

	n = read_proc(a, pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strrchr(buf, ')');
	if (p == NULL)
		return -EIO;
	p++;
	/* After ')' comes field 3; field 22 is the 20th token from there. */
	for (field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		while (*p != ' ' && *p != '\0')
			p++;
		if (*p == '\0')
			return -EIO;
	}
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -EIO;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0 || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EIO;
	*ret = v;
	return 0;
}

static void
fill(const struct attr_entry *e, struct container *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!e->in_container)
		return;
	ret->runtime = e->runtime;
	ret->id = e->buf;
	ret->pod_uid = e->pod;
}

int
attribution_lookup(struct attribution *a, long pid,
    struct container *ret_container)
{
	unsigned long long start, again;
	struct attr_entry *e;
	struct container c;
	long long now;
	ssize_t n;
	int rc;

	if (pid <= 0)
		return -EINVAL;
	e = &a->cache[(unsigned long)pid % a->cache_max];
	/* Read before the start time: an entry's stamp is never late. */
	now = a->recheck_ms > 0 ? now_ms() : 0;
	if (a->recheck_ms > 0 && e->pid == pid &&
	    now - e->checked_ms < a->recheck_ms) {
		fill(e, ret_container);
		return 0;
	}
	rc = start_time(a, pid, &start);
	if (rc < 0)
		return rc;
	if (e->pid == pid && e->start == start) {
		e->checked_ms = now;
		fill(e, ret_container);
		return 0;
	}
	n = read_proc(a, pid, "cgroup", a->text, sizeof(a->text));
	if (n < 0)
		return (int)n;
	/* The pid may have died and been reused between the two reads. */
	rc = start_time(a, pid, &again);
	if (rc < 0)
		return rc;
	if (again != start)
		return -ESRCH;
	memset(e, 0, sizeof(*e));
	rc = attribution_parse_cgroup(a->text, (size_t)n, &c, e->buf,
	    sizeof(e->buf));
	if (rc == 0) {
		e->in_container = 1;
		e->runtime = c.runtime;
		e->pod = c.pod_uid != NULL ? e->buf + (c.pod_uid - e->buf) : NULL;
	} else if (rc != -ENOENT)
		return rc;
	e->pid = pid;
	e->start = start;
	e->checked_ms = now;
	fill(e, ret_container);
	return 0;
}
