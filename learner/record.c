/*
 * record.c - one AppArmor audit record, in any shape a user meets, into a
 * struct record.
 *
 * One tokenizer for every shape: the line's prefix (auditd, syslog, dmesg,
 * kmsg, journal) is skipped by hand, the audit stamp audit(E.M:S) is read
 * once, and the body is a single left-to-right pass over key=value pairs.
 * Values are copied (and hex-decoded) into r->buf, so nothing is allocated
 * per record and r never points into the caller's line.
 *
 * Every value is hostile: it may hold any byte.  The kernel writes a value
 * that holds a space, a quote or a byte outside 0x21..0x7e as bare hex, so a
 * quoted value never holds a quote and a record's keys can not be forged from
 * inside a value.  A value that decodes to a NUL, a label holding a control
 * byte, a quote left open or a bad number make the record RECORD_MALFORMED:
 * better no rule than a rule built from a value we did not read right.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "learner.h"

/* How a key's value is stored. */
enum vtype {
	V_STR,		/* verbatim */
	V_HEX,		/* untrusted string: bare value is hex */
	V_LABEL,	/* like V_HEX, and no control bytes */
	V_NUM,		/* decimal long */
	V_ADDR,		/* V_HEX, but bare "none" means absent */
};

/* Keys with special handling. */
enum special {
	S_NONE = 0,
	S_APPARMOR,
	S_TYPE,
	S_MSG,
	S_EXE,
	S_ERROR,
	S_ADDR,
};

struct key {
	const char *name;
	unsigned char len;
	unsigned char vtype;
	unsigned char special;
	unsigned short off;	/* offset of the field in struct record */
};

#define KS(n, t, f)	{ n, sizeof(n) - 1, t, S_NONE, offsetof(struct record, f) }
#define KX(n, t, f, s)	{ n, sizeof(n) - 1, t, s, offsetof(struct record, f) }

/* Every key we keep, by name. */
enum key_id {
	K_APPARMOR,
	K_OPERATION,
	K_CLASS,
	K_PROFILE,
	K_LABEL,
	K_NAMESPACE,
	K_PEER,
	K_PEER_PROFILE,
	K_PEER_LABEL,
	K_TCONTEXT,
	K_NAME,
	K_NAME2,
	K_TARGET,
	K_REQUESTED_MASK,
	K_REQUESTED,
	K_DENIED_MASK,
	K_DENIED,
	K_MASK,
	K_COMM,
	K_INFO,
	K_ATTRIBUTE,
	K_EXECPATH,
	K_EXE,
	K_FAMILY,
	K_SOCK_TYPE,
	K_PROTOCOL,
	K_CAPNAME,
	K_SIGNAL,
	K_LADDR,
	K_SADDR,
	K_FADDR,
	K_DADDR,
	K_ADDR,
	K_PEER_ADDR,
	K_BUS,
	K_PATH,
	K_INTERFACE,
	K_MEMBER,
	K_METHOD,
	K_FSTYPE,
	K_SRCNAME,
	K_FLAGS,
	K_PID,
	K_PEER_PID,
	K_TASK,
	K_PARENT,
	K_FSUID,
	K_OUID,
	K_MAGIC_TOKEN,
	K_CAPABILITY,
	K_ERROR,
	K_LPORT,
	K_SRC,
	K_FPORT,
	K_DEST,
	K_TYPE,
	K_MSG,
	K_COUNT
};

/*
 * What each key fills.  Several keys fill one field where kernels and D-Bus
 * daemons of different ages named the same thing differently.
 */
static const struct key keys[K_COUNT] = {
	[K_APPARMOR] = KX("apparmor", V_STR, apparmor, S_APPARMOR),
	[K_OPERATION] = KS("operation", V_STR, operation),
	[K_CLASS] = KS("class", V_STR, class_name),
	[K_PROFILE] = KS("profile", V_LABEL, profile),
	[K_LABEL] = KS("label", V_LABEL, profile),
	[K_NAMESPACE] = KS("namespace", V_LABEL, ns),
	[K_PEER] = KS("peer", V_LABEL, peer),
	[K_PEER_PROFILE] = KS("peer_profile", V_LABEL, peer_profile),
	[K_PEER_LABEL] = KS("peer_label", V_LABEL, peer_profile),
	[K_TCONTEXT] = KS("tcontext", V_LABEL, peer_profile),
	[K_NAME] = KS("name", V_HEX, name),
	[K_NAME2] = KS("name2", V_HEX, name2),
	[K_TARGET] = KS("target", V_LABEL, target),
	[K_REQUESTED_MASK] = KS("requested_mask", V_STR, requested),
	[K_REQUESTED] = KS("requested", V_STR, requested),
	[K_DENIED_MASK] = KS("denied_mask", V_STR, denied),
	[K_DENIED] = KS("denied", V_STR, denied),
	[K_MASK] = KS("mask", V_STR, mask),
	[K_COMM] = KS("comm", V_HEX, comm),
	[K_INFO] = KS("info", V_STR, info),
	[K_ATTRIBUTE] = KS("attribute", V_STR, attribute),
	[K_EXECPATH] = KS("execpath", V_HEX, execpath),
	[K_EXE] = KX("exe", V_HEX, user_exe, S_EXE),
	[K_FAMILY] = KS("family", V_STR, family),
	[K_SOCK_TYPE] = KS("sock_type", V_STR, sock_type),
	[K_PROTOCOL] = KS("protocol", V_STR, protocol),
	[K_CAPNAME] = KS("capname", V_STR, capname),
	[K_SIGNAL] = KS("signal", V_STR, signal),
	[K_LADDR] = KS("laddr", V_STR, laddr),
	[K_SADDR] = KS("saddr", V_STR, laddr),
	[K_FADDR] = KS("faddr", V_STR, faddr),
	[K_DADDR] = KS("daddr", V_STR, faddr),
	[K_ADDR] = KX("addr", V_ADDR, net_addr, S_ADDR),
	[K_PEER_ADDR] = KS("peer_addr", V_ADDR, peer_addr),
	[K_BUS] = KS("bus", V_HEX, bus),
	[K_PATH] = KS("path", V_HEX, path),
	[K_INTERFACE] = KS("interface", V_HEX, interface),
	[K_MEMBER] = KS("member", V_HEX, member),
	[K_METHOD] = KS("method", V_HEX, dbus_method),
	[K_FSTYPE] = KS("fstype", V_HEX, fstype),
	[K_SRCNAME] = KS("srcname", V_HEX, srcname),
	[K_FLAGS] = KS("flags", V_STR, flags),
	[K_PID] = KS("pid", V_NUM, pid),
	[K_PEER_PID] = KS("peer_pid", V_NUM, peer_pid),
	[K_TASK] = KS("task", V_NUM, task),
	[K_PARENT] = KS("parent", V_NUM, parent),
	[K_FSUID] = KS("fsuid", V_NUM, fsuid),
	[K_OUID] = KS("ouid", V_NUM, ouid),
	[K_MAGIC_TOKEN] = KS("magic_token", V_NUM, magic_token),
	[K_CAPABILITY] = KS("capability", V_NUM, capability),
	[K_ERROR] = KX("error", V_NUM, error, S_ERROR),
	[K_LPORT] = KS("lport", V_NUM, lport),
	[K_SRC] = KS("src", V_NUM, lport),
	[K_FPORT] = KS("fport", V_NUM, fport),
	[K_DEST] = KS("dest", V_NUM, fport),
	[K_TYPE] = KX("type", V_STR, type_name, S_TYPE),
	[K_MSG] = KX("msg", V_STR, old_style, S_MSG),
};

/* Linux capability numbers (include/uapi/linux/capability.h). */
static const char *const cap_names[] = {
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

#define NCAPS	(sizeof(cap_names) / sizeof(cap_names[0]))

/* The parse of one line: the record and what the body parse learned. */
struct ctx {
	struct record *r;
	int	 user_avc;	/* body is a USER_AVC: only msg= counts outside */
	int	 first_apparmor;	/* the first key of the (inner) body was apparmor= */
	int	 open_quote;	/* the body ended inside a quote */
	int	 open_dquote;	/* a "..." value was left open: cut short */
	int	 msg_closed;	/* a USER_AVC's msg='...' was closed */
	int	 bad;		/* a value could not be read */
};

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
starts(const char *p, const char *end, const char *s, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

#define STARTS(p, end, lit)	starts(p, end, lit, sizeof(lit) - 1)

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *
skip_token(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

/* Copy n bytes into r->buf, NUL-terminated; NULL when it does not fit. */
static char *
buf_put(struct record *r, const char *s, size_t n)
{
	char *d;

	if (n >= sizeof(r->buf) - r->buflen)
		return NULL;
	d = r->buf + r->buflen;
	memcpy(d, s, n);
	d[n] = '\0';
	r->buflen += n + 1;
	return d;
}

/* Decode n hex digits (n even, checked) into r->buf; NULL on NUL or no room. */
static char *
buf_put_hex(struct record *r, const char *s, size_t n)
{
	char *d, *o;
	size_t i;
	int hi, lo;

	if (n / 2 >= sizeof(r->buf) - r->buflen)
		return NULL;
	d = o = r->buf + r->buflen;
	for (i = 0; i < n; i += 2) {
		hi = hex_val((unsigned char)s[i]);
		lo = hex_val((unsigned char)s[i + 1]);
		if (hi == 0 && lo == 0)
			return NULL;	/* a NUL byte: not representable */
		*o++ = (char)(hi << 4 | lo);
	}
	*o = '\0';
	r->buflen += n / 2 + 1;
	return d;
}

/* True when every byte is a hex digit and n is even and non-zero. */
static int
all_hex(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n % 2 != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (hex_val((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

static int
has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/* A decimal long, optional sign, leading zeros allowed; -1 on junk/overflow. */
static int
parse_long(const char *s, size_t n, long *ret)
{
	unsigned long v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return -1;
	lim = neg ? (unsigned long)LONG_MAX + 1 : (unsigned long)LONG_MAX;
	for (; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		if (v > (lim - (unsigned long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*ret = neg ? (long)(0 - v) : (long)v;
	return 0;
}

/*
 * The key named by k[0..n), or NULL.  A switch on the first byte and
 * comparisons of constant length: this runs for every pair of every record.
 */
static const struct key *
key_find(const char *k, size_t n)
{
#define IS(lit, id)	do {						\
	if (n == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)	\
		return &keys[id];					\
} while (0)
	switch (k[0]) {
	case 'a':
		IS("apparmor", K_APPARMOR);
		IS("attribute", K_ATTRIBUTE);
		IS("addr", K_ADDR);
		break;
	case 'b':
		IS("bus", K_BUS);
		break;
	case 'c':
		IS("class", K_CLASS);
		IS("comm", K_COMM);
		IS("capname", K_CAPNAME);
		IS("capability", K_CAPABILITY);
		break;
	case 'd':
		IS("denied_mask", K_DENIED_MASK);
		IS("denied", K_DENIED);
		IS("daddr", K_DADDR);
		IS("dest", K_DEST);
		break;
	case 'e':
		IS("execpath", K_EXECPATH);
		IS("exe", K_EXE);
		IS("error", K_ERROR);
		break;
	case 'f':
		IS("family", K_FAMILY);
		IS("faddr", K_FADDR);
		IS("fstype", K_FSTYPE);
		IS("flags", K_FLAGS);
		IS("fsuid", K_FSUID);
		IS("fport", K_FPORT);
		break;
	case 'i':
		IS("info", K_INFO);
		IS("interface", K_INTERFACE);
		break;
	case 'l':
		IS("label", K_LABEL);
		IS("laddr", K_LADDR);
		IS("lport", K_LPORT);
		break;
	case 'm':
		IS("mask", K_MASK);
		IS("member", K_MEMBER);
		IS("method", K_METHOD);
		IS("magic_token", K_MAGIC_TOKEN);
		IS("msg", K_MSG);
		break;
	case 'n':
		IS("namespace", K_NAMESPACE);
		IS("name", K_NAME);
		IS("name2", K_NAME2);
		break;
	case 'o':
		IS("operation", K_OPERATION);
		IS("ouid", K_OUID);
		break;
	case 'p':
		IS("profile", K_PROFILE);
		IS("peer", K_PEER);
		IS("peer_profile", K_PEER_PROFILE);
		IS("peer_label", K_PEER_LABEL);
		IS("protocol", K_PROTOCOL);
		IS("peer_addr", K_PEER_ADDR);
		IS("path", K_PATH);
		IS("pid", K_PID);
		IS("peer_pid", K_PEER_PID);
		IS("parent", K_PARENT);
		break;
	case 'r':
		IS("requested_mask", K_REQUESTED_MASK);
		IS("requested", K_REQUESTED);
		break;
	case 's':
		IS("sock_type", K_SOCK_TYPE);
		IS("signal", K_SIGNAL);
		IS("saddr", K_SADDR);
		IS("srcname", K_SRCNAME);
		IS("src", K_SRC);
		break;
	case 't':
		IS("tcontext", K_TCONTEXT);
		IS("target", K_TARGET);
		IS("task", K_TASK);
		IS("type", K_TYPE);
		break;
	default:
		break;
	}
#undef IS
	return NULL;
}

static int
audit_type_of(const char *t, size_t n)
{
	static const struct {
		const char *name;
		int type;
	} names[] = {
		{ "AVC", 1400 }, { "USER_AVC", 1107 }, { "APPARMOR", 1500 },
		{ "APPARMOR_AUDIT", 1501 }, { "APPARMOR_ALLOWED", 1502 },
		{ "APPARMOR_DENIED", 1503 }, { "APPARMOR_HINT", 1504 },
		{ "APPARMOR_STATUS", 1505 }, { "APPARMOR_ERROR", 1506 },
		{ "APPARMOR_KILL", 1507 },
	};
	size_t i;
	long v;

	if (n > 0 && is_digit((unsigned char)t[0]))
		return parse_long(t, n, &v) == 0 && v > 0 && v < 100000 ?
		    (int)v : 0;
	if (n > 9 && memcmp(t, "UNKNOWN[", 8) == 0 && t[n - 1] == ']')
		return parse_long(t + 8, n - 9, &v) == 0 && v > 0 &&
		    v < 100000 ? (int)v : 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n && memcmp(names[i].name, t, n) == 0)
			return names[i].type;
	return 0;
}

static int
apparmor_type(int type)
{
	return type == 1400 || type == 1107 || (type >= 1500 && type <= 1599);
}

/* Store one value for key k. */
static void
store(struct ctx *c, const struct key *k, const char *v, size_t n, int quoted)
{
	struct record *r = c->r;
	const char **field;
	char *s;
	long num;

	if (k->vtype == V_NUM) {
		if (parse_long(v, n, &num) < 0 || num == LONG_MIN) {
			c->bad = 1;
			return;
		}
		/* error=-13: keep the errno, so that -1 still means absent */
		if (k->special == S_ERROR && num < 0)
			num = -num;
		*(long *)(void *)((char *)r + k->off) = num;
		return;
	}
	field = (const char **)(void *)((char *)r + k->off);
	if (!quoted && k->vtype == V_ADDR && n == 4 && memcmp(v, "none", 4) == 0) {
		*field = NULL;
		return;
	}
	if (!quoted && k->vtype != V_STR && all_hex(v, n))
		s = buf_put_hex(r, v, n);
	else if (!quoted && k->vtype != V_STR && n > 0 &&
	    hex_val((unsigned char)v[0]) >= 0 && n % 2 == 1 &&
	    all_hex(v, n - 1) && hex_val((unsigned char)v[n - 1]) >= 0) {
		/* Odd hex: a value cut short; do not guess at it. */
		s = NULL;
	} else if (memchr(v, '\0', n) != NULL)
		s = NULL;
	else
		s = buf_put(r, v, n);
	if (s == NULL || (k->vtype == V_LABEL && has_control(s))) {
		c->bad = 1;
		return;
	}
	*field = s;
}

/*
 * The key=value pairs of a body, from p to end.  In a USER_AVC's msg='...'
 * (inner) the body ends at the closing quote; the return value is where
 * parsing stopped.
 */
static const char *
parse_pairs(struct ctx *c, const char *p, const char *end, int inner)
{
	const struct key *k;
	const char *kstart, *v, *q;
	size_t kn, vn;
	int first = 1, quoted;

	for (;;) {
		p = skip_blanks(p, end);
		if (p >= end)
			break;
		if (*p == '\x1d')	/* auditd's enriched trailer follows */
			return end;
		if (inner && *p == '\'') {
			c->msg_closed = 1;
			return p + 1;
		}
		kstart = p;
		while (p < end && ((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || is_digit((unsigned char)*p) ||
		    *p == '_'))
			p++;
		if (p == kstart || p >= end || *p != '=') {
			/* A bare word: not a pair, not ours. */
			while (p < end && *p != ' ' && *p != '\t' &&
			    !(inner && *p == '\''))
				p++;
			first = 0;
			continue;
		}
		kn = (size_t)(p - kstart);
		p++;
		k = key_find(kstart, kn);
		if (first) {
			first = 0;
			if (k != NULL && k->special == S_APPARMOR)
				c->first_apparmor = 1;
		}
		if (p < end && *p == '"') {
			q = memchr(p + 1, '"', (size_t)(end - p - 1));
			if (q == NULL) {
				c->open_quote = 1;
				c->open_dquote = 1;
				return end;
			}
			v = p + 1;
			vn = (size_t)(q - v);
			p = q + 1;
			quoted = 1;
		} else if (p < end && *p == '\'' && k != NULL &&
		    k->special == S_MSG && c->user_avc && !inner) {
			c->first_apparmor = 0;
			p = parse_pairs(c, p + 1, end, 1);
			if (c->bad)
				return p;
			if (!c->msg_closed)
				c->open_quote = 1;
			continue;
		} else {
			v = p;
			while (p < end && *p != ' ' && *p != '\t' &&
			    *p != '\x1d' && !(inner && *p == '\''))
				p++;
			vn = (size_t)(p - v);
			quoted = 0;
		}
		if (k == NULL)
			continue;
		/* Outside msg='...' a USER_AVC's pairs are the sender's. */
		if (c->user_avc && !inner)
			continue;
		switch (k->special) {
		case S_TYPE:
			/* "audit(...): type=1503 operation=..." */
			if (c->r->audit_type == 0)
				c->r->audit_type = audit_type_of(v, vn);
			continue;
		case S_MSG:
			continue;
		case S_ADDR:
			/* a USER_AVC's trailer: the sender's host address */
			if (c->user_avc)
				continue;
			break;
		case S_EXE:
			/* inside a USER_AVC's msg: the sender, not the subject */
			if (!inner)
				continue;
			break;
		default:
			break;
		}
		store(c, k, v, vn, quoted);
		if (c->bad)
			return p;
	}
	return p;
}

static enum record_kind
kind_of(const char *s, int type)
{
	static const struct {
		const char *name;
		enum record_kind kind;
	} kinds[] = {
		{ "ALLOWED", RECORD_ALLOWED }, { "DENIED", RECORD_DENIED },
		{ "AUDIT", RECORD_AUDIT }, { "HINT", RECORD_HINT },
		{ "STATUS", RECORD_STATUS }, { "ERROR", RECORD_ERROR },
		{ "KILL", RECORD_KILL },
	};
	size_t i;

	if (s != NULL) {
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(s, kinds[i].name) == 0)
				return kinds[i].kind;
		return RECORD_UNKNOWN;
	}
	switch (type) {
	case 1501: return RECORD_AUDIT;
	case 1502: return RECORD_ALLOWED;
	case 1503: return RECORD_DENIED;
	case 1504: return RECORD_HINT;
	case 1505: return RECORD_STATUS;
	case 1506: return RECORD_ERROR;
	case 1507: return RECORD_KILL;
	default: return RECORD_UNKNOWN;
	}
}

/* Derived fields: profile parent and namespace, capability, D-Bus member. */
static int
finish(struct record *r)
{
	const char *p, *s;
	size_t n;

	if (r->profile != NULL) {
		p = r->profile;
		if (p[0] == ':' && r->ns == NULL &&
		    (s = strchr(p + 1, ':')) != NULL) {
			if ((r->ns = buf_put(r, p + 1, (size_t)(s - p - 1))) == NULL)
				return -1;
		}
		/* p//hat, p//null-x, p///usr/bin/child; not a stack p//&q */
		s = p;
		r->profile_parent = r->profile;
		while ((s = strstr(s, "//")) != NULL) {
			if (s[2] != '&') {
				n = (size_t)(s - p);
				if ((r->profile_parent = buf_put(r, p, n)) == NULL)
					return -1;
				break;
			}
			s += 3;
		}
	}
	if (r->name2 == NULL)
		r->name2 = r->target;
	if (r->capname == NULL && r->operation != NULL &&
	    strcmp(r->operation, "capable") == 0 && r->name != NULL)
		r->capname = r->name;
	if (r->capname == NULL && r->capability >= 0)
		r->capname = record_capability_name(r->capability);
	if (r->capability < 0 && r->capname != NULL)
		r->capability = record_capability_number(r->capname);
	if (r->member == NULL && r->dbus_method != NULL)
		r->member = r->dbus_method;
	/*
	 * D-Bus logs one mask=, in complain mode as in enforce mode: what the
	 * policy did not grant, which is what denied_mask= says elsewhere.
	 */
	if (r->denied == NULL)
		r->denied = r->mask;
	return 0;
}

static void
reset(struct record *r)
{
	memset(r, 0, offsetof(struct record, buf));
	r->kind = RECORD_INVALID;
	r->epoch = r->serial = -1;
	r->msec = -1;
	r->pid = r->peer_pid = r->task = r->parent = r->fsuid = r->ouid = -1;
	r->magic_token = r->capability = r->error = r->lport = r->fport = -1;
}

/*
 * "audit(1700000000.123:456):" at p.  Fills the stamp and returns the body
 * (blanks skipped), or NULL when the stamp is broken.
 */
static const char *
parse_stamp(struct record *r, const char *p, const char *end)
{
	const char *s;
	int64_t epoch = 0, serial = 0;
	int msec = 0, nd = 0, nf = 0;

	if (!STARTS(p, end, "audit("))
		return NULL;
	p += 6;
	for (s = p; p < end && is_digit((unsigned char)*p); p++) {
		if (++nd > 18)
			return NULL;
		epoch = epoch * 10 + (*p - '0');
	}
	if (p == s || p >= end || *p++ != '.')
		return NULL;
	for (s = p; p < end && is_digit((unsigned char)*p); p++) {
		if (++nf > 9)
			return NULL;
		if (nf <= 3)
			msec = msec * 10 + (*p - '0');
	}
	if (p == s || p >= end || *p++ != ':')
		return NULL;
	for (; nf < 3; nf++)
		msec *= 10;
	nd = 0;
	for (s = p; p < end && is_digit((unsigned char)*p); p++) {
		if (++nd > 18)
			return NULL;
		serial = serial * 10 + (*p - '0');
	}
	if (p == s || end - p < 2 || p[0] != ')' || p[1] != ':')
		return NULL;
	r->epoch = epoch;
	r->msec = msec;
	r->serial = serial;
	return skip_blanks(p + 2, end);
}

/*
 * The body of a record of a known type (0: to be learned from the body),
 * from p to end.  hold: a quote left open may be a wrapped line.
 */
static enum record_result
parse_body(struct record *r, const char *p, const char *end, int hold)
{
	struct ctx c = { .r = r };
	const char *q;

	p = skip_blanks(p, end);
	if (r->audit_type != 0 && !apparmor_type(r->audit_type)) {
		/* Another subsystem's record; keep its text for the caller. */
		if ((r->old_style = buf_put(r, p, (size_t)(end - p))) == NULL)
			return RECORD_NOT_APPARMOR;
		return RECORD_NOT_APPARMOR;
	}
	if (r->audit_type == 1400 && !STARTS(p, end, "apparmor=")) {
		/* An SELinux AVC ("avc:  denied ..."). */
		r->old_style = buf_put(r, p, (size_t)(end - p));
		return RECORD_NOT_APPARMOR;
	}
	if (r->audit_type >= 1500 && r->audit_type <= 1599) {
		q = p;
		while (q < end && *q != ' ' && *q != '=')
			q++;
		if (q == p || q >= end || *q != '=') {
			/* Pre-2.6.36 free text: REJECTING r access to ... */
			r->old_style = buf_put(r, p, (size_t)(end - p));
			return RECORD_MALFORMED;
		}
	}
	c.user_avc = r->audit_type == 1107;
	parse_pairs(&c, p, end, 0);
	if (c.open_quote && hold)
		return RECORD_CONTINUED;
	if (!(c.first_apparmor ||
	    (r->audit_type >= 1500 && r->audit_type <= 1599))) {
		r->old_style = buf_put(r, p, (size_t)(end - p));
		return RECORD_NOT_APPARMOR;
	}
	/* A quote left open cuts a value short, except the msg='...' wrapper. */
	if (c.bad || c.open_dquote)
		return RECORD_MALFORMED;
	if (finish(r) < 0)
		return RECORD_MALFORMED;
	r->kind = kind_of(r->apparmor, r->audit_type);
	return RECORD_OK;
}

/* "type=T [msg=]audit(...): body" at p (after any prefix). */
static enum record_result
parse_typed(struct record *r, const char *p, const char *end, int hold)
{
	const char *t, *body;

	p += 5;
	t = p;
	p = skip_token(p, end);
	r->audit_type = audit_type_of(t, (size_t)(p - t));
	r->type_name = buf_put(r, t, (size_t)(p - t));
	p = skip_blanks(p, end);
	if (STARTS(p, end, "msg="))
		p += 4;
	if ((body = parse_stamp(r, p, end)) == NULL) {
		if (apparmor_type(r->audit_type) &&
		    memmem(p, (size_t)(end - p), "apparmor=", 9) != NULL)
			return RECORD_MALFORMED;
		return RECORD_NOT_APPARMOR;
	}
	if (!apparmor_type(r->audit_type)) {
		/* SYSCALL, PROCTITLE, CRED_ACQ...: keep the text for the caller */
		r->old_style = buf_put(r, body, (size_t)(end - body));
		return RECORD_NOT_APPARMOR;
	}
	return parse_body(r, body, end, hold);
}

/* What follows a syslog tag, a dmesg stamp or a kmsg prefix. */
static enum record_result
parse_kernel(struct record *r, const char *p, const char *end, int hold)
{
	const char *q, *body;

	p = skip_blanks(p, end);
	if (p < end && *p == '[') {	/* [ 1234.567890] */
		if ((q = memchr(p, ']', (size_t)(end - p))) == NULL)
			return RECORD_NOT_APPARMOR;
		p = skip_blanks(q + 1, end);
	}
	if (STARTS(p, end, "audit: "))
		p = skip_blanks(p + 7, end);
	if (STARTS(p, end, "type="))
		return parse_typed(r, p, end, hold);
	if (STARTS(p, end, "audit(")) {
		if ((body = parse_stamp(r, p, end)) == NULL)
			return RECORD_NOT_APPARMOR;
		return parse_body(r, body, end, hold);
	}
	if (STARTS(p, end, "apparmor="))	/* dbus[PID]: apparmor=... */
		return parse_body(r, p, end, hold);
	/* journal: audit[PID]: AVC apparmor=... (the stamp is in fields) */
	q = skip_token(p, end);
	if (q < end && q > p) {
		r->audit_type = audit_type_of(p, (size_t)(q - p));
		if (apparmor_type(r->audit_type) &&
		    !is_digit((unsigned char)*p)) {
			r->type_name = buf_put(r, p, (size_t)(q - p));
			return parse_body(r, q, end, hold);
		}
		r->audit_type = 0;
	}
	return RECORD_NOT_APPARMOR;
}

static int
is_month(const char *p, const char *end)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t i;

	if (end - p < 4 || p[3] != ' ')
		return 0;
	for (i = 0; i < 36; i += 3)
		if (memcmp(p, months + i, 3) == 0)
			return 1;
	return 0;
}

/* Skip [.frac][Z|+hh:mm|-hhmm] after HH:MM:SS. */
static const char *
skip_time(const char *p, const char *end)
{
	if (end - p < 8 || !is_digit((unsigned char)p[0]) || p[2] != ':' ||
	    p[5] != ':')
		return NULL;
	p += 8;
	while (p < end && (is_digit((unsigned char)*p) || *p == '.' ||
	    *p == ':' || *p == '+' || *p == '-' || *p == 'Z'))
		p++;
	if (p >= end || *p != ' ')
		return NULL;
	return p + 1;
}

/* After a syslog stamp: "[zone ][host ]tag: rest". */
static enum record_result
parse_tagged(struct record *r, const char *p, const char *end, int hold)
{
	const char *t;
	int i;

	for (i = 0; i < 3; i++) {
		p = skip_blanks(p, end);
		t = skip_token(p, end);
		if (t > p && t[-1] == ':')
			return parse_kernel(r, t, end, hold);
		p = t;
	}
	return RECORD_NOT_APPARMOR;
}

/*
 * Only syslog lines are held when a quote is left open: a forwarder or a
 * viewer may wrap them.  auditd, dmesg, kmsg and journal lines are whole
 * records; one cut short (printk's line limit) is read as it stands.
 */
static enum record_result
parse_line(struct record *r, const char *p, const char *end, int hold)
{
	const char *q;

	/* a raw priority, as in dmesg -r or /proc/kmsg: "<5>" */
	if (p < end && *p == '<') {
		for (q = p + 1; q < end && is_digit((unsigned char)*q); q++)
			;
		if (q > p + 1 && q - p <= 4 && q < end && *q == '>')
			p = q + 1;
	}
	if (STARTS(p, end, "node=")) {
		p = skip_blanks(skip_token(p, end), end);
		hold = 0;
	}
	if (STARTS(p, end, "type="))	/* auditd: never wrapped */
		return parse_typed(r, p, end, 0);
	if (p >= end)
		return RECORD_NOT_APPARMOR;
	if (*p == '[') {
		/* dmesg; or journalctl -o short-monotonic "[...] host tag:" */
		if ((q = memchr(p, ']', (size_t)(end - p))) == NULL)
			return RECORD_NOT_APPARMOR;
		q = skip_blanks(q + 1, end);
		if (STARTS(q, end, "audit") || STARTS(q, end, "type="))
			return parse_kernel(r, q, end, 0);
		return parse_tagged(r, q, end, 0);
	}
	/* journalctl -o short-full: "Thu 2026-11-26 09:00:00 UTC host tag:" */
	if (end - p > 15 && p[3] == ' ' && is_digit((unsigned char)p[4]) &&
	    p[8] == '-' && memmem("MonTueWedThuFriSatSun", 21, p, 3) != NULL)
		p += 4;
	if (is_month(p, end)) {
		p = skip_blanks(p + 4, end);
		while (p < end && is_digit((unsigned char)*p))
			p++;
		if (p >= end || *p != ' ' ||
		    (q = skip_time(p + 1, end)) == NULL)
			return RECORD_NOT_APPARMOR;
		return parse_tagged(r, q, end, hold);
	}
	if (is_digit((unsigned char)*p)) {
		if (end - p > 11 && is_digit((unsigned char)p[1]) &&
		    is_digit((unsigned char)p[2]) && is_digit((unsigned char)p[3]) &&
		    p[4] == '-' && p[7] == '-' && (p[10] == 'T' || p[10] == ' ')) {
			if ((q = skip_time(p + 11, end)) == NULL)
				return RECORD_NOT_APPARMOR;
			return parse_tagged(r, q, end, hold);
		}
		/* journalctl -o short-unix: "1764147600.123456 host tag:" */
		for (q = p; q < end && is_digit((unsigned char)*q); q++)
			;
		if (q < end && *q == '.') {
			for (q++; q < end && is_digit((unsigned char)*q); q++)
				;
			if (q < end && *q == ' ')
				return parse_tagged(r, q, end, hold);
			return RECORD_NOT_APPARMOR;
		}
		/* /dev/kmsg: "6,1234,5678901,-;audit: ..." */
		for (q = p; q < end && (is_digit((unsigned char)*q) ||
		    *q == ','); q++)
			;
		if (q > p && q < end && (*q == ';' || q[-1] == ',')) {
			if ((q = memchr(q, ';', (size_t)(end - q))) == NULL)
				return RECORD_NOT_APPARMOR;
			return parse_kernel(r, q + 1, end, 0);
		}
		return RECORD_NOT_APPARMOR;
	}
	if (STARTS(p, end, "audit(") || STARTS(p, end, "audit: "))
		return parse_kernel(r, p, end, 0);
	/* a journal MESSAGE= of the audit transport: "AVC apparmor=..." */
	if (STARTS(p, end, "AVC ") || STARTS(p, end, "USER_AVC ") ||
	    STARTS(p, end, "APPARMOR"))
		return parse_kernel(r, p, end, 0);
	return RECORD_NOT_APPARMOR;
}

static enum record_result
parse_one(struct record *r, const char *line, size_t len, int hold)
{
	enum record_result res;

	reset(r);
	if (len > RECORD_LINE_MAX || memchr(line, '\0', len) != NULL)
		return memmem(line, len, "apparmor", 8) != NULL ?
		    RECORD_MALFORMED : RECORD_NOT_APPARMOR;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	res = parse_line(r, line, line + len, hold);
	if (res != RECORD_OK)
		r->kind = RECORD_INVALID;
	return res;
}

enum record_result
record_parse(struct record_state *st, struct record *r, const char *line,
    size_t len)
{
	enum record_result res;
	size_t n;

	if (line == NULL) {
		if (st == NULL || st->pending_len == 0) {
			reset(r);
			return RECORD_NOT_APPARMOR;
		}
		n = st->pending_len;
		if (st->queued) {
			/* A whole line kept back: it may itself be a half. */
			res = parse_one(r, st->pending, n, 1);
			st->queued = 0;
			if (res != RECORD_CONTINUED)
				st->pending_len = 0;
			return res;
		}
		st->pending_len = 0;
		return parse_one(r, st->pending, n, 0);
	}
	if (st == NULL)
		return parse_one(r, line, len, 0);
	if (st->pending_len > 0) {
		if (!st->queued && len > 0 && (line[0] == ' ' || line[0] == '\t')) {
			/* The second half of a wrapped record. */
			n = (size_t)(skip_blanks(line, line + len) - line);
			if (st->pending_len + 1 + (len - n) > RECORD_LINE_MAX) {
				st->pending_len = 0;
				reset(r);
				return RECORD_MALFORMED;
			}
			st->pending[st->pending_len++] = ' ';
			memcpy(st->pending + st->pending_len, line + n, len - n);
			n = st->pending_len + (len - n);
			st->pending_len = 0;
			return parse_one(r, st->pending, n, 0);
		}
		/* The held half (or a line kept back) first; keep this one. */
		res = parse_one(r, st->pending, st->pending_len, 0);
		if (len > RECORD_LINE_MAX) {
			/* Too long to keep: count it as what it is now. */
			st->pending_len = 0;
			st->queued = 0;
			return res;
		}
		memcpy(st->pending, line, len);
		st->pending_len = len;
		st->queued = 1;
		return res;
	}
	res = parse_one(r, line, len, 1);
	if (res == RECORD_CONTINUED) {
		memcpy(st->pending, line, len);
		st->pending_len = len;
		st->queued = 0;
	}
	return res;
}

bool
record_parse_pending(const struct record_state *st)
{
	return st != NULL && st->pending_len > 0;
}

enum record_result
record_parse_netlink(struct record *r, int type, const char *payload,
    size_t len)
{
	const char *p = payload, *end = payload + len, *body;
	enum record_result res;

	reset(r);
	r->audit_type = type;
	if (!apparmor_type(type))
		return RECORD_NOT_APPARMOR;
	while (end > p && (end[-1] == '\n' || end[-1] == '\0'))
		end--;
	if (end - p > RECORD_LINE_MAX || memchr(p, '\0', (size_t)(end - p)) != NULL)
		return RECORD_MALFORMED;
	if ((body = parse_stamp(r, p, end)) == NULL)
		return RECORD_MALFORMED;
	res = parse_body(r, body, end, 0);
	if (res != RECORD_OK)
		r->kind = RECORD_INVALID;
	return res;
}

const char *
record_kind_name(enum record_kind k)
{
	switch (k) {
	case RECORD_UNKNOWN: return "unknown";
	case RECORD_ALLOWED: return "allowed";
	case RECORD_DENIED: return "denied";
	case RECORD_AUDIT: return "audit";
	case RECORD_HINT: return "hint";
	case RECORD_STATUS: return "status";
	case RECORD_ERROR: return "error";
	case RECORD_KILL: return "kill";
	case RECORD_INVALID: return "invalid";
	}
	return "unknown";
}

const char *
record_result_name(enum record_result res)
{
	switch (res) {
	case RECORD_OK: return "ok";
	case RECORD_NOT_APPARMOR: return "not-apparmor";
	case RECORD_MALFORMED: return "malformed";
	case RECORD_CONTINUED: return "continued";
	}
	return "unknown";
}

const char *
record_peer_label(const struct record *r)
{
	return r->peer != NULL ? r->peer : r->peer_profile;
}

const char *
record_request_mask(const struct record *r)
{
	if (r->requested != NULL)
		return r->requested;
	if (r->mask != NULL)
		return r->mask;
	return r->denied;
}

int64_t
record_time_ms(const struct record *r)
{
	if (r->epoch < 0 || r->epoch > INT64_MAX / 1000 - 1)
		return -1;
	return r->epoch * 1000 + (r->msec >= 0 && r->msec < 1000 ? r->msec : 0);
}

const char *
record_capability_name(long cap)
{
	if (cap < 0 || (unsigned long)cap >= NCAPS)
		return NULL;
	return cap_names[cap];
}

long
record_capability_number(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NCAPS; i++)
		if (strcmp(cap_names[i], name) == 0)
			return (long)i;
	return -1;
}

/* The printable fields in a fixed order: strings first, then numbers. */
static const struct {
	const char *name;
	unsigned short off;
	unsigned char num;
} fields[] = {
#define FS(n, f)	{ n, offsetof(struct record, f), 0 }
#define FN(n, f)	{ n, offsetof(struct record, f), 1 }
	FS("type", type_name), FS("apparmor", apparmor),
	FS("operation", operation), FS("class", class_name),
	FS("profile", profile), FS("profile_parent", profile_parent),
	FS("namespace", ns), FS("peer", peer), FS("peer_profile", peer_profile),
	FS("name", name), FS("name2", name2), FS("target", target),
	FS("requested", requested), FS("denied", denied), FS("mask", mask),
	FS("comm", comm), FS("info", info), FS("attribute", attribute),
	FS("execpath", execpath), FS("exe", exe), FS("user_exe", user_exe),
	FS("family", family), FS("sock_type", sock_type),
	FS("protocol", protocol), FS("capname", capname), FS("signal", signal),
	FS("laddr", laddr), FS("faddr", faddr), FS("addr", net_addr),
	FS("peer_addr", peer_addr), FS("bus", bus), FS("path", path),
	FS("interface", interface), FS("member", member),
	FS("method", dbus_method), FS("fstype", fstype),
	FS("srcname", srcname), FS("flags", flags), FS("text", old_style),
	FN("pid", pid), FN("peer_pid", peer_pid), FN("task", task),
	FN("parent", parent), FN("fsuid", fsuid), FN("ouid", ouid),
	FN("magic_token", magic_token), FN("capability", capability),
	FN("error", error), FN("lport", lport), FN("fport", fport),
#undef FS
#undef FN
};

int
record_field(const struct record *r, size_t i, const char **ret_name,
    const char **ret_str, long long *ret_num)
{
	const char *base = (const char *)r;
	const char *s;
	long v;

	if (i >= sizeof(fields) / sizeof(fields[0]))
		return -ENOENT;
	if (fields[i].num) {
		memcpy(&v, base + fields[i].off, sizeof(v));
		if (v == -1)
			return 0;
		*ret_name = fields[i].name;
		*ret_str = NULL;
		*ret_num = v;
		return 1;
	}
	memcpy(&s, base + fields[i].off, sizeof(s));
	if (s == NULL)
		return 0;
	*ret_name = fields[i].name;
	*ret_str = s;
	return 1;
}
