/*
 * access.c - what one record asks for: a class and the key fields a rule
 * would have to name (see the table in learner.h).
 *
 * The kernel has logged the same access in several shapes over the years
 * (class= only on newer kernels, requested_mask= vs requested=, capname=
 * vs name=, peer= vs peer_profile= vs peer_label=); this file folds them
 * into one struct access.  Every string is borrowed from the record.
 */
#include <errno.h>
#include <string.h>

#include "learner.h"

static const char *const access_class_names[ACCESS_NCLASSES] = {
	[ACCESS_NONE]		= "none",
	[ACCESS_FILE]		= "file",
	[ACCESS_EXEC]		= "exec",
	[ACCESS_CAPABILITY]	= "capability",
	[ACCESS_NETWORK]	= "network",
	[ACCESS_UNIX]		= "unix",
	[ACCESS_SIGNAL]		= "signal",
	[ACCESS_PTRACE]		= "ptrace",
	[ACCESS_MOUNT]		= "mount",
	[ACCESS_DBUS]		= "dbus",
	[ACCESS_CHANGE_PROFILE]	= "change_profile",
	[ACCESS_USERNS]		= "userns",
	[ACCESS_IO_URING]	= "io_uring",
	[ACCESS_MQUEUE]		= "mqueue",
};

const char *
access_class_name(enum access_class cls)
{
	if ((unsigned)cls >= ACCESS_NCLASSES)
		return NULL;
	return access_class_names[cls];
}

enum access_class
access_class_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return ACCESS_NONE;
	for (i = 1; i < ACCESS_NCLASSES; i++)
		if (strcmp(access_class_names[i], name) == 0)
			return (enum access_class)i;
	return ACCESS_NONE;
}

/* Kernel capability numbers (include/uapi/linux/capability.h). */
static const char *const access_cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid",
	"kill", "setgid", "setuid", "setpcap", "linux_immutable",
	"net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot",
	"sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease",
	"audit_write", "audit_control", "setfcap", "mac_override",
	"mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read",
	"perfmon", "bpf", "checkpoint_restore",
};

/* Whether name is a capability name the kernel defines. */
static int
access_cap_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(access_cap_names) / sizeof(access_cap_names[0]);
	    i++)
		if (strcmp(access_cap_names[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Every record goes through a few dozen of these against constant words:
 * the first byte settles nearly all of them without a call.
 */
static inline int
streq(const char *a, const char *b)
{
	return a != NULL && a[0] == b[0] && strcmp(a, b) == 0;
}

static inline int
starts(const char *a, const char *prefix)
{
	return a != NULL && a[0] == prefix[0] &&
	    strncmp(a, prefix, strlen(prefix)) == 0;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/* The peer label under any of the names it has been logged with. */
static const char *
access_peer(const struct record *r)
{
	if (r->peer != NULL && r->peer[0] != '\0')
		return r->peer;
	if (r->peer_profile != NULL && r->peer_profile[0] != '\0')
		return r->peer_profile;
	return "";
}

/* unix addresses: the kernel writes none for an unnamed socket. */
static const char *
access_unix_addr(const char *a)
{
	if (a == NULL || strcmp(a, "none") == 0)
		return "";
	return a;
}

/*
 * The mask a rule must grant: denied= when the record has one (complain
 * mode logs there what enforce mode would have refused, and requested= may
 * hold permissions the profile already grants), else requested=.
 */
static uint64_t
access_mask(const struct record *r)
{
	uint64_t m = 0;

	if (r->denied != NULL && r->denied[0] != '\0')
		m = mask_parse(r->denied);
	if ((m & MASK_PERMS) == 0 && r->requested != NULL)
		m = mask_parse(r->requested);
	return m;
}

static enum access_class
access_classify(const struct record *r)
{
	const char *op = r->operation, *cls = r->class_name;

	if (starts(op, "dbus_") || streq(cls, "dbus") || r->bus != NULL)
		return ACCESS_DBUS;
	if (streq(op, "exec"))
		return ACCESS_EXEC;
	if (streq(op, "change_profile") || streq(op, "change_onexec"))
		return ACCESS_CHANGE_PROFILE;
	if (streq(op, "capable") || streq(cls, "cap"))
		return ACCESS_CAPABILITY;
	if (streq(cls, "net") || (cls == NULL && r->family != NULL &&
	    r->family[0] != '\0')) {
		if (streq(r->family, "unix"))
			return ACCESS_UNIX;
		return ACCESS_NETWORK;
	}
	if (streq(cls, "unix"))
		return ACCESS_UNIX;
	if (streq(cls, "signal") || streq(op, "signal"))
		return ACCESS_SIGNAL;
	if (streq(cls, "ptrace") || streq(op, "ptrace"))
		return ACCESS_PTRACE;
	if (streq(cls, "mount") || streq(op, "mount") || streq(op, "umount") ||
	    streq(op, "remount") || streq(op, "pivotroot"))
		return ACCESS_MOUNT;
	if (streq(cls, "namespace") || starts(op, "userns_"))
		return ACCESS_USERNS;
	if (streq(cls, "io_uring") || starts(op, "uring_"))
		return ACCESS_IO_URING;
	if (streq(cls, "posix_mqueue") || streq(cls, "sysv_mqueue") ||
	    streq(op, "sysv_mqueue"))
		return ACCESS_MQUEUE;
	if (streq(cls, "file") || (cls == NULL && r->name != NULL))
		return ACCESS_FILE;
	return ACCESS_NONE;
}

/* Operations that report on policy itself, not on an access. */
static int
access_is_status(const char *op)
{
	return starts(op, "profile_") || streq(op, "change_hat") ||
	    streq(op, "clone") || streq(op, "setprocattr") ||
	    streq(op, "policy_load") || streq(op, "policy_replace") ||
	    streq(op, "policy_remove");
}

static int
access_file(const struct record *r, struct access *a)
{
	const char *op = nz(r->operation);

	if (r->name == NULL || r->name[0] == '\0')
		return -EINVAL;
	/* A revalidated inherited descriptor without a denied mask asks
	 * for nothing the task still needs (the upstream tools skip it). */
	if (streq(op, "file_inherit") &&
	    (r->denied == NULL || r->denied[0] == '\0'))
		return -ENOENT;
	a->f[0] = r->name;
	if (streq(op, "link") || streq(op, "symlink") ||
	    streq(op, "inode_link") || streq(op, "rename_src"))
		a->f[1] = r->name2 != NULL ? r->name2 : nz(r->target);
	a->mask = access_mask(r);
	/* Only an exec asks for x on its own behalf: the x in a link's or an
	 * mmap's mask says what the other end must match, so it is not
	 * granted here (as the upstream tools do). */
	a->mask &= ~(MASK_EXEC | MASK_EXEC_MODES);
	return 0;
}

static int
access_owner(const struct record *r, struct access *a)
{
	const char *m = r->denied != NULL && r->denied[0] != '\0' ?
	    r->denied : r->requested;
	const char *split = m != NULL ? strstr(m, "::") : NULL;

	if (a->cls != ACCESS_FILE && a->cls != ACCESS_EXEC)
		return 0;
	if (split != NULL) {
		/* owner-only split; mask_parse() marked any other half */
		if (split == m)
			a->mask |= MASK_NOT_OWNER;
		return 0;
	}
	if (r->fsuid < 0 || r->ouid < 0 || r->fsuid != r->ouid)
		a->mask |= MASK_NOT_OWNER;
	return 0;
}

int
access_from_record(const struct record *r, struct access *ret_access)
{
	struct access a;
	const char *op;
	int i, err = 0;

	if (r == NULL || ret_access == NULL)
		return -EINVAL;
	switch (r->kind) {
	case RECORD_STATUS:
	case RECORD_HINT:
	case RECORD_ERROR:
		return -ENOENT;
	case RECORD_INVALID:
		return -EINVAL;
	default:
		break;
	}
	if (r->old_style != NULL)
		return -EINVAL;
	op = nz(r->operation);
	if (access_is_status(op))
		return -ENOENT;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < ACCESS_NFIELDS; i++)
		a.f[i] = "";
	a.cls = access_classify(r);

	switch (a.cls) {
	case ACCESS_FILE:
		err = access_file(r, &a);
		break;
	case ACCESS_EXEC:
		if (r->name == NULL || r->name[0] == '\0')
			return -EINVAL;
		a.f[0] = r->name;
		a.f[1] = r->target != NULL ? r->target : nz(r->name2);
		a.mask = access_mask(r) | MASK_EXEC;
		/* an exec record's w or a (old kernels) is not an exec need */
		a.mask &= MASK_EXEC | MASK_READ | MASK_MMAP | MASK_NOT_OWNER |
		    MASK_UNKNOWN;
		break;
	case ACCESS_CAPABILITY:
		if (r->capname != NULL && r->capname[0] != '\0')
			a.f[0] = r->capname;
		else if (r->name != NULL && access_cap_known(r->name))
			a.f[0] = r->name;
		else if (r->capability >= 0 && (size_t)r->capability <
		    sizeof(access_cap_names) / sizeof(access_cap_names[0]))
			a.f[0] = access_cap_names[r->capability];
		else
			return -EINVAL;
		break;
	case ACCESS_NETWORK:
		a.f[0] = nz(r->family);
		a.f[1] = nz(r->sock_type);
		a.f[2] = nz(r->protocol);
		a.mask = access_mask(r);
		break;
	case ACCESS_UNIX:
		a.f[0] = nz(r->sock_type);
		a.f[1] = access_unix_addr(r->net_addr);
		a.f[2] = access_unix_addr(r->peer_addr);
		a.f[3] = access_peer(r);
		a.mask = access_mask(r);
		if (strcmp(op, "file_inherit") == 0 &&
		    (r->denied == NULL || r->denied[0] == '\0'))
			return -ENOENT;
		break;
	case ACCESS_SIGNAL:
		a.f[0] = nz(r->signal);
		a.f[1] = access_peer(r);
		a.mask = access_mask(r);
		break;
	case ACCESS_PTRACE:
		a.f[0] = access_peer(r);
		a.mask = access_mask(r);
		break;
	case ACCESS_MOUNT:
		if (strcmp(op, "umount") == 0) {
			a.f[0] = "umount";
		} else if (strcmp(op, "pivotroot") == 0) {
			a.f[0] = "pivot_root";
		} else {
			a.f[0] = strcmp(op, "remount") == 0 ||
			    (r->flags != NULL && strstr(r->flags, "remount")) ?
			    "remount" : "mount";
			a.f[1] = nz(r->fstype);
			a.f[4] = nz(r->flags);
		}
		a.f[2] = nz(r->srcname);
		a.f[3] = nz(r->name);
		break;
	case ACCESS_DBUS:
		a.f[0] = nz(r->bus);
		a.f[1] = nz(r->path);
		a.f[2] = nz(r->interface);
		a.f[3] = r->member != NULL ? r->member : nz(r->dbus_method);
		a.f[4] = access_peer(r);
		/* name= is the destination of a message (not part of the
		 * rule upstream writes) and the name a bind asks for */
		a.f[5] = nz(r->name);
		a.mask = access_mask(r);
		break;
	case ACCESS_CHANGE_PROFILE:
		/* without a target (e.g. "label not found") there is nothing
		 * to name: the name= of such records is not a label */
		if (r->target == NULL || r->target[0] == '\0')
			return -ENOENT;
		a.f[0] = r->target;
		break;
	case ACCESS_USERNS:
		a.f[0] = starts(op, "userns_") ? op + strlen("userns_") : op;
		a.mask = access_mask(r);
		break;
	case ACCESS_IO_URING:
		a.f[0] = starts(op, "uring_") ? op + strlen("uring_") : op;
		a.f[1] = access_peer(r);
		a.mask = access_mask(r);
		break;
	case ACCESS_MQUEUE:
		a.f[0] = nz(r->name);
		a.f[1] = streq(r->class_name, "sysv_mqueue") ||
		    strcmp(op, "sysv_mqueue") == 0 ? "sysv" : "posix";
		a.mask = access_mask(r);
		break;
	default:
		return -ENOENT;
	}
	if (err != 0)
		return err;
	access_owner(r, &a);
	*ret_access = a;
	return 0;
}
