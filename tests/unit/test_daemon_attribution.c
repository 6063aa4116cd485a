/*
 * test_daemon_attribution.c - pid -> container (daemon/attribution.c).
 *
 * The cgroup shapes of each runtime as their documentation and hosts show
 * them; prepared /proc trees for the cache (pid reuse, processes gone); and a
 * real child process moved into a real cgroup named like a Docker container,
 * where this machine lets us write the cgroup filesystem.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

#define ID1 "4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f60718293a4b5c"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID_ "1a2b3c4d_5e6f_7a8b_9c0d_112233445566"
#define UID "1a2b3c4d-5e6f-7a8b-9c0d-112233445566"

struct shape {
	const char *what;
	const char *text;
	int rc;
	const char *runtime, *id, *pod;
};

static const struct shape shapes[] = {
	{ "docker, systemd driver, cgroup v2",
	  "0::/system.slice/docker-" ID1 ".scope\n", 0, "docker", ID1, NULL },
	{ "docker, cgroupfs driver, cgroup v1",
	  "12:pids:/docker/" ID1 "\n11:memory:/docker/" ID1 "\n0::/\n",
	  0, "docker", ID1, NULL },
	{ "containerd under kubelet, systemd driver",
	  "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	  UID_ ".slice/cri-containerd-" ID1 ".scope\n", 0, "containerd", ID1, UID },
	{ "containerd, slice:cri-containerd:id form",
	  "0::/system.slice/containerd.service/kubepods-besteffort-pod" UID_
	  ".slice:cri-containerd:" ID2 "\n", 0, "containerd", ID2, UID },
	{ "kubelet cgroupfs driver: runtime not named",
	  "0::/kubepods/besteffort/pod" UID "/" ID2 "\n", 0, "cri", ID2, UID },
	{ "CRI-O",
	  "0::/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID1 ".scope\n",
	  0, "cri-o", ID1, UID },
	{ "CRI-O's conmon is not the container",
	  "0::/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" ID1
	  ".scope\n", -ENOENT, NULL, NULL, NULL },
	{ "podman rootless, cgroup v2, with the container subgroup",
	  "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-"
	  ID2 ".scope/container\n", 0, "podman", ID2, NULL },
	{ "podman cgroupfs",
	  "0::/libpod_parent/libpod-" ID2 "\n", 0, "podman", ID2, NULL },
	{ "podman conmon",
	  "0::/machine.slice/libpod-conmon-" ID2 ".scope\n", -ENOENT, NULL, NULL,
	  NULL },
	{ "docker in docker: the innermost",
	  "0::/system.slice/docker-" ID1 ".scope/docker/" ID2 "\n",
	  0, "docker", ID2, NULL },
	{ "hybrid v1/v2, the deepest line wins",
	  "1:name=systemd:/system.slice/docker-" ID1 ".scope\n"
	  "0::/system.slice/docker-" ID1 ".scope/docker/" ID2 "\n",
	  0, "docker", ID2, NULL },
	{ "a service on the host", "0::/system.slice/ssh.service\n", -ENOENT,
	  NULL, NULL, NULL },
	{ "the root", "0::/\n", -ENOENT, NULL, NULL, NULL },
	{ "not hex", "0::/system.slice/docker-nothexatall.scope\n", -ENOENT,
	  NULL, NULL, NULL },
	{ "uppercase hex is not how runtimes write ids",
	  "0::/system.slice/docker-4B825DC642CB6EB9A060E54BF8D69288.scope\n",
	  -ENOENT, NULL, NULL, NULL },
	{ "/docker/ with a short name",
	  "0::/docker/abc\n", -ENOENT, NULL, NULL, NULL },
	{ "garbage", "no colons here\n\n::\n:::::\n", -ENOENT, NULL, NULL, NULL },
	{ "path with ':' and no newline at the end",
	  "0::/odd:dir/docker-" ID1 ".scope", 0, "docker", ID1, NULL },
};

static void
test_shapes(void **state)
{
	struct container c;
	char buf[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];

		print_message("shape: %s\n", s->what);
		memset(&c, 0, sizeof(c));
		rc = attribution_parse_cgroup(s->text, strlen(s->text), &c, buf,
		    sizeof(buf));
		assert_int_equal(rc, s->rc);
		if (rc != 0)
			continue;
		assert_string_equal(c.runtime, s->runtime);
		assert_string_equal(c.id, s->id);
		if (s->pod == NULL)
			assert_null(c.pod_uid);
		else
			assert_string_equal(c.pod_uid, s->pod);
	}
}

static void
test_small_buffer(void **state)
{
	const char *t = "0::/system.slice/docker-" ID1 ".scope\n";
	struct container c = { 0 };
	char buf[65];

	assert_int_equal(attribution_parse_cgroup(t, strlen(t), &c, buf, 64), -ENOBUFS);
	assert_null(c.id);	/* ret_* untouched on failure */
	assert_int_equal(attribution_parse_cgroup(t, strlen(t), &c, buf, 65), 0);
	assert_string_equal(c.id, ID1);
}

/* ---------------------------------------------------- prepared /proc trees */

static void
write_file(const char *dir, long pid, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%ld", dir, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%ld/%s", dir, pid, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A stat line whose comm has spaces and parentheses, start time `start`. */
static void
write_stat(const char *dir, long pid, unsigned long long start)
{
	char line[512];

	snprintf(line, sizeof(line), "%ld (a) b (c) d) S 1 %ld %ld 0 -1 4194560 "
	    "100 0 0 0 1 2 0 0 20 0 1 0 %llu 1000000 100 18446744073709551615 "
	    "1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n", pid, pid, pid, start);
	write_file(dir, pid, "stat", line);
}

static void
rm_pid(const char *dir, long pid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%ld/stat", dir, pid);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%ld/cgroup", dir, pid);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%ld", dir, pid);
	rmdir(path);
}

static void
test_lookup_cache_and_reuse(void **state)
{
	char dir[] = "/tmp/aalearn-proc-XXXXXX";
	struct attribution *a;
	struct container c;

	assert_non_null(mkdtemp(dir));
	a = attribution_new(dir, 16);
	assert_non_null(a);

	write_stat(dir, 100, 5000);
	write_file(dir, 100, "cgroup", "0::/system.slice/docker-" ID1 ".scope\n");
	assert_int_equal(attribution_lookup(a, 100, &c), 0);
	assert_string_equal(c.runtime, "docker");
	assert_string_equal(c.id, ID1);

	/* Same process (same start time): the cache answers, the file is not
	 * read again - a different file proves it. */
	write_file(dir, 100, "cgroup", "0::/system.slice/ssh.service\n");
	assert_int_equal(attribution_lookup(a, 100, &c), 0);
	assert_string_equal(c.id, ID1);

	/* The pid is reused by a process on the host: new start time. */
	write_stat(dir, 100, 9000);
	assert_int_equal(attribution_lookup(a, 100, &c), 0);
	assert_null(c.id);
	assert_null(c.runtime);

	/* Reused again, now by a CRI-O container in a pod. */
	write_stat(dir, 100, 9500);
	write_file(dir, 100, "cgroup", "0::/kubepods.slice/kubepods-pod" UID_
	    ".slice/crio-" ID2 ".scope\n");
	assert_int_equal(attribution_lookup(a, 100, &c), 0);
	assert_string_equal(c.runtime, "cri-o");
	assert_string_equal(c.id, ID2);
	assert_string_equal(c.pod_uid, UID);

	/* Gone. */
	rm_pid(dir, 100);
	assert_int_equal(attribution_lookup(a, 100, &c), -ESRCH);
	/* No pid in the record. */
	assert_int_equal(attribution_lookup(a, -1, &c), -EINVAL);

	/* A stat file we cannot read the start time from. */
	write_file(dir, 101, "stat", "101 (x) S 1 2 3\n");
	write_file(dir, 101, "cgroup", "0::/\n");
	assert_true(attribution_lookup(a, 101, &c) < 0);
	rm_pid(dir, 101);
	/* A cgroup file missing while stat exists: gone in between. */
	write_stat(dir, 102, 1);
	assert_int_equal(attribution_lookup(a, 102, &c), -ESRCH);
	rm_pid(dir, 102);

	attribution_free(a);
	attribution_free(NULL);
	rmdir(dir);
}

/* <dir>/sys/kernel/pid_max holding v. */
static void
write_pid_max(const char *dir, const char *v)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel/pid_max", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(v, f);
	fclose(f);
}

static void
rm_pid_max(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sys/kernel/pid_max", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sys/kernel", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys", dir);
	rmdir(path);
}

/*
 * With a large pid_max an entry checked moments ago is trusted without
 * reading stat again (the process may even be gone: its records are still
 * its own); once the window passed, a reused pid is noticed.  With a small
 * pid_max every lookup checks.
 */
static void
test_lookup_recheck_window(void **state)
{
	char dir[] = "/tmp/aalearn-proc-XXXXXX";
	struct attribution *a;
	struct container c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_pid_max(dir, "4194304\n");
	a = attribution_new(dir, 16);
	assert_non_null(a);
	assert_int_equal(attribution_recheck_ms(a), 50);
	/* A window no slow run outlasts, so that "within" is certain. */
	attribution_set_recheck_ms(a, 600000);
	write_stat(dir, 200, 7000);
	write_file(dir, 200, "cgroup", "0::/system.slice/docker-" ID1 ".scope\n");
	assert_int_equal(attribution_lookup(a, 200, &c), 0);
	assert_string_equal(c.id, ID1);
	/* Within the window: no stat read (it is gone), the cache answers. */
	rm_pid(dir, 200);
	assert_int_equal(attribution_lookup(a, 200, &c), 0);
	assert_string_equal(c.id, ID1);
	/* After it: the pid now names a host process. */
	write_stat(dir, 200, 8000);
	write_file(dir, 200, "cgroup", "0::/system.slice/ssh.service\n");
	attribution_set_recheck_ms(a, 20);
	usleep(200 * 1000);
	assert_int_equal(attribution_lookup(a, 200, &c), 0);
	assert_null(c.id);
	attribution_free(a);
	rm_pid(dir, 200);

	/* A small pid_max: every lookup reads stat, a reuse is seen at once. */
	write_pid_max(dir, "1000\n");
	a = attribution_new(dir, 16);
	assert_non_null(a);
	assert_int_equal(attribution_recheck_ms(a), 0);
	write_stat(dir, 201, 7000);
	write_file(dir, 201, "cgroup", "0::/system.slice/docker-" ID1 ".scope\n");
	assert_int_equal(attribution_lookup(a, 201, &c), 0);
	assert_string_equal(c.id, ID1);
	write_stat(dir, 201, 7001);
	write_file(dir, 201, "cgroup", "0::/system.slice/ssh.service\n");
	assert_int_equal(attribution_lookup(a, 201, &c), 0);
	assert_null(c.id);
	rm_pid(dir, 201);
	assert_int_equal(attribution_lookup(a, 201, &c), -ESRCH);
	attribution_free(a);
	rm_pid_max(dir);
	rmdir(dir);
}

/* Every runtime's shape, read from a prepared /proc tree by pid. */
static void
test_lookup_every_shape(void **state)
{
	char dir[] = "/tmp/aalearn-proc-XXXXXX";
	struct attribution *a;
	struct container c;
	size_t i, n = sizeof(shapes) / sizeof(shapes[0]);
	long pid;
	int rc;

	assert_non_null(mkdtemp(dir));
	for (i = 0; i < n; i++) {
		pid = 1000 + (long)i;
		write_stat(dir, pid, 42 + i);
		write_file(dir, pid, "cgroup", shapes[i].text);
	}
	a = attribution_new(dir, 64);
	for (i = 0; i < n; i++) {
		pid = 1000 + (long)i;
		memset(&c, 0, sizeof(c));
		rc = attribution_lookup(a, pid, &c);
		assert_int_equal(rc, 0);
		if (shapes[i].rc != 0) {
			/* Not in a container: the host. */
			assert_null(c.id);
			continue;
		}
		assert_string_equal(c.runtime, shapes[i].runtime);
		assert_string_equal(c.id, shapes[i].id);
		if (shapes[i].pod == NULL)
			assert_null(c.pod_uid);
		else
			assert_string_equal(c.pod_uid, shapes[i].pod);
	}
	attribution_free(a);
	for (i = 0; i < n; i++)
		rm_pid(dir, 1000 + (long)i);
	rmdir(dir);
}

static void
test_cache_bounded(void **state)
{
	char dir[] = "/tmp/aalearn-proc-XXXXXX";
	struct attribution *a;
	struct container c;
	char text[256];
	long pid;
	int round;

	assert_non_null(mkdtemp(dir));
	a = attribution_new(dir, 4);
	for (pid = 200; pid < 240; pid++) {
		write_stat(dir, pid, (unsigned long long)pid * 7);
		snprintf(text, sizeof(text), "0::/system.slice/docker-%064lx.scope\n",
		    (unsigned long)pid);
		write_file(dir, pid, "cgroup", text);
	}
	/* 40 processes through a cache of 4, twice: every answer right. */
	for (round = 0; round < 2; round++)
		for (pid = 200; pid < 240; pid++) {
			snprintf(text, sizeof(text), "%064lx", (unsigned long)pid);
			assert_int_equal(attribution_lookup(a, pid, &c), 0);
			assert_string_equal(c.id, text);
		}
	for (pid = 200; pid < 240; pid++)
		rm_pid(dir, pid);
	attribution_free(a);
	rmdir(dir);
}

/* ------------------------------------------------------- the real cgroupfs */

#define CGROUP2_MAGIC 0x63677270

/* A cgroup v2 mount we may create groups in, or NULL. */
static const char *
cgroup2_root(void)
{
	static const char *const cands[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sf;
	char probe[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (statfs(cands[i], &sf) != 0 || sf.f_type != CGROUP2_MAGIC)
			continue;
		snprintf(probe, sizeof(probe), "%s/aalearn-probe-%ld", cands[i],
		    (long)getpid());
		if (mkdir(probe, 0755) != 0)
			continue;
		rmdir(probe);
		return cands[i];
	}
	return NULL;
}

static int
move_to(const char *dir, pid_t pid)
{
	char path[PATH_MAX];
	int fd, n, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%ld\n", (long)pid);
	n = (int)strlen(path);
	ok = write(fd, path, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -errno;
}

static void
test_real_cgroup(void **state)
{
	const char *root = cgroup2_root();
	char top[256], outer[512], mid[600], inner[700];
	struct attribution *a;
	struct container c;
	int p[2], st, rc;
	pid_t child;
	char ch;

	if (root == NULL) {
		print_message("SKIP: no writable cgroup v2 filesystem here\n");
		skip();
	}
	snprintf(top, sizeof(top), "%s/aalearn-test-%ld", root, (long)getpid());
	snprintf(outer, sizeof(outer), "%s/docker-%s.scope", top, ID1);
	snprintf(mid, sizeof(mid), "%s/docker", outer);
	snprintf(inner, sizeof(inner), "%s/%s", mid, ID2);
	assert_int_equal(mkdir(top, 0755), 0);
	assert_int_equal(mkdir(outer, 0755), 0);
	assert_int_equal(mkdir(mid, 0755), 0);
	assert_int_equal(mkdir(inner, 0755), 0);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[1]);
		if (read(p[0], &ch, 1) < 0)	/* until the parent closes */
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	a = attribution_new("/proc", 64);

	/* A real process in the cgroup Docker would give it. */
	rc = move_to(outer, child);
	if (rc < 0) {
		/* Delegation or controllers may forbid it (EACCES, EBUSY...). */
		print_message("SKIP: cannot move a process into %s: %s\n",
		    outer, strerror(-rc));
		close(p[1]);
		waitpid(child, &st, 0);
		attribution_free(a);
		rmdir(inner);
		rmdir(mid);
		rmdir(outer);
		rmdir(top);
		skip();
	}
	assert_int_equal(attribution_lookup(a, (long)child, &c), 0);
	assert_string_equal(c.runtime, "docker");
	assert_string_equal(c.id, ID1);
	print_message("real: pid %ld in %s -> %s %s\n", (long)child, outer,
	    c.runtime, c.id);

	/* Moved into a nested container: a fresh attribution sees the innermost
	 * (the cache keys on the process, which did not change). */
	assert_int_equal(move_to(inner, child), 0);
	attribution_free(a);
	a = attribution_new("/proc", 64);
	assert_int_equal(attribution_lookup(a, (long)child, &c), 0);
	assert_string_equal(c.id, ID2);

	/* Our own process is not in a container. */
	assert_int_equal(attribution_lookup(a, (long)getpid(), &c), 0);

	/* The host's pid_max decides the window (50 ms from 32768). */
	{
		FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
		long pid_max = 0;

		if (f != NULL) {
			if (fscanf(f, "%ld", &pid_max) != 1)
				pid_max = 0;
			fclose(f);
		}
		assert_int_equal(attribution_recheck_ms(a),
		    pid_max >= 32768 ? 50 : 0);
	}
	/* Just gone, within the window (made long, so that a slow run is
	 * still within it): the entry answers for the records it logged
	 * before exiting. */
	attribution_set_recheck_ms(a, 600000);
	assert_int_equal(attribution_lookup(a, (long)child, &c), 0);
	close(p[1]);
	assert_int_equal(waitpid(child, &st, 0), child);
	rc = attribution_lookup(a, (long)child, &c);
	assert_int_equal(rc, 0);
	assert_string_equal(c.id, ID2);
	attribution_set_recheck_ms(a, 0);
	/* Checked again: gone, its records are kept, unattributed. */
	assert_int_equal(attribution_lookup(a, (long)child, &c), -ESRCH);

	attribution_free(a);
	assert_int_equal(rmdir(inner), 0);
	assert_int_equal(rmdir(mid), 0);
	assert_int_equal(rmdir(outer), 0);
	assert_int_equal(rmdir(top), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_lookup_cache_and_reuse),
		cmocka_unit_test(test_lookup_recheck_window),
		cmocka_unit_test(test_lookup_every_shape),
		cmocka_unit_test(test_cache_bounded),
		cmocka_unit_test(test_real_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
