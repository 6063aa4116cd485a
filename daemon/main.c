/* main.c - aalearnd; placeholder until the daemon issue lands. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "aalearnd %s: not built yet\n", AALEARN_VERSION);
	return 1;
}
