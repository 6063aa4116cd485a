/* apply.c - placeholder until its issue lands; the commands say so and fail. */
#include "cli.h"

int
cmd_apply(struct cli *cli, int argc, char **argv)
{
	cli_error("apply: not built yet");
	return EXIT_ERROR;
}

int
cmd_enforce(struct cli *cli, int argc, char **argv)
{
	cli_error("enforce: not built yet");
	return EXIT_ERROR;
}

int
cmd_complain(struct cli *cli, int argc, char **argv)
{
	cli_error("complain: not built yet");
	return EXIT_ERROR;
}

int
cmd_rollback(struct cli *cli, int argc, char **argv)
{
	cli_error("rollback: not built yet");
	return EXIT_ERROR;
}

int
cmd_history(struct cli *cli, int argc, char **argv)
{
	cli_error("history: not built yet");
	return EXIT_ERROR;
}
