/*
 * test_daemon_fault - aalearnd under faults of its database and its input:
 * the disk fills while it flushes (a small tmpfs as the database directory),
 * the database is made read-only (chattr +i on the files and the directory),
 * audit.log is deleted and created again, the netlink socket fails (made
 * to by $AALEARND_TEST_NETLINK_FAIL_ON: nothing outside can break a socket
 * another process holds).  Through each fault the daemon
 * keeps running and says what is wrong; what it had committed stays; once
 * the fault is cleared, what it held in memory is written and the store
 * counts exactly the events written to audit.log.
 *
 * Needs root (mount, chattr); skipped otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libaudit.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "test_daemon_lib.h"
#include "test_daemon_avc.h"

struct feed {
	char	 log[160];
	char	 profile[64];
	int	 serial;
};

/*
 * n records, each naming a file of its own (so each is an observation and
 * the store has to grow), with a long name so that a few thousand need more
 * pages than the database had.
 */
static void
feed_records(struct feed *f, int n)
{
	char line[1024];
	int fd, i;

	fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (i = 0; i < n; i++) {
		int s = ++f->serial;
		int len = snprintf(line, sizeof(line),
		    "type=AVC msg=audit(1790000000.%03d:%d): "
		    "apparmor=\"ALLOWED\" operation=\"open\" class=\"file\" "
		    "profile=\"%s\" name=\"/srv/fault/%0200d\" pid=%d "
		    "comm=\"writer\" requested_mask=\"r\" denied_mask=\"r\" "
		    "fsuid=0 ouid=0\n", s % 1000, s, f->profile, s,
		    (int)getpid());

		assert_int_equal(write(fd, line, (size_t)len), len);
	}
	close(fd);
}

static int
log_has(struct tdaemon *d, const char *needle)
{
	char buf[65536];
	ssize_t n;
	int fd = open(d->log, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static int
wait_log(struct tdaemon *d, const char *needle, int timeout_ms)
{
	int64_t end = td_now_ms() + td_ms(timeout_ms);

	while (td_now_ms() < end) {
		if (log_has(d, needle))
			return 1;
		td_drain(d);
		usleep(50000);
	}
	return 0;
}

/* The daemon is still there (not a zombie waiting for us). */
static void
assert_alive(struct tdaemon *d)
{
	int status;

	assert_int_equal(waitpid(d->pid, &status, WNOHANG), 0);
}

struct prof_row {
	const char *name;
	uint64_t overflow;
};

static int
prof_cb(const struct profile_info *p, void *arg)
{
	struct prof_row *r = arg;

	if (strcmp(p->name, r->name) == 0)
		r->overflow = p->overflow;
	return 0;
}

static uint64_t
overflow_of(struct tdaemon *d, const char *profile)
{
	struct prof_row r = { profile, 0 };
	char err[256];
	struct store *st = store_open(d->db, STORE_READONLY, err, sizeof(err));
	int rc;

	assert_non_null(st);
	rc = store_list_profiles(st, prof_cb, &r);
	store_close(st);
	assert_true(rc >= 0);
	return r.overflow;
}

static void
run(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

static void
start_conf(struct tdaemon *d, struct feed *f, const char *tag,
    const char *extra)
{
	td_init(d);
	memset(f, 0, sizeof(*f));
	snprintf(f->log, sizeof(f->log), "%s/audit.log", d->dir);
	snprintf(f->profile, sizeof(f->profile), "%s-%d", tag, (int)getpid());
	/* The status file outside the database directory, which is what fails. */
	td_write_conf(d, "sources = auditlog\naudit_log = %s\n"
	    "read_backlog = yes\nstatus_file = %s/status\n%s", f->log, d->dir,
	    extra);
}

/* The output of 'aalearn [--json] status' for d's store and status file. */
static void
cli_status(struct tdaemon *d, int json, char *out, size_t outlen)
{
	const char *bin = getenv("AALEARN_BIN");
	char cmd[1024];
	size_t got = 0, n;
	FILE *p;

	assert_non_null(bin);
	snprintf(cmd, sizeof(cmd), "AALEARN_STATUS_FILE='%s/status' '%s' "
	    "--db '%s'%s status 2>&1", d->dir, bin, d->db,
	    json ? " --json" : "");
	p = popen(cmd, "r");
	assert_non_null(p);
	while (got + 1 < outlen &&
	    (n = fread(out + got, 1, outlen - 1 - got, p)) > 0)
		got += n;
	out[got] = '\0';
	(void)pclose(p);
}

/*
 * Wait until 'aalearn status' shows (want 1) or no longer shows (want 0)
 * the daemon's warning that the store cannot be written; 1 when it did.
 */
static int
wait_cli_warning(struct tdaemon *d, int want, const char *error,
    char *out, size_t outlen)
{
	int64_t end = td_now_ms() + td_ms(10000);
	int has;

	do {
		cli_status(d, 0, out, outlen);
		has = strstr(out, "warning: aalearnd cannot write the store "
		    "since ") != NULL && strstr(out, error) != NULL &&
		    strstr(out, "observations held in memory") != NULL;
		if (has == want)
			return 1;
		td_drain(d);
		usleep(100000);
	} while (td_now_ms() < end);
	return 0;
}

static void
start(struct tdaemon *d, struct feed *f, const char *tag)
{
	start_conf(d, f, tag, "");
}

static void
disk_full(void **state)
{
	char dbdir[160], cmd[512], filler[200], out[65536], status[160];
	struct tdaemon d;
	struct stat sb;
	mode_t old_mask;
	struct feed f;
	struct td_count c;
	int fd, held;

	if (geteuid() != 0)
		skip();
	/*
	 * Flushes asked for by a full aggregate too (every 100 keys), and a
	 * cap on what is held: 3000 of the 4000 new keys wait in memory, the
	 * other 1000 are counted as overflow.
	 */
	start_conf(&d, &f, "diskfull", "flush_max_pending = 100\n"
	    "max_pending = 3000\n");
	snprintf(dbdir, sizeof(dbdir), "%s/db", d.dir);
	assert_int_equal(mkdir(dbdir, 0700), 0);
	/*
	 * A mount namespace of our own (the daemon inherits it): a failed
	 * test leaves no tmpfs behind on the host.
	 */
	if (unshare(CLONE_NEWNS) == 0)
		(void)mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	assert_int_equal(mount("tmpfs", dbdir, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=6m,mode=0700"), 0);
	snprintf(filler, sizeof(filler), "%s/filler", dbdir);

	/* As under the unit's UMask=0077: the status file is 0644 anyway. */
	old_mask = umask(077);
	td_start(&d);
	umask(old_mask);
	td_wait_ready(&d);
	feed_records(&f, 200);
	c = td_wait_count(&d, f.profile, 200, 20000);
	assert_int_equal(c.events, 200);

	/* Leave no free block. */
	fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	{
		static char block[65536];
		size_t sz = sizeof(block);

		memset(block, 'x', sizeof(block));
		while (sz > 0) {
			if (write(fd, block, sz) < 0)
				sz /= 2;
		}
	}
	close(fd);

	/* About 1 MiB more of observations than the free space (none). */
	feed_records(&f, 4000);
	held = 3000;
	if (!wait_log(&d, "No space left on device", 20000) &&
	    !wait_log(&d, "flush to", 1)) {
		td_show_log(&d);
		fail_msg("no flush failure reported in the log");
	}
	assert_alive(&d);
	/* What was committed before stays readable. */
	c = td_count(&d, f.profile);
	assert_true(c.events >= 200);
	/* 'aalearn status' says so, though the store cannot. */
	if (!wait_cli_warning(&d, 1, "No space left on device", out,
	    sizeof(out))) {
		td_show_log(&d);
		fail_msg("aalearn status shows no warning: %s", out);
	}
	snprintf(status, sizeof(status), "%s/status", d.dir);
	assert_int_equal(stat(status, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	cli_status(&d, 1, out, sizeof(out));
	if (strstr(out, "\"daemon\":{") == NULL ||
	    strstr(out, "\"state\":\"failing\"") == NULL ||
	    strstr(out, "\"error\":\"No space left on device\"") == NULL)
		fail_msg("aalearn --json status: %s", out);

	/* Clear the fault: everything held goes in, exactly once. */
	assert_int_equal(unlink(filler), 0);
	c = td_wait_count(&d, f.profile, 200 + (uint64_t)held, 30000);
	if (c.events != 200 + (uint64_t)held)
		td_show_log(&d);
	assert_int_equal(c.events, 200 + held);
	assert_int_equal(c.observations, 200 + held);
	assert_int_equal(overflow_of(&d, f.profile), 4000 - held);
	assert_alive(&d);
	assert_true(wait_log(&d, "flushing works again", 5000));
	if (!wait_cli_warning(&d, 0, "No space left on device", out,
	    sizeof(out)))
		fail_msg("aalearn status still warns after recovery: %s", out);
	cli_status(&d, 1, out, sizeof(out));
	if (strstr(out, "\"state\":\"ok\"") == NULL)
		fail_msg("aalearn --json status after recovery: %s", out);
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	c = td_count(&d, f.profile);
	assert_int_equal(c.events, 200 + held);
	/* Stopped: nothing left to warn about. */
	cli_status(&d, 0, out, sizeof(out));
	assert_null(strstr(out, "cannot write the store"));

	snprintf(cmd, sizeof(cmd), "umount '%s'", dbdir);
	run(cmd);
	td_cleanup(&d);
}

static void
read_only(void **state)
{
	char dbdir[160], cmd[1024];
	struct tdaemon d;
	struct feed f;
	struct td_count c;

	if (geteuid() != 0)
		skip();
	start(&d, &f, "readonly");
	snprintf(dbdir, sizeof(dbdir), "%s/db", d.dir);
	td_start(&d);
	td_wait_ready(&d);
	feed_records(&f, 100);
	c = td_wait_count(&d, f.profile, 100, 20000);
	assert_int_equal(c.events, 100);

	/*
	 * Root ignores modes: the immutable flag stops even root.  The -shm
	 * file stays writable: SQLite maps it, and a page the kernel wrote
	 * back would fault (SIGBUS) on the next write to an immutable file -
	 * a crash no real read-only database causes.
	 */
	snprintf(cmd, sizeof(cmd), "find '%s' -maxdepth 1 -type f ! -name '*-shm' "
	    "-exec chattr +i {} + && chattr +i '%s'", dbdir, dbdir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "chattr -i '%s' '%s'/* 2>/dev/null",
		    dbdir, dbdir);
		(void)system(cmd);
		td_cleanup(&d);
		skip();
	}
	feed_records(&f, 500);
	if (!wait_log(&d, "flush to", 20000)) {
		td_show_log(&d);
		fail_msg("no flush failure reported in the log");
	}
	assert_alive(&d);
	/* Still readable, still what was committed. */
	c = td_count(&d, f.profile);
	assert_int_equal(c.events, 100);

	snprintf(cmd, sizeof(cmd), "chattr -i '%s' '%s'/*", dbdir, dbdir);
	run(cmd);
	c = td_wait_count(&d, f.profile, 600, 30000);
	if (c.events != 600)
		td_show_log(&d);
	assert_int_equal(c.events, 600);
	assert_int_equal(c.observations, 600);
	assert_alive(&d);
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	c = td_count(&d, f.profile);
	assert_int_equal(c.events, 600);
	td_cleanup(&d);
}

static void
auditlog_recreated(void **state)
{
	struct tdaemon d;
	struct feed f;
	struct td_count c;

	start(&d, &f, "recreated");
	td_start(&d);
	td_wait_ready(&d);
	feed_records(&f, 300);
	c = td_wait_count(&d, f.profile, 300, 20000);
	assert_int_equal(c.events, 300);

	/* Deleted: the daemon waits for it... */
	assert_int_equal(unlink(f.log), 0);
	td_pause(&d, 400);
	assert_alive(&d);
	/* ...and reads the new file from its start. */
	feed_records(&f, 250);
	c = td_wait_count(&d, f.profile, 550, 20000);
	if (c.events != 550)
		td_show_log(&d);
	assert_int_equal(c.events, 550);
	/* Deleted and created again between two polls. */
	assert_int_equal(unlink(f.log), 0);
	feed_records(&f, 50);
	c = td_wait_count(&d, f.profile, 600, 20000);
	if (c.events != 600)
		td_show_log(&d);
	assert_int_equal(c.events, 600);
	assert_alive(&d);
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	/* A restart does not count the new file again. */
	td_start(&d);
	td_wait_ready(&d);
	td_pause(&d, 500);
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	c = td_count(&d, f.profile);
	assert_int_equal(c.events, 600);
	td_cleanup(&d);
}

static void
send_avc(const char *profile, int count, int first)
{
	td_send_dbus_avc("Fault", profile, count, first, 0);
}

static void
netlink_fails(void **state)
{
	struct tdaemon d;
	struct td_count c;
	char prof[64], trig[96], env[160];
	int fd = -1;

	if (geteuid() != 0 || (fd = audit_open()) < 0)
		skip();
	audit_close(fd);
	td_init(&d);
	snprintf(prof, sizeof(prof), "aalearn-it-fault-%d-%lld", (int)getpid(),
	    (long long)td_now_ms());
	snprintf(trig, sizeof(trig), "%s-trigger", prof);
	td_write_conf(&d, "sources = netlink\n");
	snprintf(env, sizeof(env), "AALEARND_TEST_NETLINK_FAIL_ON=%s", trig);
	td_start_env(&d, env);
	td_wait_ready(&d);
	send_avc(prof, 40, 0);
	c = td_wait_count(&d, prof, 40, 20000);
	if (c.events != 40)
		td_show_log(&d);
	assert_int_equal(c.events, 40);
	send_avc(trig, 1, 0);
	if (!wait_log(&d, "reopened", 10000)) {
		td_show_log(&d);
		fail_msg("the netlink socket was not reopened");
	}
	assert_true(log_has(&d, "netlink: read: Input/output error"));
	assert_alive(&d);
	/* A new socket: these arrive, the old ones stay counted once. */
	send_avc(prof, 30, 40);
	c = td_wait_count(&d, prof, 70, 20000);
	if (c.events != 70)
		td_show_log(&d);
	assert_int_equal(c.events, 70);
	assert_int_equal(c.observations, 70);
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	c = td_count(&d, prof);
	assert_int_equal(c.events, 70);
	td_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(disk_full),
		cmocka_unit_test(read_only),
		cmocka_unit_test(auditlog_recreated),
		cmocka_unit_test(netlink_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
