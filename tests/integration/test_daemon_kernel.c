/*
 * test_daemon_kernel - the real kernel path, end to end: AppArmor-shaped
 * USER_AVC records (type 1107) sent with libaudit travel through the kernel
 * to the audit multicast group and, with no auditd registered, to
 * /dev/kmsg; aalearnd reads them and they must be in its store, each counted
 * exactly once - also when it reads both sources at the same time.  Plus the
 * service side: sd_notify READY/WATCHDOG/STATUS, SIGHUP, -n.
 *
 * Needs root (CAP_AUDIT_WRITE, CAP_AUDIT_READ) and audit in the kernel;
 * skips otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libaudit.h>

#include "test_daemon_lib.h"

static int auditd_stopped;

static int
have_kernel_audit(void)
{
	int fd;

	if (geteuid() != 0)
		return 0;
	fd = audit_open();
	if (fd < 0)
		return 0;
	audit_close(fd);
	return 1;
}

/* count USER_AVC records for profile, spread over four D-Bus members. */
static void
inject(const char *profile, int count)
{
	char msg[512];
	int fd = audit_open(), i;

	assert_true(fd >= 0);
	for (i = 0; i < count; i++) {
		snprintf(msg, sizeof(msg),
		    "apparmor=\"DENIED\" operation=\"dbus_method_call\" "
		    "bus=\"system\" path=\"/org/aalearn/Test\" "
		    "interface=\"org.aalearn.Test\" member=\"M%d\" "
		    "mask=\"send\" name=\"org.aalearn.test\" pid=%d "
		    "label=\"%s\" peer_pid=1 peer_label=\"unconfined\"",
		    i % 4, (int)getpid(), profile);
		if (audit_log_user_message(fd, AUDIT_USER_AVC, msg, NULL,
		    NULL, NULL, 1) <= 0)
			fail_msg("audit_log_user_message: %s", strerror(errno));
	}
	audit_close(fd);
}

static void
profile_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "aalearn-it-%s-%d-%lld", what, (int)getpid(),
	    (long long)td_now_ms());
}

/* ------------------------------------------------------------ netlink */

static void
netlink_to_store(void **state)
{
	struct tdaemon d;
	struct td_count c;
	char prof[96];

	if (!have_kernel_audit())
		skip();
	td_init(&d);
	td_write_conf(&d, "sources = netlink\n");
	td_start(&d);
	td_wait_ready(&d);
	profile_name(prof, sizeof(prof), "nl");
	inject(prof, 40);
	c = td_wait_count(&d, prof, 40, 10000);
	if (c.events != 40)
		td_show_log(&d);
	assert_int_equal(c.events, 40);
	assert_int_equal(c.observations, 4);	/* M0..M3 */
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	/* Nothing counted twice by the final flush. */
	c = td_count(&d, prof);
	assert_int_equal(c.events, 40);
	td_cleanup(&d);
}

/* SIGTERM right after the records: they are read and flushed, not lost. */
static void
sigterm_flushes(void **state)
{
	struct tdaemon d;
	struct td_count c;
	char prof[96];

	if (!have_kernel_audit())
		skip();
	td_init(&d);
	/* A long interval: only the exit flush can write them. */
	td_write_conf(&d, "sources = netlink\nflush_interval = 1m\n");
	td_start(&d);
	td_wait_ready(&d);
	profile_name(prof, sizeof(prof), "term");
	inject(prof, 12);
	td_pause(&d, 300);		/* kauditd delivers asynchronously */
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	c = td_count(&d, prof);
	assert_int_equal(c.events, 12);
	td_cleanup(&d);
}

/* --------------------------------------------------------------- kmsg */

static void
kmsg_setup_kernel(void)
{
	/* The kernel prints audit records to kmsg only without auditd. */
	if (system("pgrep -x auditd >/dev/null 2>&1") == 0) {
		if (system("systemctl stop auditd >/dev/null 2>&1 || "
		    "service auditd stop >/dev/null 2>&1") == 0)
			auditd_stopped = 1;
		sleep(1);
	}
	td_kmsg_unthrottle();
}

static void
kmsg_restore_kernel(void)
{
	if (auditd_stopped)
		(void)system("systemctl start auditd >/dev/null 2>&1 || "
		    "service auditd start >/dev/null 2>&1");
	auditd_stopped = 0;
}

static int
kmsg_usable(void)
{
	if (!have_kernel_audit() || access("/dev/kmsg", R_OK) != 0)
		return 0;
	return system("pgrep -x auditd >/dev/null 2>&1") != 0;
}

static void
kmsg_to_store_and_resume(void **state)
{
	struct tdaemon d;
	struct td_count c;
	char prof[96];

	if (!have_kernel_audit())
		skip();
	kmsg_setup_kernel();
	if (!kmsg_usable()) {
		kmsg_restore_kernel();
		skip();
	}
	td_init(&d);
	td_write_conf(&d, "sources = kmsg\n");
	td_start(&d);
	td_wait_ready(&d);
	profile_name(prof, sizeof(prof), "kmsg");
	inject(prof, 20);
	c = td_wait_count(&d, prof, 20, 10000);
	if (c.events != 20)
		td_show_log(&d);
	assert_int_equal(c.events, 20);
	assert_int_equal(td_stop(&d, SIGTERM), 0);

	/* Stopped: these wait in the ring; the checkpoint finds them. */
	inject(prof, 8);
	td_sleep_ms(300);
	td_start(&d);
	td_wait_ready(&d);
	c = td_wait_count(&d, prof, 28, 10000);
	td_pause(&d, 300);		/* would a replay add more? */
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	c = td_count(&d, prof);
	if (c.events != 28)
		td_show_log(&d);
	assert_int_equal(c.events, 28);
	td_cleanup(&d);
	kmsg_restore_kernel();
}

/* The same events from netlink and kmsg: every one counted once. */
static void
netlink_and_kmsg_once(void **state)
{
	struct tdaemon d;
	struct td_count c;
	char prof[96];

	if (!have_kernel_audit())
		skip();
	kmsg_setup_kernel();
	if (!kmsg_usable()) {
		kmsg_restore_kernel();
		skip();
	}
	td_init(&d);
	td_write_conf(&d, "sources = netlink, kmsg\n");
	td_start(&d);
	td_wait_ready(&d);
	profile_name(prof, sizeof(prof), "both");
	inject(prof, 30);
	c = td_wait_count(&d, prof, 30, 10000);
	td_pause(&d, 500);	/* the second copy arrives, and is dropped */
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	c = td_count(&d, prof);
	if (c.events != 30)
		td_show_log(&d);
	assert_int_equal(c.events, 30);
	/*
	 * Both sources did deliver every event: the daemon's exit summary
	 * says how many copies it dropped as duplicates - one per event.
	 */
	{
		char log[16384], *p;
		unsigned long long dups = 0, v;
		FILE *f = fopen(d.log, "r");
		size_t n;

		assert_non_null(f);
		n = fread(log, 1, sizeof(log) - 1, f);
		fclose(f);
		log[n] = '\0';
		for (p = log; (p = strstr(p, " duplicates dropped")) != NULL;
		    p++) {
			char *q = p;

			while (q > log && q[-1] >= '0' && q[-1] <= '9')
				q--;
			v = strtoull(q, NULL, 10);
			dups += v;
		}
		print_message("duplicates dropped: %llu\n", dups);
		assert_true(dups >= 30);
	}
	td_cleanup(&d);
	kmsg_restore_kernel();
}

/* ------------------------------------------------------------ service */

static void
notify_watchdog_status_reload(void **state)
{
	struct tdaemon d;
	char buf[512], log[8192];
	int64_t end;
	int watchdog = 0, status = 0, n;
	FILE *f;

	if (!have_kernel_audit())
		skip();
	td_init(&d);
	td_write_conf(&d, "sources = netlink\n");
	td_start_env(&d, "WATCHDOG_USEC=400000");
	td_wait_ready(&d);
	inject("aalearn-it-status", 3);
	/* STATUS comes every 5 s, WATCHDOG every 200 ms. */
	end = td_now_ms() + td_ms(8000);
	while (td_now_ms() < end && !(watchdog > 2 && status)) {
		td_notify(&d, buf, sizeof(buf), 500);
		if (strstr(buf, "WATCHDOG=1") != NULL)
			watchdog++;
		if (strstr(buf, "STATUS=") != NULL &&
		    strstr(buf, "records/s") != NULL &&
		    strstr(buf, "lost") != NULL)
			status = 1;
	}
	assert_true(watchdog > 2);
	assert_true(status);

	/* A bad file on SIGHUP: the old configuration stays, still running. */
	f = fopen(d.conf, "a");
	assert_non_null(f);
	fputs("bogus_key = 1\n", f);
	fclose(f);
	kill(d.pid, SIGHUP);
	td_pause(&d, 300);
	assert_int_equal(waitpid(d.pid, NULL, WNOHANG), 0);
	/* A good one is taken. */
	td_write_conf(&d, "sources = netlink\nlog_level = debug\n");
	kill(d.pid, SIGHUP);
	td_pause(&d, 300);
	assert_int_equal(td_stop(&d, SIGINT), 0);
	f = fopen(d.log, "r");
	assert_non_null(f);
	n = (int)fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(log, "line 4: bogus_key: unknown key"));
	assert_non_null(strstr(log, "keeping the running configuration"));
	assert_non_null(strstr(log, "configuration reloaded"));
	td_cleanup(&d);
}

static void
check_flag(void **state)
{
	const char *bin = getenv("AALEARND_BIN");
	char cmd[512], path[] = "/tmp/test_daemon_n.XXXXXX";
	FILE *f;
	int fd;

	assert_non_null(bin);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# ok\nflush_interval = 2s\n\nmax_pending = lots\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s' -n -c '%s' 2>&1 | grep -q "
	    "'line 4: max_pending'", bin, path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "'%s' -n -c '%s' >/dev/null 2>&1", bin,
	    path);
	assert_int_not_equal(system(cmd), 0);
	f = fopen(path, "w");
	fputs("flush_interval = 2s\n", f);
	fclose(f);
	assert_int_equal(system(cmd), 0);
	/* -c names a file that must exist. */
	unlink(path);
	assert_int_not_equal(system(cmd), 0);
}

/*
 * With sources = auto a root daemon picks netlink; and every descriptor it
 * holds is close-on-exec (sockets, store, files), so that nothing leaks into
 * a child of a library.
 */
static void
auto_netlink_and_cloexec(void **state)
{
	struct tdaemon d;
	char path[128], line[256], log[4096];
	int fd, checked = 0, n;
	FILE *f;

	if (!have_kernel_audit())
		skip();
	td_init(&d);
	td_write_conf(&d, "sources = auto\n");
	td_start(&d);
	td_wait_ready(&d);
	for (fd = 3; fd < 256; fd++) {
		unsigned long flags = 0;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)d.pid,
		    fd);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "flags: %lo", &flags) == 1)
				break;
		fclose(f);
		if (!(flags & 02000000))
			fail_msg("fd %d of aalearnd is not close-on-exec "
			    "(flags %lo)", fd, flags);
		checked++;
	}
	print_message("%d descriptors, all close-on-exec\n", checked);
	assert_true(checked >= 3);	/* netlink, store, event loop */
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	f = fopen(d.log, "r");
	assert_non_null(f);
	n = (int)fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(log, "reading netlink"));
	td_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_flag),
		cmocka_unit_test(netlink_to_store),
		cmocka_unit_test(sigterm_flushes),
		cmocka_unit_test(kmsg_to_store_and_resume),
		cmocka_unit_test(netlink_and_kmsg_once),
		cmocka_unit_test(notify_watchdog_status_reload),
		cmocka_unit_test(auto_netlink_and_cloexec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
