/*
 * test_daemon_flood - a flood of distinct file names through the real
 * daemon: memory stays bounded (peak RSS does not grow with the number of
 * names), the per-profile cap holds in the store, the overflow is counted,
 * and a quiet profile next to the flood loses nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "test_daemon_lib.h"

#define CAP 20000

struct prof_row {
	const char *name;
	uint64_t observations, overflow;
	int found;
};

static int
prof_cb(const struct profile_info *p, void *arg)
{
	struct prof_row *r = arg;

	if (strcmp(p->name, r->name) == 0) {
		r->observations = p->observations;
		r->overflow = p->overflow;
		r->found = 1;
	}
	return 0;
}

static long
peak_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Write n records, each naming a new file, then 10 calm ones. */
static off_t
write_flood(const char *path, const char *flood, const char *calm, int n)
{
	FILE *f = fopen(path, "w");
	struct stat st;
	int i;

	assert_non_null(f);
	for (i = 1; i <= n + 10; i++) {
		int calm_rec = i > n;

		fprintf(f, "type=AVC msg=audit(1790000000.%03d:%d): "
		    "apparmor=\"ALLOWED\" operation=\"open\" class=\"file\" "
		    "profile=\"%s\" name=\"/srv/flood/%08d\" pid=1 comm=\"f\" "
		    "requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0\n",
		    i % 1000, i, calm_rec ? calm : flood,
		    calm_rec ? i - n : i);
	}
	fclose(f);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Wait until the checkpoint of the log is at its end. */
static void
wait_consumed(struct tdaemon *d, const char *log, off_t size)
{
	char name[256], *pos, want[64], err[256];
	int64_t end = td_now_ms() + td_ms(90000);

	snprintf(name, sizeof(name), "file:%s", log);
	snprintf(want, sizeof(want), ",off=%jd,", (intmax_t)size);
	while (td_now_ms() < end) {
		struct store *st = store_open(d->db, STORE_READONLY, err,
		    sizeof(err));

		td_drain(d);
		if (st != NULL) {
			pos = NULL;
			if (store_get_checkpoint(st, name, &pos) == 0 &&
			    strstr(pos, want) != NULL) {
				free(pos);
				store_close(st);
				return;
			}
			free(pos);
			store_close(st);
		}
		usleep(100000);
	}
	td_show_log(d);
	fail_msg("the daemon did not reach the end of %s", log);
}

static long
flood(int names)
{
	struct tdaemon d;
	struct prof_row fl = { 0 }, cm = { 0 };
	char log[160], flood_p[64], calm_p[64], err[256];
	struct td_count c;
	struct store *st;
	off_t size;
	long rss;
	int64_t t0;

	td_init(&d);
	snprintf(log, sizeof(log), "%s/audit.log", d.dir);
	snprintf(flood_p, sizeof(flood_p), "flood-%d", names);
	snprintf(calm_p, sizeof(calm_p), "calm-%d", names);
	size = write_flood(log, flood_p, calm_p, names);
	td_write_conf(&d, "sources = auditlog\naudit_log = %s\n"
	    "read_backlog = yes\nmax_observations_per_profile = %d\n"
	    "max_pending = 50000\nflush_max_pending = 10000\n", log, CAP);
	t0 = td_now_ms();
	td_start(&d);
	td_wait_ready(&d);
	wait_consumed(&d, log, size);
	rss = peak_rss_kb(d.pid);
	assert_int_equal(td_stop(&d, SIGTERM), 0);
	print_message("%d distinct names: peak RSS %ld kB, %.1f s\n", names,
	    rss, (double)(td_now_ms() - t0) / 1000.0);

	st = store_open(d.db, STORE_READONLY, err, sizeof(err));
	assert_non_null(st);
	fl.name = flood_p;
	cm.name = calm_p;
	assert_true(store_list_profiles(st, prof_cb, &fl) >= 0);
	assert_true(store_list_profiles(st, prof_cb, &cm) >= 0);
	store_close(st);
	print_message("  flood profile: %ju observations, %ju overflow\n",
	    (uintmax_t)fl.observations, (uintmax_t)fl.overflow);
	assert_true(fl.found);
	/* The cap holds, and every name beyond it is counted, not dropped. */
	assert_int_equal(fl.observations, CAP);
	assert_int_equal(fl.observations + fl.overflow, (uint64_t)names);
	/* The quiet profile is whole. */
	c = td_count(&d, calm_p);
	assert_int_equal(c.observations, 10);
	assert_int_equal(c.events, 10);
	td_cleanup(&d);
	return rss;
}

static void
bounded_memory(void **state)
{
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[512];
	long small, big;

	/*
	 * Under AddressSanitizer freed memory waits in a quarantine of up to
	 * 256 MB, which would measure ASan and not the daemon.
	 */
	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=1",
	    asan != NULL ? asan : "", asan != NULL && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	small = flood(60000);
	big = flood(300000);

	/* Five times the names, not five times the memory. */
	print_message("peak RSS: %ld kB for 60000 names, %ld kB for 300000\n",
	    small, big);
	assert_true(small > 0 && big > 0);
	assert_true(big < small + small / 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bounded_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
