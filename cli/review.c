/* review.c - placeholder until its issue lands; the commands say so and fail. */
#include "cli.h"

int
cmd_diff(struct cli *cli, int argc, char **argv)
{
	cli_error("diff: not built yet");
	return EXIT_ERROR;
}

int
cmd_review(struct cli *cli, int argc, char **argv)
{
	cli_error("review: not built yet");
	return EXIT_ERROR;
}
