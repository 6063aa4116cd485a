/* check.c - placeholder until its issue lands; the commands say so and fail. */
#include "cli.h"

int
cmd_check(struct cli *cli, int argc, char **argv)
{
	cli_error("check: not built yet");
	return EXIT_ERROR;
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	cli_error("export: not built yet");
	return EXIT_ERROR;
}
