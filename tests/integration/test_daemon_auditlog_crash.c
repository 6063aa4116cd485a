/*
 * test_daemon_auditlog_crash - aalearnd follows an audit.log that is being
 * appended to and rotated (by rename, with a writer that finishes its lines
 * in the old file, and by copy-truncate) while the daemon is killed with
 * SIGKILL at random points and started again.  At the end the store holds
 * exactly as many events as were written: none lost, none counted twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "test_daemon_lib.h"

#define TOTAL_DEFAULT 30000	/* records written */
#define PER_ROTATION 1200	/* records between rotations, about */
#define NAMES 37		/* distinct file names: observations */
#define KEEP 64			/* generations kept: none deleted unread */

struct writer {
	char	 log[160];
	int	 fd;
	int	 serial;
	char	 profile[64];
	unsigned seed;
	int	 renames, copies;
};

static void
wr_open(struct writer *w)
{
	w->fd = open(w->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(w->fd >= 0);
}

static void
wr_records(struct writer *w, int fd, int n)
{
	static char buf[64 * 512];
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++) {
		int s = ++w->serial;

		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "type=AVC msg=audit(1790000000.%03d:%d): apparmor=\"ALLOWED\" "
		    "operation=\"open\" class=\"file\" profile=\"%s\" "
		    "name=\"/srv/crash/f%d\" pid=%d comm=\"writer\" "
		    "requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0\n",
		    s % 1000, s, w->profile, s % NAMES, (int)getpid());
	}
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void
wr_shift(struct writer *w)
{
	char a[200], b[200];
	int i;

	for (i = KEEP - 1; i >= 1; i--) {
		snprintf(a, sizeof(a), "%s.%d", w->log, i);
		snprintf(b, sizeof(b), "%s.%d", w->log, i + 1);
		(void)rename(a, b);
	}
}

static void
wr_rotate(struct writer *w)
{
	char one[200];

	wr_shift(w);
	snprintf(one, sizeof(one), "%s.1", w->log);
	if ((w->renames + w->copies) % 2 == 0) {
		/* auditd: rename, a last line into the old file, reopen. */
		assert_int_equal(rename(w->log, one), 0);
		if (rand_r(&w->seed) % 2)
			wr_records(w, w->fd, 1 + (int)(rand_r(&w->seed) % 5));
		close(w->fd);
		wr_open(w);
		w->renames++;
	} else {
		/* logrotate copytruncate: copy, then truncate in place. */
		char buf[65536];
		int in = open(w->log, O_RDONLY | O_CLOEXEC);
		int out = open(one, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
		ssize_t n;

		assert_true(in >= 0 && out >= 0);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			assert_int_equal(write(out, buf, (size_t)n), n);
		close(in);
		close(out);
		assert_int_equal(ftruncate(w->fd, 0), 0);
		w->copies++;
	}
}

static void
crash_and_rotate(void **state)
{
	struct tdaemon d;
	struct writer w;
	struct td_count c;
	int64_t next_kill;
	int kills = 0, since_rotation = 0, rc, TOTAL = TOTAL_DEFAULT;

	if (getenv("AALEARN_CRASH_TOTAL") != NULL)
		TOTAL = atoi(getenv("AALEARN_CRASH_TOTAL"));

	td_init(&d);
	memset(&w, 0, sizeof(w));
	snprintf(w.log, sizeof(w.log), "%s/audit.log", d.dir);
	snprintf(w.profile, sizeof(w.profile), "crashtest-%d", (int)getpid());
	w.seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	print_message("seed %u\n", w.seed);
	td_write_conf(&d, "sources = auditlog\naudit_log = %s\n"
	    "read_backlog = yes\n", w.log);
	td_start(&d);
	td_wait_ready(&d);
	wr_open(&w);
	next_kill = td_now_ms() + td_ms(100 + rand_r(&w.seed) % 600);
	while (w.serial < TOTAL) {
		int n = 1 + (int)(rand_r(&w.seed) % 50);

		if (n > TOTAL - w.serial)
			n = TOTAL - w.serial;
		wr_records(&w, w.fd, n);
		since_rotation += n;
		if (since_rotation >= PER_ROTATION) {
			wr_rotate(&w);
			since_rotation = 0;
		}
		if (td_now_ms() >= next_kill) {
			td_stop(&d, SIGKILL);
			td_drain(&d);
			kills++;
			td_sleep_ms(rand_r(&w.seed) % 200);
			td_start(&d);
			next_kill = td_now_ms() +
			    td_ms(100 + rand_r(&w.seed) % 600);
		}
		td_sleep_ms(12);
	}
	close(w.fd);
	td_drain(&d);
	print_message("%d records, %d kills, %d renames, %d copy-truncates\n",
	    w.serial, kills, w.renames, w.copies);
	c = td_wait_count(&d, w.profile, (uint64_t)TOTAL, 60000);
	td_pause(&d, 300);
	rc = td_stop(&d, SIGTERM);
	c = td_count(&d, w.profile);
	print_message("counted %ju events in %ju observations\n",
	    (uintmax_t)c.events, (uintmax_t)c.observations);
	if (c.events != (uint64_t)TOTAL || rc != 0)
		td_show_log(&d);
	assert_int_equal(rc, 0);
	assert_int_equal(c.observations, NAMES);
	assert_int_equal(c.events, TOTAL);
	assert_true(kills >= 5);
	assert_true(w.renames >= 5 && w.copies >= 5);
	td_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crash_and_rotate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
