/*
 * status.c - what the store knows: `aalearn status` (sources and profiles),
 * `aalearn profiles`, `aalearn show PROFILE` (the evidence by class).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_profile.h"

/* ------------------------------------------------------------ profiles */

struct prof_row {
	char	*name;
	char	*mode;
	char	*file;
	uint64_t observations, containers, overflow;
	int64_t	 last_new_ms;
	long	 pending;	/* -1: unknown (no profile file) */
	/* DENIED evidence: events, distinct accesses, when last seen. */
	uint64_t denied_events, denied_accesses;
	int64_t	 last_denied_ms;
};

struct prof_list {
	struct prof_row *rows;
	size_t	 n, cap;
};

static int
prof_cb(const struct profile_info *p, void *arg)
{
	struct prof_list *l = arg;
	struct prof_row *row, *tmp;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		tmp = realloc(l->rows, l->cap * sizeof(*l->rows));
		if (tmp == NULL)
			return -ENOMEM;
		l->rows = tmp;
	}
	row = &l->rows[l->n];
	memset(row, 0, sizeof(*row));
	row->name = strdup(p->name != NULL ? p->name : "");
	row->mode = strdup(p->mode != NULL ? p->mode : "");
	row->file = strdup(p->file != NULL ? p->file : "");
	if (row->name == NULL || row->mode == NULL || row->file == NULL) {
		free(row->name);
		free(row->mode);
		free(row->file);
		return -ENOMEM;
	}
	row->observations = p->observations;
	row->containers = p->containers;
	row->overflow = p->overflow;
	row->last_new_ms = p->last_new_ms;
	row->pending = -1;
	l->n++;
	return 0;
}

static void
prof_list_free(struct prof_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->rows[i].name);
		free(l->rows[i].mode);
		free(l->rows[i].file);
	}
	free(l->rows);
}

/*
 * The profile file is the truth for the mode and the pending proposals;
 * the store's row only remembers where the file was.
 */
static void
prof_fill(struct cli *cli, struct store *st, struct prof_row *row)
{
	char *path = NULL, *text = NULL;
	size_t n;

	if (row->file[0] != '\0' &&
	    cli_read_file(row->file, CLI_PROFILE_MAX, &text, NULL) == 0 &&
	    cli_text_defines(text, row->name)) {
		path = strdup(row->file);
	} else {
		free(text);
		text = NULL;
		if (cli_profile_find(cli, row->name, &path) == 0 &&
		    cli_read_file(path, CLI_PROFILE_MAX, &text, NULL) < 0)
			text = NULL;
	}
	if (text != NULL && path != NULL) {
		free(row->mode);
		row->mode = strdup(cli_text_mode(text, row->name));
		free(row->file);
		row->file = path;
		path = NULL;
		if (cli_pending_count(cli, st, row->name, text, &n) == 0)
			row->pending = (long)n;
	} else if (text == NULL) {
		free(row->file);
		row->file = strdup("");
	}
	if (row->mode == NULL)
		row->mode = strdup("");
	if (row->file == NULL)
		row->file = strdup("");
	free(text);
	free(path);
}

static int
denied_cb(const struct observation *o, void *arg)
{
	struct prof_row *row = arg;

	if (o->denied == 0)
		return 0;
	row->denied_events += o->denied;
	row->denied_accesses++;
	if (o->last_ms > row->last_denied_ms)
		row->last_denied_ms = o->last_ms;
	return 0;
}

static int
prof_load(struct cli *cli, struct store *st, struct prof_list *l)
{
	size_t i;
	int r;

	r = store_list_profiles(st, prof_cb, l);
	if (r < 0) {
		cli_error("%s: cannot list profiles: %s", cli->db, strerror(-r));
		return r;
	}
	for (i = 0; i < l->n; i++) {
		prof_fill(cli, st, &l->rows[i]);
		/* Enforce mode at work, or a profile that broke something. */
		r = store_list_observations(st, l->rows[i].name, NULL,
		    denied_cb, &l->rows[i]);
		if (r < 0) {
			cli_error("%s: cannot read the observations of '%s': "
			    "%s", cli->db, l->rows[i].name, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* Denials are never silent: one line per profile that had some. */
static void
prof_denied(FILE *f, const struct prof_list *l, const char *indent)
{
	int64_t now = cli_now_ms();
	char ago[64];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct prof_row *row = &l->rows[i];

		if (row->denied_events == 0)
			continue;
		fprintf(f, "%s'", indent);
		text_safe(f, row->name);
		fprintf(f, "' had %llu DENIED event%s on %llu access%s, the "
		    "last %s; see 'aalearn show ", (unsigned long long)
		    row->denied_events, row->denied_events == 1 ? "" : "s",
		    (unsigned long long)row->denied_accesses,
		    row->denied_accesses == 1 ? "" : "es",
		    cli_ago(row->last_denied_ms, now, ago, sizeof(ago)));
		text_safe(f, row->name);
		fputs("'\n", f);
	}
}

static void
prof_json(FILE *f, const struct prof_row *row)
{
	char t[64];

	fputs("{\"name\":", f);
	json_string(f, row->name);
	fputs(",\"mode\":", f);
	json_string(f, row->mode[0] != '\0' ? row->mode : NULL);
	fputs(",\"file\":", f);
	json_string(f, row->file[0] != '\0' ? row->file : NULL);
	fprintf(f, ",\"containers\":%llu,\"observations\":%llu,\"overflow\":%llu,",
	    (unsigned long long)row->containers,
	    (unsigned long long)row->observations,
	    (unsigned long long)row->overflow);
	if (row->pending >= 0)
		fprintf(f, "\"pending\":%ld,", row->pending);
	else
		fputs("\"pending\":null,", f);
	fprintf(f, "\"last_new_ms\":%lld,\"last_new\":",
	    (long long)row->last_new_ms);
	json_string(f, row->last_new_ms > 0 ?
	    cli_time_iso(row->last_new_ms, t, sizeof(t)) : NULL);
	fprintf(f, ",\"denied_events\":%llu,\"denied_accesses\":%llu,"
	    "\"last_denied_ms\":%lld,\"last_denied\":",
	    (unsigned long long)row->denied_events,
	    (unsigned long long)row->denied_accesses,
	    (long long)row->last_denied_ms);
	json_string(f, row->last_denied_ms > 0 ?
	    cli_time_iso(row->last_denied_ms, t, sizeof(t)) : NULL);
	fputc('}', f);
}

static void
prof_table(FILE *f, const struct prof_list *l, const char *indent)
{
	char ago[64], pend[32];
	int64_t now = cli_now_ms();
	size_t i, w = 7, len;

	for (i = 0; i < l->n; i++) {
		len = strlen(l->rows[i].name);
		if (len > w && len < 60)
			w = len;
	}
	fprintf(f, "%s%-*s  %-9s %10s %12s %8s %8s  %s\n", indent, (int)w,
	    "PROFILE", "MODE", "CONTAINERS", "OBSERVATIONS", "PENDING",
	    "DENIED", "LAST NEW");
	for (i = 0; i < l->n; i++) {
		const struct prof_row *row = &l->rows[i];

		if (row->pending >= 0)
			snprintf(pend, sizeof(pend), "%ld", row->pending);
		else
			snprintf(pend, sizeof(pend), "-");
		fputs(indent, f);
		text_safe(f, row->name);
		len = strlen(row->name);
		fprintf(f, "%*s  %-9s %10llu %12llu %8s %8llu  %s",
		    (int)(len < w ? w - len : 0), "",
		    row->mode[0] != '\0' ? row->mode : "no file",
		    (unsigned long long)row->containers,
		    (unsigned long long)row->observations, pend,
		    (unsigned long long)row->denied_events,
		    cli_ago(row->last_new_ms, now, ago, sizeof(ago)));
		if (row->overflow > 0)
			fprintf(f, "  (%llu dropped at the cap)",
			    (unsigned long long)row->overflow);
		fputc('\n', f);
	}
}

static int
no_args(const char *cmd, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage_error(cmd, "%s: unexpected argument '%s'",
		    cmd, argv[1]);
	return 0;
}

int
cmd_profiles(struct cli *cli, int argc, char **argv)
{
	struct prof_list l = { 0 };
	struct store *st;
	size_t i;
	int r;

	if (no_args("profiles", argc, argv) != 0)
		return EXIT_ERROR;
	if ((st = cli_open_store(cli, STORE_READONLY)) == NULL)
		return EXIT_ERROR;
	r = prof_load(cli, st, &l);
	if (r == 0 && cli->json) {
		fputs("{\"profiles\":[", stdout);
		for (i = 0; i < l.n; i++) {
			if (i > 0)
				fputc(',', stdout);
			prof_json(stdout, &l.rows[i]);
		}
		fputs("]}\n", stdout);
	} else if (r == 0 && l.n == 0) {
		printf("no profiles in %s yet; start aalearnd, or "
		    "'aalearn import LOG'\n", cli->db);
	} else if (r == 0) {
		prof_table(stdout, &l, "");
	}
	prof_list_free(&l);
	store_close(st);
	return r == 0 ? EXIT_OK : EXIT_ERROR;
}

/* --------------------------------------------------------------- status */

struct src_row {
	char	*source;
	struct source_stats s;
	double	 rate;		/* records/s, < 0 when not measured */
};

struct src_list {
	struct src_row *rows;
	size_t	 n, cap;
};

static int
src_cb(const struct source_stats *s, void *arg)
{
	struct src_list *l = arg;
	struct src_row *tmp;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		tmp = realloc(l->rows, l->cap * sizeof(*l->rows));
		if (tmp == NULL)
			return -ENOMEM;
		l->rows = tmp;
	}
	l->rows[l->n].s = *s;
	l->rows[l->n].source = strdup(s->source != NULL ? s->source : "");
	if (l->rows[l->n].source == NULL)
		return -ENOMEM;
	l->rows[l->n].s.source = l->rows[l->n].source;
	l->n++;
	return 0;
}

/*
 * Records per second of the sources a running daemon is updating.  The store
 * keeps totals, stamped by the daemon at each flush; two stamps of the same
 * source give the rate over the daemon's own interval.  Waits for the next
 * flush (at most about 2.5 s) only when some source was updated within the
 * last 5 s; idle or stopped sources get no rate.
 */
static void
src_rates(struct store *st, struct src_list *sl, int64_t now)
{
	struct src_list again = { 0 };
	size_t i, j, live = 0, done;
	int tries;

	for (i = 0; i < sl->n; i++) {
		sl->rows[i].rate = -1;
		if (now - sl->rows[i].s.updated_ms <= 5000)
			live++;
	}
	for (tries = 0; live > 0 && tries < 25; tries++) {
		usleep(100 * 1000);
		for (j = 0; j < again.n; j++)
			free(again.rows[j].source);
		again.n = 0;
		if (store_list_sources(st, src_cb, &again) < 0)
			break;
		done = 0;
		for (i = 0; i < sl->n; i++) {
			struct src_row *a = &sl->rows[i];

			if (now - a->s.updated_ms > 5000)
				continue;
			for (j = 0; j < again.n; j++) {
				const struct source_stats *b = &again.rows[j].s;

				if (strcmp(a->source, again.rows[j].source) != 0)
					continue;
				if (b->updated_ms > a->s.updated_ms)
					a->rate = (double)(b->read - a->s.read) *
					    1000.0 / (double)(b->updated_ms -
					    a->s.updated_ms);
				break;
			}
			if (a->rate >= 0)
				done++;
		}
		if (done == live)
			break;
	}
	for (j = 0; j < again.n; j++)
		free(again.rows[j].source);
	free(again.rows);
}

/*
 * The daemon's runtime status file (aalearnd.conf status_file): the store
 * cannot report that writing to it fails, so the daemon says so there.
 */
#define DAEMON_STATUS_PATH "/run/aalearn/status"
#define DAEMON_STATUS_MAX 4096

struct daemon_status {
	long	 pid;
	long long time_ms;
	long long since_ms;
	unsigned long long held;
	bool	 failing;
	char	 error[256];
};

static bool
daemon_status_num(const char *v, long long *ret)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 0)
		return false;
	*ret = n;
	return true;
}

/*
 * True and *ret filled when the file exists, parses, and its daemon still
 * runs: a file left by a daemon that died says nothing about now.
 */
static bool
daemon_status_load(struct daemon_status *ret)
{
	const char *path = getenv("AALEARN_STATUS_FILE");
	struct daemon_status ds = { 0 };
	char buf[DAEMON_STATUS_MAX + 1], *line, *next;
	bool have_pid = false, have_state = false;
	long long n;
	ssize_t len;
	size_t got = 0;
	int fd;

	if (path == NULL || path[0] == '\0')
		path = DAEMON_STATUS_PATH;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	while (got < DAEMON_STATUS_MAX) {
		len = read(fd, buf + got, DAEMON_STATUS_MAX - got);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		got += (size_t)len;
	}
	close(fd);
	buf[got] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		char *eq;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(line, "pid") == 0 && daemon_status_num(eq, &n) &&
		    n > 0 && n <= 0x7fffffff) {
			ds.pid = (long)n;
			have_pid = true;
		} else if (strcmp(line, "time_ms") == 0 &&
		    daemon_status_num(eq, &n)) {
			ds.time_ms = n;
		} else if (strcmp(line, "since_ms") == 0 &&
		    daemon_status_num(eq, &n)) {
			ds.since_ms = n;
		} else if (strcmp(line, "held") == 0 &&
		    daemon_status_num(eq, &n)) {
			ds.held = (unsigned long long)n;
		} else if (strcmp(line, "state") == 0) {
			ds.failing = strcmp(eq, "failing") == 0;
			have_state = true;
		} else if (strcmp(line, "error") == 0) {
			snprintf(ds.error, sizeof(ds.error), "%s", eq);
		}
	}
	if (!have_pid || !have_state)
		return false;
	if (kill((pid_t)ds.pid, 0) < 0 && errno != EPERM)
		return false;
	*ret = ds;
	return true;
}

static void
daemon_status_json(FILE *f, const struct daemon_status *ds)
{
	char t[64];

	fprintf(f, ",\"daemon\":{\"pid\":%ld,\"state\":", ds->pid);
	json_string(f, ds->failing ? "failing" : "ok");
	fputs(",\"error\":", f);
	json_string(f, ds->failing ? ds->error : NULL);
	fprintf(f, ",\"held\":%llu,\"updated_ms\":%lld,\"since_ms\":",
	    ds->held, ds->time_ms);
	if (ds->failing)
		fprintf(f, "%lld,\"since\":", ds->since_ms);
	else
		fputs("null,\"since\":", f);
	json_string(f, ds->failing ?
	    cli_time_iso(ds->since_ms, t, sizeof(t)) : NULL);
	fputc('}', f);
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	struct daemon_status ds;
	bool have_ds;
	struct prof_list pl = { 0 };
	struct src_list sl = { 0 };
	struct store *st;
	char t[64], ago[64];
	int64_t now = cli_now_ms();
	size_t i;
	int r;

	if (no_args("status", argc, argv) != 0)
		return EXIT_ERROR;
	have_ds = daemon_status_load(&ds);
	/* Before the store, which may be what fails to open. */
	if (have_ds && ds.failing && !cli->json) {
		printf("warning: aalearnd cannot write the store since %s: ",
		    cli_time_iso(ds.since_ms, t, sizeof(t)));
		text_safe(stdout, ds.error);
		printf("; %llu observations held in memory\n\n", ds.held);
	}
	if ((st = cli_open_store(cli, STORE_READONLY)) == NULL)
		return EXIT_ERROR;
	r = store_list_sources(st, src_cb, &sl);
	if (r < 0)
		cli_error("%s: cannot list sources: %s", cli->db, strerror(-r));
	else
		r = prof_load(cli, st, &pl);
	if (r < 0)
		goto out;
	src_rates(st, &sl, now);

	if (cli->json) {
		fputs("{\"db\":", stdout);
		json_string(stdout, cli->db);
		fputs(",\"host\":", stdout);
		json_string(stdout, store_host_id(st));
		if (have_ds)
			daemon_status_json(stdout, &ds);
		fputs(",\"sources\":[", stdout);
		for (i = 0; i < sl.n; i++) {
			const struct source_stats *s = &sl.rows[i].s;

			if (i > 0)
				fputc(',', stdout);
			fputs("{\"source\":", stdout);
			json_string(stdout, s->source);
			fprintf(stdout, ",\"read\":%llu,\"skipped\":%llu,"
			    "\"malformed\":%llu,\"lost\":%llu,"
			    "\"kernel_lost\":%llu,\"last_record_ms\":%lld,"
			    "\"updated_ms\":%lld,\"last_record\":",
			    (unsigned long long)s->read,
			    (unsigned long long)s->skipped,
			    (unsigned long long)s->malformed,
			    (unsigned long long)s->lost,
			    (unsigned long long)s->kernel_lost,
			    (long long)s->last_record_ms,
			    (long long)s->updated_ms);
			json_string(stdout, s->last_record_ms > 0 ?
			    cli_time_iso(s->last_record_ms, t, sizeof(t)) : NULL);
			if (sl.rows[i].rate >= 0)
				fprintf(stdout, ",\"records_per_s\":%.1f",
				    sl.rows[i].rate);
			else
				fputs(",\"records_per_s\":null", stdout);
			fputc('}', stdout);
		}
		fputs("],\"profiles\":[", stdout);
		for (i = 0; i < pl.n; i++) {
			if (i > 0)
				fputc(',', stdout);
			prof_json(stdout, &pl.rows[i]);
		}
		fputs("]}\n", stdout);
		goto out;
	}

	printf("store    %s (host ", cli->db);
	text_safe(stdout, store_host_id(st));
	printf(")\n\nsources\n");
	if (sl.n == 0)
		printf("  none yet: start aalearnd, or 'aalearn import LOG'\n");
	else
		printf("  %-32s %10s %9s %9s %9s %8s %11s  %s\n", "SOURCE",
		    "READ", "RECORDS/S", "SKIPPED", "MALFORMED", "LOST",
		    "KERNEL LOST", "LAST RECORD");
	for (i = 0; i < sl.n; i++) {
		const struct source_stats *s = &sl.rows[i].s;
		size_t len = strlen(s->source);
		char rate[32];

		if (sl.rows[i].rate >= 0)
			snprintf(rate, sizeof(rate), "%.0f", sl.rows[i].rate);
		else
			snprintf(rate, sizeof(rate), "-");
		fputs("  ", stdout);
		text_safe(stdout, s->source);
		printf("%*s %10llu %9s %9llu %9llu %8llu %11llu  %s\n",
		    (int)(len < 32 ? 32 - len : 0), "",
		    (unsigned long long)s->read, rate,
		    (unsigned long long)s->skipped,
		    (unsigned long long)s->malformed,
		    (unsigned long long)s->lost,
		    (unsigned long long)s->kernel_lost,
		    cli_ago(s->last_record_ms, now, ago, sizeof(ago)));
	}
	for (i = 0; i < sl.n; i++) {
		const struct source_stats *s = &sl.rows[i].s;

		/* Losses are never silent. */
		if (s->lost > 0 || s->kernel_lost > 0) {
			printf("  warning: ");
			text_safe(stdout, s->source);
			printf(" lost %llu records (%llu by the kernel); raise "
			    "the audit backlog or the socket buffer\n",
			    (unsigned long long)s->lost,
			    (unsigned long long)s->kernel_lost);
		}
	}
	printf("\nprofiles\n");
	if (pl.n == 0)
		printf("  none yet\n");
	else
		prof_table(stdout, &pl, "  ");
	prof_denied(stdout, &pl, "  warning: ");
out:
	for (i = 0; i < sl.n; i++)
		free(sl.rows[i].source);
	free(sl.rows);
	prof_list_free(&pl);
	store_close(st);
	return r < 0 ? EXIT_ERROR : EXIT_OK;
}

/* ----------------------------------------------------------------- show */

/* One observation, owned. */
struct obs {
	int	 cls;
	char	*f[ACCESS_NFIELDS];
	uint64_t mask, allowed, denied;
	int64_t	 first_ms, last_ms;
	char	*container;	/* NULL: the host */
	char	*runtime;
	char	*exe;		/* sample exe, else comm */
	char	*label;
};

struct obs_list {
	struct obs *v;
	size_t	 n, cap;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void
obs_free(struct obs *o)
{
	int i;

	for (i = 0; i < ACCESS_NFIELDS; i++)
		free(o->f[i]);
	free(o->container);
	free(o->runtime);
	free(o->exe);
	free(o->label);
}

static int
obs_cb(const struct observation *ob, void *arg)
{
	struct obs_list *l = arg;
	struct obs *o, *tmp;
	int i;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		tmp = realloc(l->v, l->cap * sizeof(*l->v));
		if (tmp == NULL)
			return -ENOMEM;
		l->v = tmp;
	}
	o = &l->v[l->n];
	memset(o, 0, sizeof(*o));
	o->cls = ob->access.cls;
	for (i = 0; i < ACCESS_NFIELDS; i++) {
		o->f[i] = strdup(ob->access.f[i] != NULL ? ob->access.f[i] : "");
		if (o->f[i] == NULL)
			goto nomem;
	}
	o->mask = ob->access.mask;
	o->allowed = ob->allowed;
	o->denied = ob->denied;
	o->first_ms = ob->first_ms;
	o->last_ms = ob->last_ms;
	o->container = dup_or_null(ob->container.id);
	o->runtime = dup_or_null(ob->container.runtime);
	o->exe = dup_or_null(ob->sample_exe != NULL ? ob->sample_exe :
	    ob->sample_comm);
	o->label = dup_or_null(ob->label);
	l->n++;
	return 0;
nomem:
	obs_free(o);
	return -ENOMEM;
}

static int
obs_key_cmp(const struct obs *a, const struct obs *b)
{
	int i, c;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		if ((c = strcmp(a->f[i], b->f[i])) != 0)
			return c;
	return 0;
}

static int
obs_sort_cmp(const void *a, const void *b)
{
	return obs_key_cmp(a, b);
}

/* Distinct strings of one group, shown up to a few. */
#define SHOW_MAX 8
struct strset {
	const char *v[SHOW_MAX];
	size_t	 n, more;
};

static void
strset_add(struct strset *s, const char *str)
{
	size_t i;

	if (str == NULL)
		return;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return;
	if (s->n < SHOW_MAX)
		s->v[s->n++] = str;
	else
		s->more++;
}

static void
strset_text(FILE *f, const char *what, const struct strset *s)
{
	size_t i;

	if (s->n == 0)
		return;
	fprintf(f, "      %s: ", what);
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			fputs(", ", f);
		text_safe(f, s->v[i]);
	}
	if (s->more > 0)
		fprintf(f, " and %zu more", s->more);
	fputc('\n', f);
}

static void
strset_json(FILE *f, const char *key, const struct strset *s)
{
	size_t i;

	fprintf(f, ",\"%s\":[", key);
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			fputc(',', f);
		json_string(f, s->v[i]);
	}
	fputc(']', f);
}

/* The access as one line: "/etc/hosts r", "inet stream tcp"... */
static void
access_text(FILE *f, const struct obs *o)
{
	char m[256];
	int i;
	bool sp = false;

	for (i = 0; i < ACCESS_NFIELDS; i++) {
		if (o->f[i][0] == '\0')
			continue;
		if (sp)
			fputs((o->cls == ACCESS_FILE || o->cls == ACCESS_EXEC) &&
			    i == 1 ? " -> " : " ", f);
		cli_field(f, o->f[i]);
		sp = true;
	}
	if (o->mask != 0) {
		mask_format(o->mask, o->cls, m, sizeof(m));
		if (m[0] != '\0')
			fprintf(f, "%s%s", sp ? " " : "", m);
	}
}

/* Merge every observation of one access (across containers) and print it. */
static void
show_group(FILE *f, const struct obs *g, size_t n, bool json, bool first)
{
	struct strset containers = { 0 }, exes = { 0 }, labels = { 0 };
	uint64_t mask = 0, allowed = 0, denied = 0;
	int64_t first_ms = 0, last_ms = 0;
	char t1[64], t2[64], m[256];
	bool host = false;
	struct obs merged;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		mask |= g[i].mask;
		allowed += g[i].allowed;
		denied += g[i].denied;
		if (first_ms == 0 || (g[i].first_ms > 0 && g[i].first_ms < first_ms))
			first_ms = g[i].first_ms;
		if (g[i].last_ms > last_ms)
			last_ms = g[i].last_ms;
		if (g[i].container != NULL)
			strset_add(&containers, g[i].container);
		else
			host = true;
		strset_add(&exes, g[i].exe);
		if (g[i].label != NULL && strcmp(g[i].label, "") != 0)
			strset_add(&labels, g[i].label);
	}
	merged = g[0];
	merged.mask = mask;
	if (json) {
		if (!first)
			fputc(',', f);
		fputs("{\"class\":", f);
		json_string(f, access_class_name(g[0].cls));
		fputs(",\"fields\":[", f);
		for (k = 0; k < ACCESS_NFIELDS; k++) {
			if (k > 0)
				fputc(',', f);
			json_string(f, g[0].f[k]);
		}
		fputs("],\"mask\":", f);
		json_string(f, mask_format(mask, g[0].cls, m, sizeof(m)));
		fprintf(f, ",\"allowed\":%llu,\"denied\":%llu,\"first_ms\":%lld,"
		    "\"last_ms\":%lld,\"first\":", (unsigned long long)allowed,
		    (unsigned long long)denied, (long long)first_ms,
		    (long long)last_ms);
		json_string(f, cli_time_iso(first_ms, t1, sizeof(t1)));
		fputs(",\"last\":", f);
		json_string(f, cli_time_iso(last_ms, t2, sizeof(t2)));
		fprintf(f, ",\"host\":%s", host ? "true" : "false");
		strset_json(f, "containers", &containers);
		strset_json(f, "executables", &exes);
		strset_json(f, "labels", &labels);
		fputc('}', f);
		return;
	}
	fputs("    ", f);
	access_text(f, &merged);
	fprintf(f, "\n      %llu allowed, %llu denied; first %s, last %s\n",
	    (unsigned long long)allowed, (unsigned long long)denied,
	    cli_time(first_ms, t1, sizeof(t1)), cli_time(last_ms, t2,
	    sizeof(t2)));
	if (host)
		strset_add(&containers, "(host)");
	strset_text(f, "containers", &containers);
	strset_text(f, "executables", &exes);
	strset_text(f, "labels", &labels);
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "container", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct obs_list l = { 0 };
	const char *container = NULL, *profile;
	struct store *st;
	size_t i, j;
	int ch, r, cls = -1;
	bool first = true;

	optind = 0;	/* GNU getopt: reinitialise, permute */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			container = strcmp(optarg, "host") == 0 ? "" : optarg;
			break;
		default:
			return cli_usage_error("show", "show: unknown option, "
			    "or one missing its value: '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("show", "show: which profile?");
	if (optind + 1 < argc)
		return cli_usage_error("show", "show: unexpected argument '%s'",
		    argv[optind + 1]);
	profile = argv[optind];
	if ((st = cli_open_store(cli, STORE_READONLY)) == NULL)
		return EXIT_ERROR;
	r = store_list_observations(st, profile, container, obs_cb, &l);
	if (r < 0) {
		cli_error("%s: cannot read the observations of '%s': %s",
		    cli->db, profile, strerror(-r));
		goto out;
	}
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), obs_sort_cmp);

	if (cli->json) {
		fputs("{\"profile\":", stdout);
		json_string(stdout, profile);
		fputs(",\"container\":", stdout);
		json_string(stdout, container);
		fputs(",\"accesses\":[", stdout);
	} else if (l.n == 0) {
		fputs("no observations for '", stdout);
		text_safe(stdout, profile);
		printf("'%s in %s; see 'aalearn profiles'\n",
		    container != NULL ? " in that container" : "", cli->db);
	} else {
		fputs("profile ", stdout);
		text_safe(stdout, profile);
		fputc('\n', stdout);
	}
	for (i = 0; i < l.n; i = j) {
		for (j = i + 1; j < l.n && obs_key_cmp(&l.v[i], &l.v[j]) == 0; j++)
			;
		if (!cli->json && l.v[i].cls != cls) {
			cls = l.v[i].cls;
			printf("\n  %s\n", access_class_name(cls));
		}
		show_group(stdout, &l.v[i], j - i, cli->json, first);
		first = false;
	}
	if (cli->json)
		fputs("]}\n", stdout);
out:
	for (i = 0; i < l.n; i++)
		obs_free(&l.v[i]);
	free(l.v);
	store_close(st);
	return r < 0 ? EXIT_ERROR : EXIT_OK;
}
