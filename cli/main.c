/*
 * main.c - aalearn: global options and dispatch to the command files.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const struct cli_command cli_commands[] = {
	{ "status", cmd_status, "",
	    "sources, rates, losses and profiles",
	    "Per source: records read, records/s (while aalearnd runs, measured\n"
	    "over its next flush), skipped, malformed, lost (socket and kernel)\n"
	    "and the last record's time; per profile: observations, pending\n"
	    "proposals, DENIED events, overflow, the last new observation.\n" },
	{ "profiles", cmd_profiles, "",
	    "each profile: mode, containers, observations, pending",
	    "One line per profile the store knows: mode, containers seen,\n"
	    "observations, pending proposals, time of the last new observation.\n" },
	{ "show", cmd_show, "PROFILE [--container ID|host]",
	    "the evidence for a profile, by class",
	    "  --container ID   only what the container ID (or a unique prefix) did;\n"
	    "                   'host' for processes outside containers\n" },
	{ "diff", cmd_diff, "PROFILE",
	    "the profile as it would be with every pending proposal",
	    "A unified diff of the profile file (or its local/ include) with every\n"
	    "pending and accepted proposal written in; each added rule carries its\n"
	    "evidence as comments.  Exit 0: nothing to add; 1: changes; 2: error.\n" },
	{ "review", cmd_review, "PROFILE [--accept-all] [--accept ID...] [--reject ID...]",
	    "accept or reject proposed rules",
	    "On a terminal: one screen per proposal (accept, reject, edit, skip).\n"
	    "  --accept-all     accept every pending proposal\n"
	    "  --accept ID...   accept these (an id or a unique prefix of 4+ digits)\n"
	    "  --reject ID...   reject these; a rejected rule is never proposed again\n"
	    "Without a terminal and without flags, lists what waits.\n" },
	{ "apply", cmd_apply, "PROFILE [--no-reload]",
	    "write accepted rules into the profile and reload it",
	    "Writes the accepted rules into aalearn's block, checks the result with\n"
	    "apparmor_parser -QK, keeps the previous version, reloads the profile.\n"
	    "  --no-reload      write the file, do not load it into the kernel\n" },
	{ "enforce", cmd_enforce, "PROFILE [--quiet DURATION] [--force] [--no-reload]",
	    "promote a quiet profile to enforce mode",
	    "Refuses (exit 1, with the reason) while proposals are pending, accepted\n"
	    "rules are not applied, or something new was observed within the quiet\n"
	    "period.\n"
	    "  --quiet DURATION  quiet period (default 24h; 30m, 2h, 7d; 0 for CI)\n"
	    "  --force           promote anyway\n"
	    "  --no-reload       write the file, do not load it\n" },
	{ "complain", cmd_complain, "PROFILE [--no-reload]",
	    "put a profile back into complain mode",
	    "  --no-reload      write the file, do not load it\n" },
	{ "rollback", cmd_rollback, "PROFILE [--to VERSION] [--no-reload]",
	    "restore an earlier version of a profile",
	    "  --to VERSION     the version to restore (see 'aalearn history');\n"
	    "                   default: undo the last write\n"
	    "  --no-reload      write the file, do not load it\n" },
	{ "history", cmd_history, "PROFILE",
	    "list the versions aalearn wrote",
	    "Every version of the profile's files that aalearn wrote or replaced,\n"
	    "newest first, with the reason.\n" },
	{ "init", cmd_init, "NAME --container [--runtime docker|containerd|cri-o|podman] [--no-reload]",
	    "write a new complain-mode profile for a container",
	    "The runtime default profile's protections without its blanket allow\n"
	    "rules, in complain mode, with aalearn's block ready; prints how to run\n"
	    "a container under it.\n"
	    "  --container      the profile confines a container\n"
	    "  --runtime NAME   docker (default), containerd, cri-o or podman\n"
	    "  --no-reload      write the file, do not load it\n" },
	{ "import", cmd_import, "[--no-progress] FILE...|-",
	    "learn from audit logs, once (CI)",
	    "Runs the daemon's pipeline over audit.log, kern.log, journal or dmesg\n"
	    "text (or standard input) into the store.\n"
	    "  --no-progress    no progress bar, even on a terminal\n" },
	{ "parse", cmd_parse, "[FILE|-] [--text]",
	    "show how aalearn reads each AppArmor record",
	    "One JSON object per AppArmor record; a summary on standard error.\n"
	    "  --text           readable text instead of JSON\n" },
	{ "check", cmd_check, "PROFILE [--baseline FILE]",
	    "exit 1 when observations are not allowed by the profile",
	    "For CI: lists the accesses in the store that the profile (or the\n"
	    "baseline file) does not allow and exits 1; exits 0 when all are allowed.\n"
	    "  --baseline FILE  check against this profile file instead\n" },
	{ "export", cmd_export, "PROFILE [--format profile|json|k8s]",
	    "the profile, the evidence, or a Kubernetes snippet",
	    "  --format profile  the profile text (default)\n"
	    "  --format json     the evidence as JSON\n"
	    "  --format k8s      a ConfigMap and the securityContext snippet\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static void
usage(FILE *f)
{
	const struct cli_command *c;

	fprintf(f, "usage: aalearn [--db PATH] [--profile-dir DIR] [--parser PATH] [--json] COMMAND [ARGS]\n\n"
	    "Learn AppArmor profiles from what services and containers do.\n\n"
	    "Commands:\n");
	for (c = cli_commands; c->name != NULL; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nGlobal options:\n"
	    "  --db PATH          the store (default %s, env AALEARN_DB)\n"
	    "  --profile-dir DIR  profiles (default /etc/apparmor.d, env AALEARN_PROFILE_DIR)\n"
	    "  --parser PATH      apparmor_parser to check and load with (env AALEARN_PARSER)\n"
	    "  --json             machine-readable output\n"
	    "  --version          print the version\n\n"
	    "Exit status: 0 success, 1 something found or refused (diff, check, enforce), 2 error.\n"
	    "Run 'aalearn COMMAND --help' for a command's options.\n",
	    STORE_DEFAULT_PATH);
}

static const char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : fallback;
}

/*
 * Global options may also follow the command ("aalearn diff web --json"):
 * take them out of argv so that each command parses only its own.
 */
static int
take_global_options(struct cli *cli, int argc, char **argv)
{
	static const char *const with_arg[] = { "--db", "--profile-dir", "--parser" };
	const char **dest[] = { &cli->db, &cli->profile_dir, &cli->parser };
	int i, j, n = 1;
	size_t k, l;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0) {
			cli->json = true;
			continue;
		}
		for (k = 0; k < sizeof(with_arg) / sizeof(with_arg[0]); k++) {
			l = strlen(with_arg[k]);
			if (strncmp(argv[i], with_arg[k], l) != 0)
				continue;
			if (argv[i][l] == '=') {
				*dest[k] = argv[i] + l + 1;
				break;
			}
			if (argv[i][l] == '\0' && i + 1 < argc) {
				*dest[k] = argv[++i];
				break;
			}
		}
		if (k < sizeof(with_arg) / sizeof(with_arg[0]))
			continue;
		argv[n++] = argv[i];
	}
	for (j = n; j < argc; j++)
		argv[j] = NULL;
	return n;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "profile-dir", required_argument, NULL, 'p' },
		{ "parser", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	const struct cli_command *c;
	int ch;

	cli.db = env_or("AALEARN_DB", STORE_DEFAULT_PATH);
	cli.profile_dir = env_or("AALEARN_PROFILE_DIR", "/etc/apparmor.d");
	cli.parser = env_or("AALEARN_PARSER", "apparmor_parser");
	cli.tty = isatty(STDOUT_FILENO);

	/* "+": stop at the command name; its own options follow it. */
	while ((ch = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': cli.db = optarg; break;
		case 'p': cli.profile_dir = optarg; break;
		case 'P': cli.parser = optarg; break;
		case 'j': cli.json = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("aalearn %s\n", AALEARN_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_ERROR;
		}
	}
	cli.color = cli.tty && !cli.json && getenv("NO_COLOR") == NULL;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_ERROR;
	}
	for (c = cli_commands; c->name != NULL; c++) {
		if (strcmp(c->name, argv[optind]) != 0)
			continue;
		argc -= optind;
		argv += optind;
		if (cli_wants_help(argc, argv, c->name)) {
			cli_usage(stdout, c);
			return EXIT_OK;
		}
		argc = take_global_options(&cli, argc, argv);
		cli.color = cli.tty && !cli.json && getenv("NO_COLOR") == NULL;
		return c->run(&cli, argc, argv);
	}
	cli_error("unknown command '%s'; see 'aalearn --help'", argv[optind]);
	return EXIT_ERROR;
}
