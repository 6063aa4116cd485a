/* import.c - placeholder until its issue lands; the commands say so and fail. */
#include "cli.h"

int
cmd_import(struct cli *cli, int argc, char **argv)
{
	cli_error("import: not built yet");
	return EXIT_ERROR;
}
