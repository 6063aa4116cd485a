/*
 * daemon.h - the public interface of aalearnd's module (daemon/), used by
 * daemon/main.c and the daemon's tests.
 *
 * Sections (each owned by its source files, see the comment heading it):
 *   config       daemon/config.c      aalearnd.conf parsing and defaults
 *   attribution  daemon/attribution.c pid -> container from /proc/<pid>/cgroup
 *   log          daemon/log.c         leveled logging to stderr
 *   sources      daemon/source_*.c    netlink, audit.log, kmsg readers
 *   pipeline     daemon/pipeline.c    record -> attribution -> aggregate -> flush
 */
#ifndef AALEARN_DAEMON_H
#define AALEARN_DAEMON_H

#include <stddef.h>
#include "learner.h"
#include "store.h"

/* ----------------------------------------------------------- attribution */

/*
 * Which container a process runs in, from <proc_root>/<pid>/cgroup, cached
 * by (pid, start time from <proc_root>/<pid>/stat) so that a reused pid is
 * never misattributed.  At most cache_max entries.
 */
struct attribution;

struct attribution *attribution_new(const char *proc_root, size_t cache_max);
void attribution_free(struct attribution *);
/*
 * 0 and *ret_container filled (id NULL: on the host, no container), or
 * -ESRCH when the process is gone.  The strings stay valid until the next
 * call on the same struct attribution.
 */
int attribution_lookup(struct attribution *, long pid,
    struct container *ret_container);
/*
 * Pure: the container named by the text of a /proc/<pid>/cgroup file
 * (innermost wins).  Strings are written into buf.  0, or -ENOENT when the
 * process is not in a container.
 */
int attribution_parse_cgroup(const char *text, size_t len,
    struct container *ret_container, char *buf, size_t buflen);

/* ---------------------------------------------------------------- config */

/* ------------------------------------------------------------------- log */

/* --------------------------------------------------------------- sources */

/* -------------------------------------------------------------- pipeline */

/*
 * record -> join (exe from SYSCALL) -> access -> attribution -> aggregate,
 * and the flush of the aggregate into the store.  One pipeline per daemon;
 * each source registers once and feeds its own lines or netlink messages
 * (records of different sources are never joined with each other).  The
 * pipeline does not de-duplicate between sources: a daemon reading netlink
 * and audit.log must drop one of the two copies itself.
 *
 * Checkpoints travel with the data: pipeline_set_position() says "every
 * record this source fed so far is covered by position"; pipeline_flush()
 * commits that position in the same transaction as the observations.
 */
struct pipeline;

struct pipeline_config {
	size_t	 max_per_profile;	/* distinct keys per profile held in memory */
	size_t	 max_total;		/* distinct keys held in all */
	size_t	 flush_max_pending;	/* pipeline_should_flush() at this many keys */
	size_t	 join_window;		/* records held waiting for their SYSCALL */
	size_t	 max_sources;		/* 0: 8 */
};
/* Defaults: 10000 per profile, 200000 total, flush at 50000, window 16. */
void pipeline_config_default(struct pipeline_config *);

/* attr may be NULL: no attribution, every record on the host. */
struct pipeline *pipeline_new(struct store *, struct attribution *attr,
    const struct pipeline_config *);
void pipeline_free(struct pipeline *);

/*
 * Register a source by the name its checkpoint and stats carry ("netlink",
 * "file:/var/log/audit/audit.log", "kmsg").  Returns its index (>= 0) or
 * -errno.  Registering the same name twice returns the same index.
 */
int pipeline_add_source(struct pipeline *, const char *name);
/* One line of text without its newline (audit.log, kmsg, syslog). */
int pipeline_feed_line(struct pipeline *, int source, const char *line,
    size_t len);
/* One netlink audit message: nlmsg_type and its payload. */
int pipeline_feed_netlink(struct pipeline *, int source, int type,
    const char *payload, size_t len);
/* Everything this source fed so far is covered by position (copied). */
int pipeline_set_position(struct pipeline *, int source,
    const char *position);
/* Losses to report with the source's stats at the next flush. */
void pipeline_add_lost(struct pipeline *, int source, uint64_t lost,
    uint64_t kernel_lost);
/* True when the distinct keys held reached flush_max_pending. */
int pipeline_should_flush(const struct pipeline *);
/*
 * One transaction: every held observation, each source's position and stats,
 * the overflow per profile.  On failure the transaction is rolled back and
 * everything stays held for the next try.  Returns the number of
 * observations written, or -errno.
 */
int pipeline_flush(struct pipeline *, int64_t now_ms);

/* Totals since pipeline_new(), for logs and sd_notify STATUS. */
struct pipeline_stats {
	uint64_t lines;		/* lines and netlink messages fed */
	uint64_t records;	/* AppArmor records parsed */
	uint64_t skipped;	/* not AppArmor, or asking for no access */
	uint64_t malformed;
	uint64_t joined;	/* records that got an exe from SYSCALL */
	uint64_t unattributed;	/* process gone before attribution */
	uint64_t overflow;	/* observations dropped by the caps */
	uint64_t flushed;	/* observations written */
	uint64_t flush_failures;
	size_t	 pending;	/* distinct keys held now */
};
void pipeline_get_stats(const struct pipeline *, struct pipeline_stats *);

#endif /* AALEARN_DAEMON_H */
