/*
 * join.c - an AppArmor record and the SYSCALL record of the same event.
 *
 * The kernel logs the AVC while the system call runs and the SYSCALL record
 * when it returns, so the record that names the executable comes after the
 * one we learn from.  Records wait in a small ring of slots (record_parse
 * writes straight into a slot: a struct record is 16 KiB and is never
 * copied) until their event is complete or the window has moved on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

#define JOIN_DEFAULT_WINDOW	16
#define JOIN_MAX_WINDOW		1024
#define EXE_MAX			4352	/* PATH_MAX and some */

#define AUDIT_TYPE_SYSCALL	1300
#define AUDIT_TYPE_EOE		1320
#define AUDIT_TYPE_PROCTITLE	1327
#define AUDIT_TYPE_USER_AVC	1107

struct jslot {
	struct record	 r;
	char		 exe[EXE_MAX];
	/* Attribution made when the record arrived (join_set_attribution). */
	int		 attributed, attr_rc;
	struct container c;
	char		 cbuf[256];
};

/* Kept apart from the 20 KiB slots: every feed looks at all of them. */
struct jmeta {
	int64_t		 epoch, serial;
	int		 done;
};

struct join {
	struct record_state state;
	size_t		 window;
	size_t		 cap;		/* window + 1 slots */
	size_t		 head, n;	/* the queue, oldest first */
	struct jslot	*slots;
	struct jmeta	*meta;

	/* The last SYSCALL seen, for an AVC logged after it. */
	int		 have_last;
	int64_t		 last_epoch, last_serial;
	char		 last_exe[EXE_MAX];
	size_t		 last_exe_len;
	int		 last_has_exe;

	join_attribute_cb early_cb;
	void		*early_arg;

	struct join_stats stats;
};

struct join *
join_new(size_t window)
{
	struct join *j;

	if (window == 0)
		window = JOIN_DEFAULT_WINDOW;
	if (window > JOIN_MAX_WINDOW)
		window = JOIN_MAX_WINDOW;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->window = window;
	j->cap = window + 1;
	j->slots = calloc(j->cap, sizeof(*j->slots));
	j->meta = calloc(j->cap, sizeof(*j->meta));
	if (j->slots == NULL || j->meta == NULL) {
		join_free(j);
		return NULL;
	}
	return j;
}

void
join_free(struct join *j)
{
	if (j == NULL)
		return;
	free(j->slots);
	free(j->meta);
	free(j);
}

size_t
join_pending(const struct join *j)
{
	return j->n;
}

size_t
join_memory(const struct join *j)
{
	return sizeof(*j) + j->cap * (sizeof(*j->slots) + sizeof(*j->meta));
}

void
join_get_stats(const struct join *j, struct join_stats *ret)
{
	*ret = j->stats;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The digits of audit(EPOCH.MSEC:SERIAL) at a ("audit(" itself skipped). */
static int
parse_stamp(const char *a, const char *end, int64_t *ret_epoch,
    int64_t *ret_serial, const char **ret_body)
{
	int64_t epoch = 0, serial = 0;
	int digits;

	for (digits = 0; a < end && *a >= '0' && *a <= '9'; a++, digits++)
		if (digits < 18)
			epoch = epoch * 10 + (*a - '0');
	if (digits == 0 || a >= end || *a != '.')
		return -1;
	for (a++; a < end && *a >= '0' && *a <= '9'; a++)
		;
	if (a >= end || *a != ':')
		return -1;
	for (a++, digits = 0; a < end && *a >= '0' && *a <= '9'; a++, digits++)
		if (digits < 18)
			serial = serial * 10 + (*a - '0');
	if (digits == 0 || a >= end || *a != ')')
		return -1;
	*ret_epoch = epoch;
	*ret_serial = serial;
	*ret_body = a + 1;
	return 0;
}

static int
starts(const char *p, const char *end, const char *s, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/*
 * Which event record a line is (SYSCALL, PROCTITLE, EOE; 0 for anything
 * else, which goes to record_parse), and where "audit(" starts.  Most lines
 * are auditd's "type=NAME msg=audit(" (perhaps after "node=X "): that shape
 * is read in place; the others (kmsg, syslog: "type=1300 audit(") are
 * searched for "type=" before the stamp.
 */
static int
event_type(const char *p, size_t len, const char **ret_stamp)
{
	const char *end = p + len, *a, *t;
	int type = 0;

	if (starts(p, end, "node=", 5)) {
		t = memchr(p, ' ', len);
		if (t != NULL)
			p = t + 1;
	}
	if (end - p > 5 && memcmp(p, "type=", 5) == 0 && p[5] >= 'A' &&
	    p[5] <= 'Z') {
		p += 5;
		if (starts(p, end, "SYSCALL msg=audit(", 18)) {
			*ret_stamp = p + 18;
			return AUDIT_TYPE_SYSCALL;
		}
		if (starts(p, end, "PROCTITLE msg=audit(", 20)) {
			*ret_stamp = p + 20;
			return AUDIT_TYPE_PROCTITLE;
		}
		if (starts(p, end, "EOE msg=audit(", 14)) {
			*ret_stamp = p + 14;
			return AUDIT_TYPE_EOE;
		}
		return 0;
	}
	a = memmem(p, (size_t)(end - p), "audit(", 6);
	if (a == NULL)
		return 0;
	for (t = p; (t = memmem(t, (size_t)(a - t), "type=", 5)) != NULL;
	    t += 5) {
		if (t != p && t[-1] != ' ')
			continue;
		t += 5;
		for (; t < a && *t >= '0' && *t <= '9'; t++)
			if (type < 100000)
				type = type * 10 + (*t - '0');
		if (t < a && *t != ' ')
			type = 0;
		break;
	}
	*ret_stamp = a + 6;
	return type;
}

int
join_syscall_exe(const char *text, size_t len, char *buf, size_t buflen)
{
	const char *p = text, *end = text + len, *tok, *v;
	size_t n;
	int hi, lo;

	if (buflen == 0)
		return -ENOENT;
	/*
	 * The kernel writes an untrusted value either quoted (then it holds no
	 * space or quote) or hex-encoded, and no value holds " exe=", so the
	 * first " exe=" is the field.  Enriched logs append translated fields
	 * after a 0x1d byte: the field must come before it.
	 */
	if (len >= 4 && memcmp(p, "exe=", 4) == 0)
		tok = p;
	else if ((tok = memmem(p, len, " exe=", 5)) != NULL)
		tok++;
	else
		return -ENOENT;
	if (memchr(p, '\x1d', (size_t)(tok - p)) != NULL)
		return -ENOENT;
	for (p = tok; p < end && *p != ' ' && *p != '\x1d'; p++)
		;
	v = tok + 4;
	if (v < p && *v == '"') {
		v++;
		n = (size_t)(p - v);
		if (n == 0 || v[n - 1] != '"')
			return -ENOENT;
		n--;
		if (n == 0 || n >= buflen || memchr(v, '\0', n))
			return -ENOENT;
		memcpy(buf, v, n);
		buf[n] = '\0';
		return 0;
	}
	n = (size_t)(p - v);
	if (n == 0 || n % 2 != 0 || n / 2 >= buflen)
		return -ENOENT;
	for (n = 0; v + 1 < p; v += 2, n++) {
		hi = hexval((unsigned char)v[0]);
		lo = hexval((unsigned char)v[1]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -ENOENT;
		buf[n] = (char)(hi << 4 | lo);
	}
	buf[n] = '\0';
	return 0;
}

/* The ring index of the i-th record held, oldest first. */
static size_t
at(const struct join *j, size_t i)
{
	size_t k = j->head + i;

	return k >= j->cap ? k - j->cap : k;
}

static int
ready(const struct join *j)
{
	size_t i;

	for (i = 0; i < j->n && j->meta[at(j, i)].done; i++)
		;
	return (int)i;
}

static void
give_exe(struct join *j, size_t k)
{
	struct jslot *s = &j->slots[k];

	memcpy(s->exe, j->last_exe, j->last_exe_len + 1);
	s->r.exe = s->exe;
	j->stats.joined++;
}

/* A SYSCALL, PROCTITLE or EOE record: it completes its event. */
static void
event_record(struct join *j, int type, int64_t epoch, int64_t serial,
    const char *text, size_t len)
{
	struct jmeta *m;
	size_t i, k;
	int has_exe = 0;

	/*
	 * The SYSCALL record completed its event already: everything of that
	 * serial held then was released, and later ones are released as they
	 * come (enqueue), so PROCTITLE and EOE have nothing left to find.
	 */
	if (type != AUDIT_TYPE_SYSCALL && j->have_last &&
	    serial == j->last_serial && epoch == j->last_epoch)
		return;
	if (type == AUDIT_TYPE_SYSCALL) {
		has_exe = join_syscall_exe(text, len, j->last_exe,
		    sizeof(j->last_exe)) == 0;
		j->last_exe_len = has_exe ? strlen(j->last_exe) : 0;
		j->have_last = 1;
		j->last_epoch = epoch;
		j->last_serial = serial;
		j->last_has_exe = has_exe;
	}
	for (i = 0; i < j->n; i++) {
		k = at(j, i);
		m = &j->meta[k];
		if (m->done || m->serial != serial || m->epoch != epoch)
			continue;
		if (has_exe)
			give_exe(j, k);
		m->done = 1;
	}
}

/* Copy a borrowed string into the slot's buffer; NULL when it does not fit. */
static const char *
keep(char **p, const char *end, const char *s)
{
	size_t n;
	char *d = *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if (n > (size_t)(end - d))
		return NULL;
	memcpy(d, s, n);
	*p = d + n;
	return d;
}

static void
attribute_early(struct join *j, struct jslot *s)
{
	struct container c;
	char *p = s->cbuf;
	const char *end = s->cbuf + sizeof(s->cbuf);

	memset(&c, 0, sizeof(c));
	memset(&s->c, 0, sizeof(s->c));
	s->attributed = 1;
	s->attr_rc = j->early_cb(&s->r, &c, j->early_arg);
	if (s->attr_rc < 0 || c.id == NULL)
		return;
	s->c.runtime = keep(&p, end, c.runtime);
	s->c.id = keep(&p, end, c.id);
	s->c.pod_uid = keep(&p, end, c.pod_uid);
	if (s->c.id == NULL)
		s->attr_rc = -ENOBUFS;
}

/* The record just parsed into ring slot k joins the queue. */
static void
enqueue(struct join *j, size_t k)
{
	const struct record *r = &j->slots[k].r;
	struct jmeta *m = &j->meta[k];

	j->slots[k].attributed = 0;
	if (j->early_cb != NULL)
		attribute_early(j, &j->slots[k]);

	m->epoch = r->epoch;
	m->serial = r->serial;
	m->done = 0;
	if (r->audit_type == AUDIT_TYPE_USER_AVC || r->serial <= 0)
		m->done = 1;	/* no SYSCALL will follow */
	else if (j->have_last && r->serial == j->last_serial &&
	    r->epoch == j->last_epoch) {
		if (j->last_has_exe)
			give_exe(j, k);
		m->done = 1;
	}
	j->n++;
	if (j->n > j->window)
		j->meta[at(j, 0)].done = 1;
}

static int
feed(struct join *j, int netlink, int nltype, const char *text, size_t len)
{
	enum record_result rc;
	const char *stamp = NULL, *body;
	struct record *r;
	int64_t epoch, serial;
	size_t k;
	int type;

	if (j->n >= j->cap)
		return -EBUSY;	/* the caller did not take the ready records */
	j->stats.lines++;
	if (netlink) {
		type = nltype;
		stamp = len >= 6 && memcmp(text, "audit(", 6) == 0 ? text + 6 : NULL;
	} else
		type = event_type(text, len, &stamp);
	if ((type == AUDIT_TYPE_SYSCALL || type == AUDIT_TYPE_PROCTITLE ||
	    type == AUDIT_TYPE_EOE) && stamp != NULL &&
	    parse_stamp(stamp, text + len, &epoch, &serial, &body) == 0) {
		j->stats.other++;
		event_record(j, type, epoch, serial, body,
		    (size_t)(text + len - body));
		return ready(j);
	}
	k = at(j, j->n);
	r = &j->slots[k].r;
	if (netlink)
		rc = record_parse_netlink(r, nltype, text, len);
	else
		rc = record_parse(&j->state, r, text, len);
	switch (rc) {
	case RECORD_OK:
		j->stats.records++;
		enqueue(j, k);
		break;
	case RECORD_MALFORMED:
		j->stats.malformed++;
		break;
	case RECORD_CONTINUED:
		break;
	case RECORD_NOT_APPARMOR:
	default:
		j->stats.other++;
		break;
	}
	return ready(j);
}

int
join_line(struct join *j, const char *line, size_t len)
{
	return feed(j, 0, 0, line, len);
}

int
join_netlink(struct join *j, int type, const char *payload, size_t len)
{
	return feed(j, 1, type, payload, len);
}

void
join_set_attribution(struct join *j, join_attribute_cb cb, void *arg)
{
	j->early_cb = cb;
	j->early_arg = arg;
}

/* The ring index of the next ready record, taken off the queue; -1: none. */
static long
pop(struct join *j)
{
	size_t k;

	if (j->n == 0 || !j->meta[j->head].done)
		return -1;
	k = j->head;
	j->head = at(j, 1);
	j->n--;
	return (long)k;
}

const struct record *
join_next(struct join *j)
{
	long k = pop(j);

	return k < 0 ? NULL : &j->slots[k].r;
}

void
join_drain(struct join *j)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		j->meta[at(j, i)].done = 1;
}

int
join_collect(struct join *j, struct aggregate *a, join_attribute_cb cb,
    void *arg)
{
	const struct record *r;
	struct container c;
	struct access acc;
	struct jslot *s;
	long k;
	int rc, n = 0;

	while ((k = pop(j)) >= 0) {
		s = &j->slots[k];
		r = &s->r;
		rc = access_from_record(r, &acc);
		if (rc == -ENOENT) {
			j->stats.no_access++;
			continue;
		}
		if (rc < 0) {
			j->stats.malformed++;
			continue;
		}
		memset(&c, 0, sizeof(c));
		if (s->attributed) {
			rc = s->attr_rc;
			if (rc >= 0)
				c = s->c;
			else
				j->stats.unattributed++;
		} else if (cb != NULL) {
			rc = cb(r, &c, arg);
			if (rc < 0) {
				/* Gone or unreadable: keep it, on the host. */
				j->stats.unattributed++;
				memset(&c, 0, sizeof(c));
			}
		}
		rc = aggregate_add_access(a, r, &c, &acc);
		if (rc == -ENOMEM)
			return rc;
		if (rc == 1)
			j->stats.overflow++;
		else if (rc < 0)
			j->stats.no_access++;
		else
			n++;
	}
	return n;
}
