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
/* Add one rule text ("/etc/passwd r," or "include <abstractions/base>"). */
int policy_add_rule(struct policy *, const char *rule, profile_loader loader,
    void *arg);
/* The permissions of a's mask that the policy allows (deny rules win). */
uint64_t policy_allowed(const struct policy *, const struct access *a);
/* True when every permission a asks for is allowed. */
bool policy_allows(const struct policy *, const struct access *a);
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
 * (each "RULE," as proposal.text gives it; indentation added here).  A
 * rule already in the block is kept once.  profile_name NULL: a local/
 * file.  Returns 0, -ENOENT, -EINVAL (a rule with a newline or no trailing
 * comma), -ENOMEM.
 */
int profile_set_rules(const char *text, size_t len, const char *profile_name,
    const char *const *rules, size_t n, char **ret_text, size_t *ret_len);
/* Same, but the block keeps its rules and gains those not in it yet. */
int profile_add_rules(const char *text, size_t len, const char *profile_name,
    const char *const *rules, size_t n, char **ret_text, size_t *ret_len);
/* The new text with the profile's mode flag set (other flags kept). */
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
	PROPOSAL_INCLUDE,	/* text is "include <abstractions/...>," */
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
				 * evidence did not ask for, one item a line */
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
	bool	 container;		/* exec defaults to ix */
	bool	 no_abstractions;	/* never propose an include */
	/* Abstractions to consider ("abstractions/nameservice"); NULL = a
	 * built-in list of narrow ones.  Loaded through loader. */
	const char *const *abstractions;
	size_t	 nabstractions;
	profile_loader loader;
	void	*loader_arg;
	/* Profiles that exist (for px/cx): "p//child" or a top-level name. */
	const char *const *known_profiles;
	size_t	 nknown_profiles;
	int64_t	 now_ms;
	size_t	 max_proposals;		/* 0 = 10000 */
};

/*
 * Proposals for the observations the policy does not allow yet (variables
 * come from the policy: tunables plus policy_var_add).  policy may be NULL
 * (nothing allowed, no variables).  *ret is a malloc'd array sorted by class
 * then text; free with propose_free.  Returns 0 or -errno.
 */
int propose_rules(const struct policy *, const struct observation *obs, size_t nobs,
    const struct propose_options *, struct proposal **ret, size_t *ret_n);
void propose_free(struct proposal *, size_t n);
/* The stable id of a rule text, into id (17 bytes). */
void proposal_id(const char *text, char id[17]);

#endif /* AALEARN_LEARNER_H */
