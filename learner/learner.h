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
 * Numeric fields hold -1 when the record does not carry them (epoch, msec
 * and serial too, for records without an audit(...) stamp such as dbus
 * syslog lines).  String fields are NULL when absent, else NUL-terminated
 * and hex-decoded, every byte kept; they point into r->buf (or at constant
 * text) and live until the next parse into the same struct.
 *
 * After RECORD_OK, kind is never RECORD_INVALID.  After any other result
 * kind is RECORD_INVALID and the fields hold what could be read before the
 * record was given up on (the audit stamp, type_name and, for records that
 * are not key=value, old_style); nothing in them is to be learned from.
 */
struct record {
	enum record_kind kind;
	int	 audit_type;		/* 1400, 1107 (USER_AVC), 1500..., 0 unknown */
	int64_t	 epoch;			/* seconds */
	int	 msec;			/* milliseconds, 0..999 */
	int64_t	 serial;		/* audit(<epoch>:<serial>) */

	const char *type_name;		/* the type as logged: "AVC", "1400", "UNKNOWN[1503]" */
	const char *apparmor;		/* "ALLOWED", "DENIED", ... verbatim */
	const char *operation;
	const char *class_name;		/* class= (file, net, dbus, unix...) */
	const char *profile;		/* full label (profile= or label=), e.g. p//null-/bin/x */
	const char *profile_parent;	/* p for p//hat or p//null-x (:ns:p for :ns:p//x); else = profile */
	const char *ns;			/* policy namespace from :ns: prefix or namespace= */
	const char *peer;		/* peer= (ptrace, signal, unix peer label) */
	const char *peer_profile;	/* peer_profile=, peer_label= (D-Bus) or tcontext= (io_uring) */
	const char *name;
	const char *name2;		/* name2= or target= */
	const char *target;		/* target= (exec/change_profile target label) */
	const char *requested;		/* requested_mask= or requested= */
	const char *denied;		/* denied_mask=, denied=, or else a D-Bus record's mask= */
	const char *mask;		/* mask= of D-Bus records (also in denied) */
	const char *comm;		/* comm= (task name) */
	const char *info;
	const char *attribute;
	const char *execpath;
	const char *exe;		/* from a joined SYSCALL record, see join */
	const char *user_exe;		/* exe= of a USER_AVC: the sender (dbus-daemon), not the subject */
	const char *family;
	const char *sock_type;
	const char *protocol;		/* as logged: number or name */
	const char *capname;		/* capname=, name= of "capable", or from capability= */
	const char *signal;
	const char *laddr, *faddr;	/* local/foreign address (laddr/saddr, faddr/daddr) */
	const char *net_addr;		/* addr= (unix); "none" is left out */
	const char *peer_addr;		/* peer_addr= (unix); "none" is left out */
	const char *bus, *path, *interface, *member, *dbus_method;	/* method= also sets member */
	const char *fstype, *srcname, *flags;
	const char *old_style;		/* text of a record that is not key=value (pre-2.6.36
					 * REJECTING...), or of another subsystem's record */

	long	 pid, peer_pid, task, parent, fsuid, ouid;
	long	 magic_token, capability, error, lport, fport;	/* error: the errno, error=-13 gives 13 */

	size_t	 buflen;
	char	 buf[16384];		/* storage for the strings above */
};

/*
 * Longest line record_parse() accepts; longer ones are RECORD_MALFORMED when
 * they mention apparmor, else RECORD_NOT_APPARMOR.
 */
#define RECORD_LINE_MAX 16000

/*
 * Parse one line (without its newline) of any supported shape: auditd log
 * (type=... msg=audit(...): ..., USER_AVC msg='...', node= prefix, enriched
 * 0x1d trailer), dmesg, /dev/kmsg, syslog (BSD and ISO-8601 stamps), journal
 * (kernel: audit: ..., audit[PID]: AVC ..., a bare MESSAGE "AVC ..."),
 * dbus[PID]: lines.  st may be NULL: no record is then held or joined.
 *
 * A syslog-stamped record whose quote is left open (a record wrapped onto
 * two lines, or cut short) returns RECORD_CONTINUED and is held in *st:
 *  - a next line that starts with a blank continues it: the joined record is
 *    parsed and returned;
 *  - any other next line: the held half is parsed as it stands and returned,
 *    and that next line is kept back in *st (record_parse_pending() is then
 *    true): take it at once with record_parse(st, r, NULL, 0).
 * At the end of input call record_parse(st, r, NULL, 0) while
 * record_parse_pending(st) to get what is still held.  With line NULL and
 * nothing held it returns RECORD_NOT_APPARMOR.  Zero-initialise *st first.
 */
struct record_state {
	size_t	 pending_len;
	int	 queued;		/* pending holds a whole line, not a half */
	char	 pending[RECORD_LINE_MAX + 2];
};

enum record_result record_parse(struct record_state *st, struct record *r,
    const char *line, size_t len);
bool record_parse_pending(const struct record_state *st);
/*
 * A netlink message: its type (nlmsg_type) and payload "audit(...): ...".
 * Types other than 1400, 1107 and 1500..1599 are RECORD_NOT_APPARMOR.
 */
enum record_result record_parse_netlink(struct record *r, int type,
    const char *payload, size_t len);
const char *record_kind_name(enum record_kind);
const char *record_result_name(enum record_result);

/* Helpers for later stages. */
/* The peer's label whichever key carried it (peer=, peer_label=...), or NULL. */
const char *record_peer_label(const struct record *r);
/* The access asked for: requested ?: mask (D-Bus) ?: denied; or NULL. */
const char *record_request_mask(const struct record *r);
/* epoch * 1000 + msec, or -1 when the record has no audit stamp. */
int64_t record_time_ms(const struct record *r);
/* Linux capability number <-> name ("sys_nice"); NULL / -1 when unknown. */
const char *record_capability_name(long cap);
long record_capability_number(const char *name);
/*
 * The fields a record carries, in a fixed order, for printing: for i = 0, 1,
 * ... returns 1 and sets *ret_name and either *ret_str (a string field) or
 * *ret_num (*ret_str NULL) when field i is present, 0 when it is absent,
 * -ENOENT past the last field.  Kind and audit stamp are not included.
 */
int record_field(const struct record *r, size_t i, const char **ret_name,
    const char **ret_str, long long *ret_num);

/* ------------------------------------------------------------------- mask */

/*
 * A permission mask as a bit set over one vocabulary shared by every class:
 * file letters and the words used by network, unix, signal, ptrace, dbus,
 * mqueue, userns and io_uring.  A letter and the word of the same meaning
 * share a bit (r = read, w = write, c = create, d = delete, x = exec), the
 * class decides how mask_format() spells it.
 *
 * Owner split: old kernels log file masks as "OWNER::OTHER" ("r::", "::r",
 * "wc::"): the part before "::" was requested on a file owned by the task's
 * fsuid.  mask_parse() returns the union of both halves, and sets
 * MASK_NOT_OWNER when the other half is not empty.  A mask without "::" says
 * nothing about ownership: access_from_record() sets MASK_NOT_OWNER unless
 * fsuid == ouid (or the mask was an owner-only split).  The bit is
 * OR-safe: the union of the masks of several events keeps it when any one
 * of them was not the owner, so an `owner` rule is only written when every
 * event was on an owned file.
 */
#define MASK_READ		(1ULL << 0)	/* r, read */
#define MASK_WRITE		(1ULL << 1)	/* w, write */
#define MASK_APPEND		(1ULL << 2)	/* a */
#define MASK_CREATE		(1ULL << 3)	/* c, create */
#define MASK_DELETE		(1ULL << 4)	/* d, delete */
#define MASK_EXEC		(1ULL << 5)	/* x, exec */
#define MASK_MMAP		(1ULL << 6)	/* m (mmap PROT_EXEC) */
#define MASK_LINK		(1ULL << 7)	/* l */
#define MASK_LOCK		(1ULL << 8)	/* k */
#define MASK_RENAME		(1ULL << 9)	/* (none in rules: w on both ends) */
#define MASK_SETATTR		(1ULL << 10)	/* setattr (file chmod/chown: w) */
#define MASK_GETATTR		(1ULL << 11)	/* getattr */
#define MASK_OPEN		(1ULL << 12)	/* open (mqueue) */
#define MASK_BIND		(1ULL << 13)
#define MASK_LISTEN		(1ULL << 14)
#define MASK_ACCEPT		(1ULL << 15)
#define MASK_CONNECT		(1ULL << 16)
#define MASK_SEND		(1ULL << 17)
#define MASK_RECEIVE		(1ULL << 18)
#define MASK_SHUTDOWN		(1ULL << 19)
#define MASK_GETOPT		(1ULL << 20)
#define MASK_SETOPT		(1ULL << 21)
#define MASK_TRACE		(1ULL << 22)	/* ptrace */
#define MASK_READBY		(1ULL << 23)
#define MASK_TRACEDBY		(1ULL << 24)
#define MASK_EAVESDROP		(1ULL << 25)	/* dbus */
#define MASK_SQPOLL		(1ULL << 26)	/* io_uring */
#define MASK_OVERRIDE_CREDS	(1ULL << 27)
/* Exec modes (rule side; kernels log a bare x).  Lower case in rules. */
#define MASK_EXEC_INHERIT	(1ULL << 32)	/* ix */
#define MASK_EXEC_PROFILE	(1ULL << 33)	/* px */
#define MASK_EXEC_CHILD		(1ULL << 34)	/* cx */
#define MASK_EXEC_UNCONFINED	(1ULL << 35)	/* ux */
#define MASK_EXEC_SCRUB		(1ULL << 36)	/* upper case: Px Cx Ux */
#define MASK_EXEC_MODES		(MASK_EXEC_INHERIT | MASK_EXEC_PROFILE | \
    MASK_EXEC_CHILD | MASK_EXEC_UNCONFINED | MASK_EXEC_SCRUB)
/* Qualifiers, not permissions. */
#define MASK_NOT_OWNER		(1ULL << 62)	/* see above */
#define MASK_UNKNOWN		(1ULL << 63)	/* text held a word we do not know */
#define MASK_PERMS		(~(MASK_NOT_OWNER | MASK_UNKNOWN))

/*
 * Parse a mask as logged: letters ("rwc", "mrwIxl", "ix"), words separated
 * by spaces or commas ("send receive", "read, trace"), an owner split
 * ("r::", "::r").  Unknown words or letters set MASK_UNKNOWN and are
 * otherwise ignored; NULL or "" is 0.
 */
uint64_t mask_parse(const char *text);
/*
 * The mask as rule text for a class, into buf; returns buf, or NULL when
 * buf is too small or the mask holds a permission that the class cannot
 * express in a rule (never a broader spelling).
 *   ACCESS_FILE/EXEC: letters in the order m r w a l k + exec mode, e.g.
 *     "mrix".  c, d, rename and setattr are granted by w (AppArmor has no
 *     letter for them), a is dropped when w is there (w implies a and the
 *     parser refuses both).  x without a mode renders as "ix" (inherit is
 *     the narrowest choice: the child stays in this profile).
 *   every other class: "(word, word)" in a fixed order, or "" for an empty
 *     mask (a rule without a permission list).
 * MASK_NOT_OWNER and MASK_UNKNOWN are ignored here.
 */
const char *mask_format(uint64_t mask, int access_class, char *buf, size_t len);
/* The permissions a class can have in a rule (to check a mask against). */
uint64_t mask_class_perms(int access_class);

/* ----------------------------------------------------------------- access */

/*
 * Field meanings per class (f[i] is "" when the record lacks it):
 *   FILE     f[0] path (name=), f[1] link/rename target (name2=/target=)
 *            for link, symlink and rename_src; mask from requested=,
 *            MASK_NOT_OWNER unless fsuid == ouid or an owner-only split
 *   EXEC     f[0] executable path, f[1] target label the kernel would run it
 *            under (target=/name2=, e.g. p//null-/bin/x), mask has MASK_EXEC
 *            and the other file letters logged with it (m, r)
 *   CAPABILITY f[0] capability name (capname=, else from capability=N)
 *   NETWORK  f[0] family, f[1] sock_type, f[2] protocol (as logged);
 *            mask: create bind connect send receive ... (empty for old
 *            records that log no mask)
 *   UNIX     f[0] sock_type f[1] addr f[2] peer_addr f[3] peer label
 *   SIGNAL   f[0] signal name (as logged, "term"), f[1] peer label
 *   PTRACE   f[0] peer label; mask read/trace/readby/tracedby
 *   MOUNT    f[0] "mount", "umount", "remount" or "pivot_root";
 *            f[1] fstype, f[2] source (srcname=; pivot_root: put_old),
 *            f[3] mountpoint (name=; pivot_root: new root), f[4] flags
 *   DBUS     f[0] bus f[1] path f[2] interface f[3] member f[4] peer label
 *            f[5] name (dbus_bind); mask send/receive/bind/eavesdrop
 *   CHANGE_PROFILE f[0] target label (change_profile, change_onexec;
 *            change_hat is -ENOENT: a hat is a sub-profile, not a rule)
 *   USERNS   f[0] operation ("create"), mask MASK_CREATE
 *   IO_URING f[0] operation ("sqpoll", "override"), f[1] peer label
 *   MQUEUE   f[0] name (posix /name, sysv key), f[1] type ("posix"/"sysv")
 */
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
 * In-memory dedup by (profile, label, container, access key): the class and
 * its fields; the mask is not part of the key, masks union.  Bounded: at most
 * max_per_profile distinct keys per profile, max_total in all, and a cap on
 * the bytes of strings held (aggregate_set_max_bytes); beyond the caps an
 * observation is dropped and counted in overflow, per profile.  No malloc per
 * record: strings are interned into chunked arenas.
 */
struct aggregate;

struct aggregate *aggregate_new(size_t max_per_profile, size_t max_total);
void aggregate_free(struct aggregate *);
/* Default: 256 bytes per key of max_total plus 16 MiB. */
void aggregate_set_max_bytes(struct aggregate *, size_t max_bytes);
/*
 * Add one record (already attributed; c NULL or c->id NULL: the host).
 * Returns 0, 1 when it overflowed a cap, -ENOENT when the record asks for no
 * access (status, hint), -EINVAL when it names no profile or cannot be read,
 * -ENOMEM.
 */
int aggregate_add(struct aggregate *, const struct record *r,
    const struct container *c);
/* Same, with the access already computed by access_from_record(). */
int aggregate_add_access(struct aggregate *, const struct record *r,
    const struct container *c, const struct access *acc);
size_t aggregate_count(const struct aggregate *);	/* distinct keys held */
uint64_t aggregate_overflow(const struct aggregate *);	/* since the last clear */
/* Bytes held by the aggregate (tables, entries, strings). */
size_t aggregate_memory(const struct aggregate *);
/* Visit every observation, oldest first; stop early when cb returns non-zero. */
typedef int (*aggregate_cb)(const struct observation *, void *arg);
int aggregate_foreach(const struct aggregate *, aggregate_cb cb, void *arg);
/*
 * Until the next new key or clear, aggregate_foreach visits in the order of
 * the keys' bytes instead: each (class, profile, label, container) together,
 * by fields within - the order a store keyed that way inserts fastest.
 * 0 or -ENOMEM (the order stays as it was).
 */
int aggregate_sort(struct aggregate *);
/*
 * Visit each profile that overflowed since the last clear with its count.
 * Records dropped because the table of profiles itself was full are counted
 * under the profile "" (their name was not kept).
 */
typedef int (*aggregate_overflow_cb)(const char *profile, uint64_t n,
    void *arg);
int aggregate_foreach_overflow(const struct aggregate *,
    aggregate_overflow_cb cb, void *arg);
/* Forget everything held (after a successful flush); keeps the caps. */
void aggregate_clear(struct aggregate *);

/* ------------------------------------------------------------------- join */

/*
 * Joins each AppArmor record with the SYSCALL record of the same event
 * (same audit(epoch.msec:serial)) to learn the executable (record.exe).  In
 * an auditd log the AVC comes first and the SYSCALL after it, so records wait
 * in a bounded window: a record leaves when its SYSCALL, PROCTITLE or EOE has
 * been seen, when `window` newer records arrived, or at join_drain().  Order
 * of records is kept.  One struct join per input: records of different
 * sources never join.
 *
 * Usage: feed one line or netlink message, then take every ready record
 * with join_next() until it returns NULL, before feeding the next one.
 */
struct join;

struct join_stats {
	uint64_t lines;		/* lines or netlink messages fed */
	uint64_t records;	/* AppArmor records parsed */
	uint64_t other;		/* not AppArmor: SYSCALL, PROCTITLE, anything else */
	uint64_t malformed;	/* looked like AppArmor, could not be read */
	uint64_t joined;	/* records that got their exe from a SYSCALL */
	/* Filled by join_collect(): */
	uint64_t no_access;	/* AppArmor records asking for no access */
	uint64_t unattributed;	/* attribution failed (process gone) */
	uint64_t overflow;	/* dropped by the aggregate's caps */
};

/* window: records held waiting for their SYSCALL (0: 16; at most 1024). */
struct join *join_new(size_t window);
void join_free(struct join *);
/* One line without its newline.  Returns the number of records ready. */
int join_line(struct join *, const char *line, size_t len);
/* One netlink message: nlmsg_type and payload.  Returns records ready. */
int join_netlink(struct join *, int type, const char *payload, size_t len);
/* The next ready record, valid until the next feed; NULL when none. */
const struct record *join_next(struct join *);
/* End of input (or a flush): every held record becomes ready. */
void join_drain(struct join *);
size_t join_pending(const struct join *);	/* records held */
size_t join_memory(const struct join *);	/* bytes it holds */
void join_get_stats(const struct join *, struct join_stats *);

/*
 * Pure helper shared by the daemon and `aalearn import`: the executable named
 * by a SYSCALL record's text (quoted or hex-encoded exe=) into buf.  0, or
 * -ENOENT when the text has none.
 */
int join_syscall_exe(const char *text, size_t len, char *buf, size_t buflen);

/*
 * Where a record goes next: attribution.  Fills *ret_container (id NULL:
 * the host) and returns 0, or -ESRCH when the process is gone (the record is
 * then kept on the host and counted as unattributed), or another -errno.
 */
typedef int (*join_attribute_cb)(const struct record *,
    struct container *ret_container, void *arg);
/*
 * Attribute each record as it arrives instead of when it leaves the join:
 * a short-lived process may be gone by the time its SYSCALL record came.
 * The result is kept with the record (strings copied) for join_collect().
 */
void join_set_attribution(struct join *, join_attribute_cb cb, void *arg);
/*
 * Move every ready record of j into a: access_from_record, attribution (the
 * one made on arrival, else through cb; NULL: the host),
 * aggregate_add_access.  Counts go to j's stats.  Returns the number of
 * records aggregated, or -ENOMEM.
 */
int join_collect(struct join *j, struct aggregate *a, join_attribute_cb cb,
    void *arg);

/* ------------------------------------------------------------------- aare */
/* (learner/aare.c) */

/*
 * AppArmor's globbing (AARE, apparmor.d(5)) as a matcher: compile once,
 * match many.
 *   *        any run of bytes without '/'; when the star run directly
 *            follows a '/' and is followed by '/' or the end of the
 *            pattern, it must match at least one byte ("/tmp/" + star does
 *            not match "/tmp/"; in "{a/STAR,b}" the star is followed by ','
 *            and may match nothing, as apparmor_parser has it)
 *   **       any run of bytes, '/' included; the same one-byte rule
 *   ?        one byte, not '/'
 *   [abc] [a-z] [^abc]   one byte from (not from) the set; "[^a]" does
 *            match '/'; "[z-a]" is "[a-z]"; '*' or '?' inside [] and a
 *            '-' before ']' are refused (apparmor_parser 3.0.8 refuses
 *            "[a-]" and mistranslates "[*]")
 *   {a,b,c}  alternation, nests, may hold any of the above; "{a}" and
 *            "{}" are errors (as for apparmor_parser), "{a,}" is a or ""
 *   \X       X literally; \ooo \xHH \dNNN \n \t \r \a \e \f are bytes
 *   @{name}  every value of the variable (values are AARE text and may
 *            refer to other variables), as if written {v1,v2,...}
 * Matching is on the whole name (anchored both ends), byte for byte; a
 * trailing '/' is part of the name, so `/dir` and `/dir/` differ.
 * tests/unit/test_aare.c checks these answers against the DFA that
 * apparmor_parser itself builds (-D dfa-states) for hundreds of patterns.
 */
#define AARE_MAX_PATTERN	32768	/* bytes; an escaped PATH_MAX name fits */
#define AARE_MAX_NODES		65536	/* after variable expansion */
#define AARE_MAX_DEPTH		32	/* nesting of {} and variables */
#define AARE_MAX_VARS		1024	/* variables in one set */
#define AARE_MAX_VALUES		4096	/* values of one variable */

struct aare_vars;

struct aare_vars *aare_vars_new(void);
void aare_vars_free(struct aare_vars *);
/*
 * Set (replace) or add one value to a variable; name without "@{ }".
 * A value is AARE text, unquoted (the caller strips profile quoting).
 * Returns 0, -EINVAL for a bad name, -E2BIG beyond the caps, -ENOMEM.
 */
int aare_vars_set(struct aare_vars *, const char *name, const char *value);
int aare_vars_add(struct aare_vars *, const char *name, const char *value);
/* Drop a variable; 0 or -ENOENT. */
int aare_vars_unset(struct aare_vars *, const char *name);
/* The values of a variable (borrowed until the next change), NULL if unset. */
const char *const *aare_vars_get(const struct aare_vars *, const char *name,
    size_t *ret_n);

struct aare;

/*
 * Compile a pattern (len bytes, need not be NUL-terminated).  vars may be
 * NULL.  Returns 0, or -EINVAL for bad syntax or an undefined variable,
 * -ELOOP for a variable that refers to itself, -E2BIG beyond the caps,
 * -ENOMEM; on failure *ret_error (when not NULL) says why in words.
 */
int aare_compile(const char *pattern, size_t len, const struct aare_vars *vars,
    struct aare **ret, const char **ret_error);
/*
 * The same for the path of a file rule, as apparmor_parser reads one: a
 * variable's values lose their leading '/'s after a '/' and their trailing
 * '/'s before one ("@{HOME}/.ssh" with HOME=/root/ is "/root/.ssh", and
 * "/x/@{H}/y" with H="/a/ /b/" is "/x/{a,b}/y"), then runs of '/' fold
 * into one (a leading "//" followed by a name stays).  Not for labels
 * ("p//hat") or D-Bus names.
 */
int aare_compile_path(const char *pattern, size_t len,
    const struct aare_vars *vars, struct aare **ret, const char **ret_error);
void aare_free(struct aare *);
/* Whether the whole name matches.  A name holding a NUL byte never does. */
bool aare_match(const struct aare *, const char *name, size_t len);
/* Convenience: compile, match, free.  1 match, 0 no match, -errno. */
int aare_match_once(const char *pattern, const struct aare_vars *vars,
    const char *name);
/* True when the pattern holds no glob syntax (it names one thing). */
bool aare_is_literal(const struct aare *);

/* ------------------------------------------------------------------- rule */
/* (learner/rule.c) rule text: escaping names and formatting one rule */

/*
 * Turn a concrete name into AARE text that matches exactly that name and
 * nothing else, as one token of a rule: quoted when it holds any byte other
 * than [A-Za-z0-9/._+:~%@-]; * ? [ ] { } ^ and the '@' of "@{" get a
 * backslash; a backslash, a quote, control bytes (newline...) and the
 * bytes of invalid UTF-8 are written as \ooo octal escapes (the profile
 * stays one line of valid UTF-8; apparmor_parser 3.0.8 reads each as that
 * literal byte, checked with -D rule-exprs in test_rule.c).  Writes into
 * buf (NUL-terminated); returns the length, -EINVAL (+ reason) for an
 * empty name, -ENOSPC when buf is too small (4x the name + 3 always fits).
 */
int rule_quote_name(const char *name, char *buf, size_t len,
    const char **ret_reason);
/* Room for any rule rule_format() writes from a record's fields. */
#define RULE_LINE_MAX		65536

/* f[0] (the path / name) already is an AARE pattern, not a literal name. */
#define RULE_PATTERN		0x1u
/*
 * Allow AppArmor 4 syntax that apparmor_parser 3.0.8 refuses: network
 * permissions ("network (send) inet stream,"), userns, io_uring and mqueue
 * rules.  Without it those classes give -EOPNOTSUPP, and network rules
 * carry no permission list (3.0.8's grammar has none: the narrowest rule it
 * takes is "network FAMILY TYPE,").
 */
#define RULE_NEW_SYNTAX		0x2u

/*
 * One rule line for an access, without indentation or newline, ending in
 * ',': "/path rw,", "owner /path w,", "capability net_bind_service,",
 * "network inet stream,", "signal (receive) set=(term) peer=unconfined,".
 * Every name taken from the access is escaped as rule_quote_name() does;
 * file paths must be absolute and free of "//" (the parser folds it).  With
 * RULE_PATTERN, f[0] is written as given: quoted if it holds a blank, comma
 * or '#', refused when it holds a quote, a control byte or a final
 * backslash, and, when it uses no variable, compiled with
 * aare_compile_path() first.  Returns the length, -EINVAL (+ reason) when
 * the access cannot be written as an exact rule, -EOPNOTSUPP when only the
 * newer syntax can say it, -ENOSPC.  Owner: file and exec rules get the
 * `owner` qualifier unless MASK_NOT_OWNER is set.  A link with a target
 * (f[1]) becomes "link A -> B,"; exec with px/cx and a target label that
 * is not a null profile becomes "/path px -> target,".
 */
int rule_format(const struct access *a, unsigned flags, char *buf, size_t len,
    const char **ret_reason);

/* ---------------------------------------------------------------- profile */
/* (learner/profile.c) */

/*
 * Profile text in and out.  Parsing is tolerant: what is not understood is
 * kept as an opaque rule (cls ACCESS_NONE) and never rewritten.  Includes are
 * resolved through a loader the caller supplies, so that the learner stays
 * free of file I/O; the CLI reads them from --profile-dir.
 */

enum profile_mode {
	PROFILE_MODE_ENFORCE = 0,	/* no mode flag */
	PROFILE_MODE_COMPLAIN,
	PROFILE_MODE_KILL,
	PROFILE_MODE_UNCONFINED,
};

/* One rule as written.  Pattern fields are AARE text, unescaped of quotes. */
struct profile_rule {
	enum access_class cls;	/* ACCESS_NONE: not modelled, kept verbatim */
	char	*text;		/* the rule, trimmed, without the trailing ',' */
	bool	 deny, audit, owner;
	char	*f[ACCESS_NFIELDS];	/* patterns, per class as in struct access;
					 * NULL = any.  FILE: f[0] path, f[1] link
					 * target; EXEC: f[0] path, f[1] -> target */
	uint64_t mask;		/* mask_parse() of the permissions; 0 = all */
	char	 exec_mode[4];	/* "ix", "px", "cx", "ux", "Px"... or "" */
	size_t	 line;		/* 1-based line in the file it came from */
	bool	 opaque;	/* holds conditionals we do not model: it is
				 * kept, but taken to allow nothing */
};

struct profile_include {
	char	*name;		/* "abstractions/base", "local/usr.sbin.x" */
	bool	 if_exists;	/* include if exists */
	bool	 angle;		/* <name> (search path) rather than "name" */
	size_t	 line;
};

struct profile_var {
	char	*name;		/* without @{ } */
	char	**values;	/* after every += */
	size_t	 nvalues;
	bool	 append;	/* this file only added (+=) to it */
};

/* A profile, child profile or hat.  Offsets are byte offsets into the text. */
struct profile_block {
	char	*name;		/* unquoted; a hat's or child's own name */
	char	*attach;	/* attachment pattern, or NULL */
	char	*flags;		/* inside flags=(...), or NULL */
	enum profile_mode mode;
	bool	 hat;		/* ^name or hat name */
	int	 parent;	/* index in profile_file.blocks, -1 at top level */
	struct profile_rule *rules;
	size_t	 nrules;
	struct profile_include *includes;
	size_t	 nincludes;
	size_t	 header_start;	/* first byte of the "profile ..." line */
	size_t	 body_start;	/* just after '{' */
	size_t	 body_end;	/* at the closing '}' */
	bool	 open_end;	/* the statement before that '}' lacks its
				 * ',' (apparmor_parser refuses the text) */
};

/* A parsed file: its top-level variables and includes, and its profiles. */
struct profile_file {
	char	*text;		/* a copy of the input */
	size_t	 len;
	struct profile_block *blocks;	/* in order of appearance, nested too */
	size_t	 nblocks;
	struct profile_include *includes;	/* outside any profile */
	size_t	 nincludes;
	struct profile_rule *rules;		/* outside any profile (local/ files) */
	size_t	 nrules;
	struct profile_var *vars;
	size_t	 nvars;
	size_t	*markers;	/* line starts of the comment lines that begin
				 * with "# aalearn:begin", in order: where
				 * aalearn's blocks may start (the same text
				 * inside a statement is no marker) */
	size_t	 nmarkers;
	bool	 open_end;	/* the text ends in a statement without ',' */
};

/* Caps: the text handed in, the include depth and the count of files. */
#define PROFILE_TEXT_MAX	(4u << 20)
#define PROFILE_INCLUDE_DEPTH	16
#define PROFILE_INCLUDE_FILES	512

/*
 * Parse one file's text.  Returns 0, -EINVAL (unbalanced braces, an
 * unterminated quote; *ret_file untouched), -E2BIG, -ENOMEM.
 */
int profile_parse(const char *text, size_t len, struct profile_file **ret_file);
void profile_file_free(struct profile_file *);
/* The block of that name: "p", "p//child", "p//hat"; or NULL. */
const struct profile_block *profile_find(const struct profile_file *,
    const char *name);
/* The name of `include if exists <local/...>` in the profile, or NULL. */
const char *profile_local_include(const struct profile_file *,
    const char *profile_name);

/*
 * Reads the text of an include ("abstractions/base", "tunables/global",
 * "local/x"; angle tells <> from "").  A directory include may return the
 * concatenation of its files.  Returns 0 and a malloc'd text, -ENOENT when
 * absent (fine for `include if exists`), or another -errno.
 */
typedef int (*profile_loader)(const char *name, bool angle, char **ret_text,
    size_t *ret_len, void *arg);

/*
 * What a profile allows: its own rules, its includes (recursively), the
 * file-level includes (tunables) and their variables.  Built once, then
 * asked about many accesses.
 */
struct policy;

/*
 * Load the policy of profile_name ("p" or "p//child") defined in text.
 * loader may be NULL (no includes resolved).  Returns 0, -ENOENT (no such
 * profile, or a required include missing), -ELOOP (too deep), -EINVAL.
 * Matching model: a rule whose conditionals aalearn does not model (AppArmor
 * 4 network ip=/port=, dbus peer=(name=), change_profile with an exec path)
 * is kept but allows nothing, and as a deny refuses everything it might;
 * an owner rule allows an access only without MASK_NOT_OWNER; w grants
 * create, delete, append, rename and setattr.  File patterns are compiled
 * with aare_compile_path (the "//" of "@{PROC}/x" folds, as in the parser).
 */
int policy_load(const char *text, size_t len, const char *profile_name,
    profile_loader loader, void *arg, struct policy **ret_policy);
/* An empty policy (a profile that does not exist yet), with no variables. */
struct policy *policy_new(void);
void policy_free(struct policy *);
/* Add (append) values to @{name}, as a host's tunables would.  0 or -errno. */
int policy_var_add(struct policy *, const char *name, const char *value);
/* The values of @{name} (NULL and 0 when undefined). */
const char *const *policy_var(const struct policy *, const char *name,
    size_t *ret_n);
/* Add rule text ("/etc/passwd r,", "include <abstractions/base>" or a
 * variable line); recompiles what new variables touch. */
int policy_add_rule(struct policy *, const char *rule, profile_loader loader,
    void *arg);
/* The permissions of a's mask that the policy allows (deny rules win). */
uint64_t policy_allowed(const struct policy *, const struct access *a);
/* True when every permission a asks for is allowed. */
bool policy_allows(const struct policy *, const struct access *a);
/*
 * Whether any rule of the policy could apply to a file (or exec) access
 * to name; when not, policy_allows() of such an access is false.  The
 * answer depends on name's first *ret_len bytes only: it is the same for
 * every name that shares them (a caller going through sorted names asks
 * once per run).
 */
bool policy_file_candidates(const struct policy *, const char *name,
    size_t *ret_len);
/* True when an explicit deny rule refuses (part of) a: no allow can help. */
bool policy_denies(const struct policy *, const struct access *a);
/*
 * The three answers above in one pass over the rules (each of them is one
 * pass): *ret_allows, *ret_denies, *ret_allowed.
 */
void policy_check(const struct policy *, const struct access *a,
    bool *ret_allows, bool *ret_denies, uint64_t *ret_allowed);
/*
 * The allow rules of the policy that allow none of acc[0..n): what the
 * policy grants beyond that evidence.  *ret_texts: NULL-terminated, at most
 * max texts (free with profile_strv_free); *ret_total: how many there are;
 * *ret_privileged: how many of them grant capabilities (but
 * net_bind_service), mounts, ptrace, change_profile, every file, or an
 * exec out of the profile (ux, px, cx).  0 or -errno.
 */
int policy_unmatched_rules(const struct policy *, const struct access *acc,
    size_t n, size_t max, char ***ret_texts, size_t *ret_total,
    size_t *ret_privileged);
/* The variables (tunables plus policy_var_add), for aare_compile. */
const struct aare_vars *policy_vars(const struct policy *);
/* Whether a rule of the policy names that profile (for px/cx targets). */
bool policy_has_child(const struct policy *, const char *name);

/*
 * aalearn's block: accepted rules live between these two comment lines,
 * inside the profile (before its closing brace), or at the end of a local/
 * file.  Everything outside the block is kept byte for byte.
 */
#define PROFILE_BLOCK_BEGIN "# aalearn:begin (managed by aalearn; edit with aalearn review)"
#define PROFILE_BLOCK_END "# aalearn:end"

/*
 * The rules currently in the block of profile_name (NULL: the file-level
 * block of a local/ file).  *ret_rules is a NULL-terminated malloc'd array
 * of malloc'd strings, free with profile_strv_free().  0 (none: empty array)
 * or -errno (-ENOENT: no such profile).
 */
int profile_block_rules(const char *text, size_t len, const char *profile_name,
    char ***ret_rules);
void profile_strv_free(char **);
/*
 * The new text with the block of profile_name holding exactly rules[0..n)
 * (each "RULE," or "include <...>" as proposal.text gives it; indentation
 * added here).  A rule already in the block is kept once.  profile_name
 * NULL: a local/ file.  Returns 0, -ENOENT, -EINVAL (a rule that is not
 * one line holding one statement ending in ',': a newline, a comment, a
 * second rule, a brace, a variable), -EBADMSG (there is no block yet and
 * the text leaves a statement open where it would go: the rule before the
 * profile's closing brace, or the last of a local/ file, lacks its ','; the
 * block's rules would read as part of it; apparmor_parser refuses such a
 * text too), -E2BIG, -ENOMEM.  No block and no rules: the text unchanged.
 * A begin line is aalearn's only when it is a comment between statements
 * and every line down to its end line is a comment or one whole rule;
 * anything else (a begin line whose end line was deleted) is kept as it
 * is and a new block is added.
 */
int profile_set_rules(const char *text, size_t len, const char *profile_name,
    const char *const *rules, size_t n, char **ret_text, size_t *ret_len);
/* Same, but the block keeps its rules and gains those not in it yet. */
int profile_add_rules(const char *text, size_t len, const char *profile_name,
    const char *const *rules, size_t n, char **ret_text, size_t *ret_len);
/*
 * The new text with the profile's mode flag set in flags=(...), which is
 * added or dropped as needed (other flags kept, in order).  Returns 0,
 * -ENOENT, -EINVAL (a header whose flags cannot be edited safely: two
 * flags clauses, flags without "flags=", an unbalanced quote; the text
 * written always reads back in the mode asked for), -E2BIG, -ENOMEM.
 */
int profile_set_mode(const char *text, size_t len, const char *profile_name,
    enum profile_mode mode, char **ret_text, size_t *ret_len);
/*
 * A starting profile for a container: the runtime default's protections
 * (deny rules, signal/ptrace peers, abstractions/base) without the blanket
 * file, network and capability allows, in complain mode.  runtime NULL is
 * "docker"; also "containerd", "cri-o", "podman".  -EINVAL for a name
 * that is not a plain profile name.
 */
int profile_container_template(const char *name, const char *runtime,
    char **ret_text, size_t *ret_len);

/* ---------------------------------------------------------------- propose */
/* (learner/propose.c) */

enum proposal_kind {
	PROPOSAL_RULE = 0,	/* text is a rule */
	PROPOSAL_INCLUDE,	/* text is "include <abstractions/...>" */
	PROPOSAL_NONE,		/* no safe rule: text NULL, reason says why */
};

struct proposal {
	char	 id[17];	/* 16 hex digits of a hash of text (or of the
				 * evidence for PROPOSAL_NONE): stable */
	enum proposal_kind kind;
	enum access_class cls;
	char	*text;		/* "/etc/passwd r," ready for profile_add_rules */
	char	*reason;	/* why this shape (generalised, abstraction, none) */
	char	*beyond;	/* INCLUDE or glob: what it grants that the
				 * evidence did not ask for, one item a line
				 * (an include: its rules that allow none of
				 * the evidence); NULL for exact rules */
	size_t	*evidence;	/* indexes into the observations handed in */
	size_t	 nevidence;
	char	**paths;	/* the distinct names absorbed (file/exec) */
	size_t	 npaths;
	uint64_t allowed, denied;	/* summed counts of the evidence */
	int64_t	 first_ms, last_ms;
	bool	 generalised;	/* a glob or variable, not the exact name */
};

struct propose_options {
	unsigned glob_threshold;	/* distinct siblings before a glob; 0 = 3 */
	bool	 container;		/* container workload (exec is ix unless a
					 * target profile is known, as on hosts) */
	bool	 no_abstractions;	/* never propose an include */
	/* AppArmor 4 rules (userns, io_uring, mqueue, network permissions):
	 * off for Debian 12's apparmor_parser 3.0.8, which refuses them. */
	bool	 new_syntax;
	/* Abstractions to consider ("abstractions/nameservice"); NULL = a
	 * built-in list of narrow ones.  Loaded through loader. */
	const char *const *abstractions;
	size_t	 nabstractions;
	profile_loader loader;
	void	*loader_arg;
	/* Profiles that exist (for px/cx): "p//child" or a top-level name. */
	const char *const *known_profiles;
	size_t	 nknown_profiles;
	int64_t	 now_ms;			/* reserved */
	size_t	 max_proposals;		/* 0 = 10000; beyond: -E2BIG */
};

/*
 * Proposals for the observations the policy does not allow yet (variables
 * come from the policy: tunables plus policy_var_add).  policy may be NULL
 * (nothing allowed, no variables).  Every observation lands in exactly one
 * proposal, except those already allowed.  Order of work: unknown classes
 * and explicit denies
 * (PROPOSAL_NONE), abstractions covering >= 2 observations that match no
 * probe path (/etc/shadow, /root/.ssh, docker.sock, ...) and grant nothing
 * privileged, @{PROC}/@{pid} paths, sibling globs after glob_threshold
 * distinct names (never in /, /etc, /home, /run, /var/run or under /root,
 * /proc, /sys, /dev, /boot, secrets mounts; never a bare "*"; plain names
 * only), then exact rules (rule_format) or PROPOSAL_NONE with the reason.
 * *ret is a malloc'd array: includes first, then by class and text; free
 * with propose_free.  Returns 0 or -errno.
 */
int propose_rules(const struct policy *, const struct observation *obs, size_t nobs,
    const struct propose_options *, struct proposal **ret, size_t *ret_n);
void propose_free(struct proposal *, size_t n);
/* The stable id of a rule text, into id (17 bytes). */
void proposal_id(const char *text, char id[17]);

#endif /* AALEARN_LEARNER_H */
