/*
 * loop.c - aalearnd's event loop: sources -> pipeline -> store, on one
 * libevent base, no threads.
 *
 * Sources with a descriptor (netlink, kmsg) are read when it is readable;
 * audit.log is polled.  After each batch the source's position goes to the
 * pipeline, which commits it with the observations at the next flush (every
 * flush_interval, sooner when flush_max_pending keys wait).  Two sources of
 * the same events are de-duplicated by (epoch, serial): the first source to
 * deliver a record of an event owns that event.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"

#define LOOP_MAX_SOURCES 3
#define LOOP_DEDUP_MAX 65536		/* events remembered across sources */
#define LOOP_POLL_MS 100		/* audit.log polling when idle */
#define LOOP_STATS_MS 5000		/* sd_notify STATUS, kernel lost */
#define LOOP_RANGES_MAX 8		/* netlink runs audit.log has not passed */
#define LOOP_RETRY_MS 1000		/* flushes while the database fails */
#define LOOP_REOPEN_MS 1000		/* first retry after a source failed */
#define LOOP_REOPEN_MAX_MS 30000	/* retries slow down to this */

/* Events [from, to] by (epoch, serial) that netlink counted in one run. */
struct serial_range {
	int64_t	 from_e, from_s, to_e, to_s;
};

struct loop_source {
	struct loop *loop;
	struct source *src;		/* NULL while waiting to reopen */
	enum source_type kind;
	int	 idx;			/* in the pipeline */
	struct event *ev;
	/*
	 * A descriptor that failed is closed and opened again later: the
	 * counts of the closed ones, where to resume, when to try.
	 */
	struct source_counts closed;
	char	 resume[1024];
	struct event *reopen_ev;
	int64_t	 reopen_ms;
	uint64_t reopens;
	uint64_t lost_reported;
	uint64_t dup_dropped;
	int64_t	 new_e, new_s;		/* the newest stamp handed on */
	int	 last_err;		/* logged once until it changes */
};

struct loop {
	struct config cfg;
	char	*config_path;
	char	*db_override;
	int	 log_override;

	struct event_base *base;
	struct store *store;
	struct attribution *attr;
	struct pipeline *pipe;
	struct dedup *dedup;
	struct loop_source src[LOOP_MAX_SOURCES];
	size_t	 nsrc;

	struct event *sig_hup, *sig_term, *sig_int;
	struct event *flush_timer, *stats_timer, *watchdog_timer;
	uint64_t watchdog_usec;

	/*
	 * With netlink and audit.log together: what netlink counted in
	 * earlier runs and audit.log has not read past yet (so that a restart
	 * does not count those events again from audit.log), and this run's.
	 */
	struct serial_range ranges[LOOP_RANGES_MAX];
	size_t	 nranges;
	struct serial_range cur;
	int	 have_cur;

	int	 kernel_lost_ok;	/* AUDIT_GET answered once */
	uint64_t kernel_lost_base;
	uint64_t kernel_lost_total;
	int64_t	 stats_ms;
	uint64_t stats_read;
	double	 rate;
	int	 rc;

	/* The database refuses writes: since when, why, how often. */
	int	 flush_err;		/* -errno of the first failure, 0: fine */
	int64_t	 flush_err_ms;
	int64_t	 flush_try_ms;		/* the last failed try */
	uint64_t flush_err_count;
	int	 status_err;		/* last status_file error, 0: fine */
};

static int64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval
loop_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

/* The source's counts, the closed descriptors' included. */
static void
loop_counts(const struct loop_source *ls, struct source_counts *ret)
{
	struct source_counts c;

	memset(&c, 0, sizeof(c));
	if (ls->src != NULL)
		source_get_counts(ls->src, &c);
	c.read += ls->closed.read;
	c.lost += ls->closed.lost;
	c.kernel_lost += ls->closed.kernel_lost;
	c.overflows += ls->closed.overflows;
	c.rotations += ls->closed.rotations;
	if (ls->closed.last_record_ms > c.last_record_ms)
		c.last_record_ms = ls->closed.last_record_ms;
	*ret = c;
}

/* ------------------------------------------------------------------ sink */

static int
loop_stamp_cmp(int64_t e1, int64_t s1, int64_t e2, int64_t s2)
{
	/* The epoch orders boots (serials restart); serials order a boot. */
	if (e1 != e2)
		return e1 < e2 ? -1 : 1;
	if (s1 != s2)
		return s1 < s2 ? -1 : 1;
	return 0;
}

static int
loop_in_ranges(const struct loop *l, int64_t e, int64_t s)
{
	size_t i;

	for (i = 0; i < l->nranges; i++)
		if (loop_stamp_cmp(e, s, l->ranges[i].from_e,
		    l->ranges[i].from_s) >= 0 && loop_stamp_cmp(e, s,
		    l->ranges[i].to_e, l->ranges[i].to_s) <= 0)
			return 1;
	return 0;
}

static int
loop_claim(struct loop_source *ls, const char *text, size_t len)
{
	struct loop *l = ls->loop;
	enum source_type kind = ls->kind;
	int64_t epoch, serial;
	int ms;

	if (l->dedup == NULL ||
	    dedup_stamp(text, len, &epoch, &ms, &serial) < 0)
		return 1;
	if (kind == SOURCE_NETLINK) {
		if (!l->have_cur) {
			l->cur.from_e = epoch;
			l->cur.from_s = serial;
			l->have_cur = 1;
		}
		if (loop_stamp_cmp(epoch, serial, l->cur.to_e,
		    l->cur.to_s) > 0) {
			l->cur.to_e = epoch;
			l->cur.to_s = serial;
		}
	} else {
		/* audit.log and kmsg replay from their checkpoints... */
		if (loop_stamp_cmp(epoch, serial, ls->new_e, ls->new_s) > 0) {
			ls->new_e = epoch;
			ls->new_s = serial;
		}
		/* ...and must skip what netlink counted before a restart. */
		if (loop_in_ranges(l, epoch, serial)) {
			ls->dup_dropped++;
			return 0;
		}
		/*
		 * Lagging by more than the set remembers: an event after
		 * netlink's first one, forgotten since, was netlink's.
		 */
		if (l->have_cur && loop_stamp_cmp(epoch, serial, l->cur.from_e,
		    l->cur.from_s) >= 0 &&
		    dedup_owner(l->dedup, epoch, serial) < 0 &&
		    dedup_forgotten(l->dedup, epoch, serial)) {
			ls->dup_dropped++;
			return 0;
		}
	}
	if (dedup_claim(l->dedup, epoch, serial, ls->idx))
		return 1;
	ls->dup_dropped++;
	return 0;
}

/*
 * netlink's checkpoint: the runs whose events audit.log may still meet,
 * "E:S-E:S;..." - committed with the observations it covers.
 */
static void
loop_netlink_position(struct loop *l, char *buf, size_t len)
{
	size_t i, n = 0, keep = 0;
	int64_t min_e = INT64_MAX, min_s = INT64_MAX;

	buf[0] = '\0';
	/*
	 * Every replaying source read past a range: none can meet those
	 * events again.
	 */
	for (i = 0; i < l->nsrc; i++)
		if (l->src[i].kind != SOURCE_NETLINK &&
		    loop_stamp_cmp(l->src[i].new_e, l->src[i].new_s, min_e,
		    min_s) < 0) {
			min_e = l->src[i].new_e;
			min_s = l->src[i].new_s;
		}
	for (i = 0; i < l->nranges; i++)
		if (loop_stamp_cmp(l->ranges[i].to_e, l->ranges[i].to_s,
		    min_e, min_s) >= 0)
			l->ranges[keep++] = l->ranges[i];
	l->nranges = keep;
	for (i = 0; i <= l->nranges && n < len; i++) {
		const struct serial_range *r;

		if (i == l->nranges) {
			if (!l->have_cur)
				break;
			r = &l->cur;
		} else {
			r = &l->ranges[i];
		}
		n += (size_t)snprintf(buf + n, len - n, "%s%" PRId64 ":%"
		    PRId64 "-%" PRId64 ":%" PRId64, n > 0 ? ";" : "",
		    r->from_e, r->from_s, r->to_e, r->to_s);
	}
	if (n >= len)
		buf[0] = '\0';
}

static void
loop_load_ranges(struct loop *l, const char *pos)
{
	struct serial_range all[64];
	const char *p = pos;
	size_t n = 0, from;

	while (*p != '\0' && n < 64) {
		long long a, b, c, d;
		int used = 0;

		if (sscanf(p, "%lld:%lld-%lld:%lld%n", &a, &b, &c, &d,
		    &used) != 4)
			break;
		all[n].from_e = a;
		all[n].from_s = b;
		all[n].to_e = c;
		all[n].to_s = d;
		n++;
		p += used;
		if (*p == ';')
			p++;
	}
	/* The newest runs matter most: audit.log reaches the old first. */
	from = n > LOOP_RANGES_MAX - 1 ? n - (LOOP_RANGES_MAX - 1) : 0;
	for (; from < n; from++)
		l->ranges[l->nranges++] = all[from];
}

static void
loop_sink_line(struct source *src, const char *line, size_t len, void *arg)
{
	struct loop_source *ls = arg;
	int r;

	if (!loop_claim(ls, line, len))
		return;
	r = pipeline_feed_line(ls->loop->pipe, ls->idx, line, len);
	if (r < 0)
		log_debug("%s: feed: %s", source_name(src), strerror(-r));
}

static void
loop_sink_netlink(struct source *src, int type, const char *payload,
    size_t len, void *arg)
{
	struct loop_source *ls = arg;
	int r;

	if (!loop_claim(ls, payload, len))
		return;
	r = pipeline_feed_netlink(ls->loop->pipe, ls->idx, type, payload, len);
	if (r < 0)
		log_debug("%s: feed: %s", source_name(src), strerror(-r));
}

static void loop_flush(struct loop *);

static void
loop_sink_batch(struct source *src, void *arg)
{
	struct loop_source *ls = arg;
	char pos[1024];

	if (ls->loop->dedup != NULL && source_kind(src) == SOURCE_NETLINK) {
		loop_netlink_position(ls->loop, pos, sizeof(pos));
		if (pos[0] != '\0')
			(void)pipeline_set_position(ls->loop->pipe, ls->idx,
			    pos);
	} else if (source_position(src, pos, sizeof(pos)) >= 0) {
		(void)pipeline_set_position(ls->loop->pipe, ls->idx, pos);
	}
	/*
	 * While the database fails, a full aggregate would retry at every
	 * batch (each try writing until the disk refuses): once a second is
	 * enough, the flush timer tries too.
	 */
	if (pipeline_should_flush(ls->loop->pipe) &&
	    (ls->loop->flush_err == 0 ||
	    loop_now_ms() - ls->loop->flush_try_ms >= LOOP_RETRY_MS))
		loop_flush(ls->loop);
}

/* ----------------------------------------------------------------- flush */

static void
loop_report_lost(struct loop *l)
{
	struct source_counts c;
	size_t i;

	for (i = 0; i < l->nsrc; i++) {
		loop_counts(&l->src[i], &c);
		if (c.lost > l->src[i].lost_reported) {
			pipeline_add_lost(l->pipe, l->src[i].idx,
			    c.lost - l->src[i].lost_reported, 0);
			l->src[i].lost_reported = c.lost;
		}
	}
}

/*
 * The store cannot say that the store fails, so the state of each flush
 * goes to a small file too (config status_file), read by 'aalearn status':
 * written to a temporary name and renamed over, so that a reader sees the
 * old file or the new one, never half of one.  0644 despite the unit's
 * UMask, so that an unprivileged 'aalearn status' can read it.
 */
static int
loop_status_write(struct loop *l, int64_t now, size_t held)
{
	char tmp[CONFIG_PATH_MAX + 16], buf[512];
	int fd, n, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", l->cfg.status_file) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	n = snprintf(buf, sizeof(buf), "pid=%ld\ntime_ms=%" PRId64 "\n"
	    "state=%s\nerror=%s\nheld=%zu\nsince_ms=%" PRId64 "\n",
	    (long)getpid(), now, l->flush_err != 0 ? "failing" : "ok",
	    l->flush_err != 0 ? strerror(-l->flush_err) : "",
	    held, l->flush_err != 0 ? l->flush_err_ms : (int64_t)0);
	if (n < 0 || n >= (int)sizeof(buf))
		return -EOVERFLOW;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0 || write(fd, buf, (size_t)n) != n ||
	    fsync(fd) < 0)
		r = errno != 0 ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, l->cfg.status_file) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

static void
loop_status(struct loop *l, int64_t now, size_t held)
{
	int r;

	errno = 0;
	r = loop_status_write(l, now, held);
	/* Once per cause: a missing /run/aalearn outside systemd is normal. */
	if (r < 0 && r != l->status_err) {
		if (r == -ENOENT)
			log_debug("status file %s: %s", l->cfg.status_file,
			    strerror(-r));
		else
			log_warn("status file %s: %s", l->cfg.status_file,
			    strerror(-r));
	}
	l->status_err = r < 0 ? r : 0;
}

static void
loop_flush(struct loop *l)
{
	struct pipeline_stats ps;
	int64_t now = loop_now_ms();
	int r;

	loop_report_lost(l);
	r = pipeline_flush(l->pipe, now);
	if (r < 0) {
		pipeline_get_stats(l->pipe, &ps);
		/*
		 * A full disk or a read-only database fails every flush
		 * until someone acts: say it once (and again when the cause
		 * changes), not at every tick.
		 */
		if (l->flush_err != r)
			log_error("flush to %s: %s; keeping %zu observations "
			    "in memory and retrying", l->cfg.database,
			    strerror(-r), ps.pending);
		if (l->flush_err == 0)
			l->flush_err_ms = now;
		l->flush_err = r;
		l->flush_try_ms = now;
		l->flush_err_count++;
		sd_notifyf(0, "STATUS=flushing to %s fails: %s (%" PRIu64
		    " tries); %zu observations held", l->cfg.database,
		    strerror(-r), l->flush_err_count, ps.pending);
		loop_status(l, now, ps.pending);
		return;
	}
	if (l->flush_err != 0) {
		log_warn("flush to %s: flushing works again after %" PRIu64
		    " failed tries over %" PRId64 " ms; %d observations "
		    "written", l->cfg.database, l->flush_err_count,
		    now - l->flush_err_ms, r);
		l->flush_err = 0;
		l->flush_err_count = 0;
		sd_notify(0, "STATUS=reading");
	} else if (r > 0) {
		log_debug("flushed %d observations", r);
	}
	pipeline_get_stats(l->pipe, &ps);
	loop_status(l, now, ps.pending);
}

static void
loop_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	loop_flush(arg);
}

/* ------------------------------------------------------------ reading */

static int loop_open_source(struct loop *, struct loop_source *,
    const char *pos);

static void
loop_reopen_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_source *ls = arg;
	struct timeval tv;
	int r;

	r = loop_open_source(ls->loop, ls, ls->resume[0] != '\0' ?
	    ls->resume : NULL);
	if (r == 0) {
		ls->reopens++;
		log_warn("%s: reopened (%" PRIu64 " time%s); reading again",
		    source_name(ls->src), ls->reopens,
		    ls->reopens == 1 ? "" : "s");
		event_add(ls->ev, NULL);
		/* What came while it was closed, if the kernel kept it. */
		(void)source_read(ls->src);
		ls->reopen_ms = 0;
		return;
	}
	ls->reopen_ms = ls->reopen_ms * 2 > LOOP_REOPEN_MAX_MS ?
	    LOOP_REOPEN_MAX_MS : ls->reopen_ms * 2;
	log_error("reopening a source: %s; next try in %" PRId64 " ms",
	    strerror(-r), ls->reopen_ms);
	tv = loop_tv(ls->reopen_ms);
	evtimer_add(ls->reopen_ev, &tv);
}

static void
loop_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_source *ls = arg;
	struct source_counts c;
	struct timeval tv;
	int r = source_read(ls->src);

	if (r >= 0)
		return;
	/*
	 * A descriptor that keeps failing would spin the loop: close it and
	 * open a new one later, resuming where this one stopped.  What was
	 * handed on is in the pipeline already; the rest of this socket's
	 * queue is gone with it.
	 */
	if (source_position(ls->src, ls->resume, sizeof(ls->resume)) < 0)
		ls->resume[0] = '\0';
	if (ls->kind == SOURCE_NETLINK)
		ls->resume[0] = '\0';
	ls->reopen_ms = LOOP_REOPEN_MS;
	log_error("%s: read: %s; closing it, reopening in %" PRId64 " ms",
	    source_name(ls->src), strerror(-r), ls->reopen_ms);
	source_get_counts(ls->src, &c);
	ls->closed.read += c.read;
	ls->closed.lost += c.lost;
	ls->closed.kernel_lost += c.kernel_lost;
	ls->closed.overflows += c.overflows;
	ls->closed.rotations += c.rotations;
	if (c.last_record_ms > ls->closed.last_record_ms)
		ls->closed.last_record_ms = c.last_record_ms;
	event_free(ls->ev);
	ls->ev = NULL;
	source_free(ls->src);
	ls->src = NULL;
	if (ls->reopen_ev == NULL &&
	    (ls->reopen_ev = evtimer_new(ls->loop->base, loop_reopen_cb,
	    ls)) == NULL) {
		log_error("cannot schedule the reopen: this source stops");
		return;
	}
	tv = loop_tv(ls->reopen_ms);
	evtimer_add(ls->reopen_ev, &tv);
}

static void
loop_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_source *ls = arg;
	struct timeval tv;
	int r = source_read(ls->src);

	if (r < 0 && r != ls->last_err)
		log_warn("%s: %s", source_name(ls->src), strerror(-r));
	ls->last_err = r < 0 ? r : 0;
	/* While lines keep coming, come back at once. */
	tv = loop_tv(r > 0 ? 0 : LOOP_POLL_MS);
	evtimer_add(ls->ev, &tv);
}

/* ----------------------------------------------------------- status */

static void
loop_kernel_lost(struct loop *l)
{
	uint64_t lost;
	int r = source_netlink_kernel_lost(&lost);

	if (r < 0) {
		if (l->kernel_lost_ok >= 0)
			log_info("reading the kernel's lost counter: %s; "
			    "losses inside the kernel are not reported",
			    strerror(-r));
		l->kernel_lost_ok = -1;
		return;
	}
	if (l->kernel_lost_ok <= 0) {
		/* What was lost before we started is not ours to report. */
		l->kernel_lost_base = lost;
		l->kernel_lost_ok = 1;
		return;
	}
	if (lost > l->kernel_lost_base && l->nsrc > 0) {
		uint64_t d = lost - l->kernel_lost_base;
		size_t i, k = 0;

		for (i = 0; i < l->nsrc; i++)
			if (l->src[i].kind == SOURCE_NETLINK)
				k = i;
		pipeline_add_lost(l->pipe, l->src[k].idx, 0, d);
		l->kernel_lost_total += d;
		log_warn("the kernel lost %" PRIu64 " audit records "
		    "(backlog or rate limit)", d);
	}
	l->kernel_lost_base = lost;
}

static void
loop_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;
	struct source_counts c;
	uint64_t read = 0, lost = 0;
	int64_t now = loop_now_ms();
	size_t i;

	loop_kernel_lost(l);
	for (i = 0; i < l->nsrc; i++) {
		loop_counts(&l->src[i], &c);
		read += c.read;
		lost += c.lost;
	}
	if (now > l->stats_ms)
		l->rate = (double)(read - l->stats_read) * 1000.0 /
		    (double)(now - l->stats_ms);
	l->stats_ms = now;
	l->stats_read = read;
	sd_notifyf(0, "STATUS=%.0f records/s, %" PRIu64 " lost, %" PRIu64
	    " lost in the kernel%s%s", l->rate, lost, l->kernel_lost_total,
	    l->flush_err != 0 ? "; flushing fails: " : "",
	    l->flush_err != 0 ? strerror(-l->flush_err) : "");
}

static void
loop_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

/* ----------------------------------------------------------- signals */

static void
loop_apply_overrides(struct loop *l, struct config *cfg)
{
	if (l->db_override != NULL)
		snprintf(cfg->database, sizeof(cfg->database), "%s",
		    l->db_override);
	if (l->log_override != 0)
		cfg->log_level = l->log_override;
}

static void
loop_reload(struct loop *l)
{
	struct config next;
	struct timeval tv;
	char err[512];
	int r;

	if (l->config_path == NULL) {
		log_info("SIGHUP: no configuration file to reload");
		return;
	}
	sd_notify(0, "RELOADING=1");
	config_default(&next);
	r = config_load(&next, l->config_path, err, sizeof(err));
	if (r == -ENOENT) {
		config_default(&next);
		r = 0;
	}
	if (r < 0) {
		log_error("reload: %s; keeping the running configuration",
		    err);
		sd_notify(0, "READY=1");
		return;
	}
	loop_apply_overrides(l, &next);
	log_set_level(next.log_level);
	if (next.flush_interval_ms != l->cfg.flush_interval_ms) {
		tv = loop_tv(next.flush_interval_ms);
		event_del(l->flush_timer);
		event_add(l->flush_timer, &tv);
	}
	if (next.sources != l->cfg.sources ||
	    strcmp(next.audit_log, l->cfg.audit_log) != 0 ||
	    strcmp(next.database, l->cfg.database) != 0 ||
	    strcmp(next.proc_root, l->cfg.proc_root) != 0 ||
	    next.max_pending != l->cfg.max_pending ||
	    next.flush_max_pending != l->cfg.flush_max_pending ||
	    next.max_observations_per_profile !=
	    l->cfg.max_observations_per_profile ||
	    next.attribution_cache != l->cfg.attribution_cache ||
	    next.netlink_rcvbuf != l->cfg.netlink_rcvbuf ||
	    strcmp(next.status_file, l->cfg.status_file) != 0)
		log_warn("reload: sources, database, caps, proc_root and "
		    "status_file take effect at the next start");
	/* What applies now; the rest stays as started. */
	l->cfg.log_level = next.log_level;
	l->cfg.flush_interval_ms = next.flush_interval_ms;
	log_info("configuration reloaded from %s", l->config_path);
	sd_notify(0, "READY=1");
}

static void
loop_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct loop *l = arg;

	if (sig == SIGHUP) {
		loop_reload(l);
		return;
	}
	log_info("%s: flushing and stopping", strsignal((int)sig));
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(l->base);
}

/* ------------------------------------------------------------- setup */

static void
loop_sink(struct loop_source *ls, struct source_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	sink->line = loop_sink_line;
	sink->netlink = loop_sink_netlink;
	sink->batch = loop_sink_batch;
	sink->arg = ls;
}

/*
 * Open ls's source (of ls->kind) from pos and make its event; the pipeline
 * index stays the same when it is opened again.
 */
static int
loop_open_source(struct loop *l, struct loop_source *ls, const char *pos)
{
	struct source_sink sink;
	int r;

	loop_sink(ls, &sink);
	switch (ls->kind) {
	case SOURCE_NETLINK:
		r = source_netlink_new(&sink, l->cfg.netlink_rcvbuf, &ls->src);
		break;
	case SOURCE_AUDITLOG:
		r = source_file_new(&sink, l->cfg.audit_log, pos,
		    l->cfg.read_backlog, &ls->src);
		break;
	default:
		r = source_kmsg_new(&sink, NULL, pos, l->cfg.read_backlog,
		    &ls->src);
		break;
	}
	if (r < 0)
		return r;
	ls->idx = pipeline_add_source(l->pipe, source_name(ls->src));
	if (ls->idx < 0) {
		r = ls->idx;
		source_free(ls->src);
		ls->src = NULL;
		return r;
	}
	if (source_fd(ls->src) >= 0)
		ls->ev = event_new(l->base, source_fd(ls->src),
		    EV_READ | EV_PERSIST, loop_read_cb, ls);
	else
		ls->ev = evtimer_new(l->base, loop_poll_cb, ls);
	if (ls->ev == NULL) {
		source_free(ls->src);
		ls->src = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int
loop_add_source(struct loop *l, enum source_type kind, int quiet)
{
	struct loop_source *ls = &l->src[l->nsrc];
	char *pos = NULL, fname[CONFIG_PATH_MAX + 8];
	const char *name;
	int r;

	memset(ls, 0, sizeof(*ls));
	ls->loop = l;
	switch (kind) {
	case SOURCE_NETLINK:
		name = "netlink";
		break;
	case SOURCE_AUDITLOG:
		snprintf(fname, sizeof(fname), "file:%s", l->cfg.audit_log);
		name = fname;
		break;
	default:
		name = "kmsg";
		break;
	}
	ls->kind = kind;
	r = store_get_checkpoint(l->store, name, &pos);
	if (r < 0 && r != -ENOENT) {
		log_error("%s: reading the checkpoint: %s", name, strerror(-r));
		return r;
	}
	if (kind == SOURCE_NETLINK && pos != NULL)
		loop_load_ranges(l, pos);
	r = loop_open_source(l, ls, pos);
	free(pos);
	if (r < 0) {
		if (quiet)
			log_info("%s: not available: %s", name, strerror(-r));
		else
			log_error("%s: %s", name, strerror(-r));
		return r;
	}
	l->nsrc++;
	log_info("reading %s", source_name(ls->src));
	return 0;
}

static int
loop_add_sources(struct loop *l)
{
	struct stat st;
	int r;

	if (l->cfg.sources != SOURCE_AUTO) {
		static const enum source_type order[] = { SOURCE_NETLINK,
			SOURCE_AUDITLOG, SOURCE_KMSG };
		size_t i;

		for (i = 0; i < 3; i++) {
			if (!(l->cfg.sources & order[i]))
				continue;
			if ((r = loop_add_source(l, order[i], 0)) < 0)
				return r;
		}
		return 0;
	}
	if (loop_add_source(l, SOURCE_NETLINK, 1) == 0)
		return 0;
	if (stat(l->cfg.audit_log, &st) == 0)
		return loop_add_source(l, SOURCE_AUDITLOG, 0);
	return loop_add_source(l, SOURCE_KMSG, 0);
}

int
loop_new(const struct config *cfg, const char *config_path,
    const char *db_override, int log_override, struct loop **ret_loop)
{
	struct pipeline_config pc;
	struct loop *l;
	char err[512];
	int r = -ENOMEM;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -ENOMEM;
	l->cfg = *cfg;
	l->log_override = log_override;
	if ((config_path != NULL &&
	    (l->config_path = strdup(config_path)) == NULL) ||
	    (db_override != NULL &&
	    (l->db_override = strdup(db_override)) == NULL))
		goto fail;
	loop_apply_overrides(l, &l->cfg);
	log_set_level(l->cfg.log_level);

	l->store = store_open(l->cfg.database, STORE_CREATE, err, sizeof(err));
	if (l->store == NULL) {
		log_error("%s", err);
		r = -EIO;
		goto fail;
	}
	if (store_loose_permissions(l->store))
		log_warn("%s: looser permissions than 0600 (directory 0700)",
		    l->cfg.database);
	store_set_cap(l->store, l->cfg.max_observations_per_profile);
	l->attr = attribution_new(l->cfg.proc_root, l->cfg.attribution_cache);
	if (l->attr == NULL)
		goto fail;
	pipeline_config_default(&pc);
	pc.max_total = l->cfg.max_pending;
	pc.max_per_profile = l->cfg.max_observations_per_profile <
	    l->cfg.max_pending ? l->cfg.max_observations_per_profile :
	    l->cfg.max_pending;
	pc.flush_max_pending = l->cfg.flush_max_pending;
	l->pipe = pipeline_new(l->store, l->attr, &pc);
	if (l->pipe == NULL)
		goto fail;
	if ((l->base = event_base_new()) == NULL)
		goto fail;
	if ((r = loop_add_sources(l)) < 0)
		goto fail;
	r = -ENOMEM;
	if (l->nsrc > 1 && (l->dedup = dedup_new(LOOP_DEDUP_MAX)) == NULL)
		goto fail;

	l->sig_hup = evsignal_new(l->base, SIGHUP, loop_signal_cb, l);
	l->sig_term = evsignal_new(l->base, SIGTERM, loop_signal_cb, l);
	l->sig_int = evsignal_new(l->base, SIGINT, loop_signal_cb, l);
	l->flush_timer = event_new(l->base, -1, EV_PERSIST, loop_flush_cb, l);
	l->stats_timer = event_new(l->base, -1, EV_PERSIST, loop_stats_cb, l);
	if (l->sig_hup == NULL || l->sig_term == NULL || l->sig_int == NULL ||
	    l->flush_timer == NULL || l->stats_timer == NULL)
		goto fail;
	if (sd_watchdog_enabled(0, &l->watchdog_usec) > 0 &&
	    l->watchdog_usec > 0) {
		l->watchdog_timer = event_new(l->base, -1, EV_PERSIST,
		    loop_watchdog_cb, l);
		if (l->watchdog_timer == NULL)
			goto fail;
	}
	*ret_loop = l;
	return 0;
fail:
	loop_free(l);
	return r;
}

int
loop_run(struct loop *l)
{
	struct timeval tv;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	evsignal_add(l->sig_hup, NULL);
	evsignal_add(l->sig_term, NULL);
	evsignal_add(l->sig_int, NULL);
	tv = loop_tv(l->cfg.flush_interval_ms);
	event_add(l->flush_timer, &tv);
	tv = loop_tv(LOOP_STATS_MS);
	event_add(l->stats_timer, &tv);
	if (l->watchdog_timer != NULL) {
		tv.tv_sec = (time_t)(l->watchdog_usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(l->watchdog_usec / 2 % 1000000);
		event_add(l->watchdog_timer, &tv);
	}
	for (i = 0; i < l->nsrc; i++) {
		if (source_fd(l->src[i].src) >= 0) {
			event_add(l->src[i].ev, NULL);
		} else {
			tv = loop_tv(0);
			evtimer_add(l->src[i].ev, &tv);
		}
	}
	l->stats_ms = loop_now_ms();
	loop_kernel_lost(l);
	sd_notify(0, "READY=1\nSTATUS=reading");
	log_info("ready: %zu source%s, database %s", l->nsrc,
	    l->nsrc == 1 ? "" : "s", l->cfg.database);

	if (event_base_dispatch(l->base) < 0)
		l->rc = -EIO;
	/* What already waits in the sockets and files goes in too. */
	for (i = 0; i < l->nsrc; i++)
		if (l->src[i].src != NULL)
			(void)source_read(l->src[i].src);
	/* The last batch's positions go with the last observations. */
	loop_flush(l);
	for (i = 0; i < l->nsrc; i++) {
		struct source_counts c;

		if (l->src[i].src == NULL)
			continue;
		loop_counts(&l->src[i], &c);
		log_info("%s: %" PRIu64 " read, %" PRIu64 " duplicates "
		    "dropped, %" PRIu64 " lost, %" PRIu64 " rotations, %"
		    PRIu64 " reopens", source_name(l->src[i].src), c.read,
		    l->src[i].dup_dropped, c.lost, c.rotations,
		    l->src[i].reopens);
	}
	/* A stopped daemon holds nothing: no stale warning. */
	if (unlink(l->cfg.status_file) < 0 && errno != ENOENT)
		log_debug("status file %s: %s", l->cfg.status_file,
		    strerror(errno));
	return l->rc;
}

void
loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nsrc; i++) {
		if (l->src[i].ev != NULL)
			event_free(l->src[i].ev);
		if (l->src[i].reopen_ev != NULL)
			event_free(l->src[i].reopen_ev);
		source_free(l->src[i].src);
	}
	if (l->sig_hup != NULL)
		event_free(l->sig_hup);
	if (l->sig_term != NULL)
		event_free(l->sig_term);
	if (l->sig_int != NULL)
		event_free(l->sig_int);
	if (l->flush_timer != NULL)
		event_free(l->flush_timer);
	if (l->stats_timer != NULL)
		event_free(l->stats_timer);
	if (l->watchdog_timer != NULL)
		event_free(l->watchdog_timer);
	dedup_free(l->dedup);
	pipeline_free(l->pipe);
	attribution_free(l->attr);
	store_close(l->store);
	if (l->base != NULL)
		event_base_free(l->base);
	free(l->config_path);
	free(l->db_override);
	free(l);
}
