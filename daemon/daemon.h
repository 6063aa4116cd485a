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

#endif /* AALEARN_DAEMON_H */
