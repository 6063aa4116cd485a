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
 * never misattributed.  At most cache_max entries.  An entry whose start
 * time was read less than attribution_recheck_ms() ago is trusted without
 * reading it again: 50 when <proc_root>/sys/kernel/pid_max is at least
 * 32768 (a pid cannot come round that fast), else 0 (every lookup checks).
 */
struct attribution;

struct attribution *attribution_new(const char *proc_root, size_t cache_max);
void attribution_free(struct attribution *);
long long attribution_recheck_ms(const struct attribution *);
/* Another window (tests; 0: check every lookup). */
void attribution_set_recheck_ms(struct attribution *, long long ms);
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
/* What attribution_parse_cgroup() accepts: ids of 12..128 hex digits, pod
 * uids up to 64 bytes; buf needs ID_MAX + 1 + POD_MAX + 1 bytes. */
#define ATTRIBUTION_ID_MIN	12
#define ATTRIBUTION_ID_MAX	128
#define ATTRIBUTION_POD_MAX	64

/* ---------------------------------------------------------------- config */

/*
 * aalearnd.conf: "key = value" lines, "#" comments.  Strings are copied into
 * fixed buffers so that a struct config can be copied and dropped freely.
 */
enum source_type {
	SOURCE_NETLINK = 1 << 0,
	SOURCE_AUDITLOG = 1 << 1,
	SOURCE_KMSG = 1 << 2,
};
#define SOURCE_AUTO 0		/* config.sources: choose at start */

#define CONFIG_PATH_MAX 1024

struct config {
	unsigned sources;		/* SOURCE_* bits, or SOURCE_AUTO */
	char	 audit_log[CONFIG_PATH_MAX];
	int	 read_backlog;
	char	 database[CONFIG_PATH_MAX];
	int64_t	 flush_interval_ms;
	size_t	 flush_max_pending;
	size_t	 max_observations_per_profile;
	size_t	 max_pending;
	char	 proc_root[CONFIG_PATH_MAX];
	size_t	 attribution_cache;
	int	 netlink_rcvbuf;
	int	 log_level;		/* LOG_LEVEL_* */
	/* Runtime status for 'aalearn status' when the store fails. */
	char	 status_file[CONFIG_PATH_MAX];
};

void config_default(struct config *);
/*
 * Parse text into *cfg (which holds the defaults or earlier settings).  On
 * error returns -EINVAL, leaves *cfg as it was, and writes "line N: ..." into
 * err.
 */
int config_parse(struct config *cfg, const char *text, size_t len,
    char *err, size_t errlen);
/*
 * Read and parse a file.  A missing file is -ENOENT (the caller decides
 * whether that is fine); err names the path.
 */
int config_load(struct config *cfg, const char *path, char *err,
    size_t errlen);
/* "1s", "500ms", "2m", a bare number is seconds.  0 or -EINVAL. */
int config_parse_duration(const char *text, int64_t *ret_ms);
/* "netlink,kmsg" or "auto" -> SOURCE_* bits.  0 or -EINVAL. */
int config_parse_sources(const char *text, unsigned *ret_sources);

/* ------------------------------------------------------------------- log */

/* The syslog priorities, so that "<N>" prefixes need no table. */
enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/*
 * Logs go to stderr.  When stderr is the journal ($JOURNAL_STREAM names it),
 * every line starts with "<N>" so that journald keeps the priority; on a
 * terminal or file the line says the level in words.
 */
void log_init(int level);
void log_set_level(int level);
int log_get_level(void);
/* "error", "warn", "info", "debug" -> LOG_LEVEL_*, or -EINVAL. */
int log_level_parse(const char *name);
const char *log_level_name(int level);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --------------------------------------------------------------- sources */

/*
 * A source reads bytes from the kernel or a file and hands on lines or
 * netlink messages, one at a time, to its sink.  After source_read() returns,
 * source_position() describes a point that covers everything handed on so
 * far: commit it together with the observations made from those records and
 * a restart resumes exactly there.
 */
struct source;
struct event_base;

struct source_sink {
	/* One line without its newline (audit.log, kmsg message text). */
	void	(*line)(struct source *, const char *line, size_t len,
		    void *arg);
	/* One netlink audit message (nlmsg_type, payload without NULs). */
	void	(*netlink)(struct source *, int type, const char *payload,
		    size_t len, void *arg);
	/* Called after each batch source_read() handed on (may be NULL). */
	void	(*batch)(struct source *, void *arg);
	void	*arg;
};

/* Counters since the source was made; the daemon reports deltas. */
struct source_counts {
	uint64_t read;		/* lines / messages handed on */
	uint64_t lost;		/* known lost on our side (overflow, ring wrap) */
	uint64_t kernel_lost;	/* the kernel's own lost counter (netlink) */
	uint64_t overflows;	/* ENOBUFS / EPIPE events */
	uint64_t rotations;	/* audit.log: rotations and truncations followed */
	int64_t	 last_record_ms;
};

/*
 * Audit netlink multicast (AUDIT_NLGRP_READLOG).  -EPERM without
 * CAP_AUDIT_READ, -EPROTONOSUPPORT without audit in the kernel.
 */
int source_netlink_new(const struct source_sink *, int rcvbuf,
    struct source **ret_source);
/* Ask the kernel for its audit status; *ret_lost = its lost counter. */
int source_netlink_kernel_lost(uint64_t *ret_lost);

/*
 * auditd's log, followed across rotation by rename (path.1, path.2, ... or
 * any name in the same directory holding the inode) and copy-truncate.
 * checkpoint NULL: first start, begin at the end unless read_backlog.
 */
int source_file_new(const struct source_sink *, const char *path,
    const char *checkpoint, int read_backlog, struct source **ret_source);

/*
 * The kernel log, /dev/kmsg or a given device path; checkpointed by boot id
 * and sequence number.  A new boot reads the ring from its start.
 */
int source_kmsg_new(const struct source_sink *, const char *path,
    const char *checkpoint, int read_backlog, struct source **ret_source);

void source_free(struct source *);
/* "netlink", "file:<path>", "kmsg". */
const char *source_name(const struct source *);
enum source_type source_kind(const struct source *);
/* The descriptor to wait on for input; -1 when the source must be polled. */
int source_fd(const struct source *);
/*
 * Read everything available now and hand it on.  Returns the number of
 * lines/messages handed on, or -errno on a failure that stops the source.
 */
int source_read(struct source *);
/* The resume point covering everything handed on (see above). */
int source_position(const struct source *, char *buf, size_t len);
void source_get_counts(const struct source *, struct source_counts *);

/*
 * Recent (epoch, serial) pairs and which source saw them first, so that
 * netlink and audit.log together count every event once.  Bounded: the
 * oldest are forgotten first.
 */
struct dedup;
struct dedup *dedup_new(size_t capacity);
void dedup_free(struct dedup *);
/*
 * Returns 1 when the record belongs to owner (first seen now or before by
 * the same owner), 0 when another owner saw it first.
 */
int dedup_claim(struct dedup *, int64_t epoch, int64_t serial, int owner);
/* The owner of a remembered event, or -ENOENT. */
int dedup_owner(const struct dedup *, int64_t epoch, int64_t serial);
/*
 * 1 when the event is not newer than the newest one forgotten to keep the
 * set bounded: the set cannot tell any more who saw it.
 */
int dedup_forgotten(const struct dedup *, int64_t epoch, int64_t serial);
/* Finds "audit(<epoch>.<ms>:<serial>)" in a line; 0 or -ENOENT. */
int dedup_stamp(const char *line, size_t len, int64_t *ret_epoch,
    int *ret_msec, int64_t *ret_serial);

/*
 * The daemon itself (daemon/loop.c): store, attribution, pipeline and the
 * configured sources on one libevent loop, with signals (HUP reloads the
 * config file, TERM/INT flush and stop), the flush timer and sd_notify.
 */
struct loop;

/* config_path: reloaded on SIGHUP (NULL: nothing to reload). */
/* db_override, log_override (0: none) come from the command line and win. */
int loop_new(const struct config *, const char *config_path,
    const char *db_override, int log_override, struct loop **ret_loop);
/* Runs until SIGTERM/SIGINT; 0 after the final flush, or -errno. */
int loop_run(struct loop *);
void loop_free(struct loop *);

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
	uint64_t rejected;	/* observations the store refused (-EINVAL) */
	uint64_t flush_failures;
	size_t	 pending;	/* distinct keys held now */
	size_t	 memory;	/* bytes held by the aggregate and the joins */
};
void pipeline_get_stats(const struct pipeline *, struct pipeline_stats *);

#endif /* AALEARN_DAEMON_H */
