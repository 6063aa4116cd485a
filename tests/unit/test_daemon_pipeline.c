/*
 * test_daemon_pipeline.c - lines -> store (daemon/pipeline.c) against a real
 * SQLite store: joins, attribution through a prepared /proc tree, the
 * checkpoint travelling with its observations, a failed flush losing
 * nothing and counting nothing twice, overflow reaching the store.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

#define ID1 "4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f60718293a4b5c"

static char line[1024];

static const char *
avc(int serial, const char *profile, const char *name, long pid)
{
	snprintf(line, sizeof(line), "type=AVC msg=audit(1700000000.%03d:%d): "
	    "apparmor=\"ALLOWED\" operation=\"open\" profile=\"%s\" name=\"%s\" "
	    "pid=%ld comm=\"srv\" requested_mask=\"r\" denied_mask=\"r\" "
	    "fsuid=0 ouid=0", serial % 1000, serial, profile, name, pid);
	return line;
}

static const char *
syscall_rec(int serial, const char *exe)
{
	snprintf(line, sizeof(line), "type=SYSCALL msg=audit(1700000000.%03d:%d): "
	    "arch=c000003e syscall=257 success=yes exit=3 pid=1 comm=\"srv\" "
	    "exe=\"%s\" key=(null)", serial % 1000, serial, exe);
	return line;
}

static void
feed(struct pipeline *p, int src, const char *l)
{
	assert_int_equal(pipeline_feed_line(p, src, l, strlen(l)), 0);
}

struct obs {
	int n;
	char name[16][64], exe[16][64], cid[16][80], label[16][64];
	uint64_t allowed[16];
};

static int
obs_cb(const struct observation *o, void *arg)
{
	struct obs *s = arg;

	if (s->n >= 16)
		return -1;
	snprintf(s->name[s->n], 64, "%s", o->access.f[0]);
	snprintf(s->exe[s->n], 64, "%s", o->sample_exe ? o->sample_exe : "");
	snprintf(s->cid[s->n], 80, "%s", o->container.id ? o->container.id : "");
	snprintf(s->label[s->n], 64, "%s", o->label ? o->label : "");
	s->allowed[s->n] = o->allowed;
	s->n++;
	return 0;
}

static int
find(const struct obs *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return i;
	return -1;
}

struct srcs {
	int n;
	char name[4][64];
	uint64_t read[4], skipped[4], lost[4], kernel_lost[4];
};

static int
src_cb(const struct source_stats *ss, void *arg)
{
	struct srcs *s = arg;

	if (s->n >= 4)
		return -1;
	snprintf(s->name[s->n], 64, "%s", ss->source);
	s->read[s->n] = ss->read;
	s->skipped[s->n] = ss->skipped;
	s->lost[s->n] = ss->lost;
	s->kernel_lost[s->n] = ss->kernel_lost;
	s->n++;
	return 0;
}

static struct store *
open_store(void)
{
	char err[256];
	struct store *st = store_open(":memory:", STORE_CREATE, err, sizeof(err));

	if (st == NULL)
		fail_msg("store_open: %s", err);
	return st;
}

static void
test_join_and_checkpoint(void **state)
{
	struct store *st = open_store();
	struct pipeline *p = pipeline_new(st, NULL, NULL);
	struct pipeline_stats ps;
	struct obs o = { 0 };
	struct srcs s = { 0 };
	char *pos = NULL;
	int src;
	int i;

	assert_non_null(p);
	src = pipeline_add_source(p, "file:/var/log/audit/audit.log");
	assert_true(src >= 0);
	assert_int_equal(pipeline_add_source(p, "file:/var/log/audit/audit.log"), src);

	feed(p, src, avc(1, "web", "/etc/a", 10));
	feed(p, src, syscall_rec(1, "/usr/sbin/web"));
	feed(p, src, avc(2, "web", "/etc/a", 10));
	/* The last one waits for a SYSCALL that never comes; the position
	 * below covers it, so the flush must take it along. */
	feed(p, src, avc(3, "web", "/etc/b", 10));
	assert_int_equal(pipeline_set_position(p, src, "ino=1,off=300"), 0);
	assert_int_equal(pipeline_flush(p, 1700000001000LL), 2);

	assert_int_equal(store_list_observations(st, "web", NULL, obs_cb, &o) >= 0, 1);
	assert_int_equal(o.n, 2);
	i = find(&o, "/etc/a");
	assert_true(i >= 0);
	assert_int_equal(o.allowed[i], 2);
	assert_string_equal(o.exe[i], "/usr/sbin/web");
	assert_string_equal(o.cid[i], "");
	i = find(&o, "/etc/b");
	assert_true(i >= 0);
	assert_int_equal(o.allowed[i], 1);

	assert_int_equal(store_get_checkpoint(st, "file:/var/log/audit/audit.log",
	    &pos), 0);
	assert_string_equal(pos, "ino=1,off=300");
	free(pos);

	pipeline_add_lost(p, src, 5, 2);
	assert_true(pipeline_flush(p, 1700000002000LL) >= 0);
	store_list_sources(st, src_cb, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.read[0], 3);
	assert_int_equal(s.skipped[0], 1);	/* the SYSCALL */
	assert_int_equal(s.lost[0], 5);
	assert_int_equal(s.kernel_lost[0], 2);

	pipeline_get_stats(p, &ps);
	assert_int_equal(ps.records, 3);
	assert_int_equal(ps.joined, 1);
	assert_int_equal(ps.flushed, 2);
	assert_int_equal(ps.pending, 0);
	pipeline_free(p);
	store_close(st);
}

static void
test_failed_flush_loses_nothing(void **state)
{
	struct store *st = open_store();
	struct pipeline *p = pipeline_new(st, NULL, NULL);
	struct pipeline_stats ps;
	struct obs o = { 0 };
	struct srcs s = { 0 };
	char *pos = NULL;
	int src = pipeline_add_source(p, "kmsg");

	feed(p, src, avc(1, "db", "/x", 1));
	feed(p, src, avc(2, "db", "/x", 1));
	feed(p, src, avc(3, "db", "/y", 1));
	pipeline_set_position(p, src, "seq=3");

	/* The store refuses the transaction (one is already open). */
	assert_int_equal(store_begin(st), 0);
	assert_true(pipeline_flush(p, 1) < 0);
	store_rollback(st);
	assert_int_equal(store_get_checkpoint(st, "kmsg", &pos), -ENOENT);
	pipeline_get_stats(p, &ps);
	assert_int_equal(ps.flush_failures, 1);
	assert_int_equal(ps.pending, 2);

	feed(p, src, avc(4, "db", "/x", 1));
	pipeline_set_position(p, src, "seq=4");
	assert_int_equal(pipeline_flush(p, 2), 2);
	store_list_observations(st, "db", NULL, obs_cb, &o);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.allowed[find(&o, "/x")], 3);
	assert_int_equal(o.allowed[find(&o, "/y")], 1);
	assert_int_equal(store_get_checkpoint(st, "kmsg", &pos), 0);
	assert_string_equal(pos, "seq=4");
	free(pos);
	store_list_sources(st, src_cb, &s);
	assert_int_equal(s.read[0], 4);	/* counted once */

	/* Nothing new: an empty flush writes nothing and fails nothing. */
	assert_int_equal(pipeline_flush(p, 3), 0);
	o.n = 0;
	store_list_observations(st, "db", NULL, obs_cb, &o);
	assert_int_equal(o.allowed[find(&o, "/x")], 3);
	pipeline_free(p);
	store_close(st);
}

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

static void
test_attribution_and_children(void **state)
{
	char dir[] = "/tmp/aalearn-pproc-XXXXXX", path[PATH_MAX];
	struct store *st = open_store();
	struct attribution *a;
	struct pipeline *p;
	struct pipeline_stats ps;
	struct obs o = { 0 };
	int src, i;

	assert_non_null(mkdtemp(dir));
	write_file(dir, 100, "stat", "100 (srv) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 "
	    "20 0 1 0 777 0 0\n");
	write_file(dir, 100, "cgroup", "0::/system.slice/docker-" ID1 ".scope\n");
	a = attribution_new(dir, 8);
	p = pipeline_new(st, a, NULL);
	src = pipeline_add_source(p, "netlink");

	feed(p, src, avc(1, "app", "/in/container", 100));
	feed(p, src, avc(2, "app", "/gone", 555));	/* no such process */
	feed(p, src, avc(3, "app//null-/bin/busybox", "/in/container", 100));
	assert_true(pipeline_flush(p, 1) >= 0);
	store_list_observations(st, "app", NULL, obs_cb, &o);
	i = find(&o, "/in/container");
	assert_true(i >= 0);
	assert_string_equal(o.cid[i], ID1);
	i = find(&o, "/gone");
	assert_true(i >= 0);
	assert_string_equal(o.cid[i], "");	/* kept, on the host */
	pipeline_get_stats(p, &ps);
	assert_int_equal(ps.unattributed, 1);
	assert_int_equal(ps.records, 3);

	pipeline_free(p);
	attribution_free(a);
	store_close(st);
	snprintf(path, sizeof(path), "%s/100/stat", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/100/cgroup", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/100", dir);
	rmdir(path);
	rmdir(dir);
}

static void
test_attribution_on_arrival(void **state)
{
	char dir[] = "/tmp/aalearn-pproc-XXXXXX", path[PATH_MAX];
	struct store *st = open_store();
	struct attribution *a;
	struct pipeline *p;
	struct obs o = { 0 };
	int src;

	assert_non_null(mkdtemp(dir));
	write_file(dir, 200, "stat", "200 (sh) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 "
	    "20 0 1 0 999 0 0\n");
	write_file(dir, 200, "cgroup", "0::/system.slice/docker-" ID1 ".scope\n");
	a = attribution_new(dir, 8);
	p = pipeline_new(st, a, NULL);
	src = pipeline_add_source(p, "netlink");

	/* The AVC arrives while the process runs; it exits before the
	 * SYSCALL record that completes its event. */
	feed(p, src, avc(7, "app", "/short-lived", 200));
	snprintf(path, sizeof(path), "%s/200/stat", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/200/cgroup", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/200", dir);
	rmdir(path);
	feed(p, src, syscall_rec(7, "/bin/true"));
	assert_true(pipeline_flush(p, 1) >= 0);
	store_list_observations(st, "app", NULL, obs_cb, &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.cid[0], ID1);
	assert_string_equal(o.exe[0], "/bin/true");
	pipeline_free(p);
	attribution_free(a);
	store_close(st);
	rmdir(dir);
}

struct prof {
	uint64_t overflow, observations;
};

static int
prof_cb(const struct profile_info *pi, void *arg)
{
	struct prof *pr = arg;

	if (strcmp(pi->name, "flood") == 0) {
		pr->overflow = pi->overflow;
		pr->observations = pi->observations;
	}
	return 0;
}

static void
test_caps_and_should_flush(void **state)
{
	struct store *st = open_store();
	struct pipeline_config cfg;
	struct pipeline *p;
	struct prof pr = { 0 };
	char name[64];
	int src, i;

	pipeline_config_default(&cfg);
	cfg.max_per_profile = 4;
	cfg.max_total = 100;
	cfg.flush_max_pending = 3;
	cfg.join_window = 1;
	p = pipeline_new(st, NULL, &cfg);
	src = pipeline_add_source(p, "netlink");
	assert_int_equal(pipeline_add_source(p, ""), -EINVAL);
	assert_int_equal(pipeline_feed_line(p, 7, "x", 1), -EINVAL);

	for (i = 0; i < 3; i++) {
		assert_false(pipeline_should_flush(p));
		snprintf(name, sizeof(name), "/f/%d", i);
		feed(p, src, avc(i + 1, "flood", name, 1));
	}
	/* The window of 1 holds the third back; one more pushes it out. */
	feed(p, src, avc(10, "flood", "/f/0", 1));
	assert_true(pipeline_should_flush(p));
	for (i = 3; i < 10; i++) {
		snprintf(name, sizeof(name), "/f/%d", i);
		feed(p, src, avc(i + 20, "flood", name, 1));
	}
	assert_true(pipeline_flush(p, 1) >= 0);
	store_list_profiles(st, prof_cb, &pr);
	assert_int_equal(pr.observations, 4);
	assert_int_equal(pr.overflow, 6);
	pipeline_free(p);
	store_close(st);
}

static void
test_netlink_messages(void **state)
{
	struct store *st = open_store();
	struct pipeline *p = pipeline_new(st, NULL, NULL);
	struct pipeline_stats ps;
	struct obs o = { 0 };
	const char *avc = "audit(1700000009.001:900): apparmor=\"ALLOWED\" "
	    "operation=\"exec\" profile=\"svc\" name=\"/bin/busybox\" pid=3 "
	    "comm=\"sh\" requested_mask=\"x\" denied_mask=\"x\" fsuid=0 ouid=0 "
	    "target=\"svc//null-/bin/busybox\"";
	const char *sc = "audit(1700000009.001:900): arch=c000003e syscall=59 "
	    "success=yes exit=0 pid=3 comm=\"sh\" exe=\"/bin/busybox\" key=(null)";
	const char *pt = "audit(1700000009.001:900): proctitle=7368";
	const char *eoe = "audit(1700000009.001:900): ";
	int src = pipeline_add_source(p, "netlink");

	assert_int_equal(pipeline_feed_netlink(p, src, 1400, avc, strlen(avc)), 0);
	assert_int_equal(pipeline_feed_netlink(p, src, 1300, sc, strlen(sc)), 0);
	assert_int_equal(pipeline_feed_netlink(p, src, 1327, pt, strlen(pt)), 0);
	assert_int_equal(pipeline_feed_netlink(p, src, 1320, eoe, strlen(eoe)), 0);
	assert_int_equal(pipeline_feed_netlink(p, 5, 1400, avc, strlen(avc)), -EINVAL);
	pipeline_get_stats(p, &ps);
	assert_int_equal(ps.records, 1);
	assert_int_equal(ps.joined, 1);
	assert_int_equal(ps.lines, 4);
	assert_int_equal(ps.pending, 1);	/* aggregated before any flush */
	assert_int_equal(pipeline_flush(p, 1), 1);
	store_list_observations(st, "svc", NULL, obs_cb, &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.name[0], "/bin/busybox");
	assert_string_equal(o.exe[0], "/bin/busybox");
	pipeline_free(p);
	store_close(st);
}

static void
test_sources_do_not_join(void **state)
{
	struct store *st = open_store();
	struct pipeline *p = pipeline_new(st, NULL, NULL);
	struct obs o = { 0 };
	int a, b;

	a = pipeline_add_source(p, "netlink");
	b = pipeline_add_source(p, "kmsg");
	feed(p, a, avc(1, "x", "/only-a", 1));
	feed(p, b, syscall_rec(1, "/bin/from-b"));
	assert_true(pipeline_flush(p, 1) >= 0);
	store_list_observations(st, "x", NULL, obs_cb, &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.exe[0], "");
	pipeline_free(p);
	pipeline_free(NULL);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_and_checkpoint),
		cmocka_unit_test(test_failed_flush_loses_nothing),
		cmocka_unit_test(test_attribution_and_children),
		cmocka_unit_test(test_attribution_on_arrival),
		cmocka_unit_test(test_caps_and_should_flush),
		cmocka_unit_test(test_netlink_messages),
		cmocka_unit_test(test_sources_do_not_join),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
