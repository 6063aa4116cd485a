/*
 * fuzz_record - libFuzzer target for the record tokenizer and parser.
 *
 * The input is split into lines and fed through record_parse() with one
 * record_state (so wrapped and kept-back lines are exercised), then drained;
 * the same input is also given whole to record_parse_netlink() with a type
 * chosen by its first byte.  After every parse the record must keep its
 * promises: strings inside r->buf (or a capability name), kind consistent
 * with the result, msec in range, profile_parent a prefix of profile.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct record *r, enum record_result res)
{
	const char *name, *s;
	long long num;
	size_t i, n;
	int rc;

	if (res == RECORD_OK) {
		if (r->kind == RECORD_INVALID)
			abort();
	} else if (r->kind != RECORD_INVALID)
		abort();
	if (r->buflen > sizeof(r->buf))
		abort();
	if (r->epoch != -1 && (r->msec < 0 || r->msec > 999))
		abort();
	for (i = 0;; i++) {
		if ((rc = record_field(r, i, &name, &s, &num)) < 0)
			break;
		if (rc == 0 || s == NULL)
			continue;
		if (s >= r->buf && s < r->buf + sizeof(r->buf)) {
			if (s + strlen(s) >= r->buf + r->buflen)
				abort();
		} else if (s != r->capname)
			abort();
	}
	if (res == RECORD_OK && r->profile != NULL) {
		if (r->profile_parent == NULL)
			abort();
		n = strlen(r->profile_parent);
		if (strncmp(r->profile, r->profile_parent, n) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct record r;
	static struct record_state st;
	const char *p = (const char *)data, *end = p + size, *nl;
	enum record_result res;
	int types[] = { 1400, 1107, 1500, 1502, 1503, 1300, 1505 };

	memset(&st, 0, sizeof(st));
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		res = record_parse(&st, &r, p, (size_t)(nl - p));
		check(&r, res);
		if (st.queued) {
			res = record_parse(&st, &r, NULL, 0);
			check(&r, res);
		}
		p = nl + 1;
	}
	while (record_parse_pending(&st)) {
		res = record_parse(&st, &r, NULL, 0);
		check(&r, res);
	}
	if (size > 0) {
		res = record_parse_netlink(&r, types[data[0] % 7],
		    (const char *)data + 1, size - 1);
		check(&r, res);
	}
	return 0;
}
