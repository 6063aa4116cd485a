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
	int		 done;
	char		 exe[EXE_MAX];
};

struct join {
	struct record_state state;
	size_t		 window;
	size_t		 cap;		/* window + 1 slots */
	size_t		 head, n;	/* the queue, oldest first */
	struct jslot	*slots;

	/* The last SYSCALL seen, for an AVC logged after it. */
	int		 have_last;
	int64_t		 last_epoch, last_serial;
	char		 last_exe[EXE_MAX];
	int		 last_has_exe;

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
	if (j->slots == NULL) {
		free(j);
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
	free(j);
}

size_t
join_pending(const struct join *j)
{
	return j->n;
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

/*
 * The stamp audit(EPOCH.MSEC:SERIAL) and the type of a line or payload.
 * type: the number after "type=" before the stamp, or its name for the few
 * types we care about; 0 when there is none.  Returns the offset just past
 * the stamp's ')', or 0 when the text has no stamp.
 */
static size_t
parse_stamp(const char *p, size_t len, int *ret_type, int64_t *ret_epoch,
    int64_t *ret_serial)
{
	const char *a, *t, *end = p + len;
	int64_t epoch = 0, serial = 0;
	int type = 0, digits;

	a = memmem(p, len, "audit(", 6);
	if (a == NULL)
		return 0;
	/* "type=" as a word before the stamp. */
	for (t = p; (t = memmem(t, (size_t)(a - t), "type=", 5)) != NULL;
	    t += 5) {
		if (t != p && t[-1] != ' ')
			continue;
		t += 5;
		if (t < a && *t >= '0' && *t <= '9') {
			for (; t < a && *t >= '0' && *t <= '9'; t++)
				if (type < 100000)
					type = type * 10 + (*t - '0');
		} else if (a - t >= 8 && memcmp(t, "SYSCALL ", 8) == 0)
			type = AUDIT_TYPE_SYSCALL;
		else if (a - t >= 10 && memcmp(t, "PROCTITLE ", 10) == 0)
			type = AUDIT_TYPE_PROCTITLE;
		else if (a - t >= 4 && memcmp(t, "EOE ", 4) == 0)
			type = AUDIT_TYPE_EOE;
		else
			type = -1;	/* some other named type */
		break;
	}
	a += 6;
	for (digits = 0; a < end && *a >= '0' && *a <= '9'; a++, digits++)
		if (digits < 18)
			epoch = epoch * 10 + (*a - '0');
	if (digits == 0 || a >= end || *a != '.')
		return 0;
	for (a++; a < end && *a >= '0' && *a <= '9'; a++)
		;
	if (a >= end || *a != ':')
		return 0;
	for (a++, digits = 0; a < end && *a >= '0' && *a <= '9'; a++, digits++)
		if (digits < 18)
			serial = serial * 10 + (*a - '0');
	if (digits == 0 || a >= end || *a != ')')
		return 0;
	*ret_type = type;
	*ret_epoch = epoch;
	*ret_serial = serial;
	return (size_t)(a + 1 - p);
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
	 * space or quote) or hex-encoded, so splitting on spaces is exact.
	 * Enriched logs append translated fields after a 0x1d byte: stop there.
	 */
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		tok = p;
		while (p < end && *p != ' ' && *p != '\x1d')
			p++;
		if (p - tok >= 4 && memcmp(tok, "exe=", 4) == 0) {
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
		if (p < end && *p == '\x1d')
			break;
	}
	return -ENOENT;
}

static struct jslot *
slot_at(struct join *j, size_t i)
{
	return &j->slots[(j->head + i) % j->cap];
}

static int
ready(struct join *j)
{
	size_t i;

	for (i = 0; i < j->n && slot_at(j, i)->done; i++)
		;
	return (int)i;
}

static int
same_event(const struct record *r, int64_t epoch, int64_t serial)
{
	return r->serial == serial && r->epoch == epoch;
}

/* A SYSCALL, PROCTITLE or EOE record: it completes its event. */
static void
event_record(struct join *j, int type, int64_t epoch, int64_t serial,
    const char *text, size_t len)
{
	struct jslot *s;
	size_t i;
	int has_exe = 0;

	if (type == AUDIT_TYPE_SYSCALL) {
		has_exe = join_syscall_exe(text, len, j->last_exe,
		    sizeof(j->last_exe)) == 0;
		j->have_last = 1;
		j->last_epoch = epoch;
		j->last_serial = serial;
		j->last_has_exe = has_exe;
	}
	for (i = 0; i < j->n; i++) {
		s = slot_at(j, i);
		if (s->done || !same_event(&s->r, epoch, serial))
			continue;
		if (has_exe) {
			memcpy(s->exe, j->last_exe, strlen(j->last_exe) + 1);
			s->r.exe = s->exe;
			j->stats.joined++;
		}
		s->done = 1;
	}
}

/* The record just parsed into the tail slot joins the queue. */
static void
enqueue(struct join *j, struct jslot *s)
{
	s->done = 0;
	if (s->r.audit_type == AUDIT_TYPE_USER_AVC || s->r.serial <= 0)
		s->done = 1;	/* no SYSCALL will follow */
	else if (j->have_last && same_event(&s->r, j->last_epoch, j->last_serial)) {
		if (j->last_has_exe) {
			memcpy(s->exe, j->last_exe, strlen(j->last_exe) + 1);
			s->r.exe = s->exe;
			j->stats.joined++;
		}
		s->done = 1;
	}
	j->n++;
	if (j->n > j->window)
		slot_at(j, 0)->done = 1;
}

static int
feed(struct join *j, int netlink, int nltype, const char *text, size_t len)
{
	enum record_result rc;
	struct jslot *s;
	int64_t epoch, serial;
	size_t off;
	int type = 0;

	j->stats.lines++;
	if (j->n >= j->cap)
		return -EBUSY;	/* the caller did not take the ready records */
	off = parse_stamp(text, len, &type, &epoch, &serial);
	if (netlink)
		type = nltype;
	if (off > 0 && (type == AUDIT_TYPE_SYSCALL ||
	    type == AUDIT_TYPE_PROCTITLE || type == AUDIT_TYPE_EOE)) {
		j->stats.other++;
		event_record(j, type, epoch, serial, text + off, len - off);
		return ready(j);
	}
	s = slot_at(j, j->n);
	if (netlink)
		rc = record_parse_netlink(&s->r, nltype, text, len);
	else
		rc = record_parse(&j->state, &s->r, text, len);
	switch (rc) {
	case RECORD_OK:
		j->stats.records++;
		enqueue(j, s);
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

const struct record *
join_next(struct join *j)
{
	struct jslot *s;

	if (j->n == 0)
		return NULL;
	s = slot_at(j, 0);
	if (!s->done)
		return NULL;
	j->head = (j->head + 1) % j->cap;
	j->n--;
	return &s->r;
}

void
join_drain(struct join *j)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		slot_at(j, i)->done = 1;
}

int
join_collect(struct join *j, struct aggregate *a, join_attribute_cb cb,
    void *arg)
{
	const struct record *r;
	struct container c;
	struct access acc;
	int rc, n = 0;

	while ((r = join_next(j)) != NULL) {
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
		if (cb != NULL) {
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
