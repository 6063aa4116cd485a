/* test_cli_output - placeholder so CTest has a suite until the modules land. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "learner.h"

static void
kind_names(void **state)
{
	assert_non_null(record_kind_name(RECORD_ALLOWED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(kind_names) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
