/*
 * test_daemon_dedup_crash - netlink and audit.log together, the way a host
 * with auditd runs aalearnd: a stand-in auditd (this test's child) writes
 * every record of the audit multicast group into audit.log, while USER_AVC
 * records are sent through the kernel and aalearnd, reading both sources,
 * is killed with SIGKILL at random points and started again.  Every event
 * must be counted exactly once: not twice (netlink and audit.log), not twice
 * after a restart (audit.log replaying what netlink had already counted),
 * not lost (what happened while it was down comes from audit.log).
 * Needs root and audit in the kernel; skips otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libaudit.h>
#include <poll.h>

#include "test_daemon_lib.h"
#include "test_daemon_avc.h"

static int logfd = -1;

/* auditd's format: "type=NAME msg=audit(...): ...". */
static void
fake_auditd_record(struct source *s, int type, const char *p, size_t len,
    void *arg)
{
	char head[64], buf[9000];
	const char *name = audit_msg_type_to_name(type);
	int n;

	if (name != NULL)
		snprintf(head, sizeof(head), "type=%s msg=", name);
	else
		snprintf(head, sizeof(head), "type=UNKNOWN[%d] msg=", type);
	n = snprintf(buf, sizeof(buf), "%s%.*s\n", head, (int)len, p);
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)write(logfd, buf, (size_t)n);
}

static pid_t
fake_auditd_start(const char *log)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct source_sink sink = { .netlink = fake_auditd_record };
		struct source *src = NULL;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
		if (logfd < 0 || source_netlink_new(&sink, 32 << 20, &src) < 0)
			_exit(1);
		for (;;) {
			struct pollfd pfd = { source_fd(src), POLLIN, 0 };

			(void)poll(&pfd, 1, 1000);
			if (source_read(src) < 0)
				_exit(1);
		}
	}
	return pid;
}

static void
send_batch(const char *profile, int count, int first)
{
	td_send_dbus_avc("Dedup", profile, count, first, 5);
}

static void
netlink_and_auditlog_crash(void **state)
{
	struct tdaemon d;
	struct td_count c;
	char log[160], prof[96];
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	int64_t end, next_kill;
	int sent = 0, kills = 0, rc, fd = -1;
	pid_t aud;

	if (geteuid() != 0 || (fd = audit_open()) < 0)
		skip();
	audit_close(fd);
	print_message("seed %u\n", seed);
	td_init(&d);
	snprintf(log, sizeof(log), "%s/audit.log", d.dir);
	snprintf(prof, sizeof(prof), "aalearn-it-dedup-%d-%lld", (int)getpid(),
	    (long long)td_now_ms());
	aud = fake_auditd_start(log);
	td_sleep_ms(200);
	td_write_conf(&d, "sources = netlink, auditlog\naudit_log = %s\n"
	    "read_backlog = yes\n", log);
	td_start(&d);
	td_wait_ready(&d);
	end = td_now_ms() + td_ms(15000);
	next_kill = td_now_ms() + td_ms(200 + rand_r(&seed) % 600);
	while (td_now_ms() < end) {
		int n = 1 + (int)(rand_r(&seed) % 15);

		send_batch(prof, n, sent);
		sent += n;
		if (td_now_ms() >= next_kill) {
			td_stop(&d, SIGKILL);
			td_drain(&d);
			kills++;
			td_sleep_ms(rand_r(&seed) % 300);
			td_start(&d);
			next_kill = td_now_ms() +
			    td_ms(200 + rand_r(&seed) % 600);
		}
		td_sleep_ms(20);
	}
	print_message("%d events sent, %d kills\n", sent, kills);
	c = td_wait_count(&d, prof, (uint64_t)sent, 30000);
	td_pause(&d, 1000);	/* would a late copy add more? */
	rc = td_stop(&d, SIGTERM);
	kill(aud, SIGKILL);
	waitpid(aud, NULL, 0);
	c = td_count(&d, prof);
	print_message("counted %ju\n", (uintmax_t)c.events);
	if (c.events != (uint64_t)sent || rc != 0)
		td_show_log(&d);
	assert_int_equal(rc, 0);
	assert_int_equal(c.events, sent);
	assert_true(kills >= 5);
	td_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netlink_and_auditlog_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
