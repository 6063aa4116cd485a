/*
 * test_daemon_sources - the kernel sources on their own, against the real
 * kernel: the netlink socket overflowing (counted, buffer raised, reading
 * goes on), the kernel's lost counter, /dev/kmsg's escaping of hostile
 * bytes undone, and kmsg resuming from its sequence-number checkpoint.
 * Needs root and audit in the kernel; skips otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <libaudit.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_daemon_lib.h"

struct got {
	int64_t	 min_serial, max_serial;	/* over every message */
	int	 all;
	char	 marker[64];
	int	 hits;		/* messages carrying marker */
	int	 nl_type;
	char	 last[4096];	/* the last one carrying marker */
	size_t	 last_len;
};

static void
got_text(struct got *g, const char *p, size_t len)
{
	if (memmem(p, len, g->marker, strlen(g->marker)) == NULL)
		return;
	g->hits++;
	g->last_len = len < sizeof(g->last) ? len : sizeof(g->last);
	memcpy(g->last, p, g->last_len);
}

static void
on_line(struct source *s, const char *line, size_t len, void *arg)
{
	got_text(arg, line, len);
}

static void
on_netlink(struct source *s, int type, const char *p, size_t len, void *arg)
{
	struct got *g = arg;
	int64_t e, ser;
	int ms;

	if (dedup_stamp(p, len, &e, &ms, &ser) == 0) {
		if (g->all == 0 || ser < g->min_serial)
			g->min_serial = ser;
		if (ser > g->max_serial)
			g->max_serial = ser;
		g->all++;
	}

	got_text(g, p, len);
	if (memmem(p, len, g->marker, strlen(g->marker)) != NULL)
		g->nl_type = type;
}

static int
root_with_audit(void)
{
	int fd;

	if (geteuid() != 0 || (fd = audit_open()) < 0)
		return 0;
	audit_close(fd);
	return 1;
}

static void
send_avc(const char *body, int count)
{
	int fd = audit_open(), i;

	assert_true(fd >= 0);
	for (i = 0; i < count; i++)
		assert_true(audit_log_user_message(fd, AUDIT_USER_AVC, body,
		    NULL, NULL, NULL, 1) > 0);
	audit_close(fd);
}

/* Read src until want marked messages came or 5 s (scaled) passed. */
static void
read_until(struct source *src, struct got *g, int want)
{
	struct timespec t0, t;
	struct pollfd pfd = { source_fd(src), POLLIN, 0 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		assert_true(source_read(src) >= 0);
		if (g->hits >= want)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > td_ms(5000) / 1000)
			return;
		(void)poll(&pfd, 1, 100);
	}
}

static void
marker_init(struct got *g, const char *what)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->marker, sizeof(g->marker), "aalearn-src-%s-%d-%ld", what,
	    (int)getpid(), (long)time(NULL));
}

static void
netlink_delivers(void **state)
{
	struct source_sink sink = { .netlink = on_netlink };
	struct source *src = NULL;
	struct got g;
	char body[256];

	if (!root_with_audit())
		skip();
	marker_init(&g, "nl");
	sink.arg = &g;
	assert_int_equal(source_netlink_new(&sink, 1 << 20, &src), 0);
	assert_string_equal(source_name(src), "netlink");
	snprintf(body, sizeof(body), "apparmor=\"DENIED\" operation=\"x\" "
	    "label=\"%s\"", g.marker);
	send_avc(body, 3);
	read_until(src, &g, 3);
	assert_int_equal(g.hits, 3);
	assert_int_equal(g.nl_type, AUDIT_USER_AVC);
	/* The payload is the record as the kernel formats it. */
	assert_int_equal(strncmp(g.last, "audit(", 6), 0);
	assert_non_null(memmem(g.last, g.last_len, body, strlen(body)));
	source_free(src);
}

/*
 * A reader that does not keep up: the kernel drops for it and says ENOBUFS.
 * The source counts the loss, raises its buffer, and goes on reading.
 */
static void
netlink_overflow_counted(void **state)
{
	struct source_sink sink = { .netlink = on_netlink };
	struct source *src = NULL;
	struct source_counts c;
	struct got g;
	char body[1024];
	int rcvbuf = 0;
	socklen_t sl = sizeof(rcvbuf);

	if (!root_with_audit())
		skip();
	marker_init(&g, "flood");
	sink.arg = &g;
	/* A tiny buffer, so that a few hundred records overflow it. */
	assert_int_equal(source_netlink_new(&sink, 4096, &src), 0);
	snprintf(body, sizeof(body), "apparmor=\"DENIED\" operation=\"x\" "
	    "label=\"%s\" pad=\"%0600d\"", g.marker, 0);
	send_avc(body, 400);
	td_sleep_ms(300);
	read_until(src, &g, 400);
	source_get_counts(src, &c);
	print_message("delivered %d of 400, overflows %ju, lost %ju\n", g.hits,
	    (uintmax_t)c.overflows, (uintmax_t)c.lost);
	if (c.overflows == 0)
		source_free(src);
	assert_true(c.overflows >= 1);
	assert_true(c.lost >= 1);
	assert_true(g.hits < 400);
	assert_int_equal(getsockopt(source_fd(src), SOL_SOCKET, SO_RCVBUF,
	    &rcvbuf, &sl), 0);
	assert_true(rcvbuf > 8192);
	/*
	 * Still reading afterwards; the next record shows the gap in serials
	 * and with it how many were lost: delivered + lost = sent (others'
	 * records sent meanwhile may only add to the gap).
	 */
	send_avc(body, 2);
	read_until(src, &g, g.hits + 2);
	source_get_counts(src, &c);
	print_message("then delivered %d of 402, lost %ju\n", g.hits,
	    (uintmax_t)c.lost);
	assert_true((uint64_t)g.hits + c.lost >= 402);
	/*
	 * And no more than the serials that went by (other processes' records
	 * share the serial space, so this bound is about every message).
	 */
	assert_true((uint64_t)g.all + c.lost <=
	    (uint64_t)(g.max_serial - g.min_serial + 1));
	source_free(src);
}

static void
kernel_lost_counter(void **state)
{
	uint64_t lost = UINT64_MAX;

	if (!root_with_audit())
		skip();
	assert_int_equal(source_netlink_kernel_lost(&lost), 0);
	assert_true(lost != UINT64_MAX);
}

static int
kmsg_usable(void)
{
	return root_with_audit() && access("/dev/kmsg", R_OK) == 0 &&
	    system("pgrep -x auditd >/dev/null 2>&1") != 0;
}

static void
burst_raise(void)
{
	td_kmsg_unthrottle();
}

static void
burst_restore(void)
{
	/* At exit (see td_kmsg_unthrottle). */
}

/*
 * A USER_AVC's msg is logged as sent; /dev/kmsg escapes '\' and control
 * bytes as \xNN, and the source undoes that: the line is the same bytes
 * netlink delivers.
 */
static void
kmsg_unescapes(void **state)
{
	struct source_sink sink = { .line = on_line };
	struct source *src = NULL;
	struct got g;
	char body[256];

	if (!kmsg_usable())
		skip();
	burst_raise();
	marker_init(&g, "esc");
	sink.arg = &g;
	assert_int_equal(source_kmsg_new(&sink, NULL, NULL, 0, &src), 0);
	snprintf(body, sizeof(body), "apparmor=\"DENIED\" label=\"%s\" "
	    "name=\"a\\x41\tb\001c\"", g.marker);
	send_avc(body, 1);
	read_until(src, &g, 1);
	burst_restore();
	assert_int_equal(g.hits, 1);
	assert_int_equal(strncmp(g.last, "audit: type=1107 audit(", 23), 0);
	assert_non_null(memmem(g.last, g.last_len, body, strlen(body)));
	source_free(src);
}

/* The position names boot and sequence; resuming skips what was read. */
static void
kmsg_resume(void **state)
{
	struct source_sink sink = { .line = on_line };
	struct source *src = NULL;
	struct got g;
	char body[256], pos[128], boot[64] = "";
	FILE *f;

	if (!kmsg_usable())
		skip();
	burst_raise();
	marker_init(&g, "resume");
	sink.arg = &g;
	snprintf(body, sizeof(body), "apparmor=\"DENIED\" label=\"%s\"",
	    g.marker);
	assert_int_equal(source_kmsg_new(&sink, NULL, NULL, 0, &src), 0);
	send_avc(body, 2);
	read_until(src, &g, 2);
	assert_int_equal(g.hits, 2);
	assert_true(source_position(src, pos, sizeof(pos)) > 0);
	f = fopen("/proc/sys/kernel/random/boot_id", "r");
	assert_non_null(f);
	assert_non_null(fgets(boot, sizeof(boot), f));
	fclose(f);
	boot[strcspn(boot, "\n")] = '\0';
	assert_int_equal(strncmp(pos + 5, boot, strlen(boot)), 0);
	source_free(src);

	/* Two more while nobody reads, then resume: exactly those two. */
	send_avc(body, 2);
	td_sleep_ms(200);
	g.hits = 0;
	assert_int_equal(source_kmsg_new(&sink, NULL, pos, 0, &src), 0);
	read_until(src, &g, 2);
	td_sleep_ms(200);
	assert_true(source_read(src) >= 0);
	assert_int_equal(g.hits, 2);
	source_free(src);

	/* Another boot's checkpoint: this boot's ring is read from its start. */
	g.hits = 0;
	assert_int_equal(source_kmsg_new(&sink, NULL,
	    "boot=00000000-0000-0000-0000-000000000000,seq=999999999", 0, &src),
	    0);
	read_until(src, &g, 4);
	assert_int_equal(g.hits, 4);
	source_free(src);
	burst_restore();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netlink_delivers),
		cmocka_unit_test(netlink_overflow_counted),
		cmocka_unit_test(kernel_lost_counter),
		cmocka_unit_test(kmsg_unescapes),
		cmocka_unit_test(kmsg_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
