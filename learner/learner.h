/*
 * learner.h - the public interface of aalearn's domain library.
 *
 * learner/ is pure: no I/O beyond what the caller hands in, no logging, no
 * global state, no SQLite, no network.  Time comes in as an argument.
 * Everything a record carries is hostile input: strings keep every byte the
 * kernel reported and are never trusted as rule syntax.
 *
 * Sections (each owned by one source file, see the comment heading it):
 *   record     learner/record.c     one audit line -> struct record
 *   mask       learner/mask.c       permission masks as bit sets
 *   access     learner/access.c     record -> class + key fields (struct access)
 *   aggregate  learner/aggregate.c  dedup in memory -> struct observation
 *   join       learner/join.c       AVC + SYSCALL/PROCTITLE of one event
 *   aare       learner/aare.c       AppArmor glob matcher
 *   profile    learner/profile.c    profile text in and out, aalearn's block
 *   propose    learner/propose.c    observations -> proposed rules
 */
#ifndef AALEARN_LEARNER_H
#define AALEARN_LEARNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ record */

enum record_kind {
	RECORD_UNKNOWN = 0,	/* AppArmor record whose kind is not stated */
	RECORD_ALLOWED,		/* complain mode */
	RECORD_DENIED,
	RECORD_AUDIT,
	RECORD_HINT,
	RECORD_STATUS,
	RECORD_ERROR,
	RECORD_KILL,
	RECORD_INVALID,		/* AppArmor, but not a shape we can read */
};

/* What record_parse() made of one line. */
enum record_result {
	RECORD_OK = 0,		/* an AppArmor record, *r filled */
	RECORD_NOT_APPARMOR,	/* some other line (SYSCALL, a boot message) */
	RECORD_MALFORMED,	/* looked like AppArmor but could not be read */
	RECORD_CONTINUED,	/* first half of a wrapped syslog record */
};

/*
 * Numeric fields hold -1 when the record does not carry them.  String fields
 * are NULL when absent, else NUL-terminated and hex-decoded; they point into
 * r->buf and live until the next record_parse() on the same struct.
 */
struct record {
	enum record_kind kind;
	int	 audit_type;		/* 1400, 1107 (USER_AVC), 1500..., 0 unknown */
	int64_t	 epoch;			/* seconds */
	int	 msec;			/* milliseconds, 0..999 */
	int64_t	 serial;		/* audit(<epoch>:<serial>) */

	const char *apparmor;		/* "ALLOWED", "DENIED", ... verbatim */
	const char *operation;
	const char *class_name;		/* class= (file, net, dbus, unix...) */
	const char *profile;		/* full label, e.g. p//null-/bin/x */
	const char *profile_parent;	/* p for p//hat or p//null-x; else = profile */
	const char *ns;			/* policy namespace from :ns: prefix or namespace= */
	const char *peer;		/* peer label (peer=, peer_label=, target=? no) */
	const char *peer_profile;	/* peer_profile= (older records) */
	const char *name;
	const char *name2;		/* name2= or target= */
	const char *target;		/* target= (exec/change_profile target label) */
	const char *requested;		/* requested_mask= or requested= */
	const char *denied;		/* denied_mask= or denied= */
	const char *comm;		/* comm= (task name) */
	const char *info;
	const char *attribute;
	const char *execpath;
	const char *exe;		/* from a joined SYSCALL record, see join */
	const char *family;
	const char *sock_type;
	const char *protocol;		/* as logged: number or name */
	const char *capname;
	const char *signal;
	const char *laddr, *faddr;	/* local/foreign address */
	const char *net_addr;		/* addr= */
	const char *peer_addr;
	const char *bus, *path, *interface, *member, *dbus_method;
	const char *fstype, *srcname, *flags;
	const char *old_style;		/* the text of a pre-2.6.36 REJECTING record */

	long	 pid, peer_pid, task, parent, fsuid, ouid;
	long	 magic_token, capability, error, lport, fport;

	size_t	 buflen;
	char	 buf[16384];		/* storage for the strings above */
};

/* Longest line record_parse() accepts; longer ones are RECORD_MALFORMED. */
#define RECORD_LINE_MAX 16000

/*
 * Parse one line (without its newline) of any supported shape: auditd log,
 * dmesg, syslog, journal, or a netlink payload given with record_parse_netlink.
 * A wrapped two-line syslog record: the first half returns RECORD_CONTINUED
 * and is kept in *st; pass the next line with the same *st.
 */
struct record_state {
	size_t	 pending_len;
	char	 pending[RECORD_LINE_MAX];
};

enum record_result record_parse(struct record_state *st, struct record *r,
    const char *line, size_t len);
/* A netlink message: its type (nlmsg_type) and payload "audit(...): ...". */
enum record_result record_parse_netlink(struct record *r, int type,
    const char *payload, size_t len);
const char *record_kind_name(enum record_kind);

/* ------------------------------------------------------------------- mask */

/*
 * A permission mask as a bit set over one vocabulary shared by every class:
 * file letters and the words used by network, unix, signal, ptrace, dbus...
 */
uint64_t mask_parse(const char *text);	/* "rwc", "send receive", "::r" */
/* The mask as rule text for a class ("rw", "(send receive)"); into buf. */
const char *mask_format(uint64_t mask, int access_class, char *buf, size_t len);

/* ----------------------------------------------------------------- access */

enum access_class {
	ACCESS_NONE = 0,
	ACCESS_FILE,		/* f[0]=path, f[1]=link/rename target */
	ACCESS_EXEC,		/* f[0]=path, f[1]=target label */
	ACCESS_CAPABILITY,	/* f[0]=capability name */
	ACCESS_NETWORK,		/* f[0]=family f[1]=sock_type f[2]=protocol */
	ACCESS_UNIX,		/* f[0]=sock_type f[1]=addr f[2]=peer_addr f[3]=peer label */
	ACCESS_SIGNAL,		/* f[0]=signal f[1]=peer label */
	ACCESS_PTRACE,		/* f[0]=peer label */
	ACCESS_MOUNT,		/* f[0]=operation f[1]=fstype f[2]=source f[3]=mountpoint f[4]=flags */
	ACCESS_DBUS,		/* f[0]=bus f[1]=path f[2]=interface f[3]=member f[4]=peer label f[5]=name */
	ACCESS_CHANGE_PROFILE,	/* f[0]=target label */
	ACCESS_USERNS,		/* f[0]=operation */
	ACCESS_IO_URING,	/* f[0]=operation f[1]=peer label */
	ACCESS_MQUEUE,		/* f[0]=name f[1]=type */
	ACCESS_NCLASSES
};

#define ACCESS_NFIELDS 6

/* One distinct access: what a rule would have to allow.  Strings borrowed. */
struct access {
	enum access_class cls;
	const char *f[ACCESS_NFIELDS];	/* never NULL once filled: "" when absent */
	uint64_t mask;
};

const char *access_class_name(enum access_class);
enum access_class access_class_from_name(const char *);
/*
 * The access a record asks for.  Returns 0, or -ENOENT for records that ask
 * for nothing (status, hints, errors) and -EINVAL for unreadable ones.
 */
int access_from_record(const struct record *r, struct access *ret_access);

/* --------------------------------------------------------------- observation */

/* The container a process ran in, from attribution (daemon/). */
struct container {
	const char *runtime;	/* "docker", "containerd", "cri-o", "podman" */
	const char *id;		/* 64 hex or as the runtime names it */
	const char *pod_uid;	/* Kubernetes pod uid, or NULL */
};

/*
 * An access seen one or more times by one profile in one container (or on
 * the host: container.id NULL).  Child labels (p//null-x, hats) are learned
 * into the parent `profile`; `label` keeps the full label as evidence.
 */
struct observation {
	const char *profile;
	const char *label;
	struct container container;
	struct access access;		/* access.mask: union of requested masks */
	uint64_t allowed;		/* count of ALLOWED (and AUDIT) events */
	uint64_t denied;		/* count of DENIED events */
	int64_t	 first_ms, last_ms;	/* epoch milliseconds */
	long	 sample_pid;
	const char *sample_comm;
	const char *sample_exe;
};

/* ---------------------------------------------------------------- aggregate */

/*
 * In-memory dedup by (profile, container, access key).  Bounded: at most
 * max_per_profile distinct keys per profile and max_total in all; beyond the
 * caps an observation is dropped and counted in overflow.
 */
struct aggregate;

struct aggregate *aggregate_new(size_t max_per_profile, size_t max_total);
void aggregate_free(struct aggregate *);
/* Add one record (already attributed); returns 0, 1 when it overflowed, or -errno. */
int aggregate_add(struct aggregate *, const struct record *r,
    const struct container *c);
size_t aggregate_count(const struct aggregate *);	/* distinct keys held */
uint64_t aggregate_overflow(const struct aggregate *);
/* Visit every observation; stop early when cb returns non-zero. */
typedef int (*aggregate_cb)(const struct observation *, void *arg);
int aggregate_foreach(const struct aggregate *, aggregate_cb cb, void *arg);
/* Forget everything held (after a successful flush); keeps the caps. */
void aggregate_clear(struct aggregate *);

/* ------------------------------------------------------------------- join */
/* (learner/join.c, owned with aggregate.c) */

/* ------------------------------------------------------------------- aare */
/* (learner/aare.c) */

/* ---------------------------------------------------------------- profile */
/* (learner/profile.c) */

/* ---------------------------------------------------------------- propose */
/* (learner/propose.c) */

#endif /* AALEARN_LEARNER_H */
