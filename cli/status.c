/* status.c - placeholder until its issue lands; the commands say so and fail. */
#include "cli.h"

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	cli_error("status: not built yet");
	return EXIT_ERROR;
}

int
cmd_profiles(struct cli *cli, int argc, char **argv)
{
	cli_error("profiles: not built yet");
	return EXIT_ERROR;
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	cli_error("show: not built yet");
	return EXIT_ERROR;
}
