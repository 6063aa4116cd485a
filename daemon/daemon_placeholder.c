/* main.c - aalearnd; placeholder until the daemon issue lands. */
#include <stdio.h>

#include "daemon.h"
int daemon_placeholder(void);
int
daemon_placeholder(void)
{
	fprintf(stderr, "aalearnd %s: not built yet\n", AALEARN_VERSION);
	return 1;
}
