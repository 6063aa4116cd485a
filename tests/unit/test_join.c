/*
 * test_join.c - AVC + SYSCALL of one event (learner/join.c), and the batch
 * helper join_collect() that the daemon and `aalearn import` share.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "learner.h"

#define AVC(ts, serial, name) \
	"type=AVC msg=audit(" ts ":" serial "): apparmor=\"ALLOWED\" " \
	"operation=\"open\" profile=\"web\" name=\"" name "\" pid=4242 " \
	"comm=\"nginx\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0"
#define SYSCALL(ts, serial, exe) \
	"type=SYSCALL msg=audit(" ts ":" serial "): arch=c000003e syscall=257 " \
	"success=yes exit=3 a0=ffffff9c a1=7ffd a2=80000 a3=0 items=0 ppid=1 " \
	"pid=4242 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 " \
	"sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"nginx\" exe=" exe \
	" subj=web key=(null)"
#define PROCTITLE(ts, serial) \
	"type=PROCTITLE msg=audit(" ts ":" serial "): proctitle=6E67696E78"

/* What left the join, in order. */
struct out {
	int	 n;
	long	 serial[256];
	char	 name[256][64];
	char	 exe[256][64];	/* "" when none */
};

static int
feed(struct join *j, struct out *o, const char *line)
{
	const struct record *r;
	int rc;

	rc = join_line(j, line, strlen(line));
	assert_true(rc >= 0);
	while ((r = join_next(j)) != NULL) {
		assert_true(o->n < 256);
		o->serial[o->n] = (long)r->serial;
		snprintf(o->name[o->n], 64, "%s", r->name ? r->name : "");
		snprintf(o->exe[o->n], 64, "%s", r->exe ? r->exe : "");
		o->n++;
	}
	return rc;
}

static void
drain(struct join *j, struct out *o)
{
	const struct record *r;

	join_drain(j);
	while ((r = join_next(j)) != NULL) {
		o->serial[o->n] = (long)r->serial;
		snprintf(o->name[o->n], 64, "%s", r->name ? r->name : "");
		snprintf(o->exe[o->n], 64, "%s", r->exe ? r->exe : "");
		o->n++;
	}
	assert_int_equal(join_pending(j), 0);
}

static void
test_avc_then_syscall(void **state)
{
	struct join *j = join_new(8);
	struct out o = { 0 };
	struct join_stats st;

	/* The AVC waits: its SYSCALL comes after it. */
	assert_int_equal(feed(j, &o, AVC("1700000000.100", "10", "/etc/a")), 0);
	assert_int_equal(o.n, 0);
	assert_int_equal(join_pending(j), 1);
	assert_int_equal(feed(j, &o, SYSCALL("1700000000.100", "10",
	    "\"/usr/sbin/nginx\"")), 1);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.name[0], "/etc/a");
	assert_string_equal(o.exe[0], "/usr/sbin/nginx");
	feed(j, &o, PROCTITLE("1700000000.100", "10"));
	assert_int_equal(o.n, 1);
	join_get_stats(j, &st);
	assert_int_equal(st.lines, 3);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.other, 2);
	assert_int_equal(st.joined, 1);
	assert_int_equal(st.malformed, 0);
	join_free(j);
}

static void
test_two_avcs_one_event_and_order(void **state)
{
	struct join *j = join_new(8);
	struct out o = { 0 };

	feed(j, &o, AVC("1700000000.100", "10", "/a"));
	feed(j, &o, AVC("1700000000.100", "10", "/b"));
	feed(j, &o, AVC("1700000000.200", "11", "/c"));	/* no SYSCALL */
	feed(j, &o, AVC("1700000000.300", "12", "/d"));
	feed(j, &o, SYSCALL("1700000000.300", "12", "\"/bin/d\""));
	/* 12 is complete, but 10 and 11 are older and still open: order. */
	assert_int_equal(o.n, 0);
	feed(j, &o, SYSCALL("1700000000.100", "10", "\"/bin/ab\""));
	/* 10 leaves (both records); 11 still blocks 12. */
	assert_int_equal(o.n, 2);
	assert_string_equal(o.name[0], "/a");
	assert_string_equal(o.exe[0], "/bin/ab");
	assert_string_equal(o.name[1], "/b");
	assert_string_equal(o.exe[1], "/bin/ab");
	drain(j, &o);
	assert_int_equal(o.n, 4);
	assert_string_equal(o.name[2], "/c");
	assert_string_equal(o.exe[2], "");
	assert_string_equal(o.name[3], "/d");
	assert_string_equal(o.exe[3], "/bin/d");
	join_free(j);
}

static void
test_late_avc_and_other_epoch(void **state)
{
	struct join *j = join_new(4);
	struct out o = { 0 };

	/* The SYSCALL first: an AVC of the same event after it still joins. */
	feed(j, &o, SYSCALL("1700000000.100", "20", "\"/bin/first\""));
	feed(j, &o, AVC("1700000000.100", "20", "/late"));
	assert_int_equal(o.n, 1);
	assert_string_equal(o.exe[0], "/bin/first");
	/* Same serial after a reboot (another epoch): not the same event. */
	feed(j, &o, AVC("1800000000.100", "20", "/reboot"));
	assert_int_equal(o.n, 1);
	drain(j, &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.exe[1], "");
	join_free(j);
}

static void
test_window_bounds(void **state)
{
	struct join *j = join_new(4);
	struct out o = { 0 };
	char line[512];
	int i;

	/* Records that never see a SYSCALL leave once 4 newer ones came. */
	for (i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "type=AVC msg=audit(1700000000.%03d:%d): "
		    "apparmor=\"ALLOWED\" operation=\"open\" profile=\"p\" "
		    "name=\"/f/%d\" pid=1 comm=\"c\" requested_mask=\"r\" "
		    "denied_mask=\"r\"", i, 100 + i, i);
		feed(j, &o, line);
		assert_true(join_pending(j) <= 4);
		assert_int_equal(o.n, i + 1 > 4 ? i + 1 - 4 : 0);
	}
	drain(j, &o);
	assert_int_equal(o.n, 20);
	for (i = 0; i < 20; i++)
		assert_int_equal(o.serial[i], 100 + i);
	join_free(j);
}

static void
test_must_take_ready(void **state)
{
	struct join *j = join_new(1);
	const char *a = AVC("1700000000.100", "1", "/a");
	const char *b = AVC("1700000000.100", "2", "/b");
	const char *c = AVC("1700000000.100", "3", "/c");

	assert_int_equal(join_line(j, a, strlen(a)), 0);
	assert_int_equal(join_line(j, b, strlen(b)), 1);
	/* The ready record was not taken: no slot is free. */
	assert_int_equal(join_line(j, c, strlen(c)), -EBUSY);
	assert_non_null(join_next(j));
	assert_true(join_line(j, c, strlen(c)) >= 0);
	join_free(j);
	join_free(NULL);
}

static void
test_hex_exe_and_shapes(void **state)
{
	struct join *j = join_new(8);
	struct out o = { 0 };

	/* A path with a space is hex-encoded by the kernel. */
	feed(j, &o, AVC("1700000000.100", "30", "/x"));
	feed(j, &o, SYSCALL("1700000000.100", "30", "2F746D702F6D7920657865"));
	assert_int_equal(o.n, 1);
	assert_string_equal(o.exe[0], "/tmp/my exe");
	/* kmsg/dmesg shape: numeric types. */
	feed(j, &o, "audit: type=1400 audit(1700000001.5:31): apparmor=\"ALLOWED\" "
	    "operation=\"open\" profile=\"web\" name=\"/k\" pid=9 comm=\"k\" "
	    "requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0");
	assert_int_equal(o.n, 1);
	feed(j, &o, "audit: type=1300 audit(1700000001.5:31): arch=c000003e "
	    "syscall=2 success=yes exit=3 pid=9 comm=\"k\" exe=\"/usr/bin/k\" "
	    "key=(null)");
	assert_int_equal(o.n, 2);
	assert_string_equal(o.name[1], "/k");
	assert_string_equal(o.exe[1], "/usr/bin/k");
	/* node= prefix (auditd's name_format) and EOE closing without exe. */
	feed(j, &o, "node=h1 " AVC("1700000002.000", "32", "/n"));
	feed(j, &o, "node=h1 type=EOE msg=audit(1700000002.000:32): ");
	assert_int_equal(o.n, 3);
	assert_string_equal(o.name[2], "/n");
	assert_string_equal(o.exe[2], "");
	/* Lines cut anywhere, in buffers of exactly their length (ASan). */
	{
		const char *cuts[] = { "type=", "node=x type=", "type=SYSCALL msg=audit(",
		    "type=SYSCALL msg=audit(1.1:", "audit: type=1300 audit(1",
		    "type=EOE msg=audit(1.1:2" };
		size_t i, n;
		char *b;

		for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			n = strlen(cuts[i]);
			b = malloc(n);
			memcpy(b, cuts[i], n);
			assert_true(join_line(j, b, n) >= 0);
			free(b);
		}
		assert_int_equal(join_pending(j), 0);
	}
	join_free(j);
}

static void
test_netlink(void **state)
{
	struct join *j = join_new(8);
	const char *avc = "audit(1700000003.250:40): apparmor=\"DENIED\" "
	    "operation=\"open\" profile=\"web\" name=\"/nl\" pid=5 comm=\"w\" "
	    "requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0";
	const char *sc = "audit(1700000003.250:40): arch=c000003e syscall=2 "
	    "success=no exit=-13 pid=5 comm=\"w\" exe=\"/usr/bin/w\" key=(null)";
	const char *eoe = "audit(1700000003.250:40): ";
	const struct record *r;

	assert_int_equal(join_netlink(j, 1400, avc, strlen(avc)), 0);
	assert_int_equal(join_netlink(j, 1300, sc, strlen(sc)), 1);
	r = join_next(j);
	assert_non_null(r);
	assert_string_equal(r->name, "/nl");
	assert_string_equal(r->exe, "/usr/bin/w");
	assert_int_equal(r->kind, RECORD_DENIED);
	assert_int_equal(join_netlink(j, 1320, eoe, strlen(eoe)), 0);
	assert_null(join_next(j));
	join_free(j);
}

static void
test_syscall_exe(void **state)
{
	char buf[64];
	const char *t;

	t = "arch=c000003e syscall=59 comm=\"sh\" exe=\"/bin/sh\" key=(null)";
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/bin/sh");
	/* comm is hex when it holds a space; its bytes spell exe= in vain. */
	t = "comm=61206578653D2F6576696C exe=\"/bin/true\"";
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/bin/true");
	/* Only a whole token counts. */
	t = "xexe=\"/no\" exe=\"/yes\"";
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/yes");
	t = "exe=(null) key=(null)";
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, sizeof(buf)), -ENOENT);
	t = "exe=2F6";	/* odd hex */
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, sizeof(buf)), -ENOENT);
	t = "exe=2F0061";	/* a NUL inside */
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, sizeof(buf)), -ENOENT);
	t = "exe=\"/unterminated";
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, sizeof(buf)), -ENOENT);
	t = "exe=\"/0123456789\"";
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, 8), -ENOENT);
	/* Enriched logs: what follows 0x1d is auditd's translation. */
	t = "comm=\"a\" key=(null)\x1d" "ARCH=x86_64 exe=\"/fake\"";
	assert_int_equal(join_syscall_exe(t, strlen(t), buf, sizeof(buf)), -ENOENT);
	t = "exe=\"/bin/sh\"";
	assert_int_equal(join_syscall_exe(t, 9, buf, sizeof(buf)), -ENOENT);
}

struct attr_arg {
	int calls;
	long gone_pid;
};

static int
attribute(const struct record *r, struct container *ret, void *arg)
{
	struct attr_arg *a = arg;

	a->calls++;
	if (r->pid == a->gone_pid)
		return -ESRCH;
	ret->runtime = "docker";
	ret->id = "0123456789ab";
	ret->pod_uid = NULL;
	return 0;
}

struct obs_list {
	int n;
	char id[8][32];
	char name[8][32];
	uint64_t allowed[8];
};

static int
list_obs(const struct observation *o, void *arg)
{
	struct obs_list *l = arg;

	snprintf(l->id[l->n], 32, "%s", o->container.id ? o->container.id : "-");
	snprintf(l->name[l->n], 32, "%s", o->access.f[0]);
	l->allowed[l->n] = o->allowed;
	l->n++;
	return 0;
}

static void
test_collect(void **state)
{
	struct join *j = join_new(4);
	struct aggregate *a = aggregate_new(100, 100);
	struct attr_arg aa = { 0, 777 };
	struct obs_list l = { 0 };
	struct join_stats st;
	const char *lines[] = {
		AVC("1700000000.100", "1", "/etc/a"),
		AVC("1700000000.200", "2", "/etc/a"),
		("type=AVC msg=audit(1700000000.300:3): apparmor=\"ALLOWED\" "
		    "operation=\"open\" profile=\"web\" name=\"/etc/b\" pid=777 "
		    "comm=\"x\" requested_mask=\"r\" denied_mask=\"r\""),
		("type=AVC msg=audit(1700000000.400:4): apparmor=\"STATUS\" "
		    "operation=\"profile_load\" profile=\"unconfined\" "
		    "name=\"web\" pid=1 comm=\"apparmor_parser\""),
		("type=AVC msg=audit(1700000000.500:5): apparmor=\"ALLOWED\" "
		    "operation=\"open\" profile=\"web\" name=\"/etc/c"),
		"type=CWD msg=audit(1700000000.500:5): cwd=\"/\"",
		"random text",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_true(join_line(j, lines[i], strlen(lines[i])) >= 0);
		assert_true(join_collect(j, a, attribute, &aa) >= 0);
	}
	join_drain(j);
	assert_true(join_collect(j, a, attribute, &aa) >= 0);
	join_get_stats(j, &st);
	assert_int_equal(st.lines, 7);
	assert_int_equal(st.records, 4);	/* a, a, b, the status */
	assert_int_equal(st.no_access, 1);	/* the status */
	assert_int_equal(st.unattributed, 1);	/* pid 777 is gone */
	assert_true(st.malformed + st.other >= 2);
	assert_int_equal(aa.calls, 3);
	aggregate_foreach(a, list_obs, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.name[0], "/etc/a");
	assert_string_equal(l.id[0], "0123456789ab");
	assert_int_equal(l.allowed[0], 2);
	/* The gone process's record is kept, on the host. */
	assert_string_equal(l.name[1], "/etc/b");
	assert_string_equal(l.id[1], "-");
	aggregate_free(a);
	join_free(j);
}

static int
alive_only(const struct record *r, struct container *ret, void *arg)
{
	int *alive = arg;

	if (!*alive)
		return -ESRCH;
	ret->runtime = "podman";
	ret->id = "fedcba9876543210";
	ret->pod_uid = NULL;
	return 0;
}

static void
test_early_attribution(void **state)
{
	struct join *j = join_new(8);
	struct aggregate *a = aggregate_new(10, 10);
	struct obs_list l = { 0 };
	struct join_stats st;
	const char *avc = AVC("1700000000.100", "50", "/short");
	const char *sc = SYSCALL("1700000000.100", "50", "\"/bin/true\"");
	int alive = 1;

	join_set_attribution(j, alive_only, &alive);
	assert_int_equal(join_line(j, avc, strlen(avc)), 0);
	/* The process exits before its event is complete. */
	alive = 0;
	assert_int_equal(join_line(j, sc, strlen(sc)), 1);
	/* A late callback would say "gone"; the one made on arrival counts. */
	assert_int_equal(join_collect(j, a, alive_only, &alive), 1);
	aggregate_foreach(a, list_obs, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], "fedcba9876543210");
	join_get_stats(j, &st);
	assert_int_equal(st.unattributed, 0);

	/* Gone already on arrival: unattributed, kept on the host. */
	avc = AVC("1700000000.200", "51", "/gone");
	assert_int_equal(join_line(j, avc, strlen(avc)), 0);
	join_drain(j);
	assert_int_equal(join_collect(j, a, NULL, NULL), 1);
	join_get_stats(j, &st);
	assert_int_equal(st.unattributed, 1);
	aggregate_free(a);
	join_free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avc_then_syscall),
		cmocka_unit_test(test_two_avcs_one_event_and_order),
		cmocka_unit_test(test_late_avc_and_other_epoch),
		cmocka_unit_test(test_window_bounds),
		cmocka_unit_test(test_must_take_ready),
		cmocka_unit_test(test_hex_exe_and_shapes),
		cmocka_unit_test(test_netlink),
		cmocka_unit_test(test_syscall_exe),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_early_attribution),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
