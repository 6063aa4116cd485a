/*
 * test_mask.c - permission masks: parsing what the kernel logs, writing
 * what a rule says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "learner.h"

static void
test_parse(void **state)
{
	(void)state;
	assert_int_equal(mask_parse(NULL), 0);
	assert_int_equal(mask_parse(""), 0);
	assert_int_equal(mask_parse("rwc"), MASK_READ | MASK_WRITE |
	    MASK_CREATE);
	assert_int_equal(mask_parse("wr"), MASK_READ | MASK_WRITE);
	assert_int_equal(mask_parse("d"), MASK_DELETE);
	assert_int_equal(mask_parse("a"), MASK_APPEND);
	assert_int_equal(mask_parse("k"), MASK_LOCK);
	assert_int_equal(mask_parse("l"), MASK_LINK);
	assert_int_equal(mask_parse("xm"), MASK_EXEC | MASK_MMAP);
	/* owner split: before "::" owner, after it other */
	assert_int_equal(mask_parse("r::"), MASK_READ);
	assert_int_equal(mask_parse("wc::"), MASK_WRITE | MASK_CREATE);
	assert_int_equal(mask_parse("::r"), MASK_READ | MASK_NOT_OWNER);
	assert_int_equal(mask_parse("r::w"), MASK_READ | MASK_WRITE |
	    MASK_NOT_OWNER);
	assert_true(mask_parse("r::w::x") & MASK_UNKNOWN);
	/* exec modes: c before x is a child, not create */
	assert_int_equal(mask_parse("ix"), MASK_EXEC | MASK_EXEC_INHERIT);
	assert_int_equal(mask_parse("cx"), MASK_EXEC | MASK_EXEC_CHILD);
	assert_int_equal(mask_parse("Px"), MASK_EXEC | MASK_EXEC_PROFILE |
	    MASK_EXEC_SCRUB);
	assert_int_equal(mask_parse("Ux"), MASK_EXEC | MASK_EXEC_UNCONFINED |
	    MASK_EXEC_SCRUB);
	assert_int_equal(mask_parse("mrwIxl"), MASK_MMAP | MASK_READ |
	    MASK_WRITE | MASK_EXEC_INHERIT | MASK_EXEC | MASK_LINK);
	/* words, as logged for the other classes */
	assert_int_equal(mask_parse("send receive"), MASK_SEND | MASK_RECEIVE);
	assert_int_equal(mask_parse("send receive connect"), MASK_SEND |
	    MASK_RECEIVE | MASK_CONNECT);
	assert_int_equal(mask_parse("read, trace"), MASK_READ | MASK_TRACE);
	assert_int_equal(mask_parse("(send)"), MASK_SEND);
	assert_int_equal(mask_parse("read create"), MASK_READ | MASK_CREATE);
	assert_int_equal(mask_parse("tracedby"), MASK_TRACEDBY);
	assert_int_equal(mask_parse("readby"), MASK_READBY);
	assert_int_equal(mask_parse("eavesdrop"), MASK_EAVESDROP);
	assert_int_equal(mask_parse("userns_create"), MASK_CREATE);
	assert_int_equal(mask_parse("sqpoll"), MASK_SQPOLL);
	assert_int_equal(mask_parse("override_creds"), MASK_OVERRIDE_CREDS);
	assert_int_equal(mask_parse("getattr setopt"), MASK_GETATTR |
	    MASK_SETOPT);
	assert_int_equal(mask_parse("open"), MASK_OPEN);
	/* unknown letters and words are flagged, never dropped silently */
	assert_int_equal(mask_parse("fly"), MASK_UNKNOWN);
	assert_int_equal(mask_parse("rz"), MASK_UNKNOWN);
	assert_int_equal(mask_parse("send bogus"), MASK_SEND | MASK_UNKNOWN);
}

static void
expect_fmt(uint64_t m, int cls, const char *want)
{
	char buf[128];
	const char *got = mask_format(m, cls, buf, sizeof(buf));

	if (want == NULL) {
		if (got != NULL)
			fail_msg("mask %#llx: got '%s', want NULL",
			    (unsigned long long)m, got);
		return;
	}
	if (got == NULL)
		fail_msg("mask %#llx: NULL, want '%s'", (unsigned long long)m,
		    want);
	assert_ptr_equal(got, buf);
	assert_string_equal(got, want);
}

static void
test_format(void **state)
{
	char small[3];

	(void)state;
	/* file: AppArmor grants create and delete with w */
	expect_fmt(MASK_CREATE, ACCESS_FILE, "w");
	expect_fmt(MASK_DELETE, ACCESS_FILE, "w");
	expect_fmt(MASK_APPEND, ACCESS_FILE, "a");
	expect_fmt(MASK_APPEND | MASK_CREATE, ACCESS_FILE, "w");
	expect_fmt(MASK_WRITE | MASK_APPEND, ACCESS_FILE, "w");
	expect_fmt(MASK_READ | MASK_WRITE, ACCESS_FILE, "rw");
	expect_fmt(MASK_LOCK | MASK_WRITE, ACCESS_FILE, "wk");
	expect_fmt(MASK_MMAP | MASK_READ | MASK_EXEC, ACCESS_EXEC, "mrix");
	expect_fmt(MASK_EXEC, ACCESS_FILE, "ix");
	expect_fmt(MASK_EXEC | MASK_EXEC_PROFILE, ACCESS_EXEC, "px");
	expect_fmt(MASK_EXEC | MASK_EXEC_PROFILE | MASK_EXEC_SCRUB,
	    ACCESS_EXEC, "Px");
	expect_fmt(MASK_EXEC | MASK_EXEC_CHILD, ACCESS_EXEC, "cx");
	expect_fmt(MASK_EXEC | MASK_EXEC_UNCONFINED, ACCESS_EXEC, "ux");
	expect_fmt(MASK_EXEC_PROFILE | MASK_EXEC_INHERIT, ACCESS_EXEC, "pix");
	expect_fmt(MASK_EXEC_PROFILE | MASK_EXEC_CHILD, ACCESS_EXEC, NULL);
	expect_fmt(MASK_EXEC_INHERIT | MASK_EXEC_SCRUB, ACCESS_EXEC, NULL);
	expect_fmt(MASK_SEND, ACCESS_FILE, NULL);
	expect_fmt(0, ACCESS_FILE, "");
	/* qualifiers are not permissions */
	expect_fmt(MASK_READ | MASK_NOT_OWNER, ACCESS_FILE, "r");
	/* words */
	expect_fmt(MASK_SEND | MASK_RECEIVE, ACCESS_SIGNAL, "(send, receive)");
	expect_fmt(MASK_TRACEDBY, ACCESS_PTRACE, "(tracedby)");
	expect_fmt(MASK_READ | MASK_TRACE, ACCESS_PTRACE, "(read, trace)");
	expect_fmt(MASK_BIND, ACCESS_DBUS, "(bind)");
	expect_fmt(MASK_CONNECT | MASK_SEND, ACCESS_UNIX, "(connect, send)");
	expect_fmt(MASK_CREATE | MASK_READ, ACCESS_MQUEUE, "(create, read)");
	expect_fmt(MASK_SQPOLL, ACCESS_IO_URING, "(sqpoll)");
	expect_fmt(0, ACCESS_SIGNAL, "");
	expect_fmt(MASK_TRACE, ACCESS_SIGNAL, NULL);
	expect_fmt(MASK_READ, ACCESS_CAPABILITY, NULL);
	expect_fmt(MASK_BIND, ACCESS_SIGNAL, NULL);
	/* too small */
	assert_null(mask_format(MASK_READ | MASK_WRITE | MASK_LOCK,
	    ACCESS_FILE, small, sizeof(small)));
	assert_null(mask_format(MASK_SEND, ACCESS_SIGNAL, small,
	    sizeof(small)));
	assert_null(mask_format(MASK_READ, ACCESS_FILE, NULL, 10));
}

/* What a rule mask g grants, in AppArmor's terms: w covers c, d and a. */
static int
grants(uint64_t g, uint64_t m)
{
	uint64_t need = m & MASK_PERMS;

	if (g & MASK_WRITE)
		g |= MASK_CREATE | MASK_DELETE | MASK_APPEND | MASK_RENAME |
		    MASK_SETATTR;
	return (need & ~g) == 0;
}

/*
 * Every mask over the file letters: the rule text, read back, grants the
 * mask and nothing but what the mask holds or w stands for.
 */
static void
test_file_roundtrip(void **state)
{
	static const uint64_t bits[] = {
		MASK_READ, MASK_WRITE, MASK_APPEND, MASK_CREATE, MASK_DELETE,
		MASK_MMAP, MASK_LINK, MASK_LOCK, MASK_EXEC,
	};
	unsigned combo;

	(void)state;
	for (combo = 1; combo < (1u << 9); combo++) {
		uint64_t m = 0, back, allowed;
		char buf[32];
		size_t i;

		for (i = 0; i < 9; i++)
			if (combo & (1u << i))
				m |= bits[i];
		if (mask_format(m, ACCESS_FILE, buf, sizeof(buf)) == NULL)
			fail_msg("combo %u not written", combo);
		back = mask_parse(buf);
		assert_false(back & MASK_UNKNOWN);
		if (!grants(back, m))
			fail_msg("'%s' does not grant combo %u", buf, combo);
		allowed = m;
		if (m & (MASK_CREATE | MASK_DELETE))
			allowed |= MASK_WRITE;
		if (m & MASK_EXEC)
			allowed |= MASK_EXEC_INHERIT;
		if (back & ~allowed & MASK_PERMS)
			fail_msg("'%s' grants more than combo %u", buf, combo);
	}
}

static void
test_words_roundtrip(void **state)
{
	static const int classes[] = {
		ACCESS_UNIX, ACCESS_SIGNAL, ACCESS_PTRACE, ACCESS_DBUS,
		ACCESS_MQUEUE, ACCESS_USERNS, ACCESS_IO_URING, ACCESS_NETWORK,
	};
	size_t c;
	int bit;

	(void)state;
	for (c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		uint64_t perms = mask_class_perms(classes[c]);

		assert_true(perms != 0);
		for (bit = 0; bit < 62; bit++) {
			uint64_t m = 1ULL << bit;
			char buf[128];

			if (!(perms & m)) {
				assert_null(mask_format(m, classes[c], buf,
				    sizeof(buf)));
				continue;
			}
			assert_non_null(mask_format(m, classes[c], buf,
			    sizeof(buf)));
			assert_int_equal(mask_parse(buf), m);
		}
		{
			char buf[256];

			assert_non_null(mask_format(perms, classes[c], buf,
			    sizeof(buf)));
			assert_int_equal(mask_parse(buf), perms);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_words_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
