/*
 * test_daemon_lib.h - what the daemon's integration tests share: a scratch
 * directory, starting and stopping the real aalearnd, and counting what
 * reached its store.
 */
#ifndef TEST_DAEMON_LIB_H
#define TEST_DAEMON_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

struct tdaemon {
	char	 dir[64];
	char	 conf[128];
	char	 db[128];
	char	 log[128];	/* the daemon's stderr */
	char	 notify[100];	/* NOTIFY_SOCKET (fits sun_path) */
	int	 notify_fd;
	pid_t	 pid;
};

/*
 * Every wait of these tests is multiplied by $AALEARN_TEST_TIME_SCALE (1
 * by default): tests/valgrind.sh runs the daemon under memcheck, tens of
 * times slower, and a deadline sized for the native daemon would then fail
 * the test for valgrind's pace, not for anything the daemon did.  Only how
 * long the tests wait changes, never what they assert.
 */
__attribute__((unused)) static double
td_time_scale(void)
{
	static double scale;
	const char *env;
	char *end;

	if (scale < 1) {
		scale = 1;
		env = getenv("AALEARN_TEST_TIME_SCALE");
		if (env != NULL) {
			double v = strtod(env, &end);

			if (end != env && *end == '\0' && v >= 1 && v <= 1000)
				scale = v;
		}
	}
	return scale;
}

/* ms milliseconds, stretched by the time scale. */
__attribute__((unused)) static int
td_ms(int ms)
{
	return (int)((double)ms * td_time_scale());
}

/* Sleep for ms milliseconds, stretched by the time scale. */
__attribute__((unused)) static void
td_sleep_ms(int ms)
{
	int64_t us = (int64_t)((double)ms * 1000.0 * td_time_scale());
	struct timespec ts;

	ts.tv_sec = (time_t)(us / 1000000);
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

__attribute__((unused)) static int64_t
td_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((unused)) static void
td_init(struct tdaemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/test_daemon.XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->conf, sizeof(d->conf), "%s/aalearnd.conf", d->dir);
	snprintf(d->db, sizeof(d->db), "%s/db/aalearn.db", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/daemon.log", d->dir);
	snprintf(d->notify, sizeof(d->notify), "%s/notify", d->dir);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(d->notify_fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->notify);
	assert_int_equal(bind(d->notify_fd, (struct sockaddr *)&sa,
	    sizeof(sa)), 0);
	d->pid = -1;
}

static void td_write_conf(struct tdaemon *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

__attribute__((unused)) static void
td_write_conf(struct tdaemon *d, const char *fmt, ...)
{
	va_list ap;
	FILE *f = fopen(d->conf, "w");

	assert_non_null(f);
	fprintf(f, "database = %s\nflush_interval = 50ms\n", d->db);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

__attribute__((unused)) static void
td_start_env(struct tdaemon *d, const char *extra_env)
{
	const char *bin = getenv("AALEARND_BIN");
	pid_t pid;

	assert_non_null(bin);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);

		/* A failed test must not leave a daemon behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		/* As systemd starts it: nothing inherited beyond stdio. */
		close_range(3, ~0U, 0);
		setenv("NOTIFY_SOCKET", d->notify, 1);
		if (extra_env != NULL) {
			char kv[128], *eq;

			snprintf(kv, sizeof(kv), "%s", extra_env);
			if ((eq = strchr(kv, '=')) != NULL) {
				*eq = '\0';
				setenv(kv, eq + 1, 1);
			}
		}
		execl(bin, bin, "-f", "-c", d->conf, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
}

__attribute__((unused)) static void
td_start(struct tdaemon *d)
{
	td_start_env(d, NULL);
}

/* The next sd_notify datagram, or "" after timeout_ms. */
__attribute__((unused)) static void
td_notify(struct tdaemon *d, char *buf, size_t len, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	ssize_t n;

	setsockopt(d->notify_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(d->notify_fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

/* Forget queued notifications (a full queue would block the daemon). */
__attribute__((unused)) static void
td_drain(struct tdaemon *d)
{
	char buf[512];

	while (recv(d->notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * Sleep for ms milliseconds (stretched by the time scale) while the daemon
 * runs, draining its notifications: over a stretched pause WATCHDOG=1 and
 * STATUS= would fill the socket's queue and block the daemon in sd_notify.
 */
__attribute__((unused)) static void
td_pause(struct tdaemon *d, int ms)
{
	int64_t end = td_now_ms() + td_ms(ms), left;

	for (;;) {
		td_drain(d);
		left = end - td_now_ms();
		if (left <= 0)
			return;
		usleep((useconds_t)(left < 50 ? left : 50) * 1000);
	}
}

/* Wait for READY=1 (the daemon set up its sources). */
__attribute__((unused)) static void
td_wait_ready(struct tdaemon *d)
{
	int64_t end = td_now_ms() + td_ms(20000);
	char buf[512];

	while (td_now_ms() < end) {
		td_notify(d, buf, sizeof(buf), 500);
		if (strstr(buf, "READY=1") != NULL)
			return;
	}
	fail_msg("aalearnd did not report READY (see %s)", d->log);
}

/* SIGTERM, and the exit status it gives. */
__attribute__((unused)) static int
td_stop(struct tdaemon *d, int sig)
{
	int status = 0;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	assert_int_equal(waitpid(d->pid, &status, 0), d->pid);
	d->pid = -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

__attribute__((unused)) static void
td_show_log(struct tdaemon *d)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "tail -n 30 '%s' >&2", d->log);
	(void)system(cmd);
}

__attribute__((unused)) static void
td_cleanup(struct tdaemon *d)
{
	char cmd[128];

	if (d->pid > 0)
		td_stop(d, SIGKILL);
	close(d->notify_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	(void)system(cmd);
}

struct td_count {
	uint64_t events;	/* allowed + denied */
	uint64_t observations;
};

__attribute__((unused)) static int
td_count_cb(const struct observation *o, void *arg)
{
	struct td_count *c = arg;

	c->events += o->allowed + o->denied;
	c->observations++;
	return 0;
}

/* Events counted for profile in the store (0 when it is not there yet). */
__attribute__((unused)) static struct td_count
td_count(struct tdaemon *d, const char *profile)
{
	struct td_count c = { 0, 0 };
	char err[256];
	struct store *st;

	if (access(d->db, F_OK) != 0)
		return c;
	st = store_open(d->db, STORE_READONLY, err, sizeof(err));
	if (st == NULL)
		return c;
	(void)store_list_observations(st, profile, NULL, td_count_cb, &c);
	store_close(st);
	return c;
}

/*
 * Poll the store until profile has want events or timeout_ms (stretched by
 * the time scale) passed.
 */
__attribute__((unused)) static struct td_count
td_wait_count(struct tdaemon *d, const char *profile, uint64_t want,
    int timeout_ms)
{
	int64_t end = td_now_ms() + td_ms(timeout_ms);
	struct td_count c;

	for (;;) {
		td_drain(d);
		c = td_count(d, profile);
		if (c.events >= want || td_now_ms() > end)
			return c;
		usleep(50000);
	}
}

/*
 * Tests that change the kernel's printk rate limit for /dev/kmsg take
 * turns, so that one restoring it does not throttle another mid-run.
 */
static int td_kmsg_lock_fd = -1;

__attribute__((unused)) static void
td_kmsg_lock(void)
{
	/* Still held after a failed test: flock would wait for itself. */
	if (td_kmsg_lock_fd >= 0)
		return;
	td_kmsg_lock_fd = open("/tmp/aalearn-kmsg-tests.lock",
	    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (td_kmsg_lock_fd >= 0)
		(void)flock(td_kmsg_lock_fd, LOCK_EX);
}

__attribute__((unused)) static void
td_kmsg_unlock(void)
{
	if (td_kmsg_lock_fd >= 0)
		close(td_kmsg_lock_fd);
	td_kmsg_lock_fd = -1;
}

/*
 * Without auditd the kernel prints audit records to /dev/kmsg through
 * printk_ratelimit() (10 per 5 s by default).  Raise the burst once per
 * process, holding the lock until exit so that two test programs do not
 * undo each other, and wait out the current interval: a new burst only
 * counts from the next one.  Restored at exit.
 */
static char td_burst_saved[32];

static void
td_kmsg_restore(void)
{
	FILE *f;

	if (td_burst_saved[0] != '\0' &&
	    strcmp(td_burst_saved, "100000\n") != 0 &&
	    (f = fopen("/proc/sys/kernel/printk_ratelimit_burst", "w")) !=
	    NULL) {
		fputs(td_burst_saved, f);
		fclose(f);
	}
	td_kmsg_unlock();
}

__attribute__((unused)) static void
td_kmsg_unthrottle(void)
{
	static int done;
	int interval = 5;
	FILE *f;

	if (done)
		return;
	done = 1;
	td_kmsg_lock();
	if ((f = fopen("/proc/sys/kernel/printk_ratelimit", "r")) != NULL) {
		if (fscanf(f, "%d", &interval) != 1)
			interval = 5;
		fclose(f);
	}
	if ((f = fopen("/proc/sys/kernel/printk_ratelimit_burst", "r")) !=
	    NULL) {
		if (fgets(td_burst_saved, sizeof(td_burst_saved), f) == NULL)
			td_burst_saved[0] = '\0';
		fclose(f);
	}
	if ((f = fopen("/proc/sys/kernel/printk_ratelimit_burst", "w")) !=
	    NULL) {
		fputs("100000\n", f);
		fclose(f);
	}
	atexit(td_kmsg_restore);
	sleep((unsigned)interval + 1);
}

#endif /* TEST_DAEMON_LIB_H */
