/*
 * rule.c - rule text: names escaped so that a rule matches exactly the
 * name it was made from, and one rule line per access.
 *
 * Everything here was checked against apparmor_parser 3.0.8 on the build
 * machine (apparmor_parser -QK, and -D rule-exprs for what a name turns
 * into):
 *   - in a quoted token, \* \? \[ \] \{ \} \^ \@ give the byte itself;
 *     a raw space, comma or '#' is part of the name;
 *   - the 3.0.8 lexer takes \\" for an escaped quote (so "/a\\" r, followed
 *     by another quoted rule fails to parse): a backslash is written \134
 *     and a quote \042, which the parser reads as those literal bytes;
 *   - \ooo (three octal digits) gives that byte, always as a literal (the
 *     parser turns "\052" into "\*"), so control bytes and the bytes of
 *     invalid UTF-8 are written that way and the profile stays valid
 *     UTF-8 text on one line;
 *   - a file rule must start with '/', and the parser folds "//" into "/"
 *     in file rules, so a path holding "//" cannot be named exactly;
 *   - 3.0.8 has no network permissions or addresses, and no userns,
 *     io_uring or mqueue rules: those need RULE_NEW_SYNTAX (AppArmor 4).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

struct rbuf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

static void
rb_putn(struct rbuf *b, const char *s, size_t n)
{
	if (b->err != 0)
		return;
	if (b->len + n + 1 > b->cap) {
		b->err = -ENOSPC;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
rb_put(struct rbuf *b, const char *s)
{
	rb_putn(b, s, strlen(s));
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes are
 * not one (overlong forms, surrogates and values past U+10FFFF included).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned long v;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	return len;
}

/*
 * Bytes that are AARE or rule syntax and get a backslash.  '@' only starts
 * a variable as "@{", and '{' is always escaped; '@' gets its own escape
 * when a '{' follows, so that no reader can take "@{" for a variable.
 */
static int
rule_special(unsigned char c, unsigned char next)
{
	if (c == '@')
		return next == '{';
	return c != '\0' && strchr("*?[]{}^", c) != NULL;
}

/* Bytes that may stand unquoted in a rule. */
static int
rule_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("/._+-:~%@", c) != NULL;
}

/*
 * The escaped, maybe quoted form of a name, appended to b.  raw_at: a
 * leading '@' stays as is (unix abstract addresses, which the parser wants
 * to start with a plain '@').
 */
static int
rule_name_at(struct rbuf *b, const char *name, int raw_at,
    const char **ret_reason)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n, i, k;
	int quote = 0;
	char oct[5];

	if (name == NULL || name[0] == '\0') {
		*ret_reason = "empty name";
		return -EINVAL;
	}
	n = strlen(name);
	for (i = 0; i < n; i++)
		if (!rule_plain(s[i]))
			quote = 1;
	if (quote)
		rb_put(b, "\"");
	for (i = 0; i < n; i += k) {
		k = 1;
		if (s[i] >= 0x80) {
			k = utf8_len(s + i, n - i);
			if (k > 0) {
				rb_putn(b, name + i, k);
				continue;
			}
			k = 1;
		}
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\' ||
		    s[i] == '"') {
			/* three digits, so that a digit after it is not
			 * read as part of the escape */
			snprintf(oct, sizeof(oct), "\\%03o", s[i]);
			rb_put(b, oct);
		} else if (rule_special(s[i], s[i + 1]) &&
		    !(i == 0 && s[i] == '@' && raw_at)) {
			rb_putn(b, "\\", 1);
			rb_putn(b, name + i, 1);
		} else {
			rb_putn(b, name + i, 1);
		}
	}
	if (quote)
		rb_put(b, "\"");
	return b->err;
}

static int
rule_name(struct rbuf *b, const char *name, const char **ret_reason)
{
	return rule_name_at(b, name, 0, ret_reason);
}

int
rule_quote_name(const char *name, char *buf, size_t len,
    const char **ret_reason)
{
	struct rbuf b = { buf, 0, len, 0 };
	const char *reason = NULL;
	int err;

	if (buf == NULL || len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	err = rule_name(&b, name, &reason);
	if (err == 0 && b.err != 0)
		err = b.err;
	if (err != 0) {
		if (ret_reason != NULL)
			*ret_reason = reason != NULL ? reason :
			    "name too long for the buffer";
		return err;
	}
	return (int)b.len;
}

/* A file path: absolute, and without the "//" the parser would fold. */
static int
rule_path(struct rbuf *b, const char *path, const char **ret_reason)
{
	if (path == NULL || path[0] != '/') {
		*ret_reason = "not an absolute path";
		return -EINVAL;
	}
	if (strstr(path, "//") != NULL) {
		*ret_reason = "path holds \"//\", which apparmor_parser folds "
		    "into \"/\" in file rules";
		return -EINVAL;
	}
	return rule_name(b, path, ret_reason);
}

/*
 * An AARE pattern made by the learner (RULE_PATTERN): written as is,
 * quoted when it holds a blank, comma or '#'.  It must not hold what would
 * end the token or the line.
 */
static int
rule_pattern(struct rbuf *b, const char *pat, const char **ret_reason)
{
	const unsigned char *s = (const unsigned char *)pat;
	size_t i, n;
	int quote = 0, esc = 0;

	if (pat == NULL || (pat[0] != '/' && pat[0] != '@')) {
		*ret_reason = "pattern does not start with '/' or a variable";
		return -EINVAL;
	}
	n = strlen(pat);
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			*ret_reason = "control byte in pattern";
			return -EINVAL;
		}
		if (s[i] == '"') {
			/* the 3.0.8 lexer reads \\" as an escaped quote:
			 * a quote is written \042 */
			*ret_reason = "quote in pattern (write it \\042)";
			return -EINVAL;
		}
		if (s[i] == ' ' || s[i] == ',' || s[i] == '#')
			quote = 1;
		esc = !esc && s[i] == '\\';
	}
	if (esc || (n > 0 && pat[n - 1] == '\\')) {
		/* an odd one is an error; "\\\\" before a closing quote
		 * would read as an escaped quote */
		*ret_reason = "pattern ends in a backslash (write \\134)";
		return -EINVAL;
	}
	/* without variables the pattern can be checked here */
	if (strstr(pat, "@{") == NULL) {
		struct aare *a = NULL;
		const char *why = NULL;

		if (aare_compile_path(pat, n, NULL, &a, &why) != 0) {
			*ret_reason = why != NULL ? why : "bad pattern";
			return -EINVAL;
		}
		aare_free(a);
	}
	if (quote)
		rb_put(b, "\"");
	rb_put(b, pat);
	if (quote)
		rb_put(b, "\"");
	return b->err;
}

/* A word of the rule grammar (signal, family, flag): [a-z0-9_+-] only. */
static int
rule_word_ok(const char *w)
{
	size_t i;

	if (w == NULL || w[0] == '\0' || strlen(w) > 64)
		return 0;
	for (i = 0; w[i] != '\0'; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' &&
		    w[i] <= '9') || w[i] == '_' || w[i] == '+' || w[i] == '-'))
			return 0;
	return 1;
}

static int
rule_in(const char *w, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Capability names the 3.0.8 parser knows (checked with -QK). */
static const char *const rule_caps[] = {
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

static const char *const rule_families[] = {
	"unix", "inet", "ax25", "ipx", "appletalk", "netrom", "bridge",
	"atmpvc", "x25", "inet6", "rose", "netbeui", "security", "key",
	"netlink", "packet", "ash", "econet", "atmsvc", "rds", "sna", "irda",
	"pppox", "wanpipe", "llc", "ib", "mpls", "can", "tipc", "bluetooth",
	"iucv", "rxrpc", "isdn", "phonet", "ieee802154", "caif", "alg", "nfc",
	"vsock", "kcm", "qipcrtr", "smc", "xdp",
};

static const char *const rule_sock_types[] = {
	"stream", "dgram", "raw", "rdm", "seqpacket", "packet",
};

static const char *const rule_signals[] = {
	"hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill",
	"usr1", "segv", "usr2", "pipe", "alrm", "term", "stkflt", "chld",
	"cont", "stop", "stp", "ttin", "ttou", "urg", "xcpu", "xfsz",
	"vtalrm", "prof", "winch", "io", "pwr", "sys", "emt", "exists",
};

static int
rule_signal_ok(const char *sig)
{
	int n;
	char c;

	if (rule_in(sig, rule_signals, NELEM(rule_signals)))
		return 1;
	/* rtmin+0 .. rtmin+32 */
	if (sscanf(sig, "rtmin+%d%c", &n, &c) == 1 && n >= 0 && n <= 32 &&
	    strspn(sig + 6, "0123456789") == strlen(sig + 6))
		return 1;
	return 0;
}

/* " perms" for a class, or fail when the mask is empty or unknown. */
static int
rule_perms(struct rbuf *b, const struct access *a, int need,
    const char **ret_reason)
{
	char perms[256];

	if (a->mask & MASK_UNKNOWN) {
		*ret_reason = "the record holds a permission aalearn does not "
		    "know";
		return -EINVAL;
	}
	if (mask_format(a->mask, a->cls, perms, sizeof(perms)) == NULL) {
		*ret_reason = "the mask holds a permission this rule cannot "
		    "name";
		return -EINVAL;
	}
	if (perms[0] == '\0') {
		if (need) {
			/* a rule without permissions grants them all */
			*ret_reason = "no permission in the record";
			return -EINVAL;
		}
		return 0;
	}
	rb_put(b, " ");
	rb_put(b, perms);
	return 0;
}

/* A label that names a complain-mode null profile: not a real target. */
static int
rule_null_label(const char *label)
{
	return strstr(label, "//null-") != NULL || strcmp(label, "null") == 0;
}

static int
rule_file(struct rbuf *b, const struct access *a, unsigned flags,
    const char **ret_reason)
{
	uint64_t m = a->mask;
	char perms[64];
	int err;

	if (m & MASK_UNKNOWN) {
		*ret_reason = "the record holds a permission aalearn does not "
		    "know";
		return -EINVAL;
	}
	if (!(m & MASK_NOT_OWNER))
		rb_put(b, "owner ");
	/* A link with a known target: the narrow "link A -> B" rule. */
	if ((m & MASK_LINK) && a->f[1][0] != '\0') {
		m &= ~MASK_LINK;
		if (m & MASK_PERMS) {
			*ret_reason = "link with other permissions: one rule "
			    "cannot say both";
			return -EINVAL;
		}
		rb_put(b, "link ");
		err = (flags & RULE_PATTERN) ?
		    rule_pattern(b, a->f[0], ret_reason) :
		    rule_path(b, a->f[0], ret_reason);
		if (err != 0)
			return err;
		rb_put(b, " -> ");
		if ((err = rule_path(b, a->f[1], ret_reason)) != 0)
			return err;
		rb_put(b, ",");
		return 0;
	}
	if (mask_format(m, a->cls, perms, sizeof(perms)) == NULL) {
		*ret_reason = "the mask holds a permission a file rule cannot "
		    "name";
		return -EINVAL;
	}
	if (perms[0] == '\0') {
		*ret_reason = "no permission in the record";
		return -EINVAL;
	}
	err = (flags & RULE_PATTERN) ? rule_pattern(b, a->f[0], ret_reason) :
	    rule_path(b, a->f[0], ret_reason);
	if (err != 0)
		return err;
	rb_put(b, " ");
	rb_put(b, perms);
	/* px/cx with a named target profile */
	if ((m & (MASK_EXEC_PROFILE | MASK_EXEC_CHILD)) &&
	    a->cls == ACCESS_EXEC && a->f[1][0] != '\0' &&
	    !rule_null_label(a->f[1])) {
		rb_put(b, " -> ");
		if ((err = rule_name(b, a->f[1], ret_reason)) != 0)
			return err;
	}
	rb_put(b, ",");
	return 0;
}

static int
rule_network(struct rbuf *b, const struct access *a, unsigned flags,
    const char **ret_reason)
{
	int err;

	if (!rule_word_ok(a->f[0]) ||
	    !rule_in(a->f[0], rule_families, NELEM(rule_families))) {
		*ret_reason = "unknown network family";
		return -EINVAL;
	}
	if (a->f[1][0] != '\0' && (!rule_word_ok(a->f[1]) ||
	    !rule_in(a->f[1], rule_sock_types, NELEM(rule_sock_types)))) {
		/* "network inet," would grant every type */
		*ret_reason = "unknown socket type";
		return -EINVAL;
	}
	rb_put(b, "network");
	if (flags & RULE_NEW_SYNTAX) {
		if ((err = rule_perms(b, a, 0, ret_reason)) != 0)
			return err;
	} else if (a->mask & MASK_UNKNOWN) {
		*ret_reason = "the record holds a permission aalearn does not "
		    "know";
		return -EINVAL;
	}
	rb_put(b, " ");
	rb_put(b, a->f[0]);
	if (a->f[1][0] != '\0') {
		rb_put(b, " ");
		rb_put(b, a->f[1]);
	}
	rb_put(b, ",");
	return 0;
}

static int
rule_unix(struct rbuf *b, const struct access *a, const char **ret_reason)
{
	int err, peer;

	rb_put(b, "unix");
	if ((err = rule_perms(b, a, 1, ret_reason)) != 0)
		return err;
	if (a->f[0][0] != '\0') {
		if (!rule_in(a->f[0], rule_sock_types, NELEM(rule_sock_types))) {
			*ret_reason = "unknown socket type";
			return -EINVAL;
		}
		rb_put(b, " type=");
		rb_put(b, a->f[0]);
	}
	if (a->f[1][0] != '\0') {
		rb_put(b, " addr=");
		if ((err = rule_name_at(b, a->f[1], 1, ret_reason)) != 0)
			return err;
	}
	peer = a->f[2][0] != '\0' || a->f[3][0] != '\0';
	if (peer) {
		rb_put(b, " peer=(");
		if (a->f[3][0] != '\0') {
			rb_put(b, "label=");
			if ((err = rule_name(b, a->f[3], ret_reason)) != 0)
				return err;
		}
		if (a->f[2][0] != '\0') {
			rb_put(b, a->f[3][0] != '\0' ? " addr=" : "addr=");
			if ((err = rule_name_at(b, a->f[2], 1, ret_reason)) != 0)
				return err;
		}
		rb_put(b, ")");
	}
	rb_put(b, ",");
	return 0;
}

static int
rule_signal(struct rbuf *b, const struct access *a, const char **ret_reason)
{
	int err;

	rb_put(b, "signal");
	if ((err = rule_perms(b, a, 1, ret_reason)) != 0)
		return err;
	if (a->f[0][0] != '\0') {
		if (!rule_word_ok(a->f[0]) || !rule_signal_ok(a->f[0])) {
			*ret_reason = "unknown signal";
			return -EINVAL;
		}
		rb_put(b, " set=(");
		rb_put(b, a->f[0]);
		rb_put(b, ")");
	}
	if (a->f[1][0] != '\0') {
		rb_put(b, " peer=");
		if ((err = rule_name(b, a->f[1], ret_reason)) != 0)
			return err;
	}
	rb_put(b, ",");
	return 0;
}

static int
rule_ptrace(struct rbuf *b, const struct access *a, const char **ret_reason)
{
	int err;

	rb_put(b, "ptrace");
	if ((err = rule_perms(b, a, 1, ret_reason)) != 0)
		return err;
	if (a->f[0][0] != '\0') {
		rb_put(b, " peer=");
		if ((err = rule_name(b, a->f[0], ret_reason)) != 0)
			return err;
	}
	rb_put(b, ",");
	return 0;
}

static int
rule_cmp_word(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/*
 * options=(a, b) from the kernel's "rw, nosuid, remount": sorted and
 * without repeats, so that the same flags always give the same rule text.
 */
static int
rule_mount_options(struct rbuf *b, const char *flags, const char **ret_reason)
{
	char words[32][33];
	const char *p = flags;
	size_t nw = 0, i;

	while (*p != '\0') {
		size_t n = strcspn(p, ", ");

		if (n > 0) {
			if (n >= sizeof(words[0]) || nw >= 32) {
				*ret_reason = "unknown mount flags";
				return -EINVAL;
			}
			memcpy(words[nw], p, n);
			words[nw][n] = '\0';
			if (!rule_word_ok(words[nw])) {
				*ret_reason = "unknown mount flag";
				return -EINVAL;
			}
			nw++;
		}
		p += n;
		p += strspn(p, ", ");
	}
	if (nw == 0)
		return 0;
	qsort(words, nw, sizeof(words[0]), rule_cmp_word);
	rb_put(b, " options=(");
	for (i = 0; i < nw; i++) {
		if (i > 0 && strcmp(words[i], words[i - 1]) == 0)
			continue;
		if (i > 0)
			rb_put(b, ", ");
		rb_put(b, words[i]);
	}
	rb_put(b, ")");
	return 0;
}

static int
rule_mount(struct rbuf *b, const struct access *a, const char **ret_reason)
{
	const char *op = a->f[0];
	int err;

	if (a->f[3][0] == '\0') {
		*ret_reason = "no mount point in the record";
		return -EINVAL;
	}
	if (strcmp(op, "umount") == 0) {
		rb_put(b, "umount ");
		if ((err = rule_name(b, a->f[3], ret_reason)) != 0)
			return err;
	} else if (strcmp(op, "pivot_root") == 0) {
		rb_put(b, "pivot_root");
		if (a->f[2][0] != '\0') {
			rb_put(b, " oldroot=");
			if ((err = rule_name(b, a->f[2], ret_reason)) != 0)
				return err;
		}
		rb_put(b, " ");
		if ((err = rule_name(b, a->f[3], ret_reason)) != 0)
			return err;
	} else if (strcmp(op, "mount") == 0 || strcmp(op, "remount") == 0) {
		rb_put(b, "mount");
		if (a->f[1][0] != '\0') {
			rb_put(b, " fstype=");
			if ((err = rule_name(b, a->f[1], ret_reason)) != 0)
				return err;
		}
		if ((err = rule_mount_options(b, a->f[4], ret_reason)) != 0)
			return err;
		if (a->f[2][0] != '\0') {
			rb_put(b, " ");
			if ((err = rule_name(b, a->f[2], ret_reason)) != 0)
				return err;
		}
		rb_put(b, " -> ");
		if ((err = rule_name(b, a->f[3], ret_reason)) != 0)
			return err;
	} else {
		*ret_reason = "unknown mount operation";
		return -EINVAL;
	}
	rb_put(b, ",");
	return 0;
}

static int
rule_dbus_field(struct rbuf *b, const char *key, const char *val,
    const char **ret_reason)
{
	if (val[0] == '\0')
		return 0;
	rb_put(b, " ");
	rb_put(b, key);
	rb_put(b, "=");
	return rule_name(b, val, ret_reason);
}

static int
rule_dbus(struct rbuf *b, const struct access *a, const char **ret_reason)
{
	uint64_t m = a->mask & MASK_PERMS;
	int err;

	if (a->f[0][0] == '\0') {
		*ret_reason = "no bus in the record";
		return -EINVAL;
	}
	if ((m & MASK_BIND) && (m & ~MASK_BIND)) {
		*ret_reason = "bind with other D-Bus permissions";
		return -EINVAL;
	}
	rb_put(b, "dbus");
	if ((err = rule_perms(b, a, 1, ret_reason)) != 0)
		return err;
	if ((err = rule_dbus_field(b, "bus", a->f[0], ret_reason)) != 0)
		return err;
	if (m & MASK_BIND) {
		if (a->f[5][0] == '\0') {
			*ret_reason = "bind without a name";
			return -EINVAL;
		}
		if ((err = rule_dbus_field(b, "name", a->f[5], ret_reason)) != 0)
			return err;
	} else if (!(m & MASK_EAVESDROP)) {
		if ((err = rule_dbus_field(b, "path", a->f[1], ret_reason)) ||
		    (err = rule_dbus_field(b, "interface", a->f[2],
		    ret_reason)) ||
		    (err = rule_dbus_field(b, "member", a->f[3], ret_reason)))
			return err;
		if (a->f[4][0] != '\0') {
			rb_put(b, " peer=(label=");
			if ((err = rule_name(b, a->f[4], ret_reason)) != 0)
				return err;
			rb_put(b, ")");
		}
	}
	rb_put(b, ",");
	return 0;
}

static int
rule_new_only(unsigned flags, const char **ret_reason)
{
	if (flags & RULE_NEW_SYNTAX)
		return 0;
	*ret_reason = "apparmor_parser 3.0.8 has no such rule (AppArmor 4 "
	    "syntax: RULE_NEW_SYNTAX)";
	return -EOPNOTSUPP;
}

int
rule_format(const struct access *a, unsigned flags, char *buf, size_t len,
    const char **ret_reason)
{
	struct rbuf b = { buf, 0, len, 0 };
	const char *reason = NULL;
	int i, err;

	if (buf == NULL || len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (a == NULL) {
		reason = "no access";
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < ACCESS_NFIELDS; i++)
		if (a->f[i] == NULL) {
			reason = "access field not filled";
			err = -EINVAL;
			goto out;
		}
	switch (a->cls) {
	case ACCESS_FILE:
	case ACCESS_EXEC:
		err = rule_file(&b, a, flags, &reason);
		break;
	case ACCESS_CAPABILITY:
		if (!rule_word_ok(a->f[0]) ||
		    !rule_in(a->f[0], rule_caps, NELEM(rule_caps))) {
			reason = "unknown capability";
			err = -EINVAL;
			break;
		}
		rb_put(&b, "capability ");
		rb_put(&b, a->f[0]);
		rb_put(&b, ",");
		err = 0;
		break;
	case ACCESS_NETWORK:
		err = rule_network(&b, a, flags, &reason);
		break;
	case ACCESS_UNIX:
		err = rule_unix(&b, a, &reason);
		break;
	case ACCESS_SIGNAL:
		err = rule_signal(&b, a, &reason);
		break;
	case ACCESS_PTRACE:
		err = rule_ptrace(&b, a, &reason);
		break;
	case ACCESS_MOUNT:
		err = rule_mount(&b, a, &reason);
		break;
	case ACCESS_DBUS:
		err = rule_dbus(&b, a, &reason);
		break;
	case ACCESS_CHANGE_PROFILE:
		rb_put(&b, "change_profile -> ");
		if ((err = rule_name(&b, a->f[0], &reason)) == 0)
			rb_put(&b, ",");
		break;
	case ACCESS_USERNS:
		if ((err = rule_new_only(flags, &reason)) != 0)
			break;
		if ((a->mask & MASK_PERMS) != MASK_CREATE) {
			reason = "userns access other than create";
			err = -EINVAL;
			break;
		}
		rb_put(&b, "userns create,");
		break;
	case ACCESS_IO_URING:
		if ((err = rule_new_only(flags, &reason)) != 0)
			break;
		rb_put(&b, "io_uring");
		if ((err = rule_perms(&b, a, 1, &reason)) != 0)
			break;
		if (a->f[1][0] != '\0') {
			rb_put(&b, " label=");
			if ((err = rule_name(&b, a->f[1], &reason)) != 0)
				break;
		}
		rb_put(&b, ",");
		break;
	case ACCESS_MQUEUE:
		if ((err = rule_new_only(flags, &reason)) != 0)
			break;
		rb_put(&b, "mqueue");
		if ((err = rule_perms(&b, a, 1, &reason)) != 0)
			break;
		rb_put(&b, strcmp(a->f[1], "sysv") == 0 ? " type=sysv" :
		    " type=posix");
		if (a->f[0][0] != '\0') {
			rb_put(&b, " ");
			if ((err = rule_name(&b, a->f[0], &reason)) != 0)
				break;
		}
		rb_put(&b, ",");
		break;
	default:
		reason = "no rule for this class";
		err = -EINVAL;
		break;
	}
	if (err == 0 && b.err != 0) {
		err = b.err;
		reason = "rule too long for the buffer";
	}
out:
	if (err != 0) {
		buf[0] = '\0';
		if (ret_reason != NULL)
			*ret_reason = reason != NULL ? reason : "cannot write rule";
		return err;
	}
	return (int)b.len;
}
