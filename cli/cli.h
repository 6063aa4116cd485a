/*
 * cli.h - shared by the files of the aalearn command (cli/ only).
 *
 * Each command family lives in its own file and exposes one cmd_* function
 * per command.  main.c parses the global options and dispatches.
 */
#ifndef AALEARN_CLI_H
#define AALEARN_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "learner.h"
#include "store.h"

/* Exit codes, documented in the README and aalearn(8). */
enum {
	EXIT_OK = 0,
	EXIT_FOUND = 1,		/* diff: changes pending; check: accesses not allowed; enforce: refused */
	EXIT_ERROR = 2,		/* bad usage, unreadable input, store or parser failure */
};

struct cli {
	const char *db;		/* --db, $AALEARN_DB, STORE_DEFAULT_PATH */
	const char *profile_dir;	/* --profile-dir, $AALEARN_PROFILE_DIR, /etc/apparmor.d */
	const char *parser;	/* --parser, $AALEARN_PARSER, apparmor_parser */
	bool	 json;		/* --json */
	bool	 color;		/* stdout is a terminal and NO_COLOR unset */
	bool	 tty;		/* stdout is a terminal */
};

struct cli_command {
	const char *name;
	int (*run)(struct cli *, int argc, char **argv);
	const char *usage;	/* "PROFILE [--container ID]" */
	const char *summary;	/* one line for `aalearn --help` */
	const char *help;	/* what `aalearn CMD --help` adds: options */
};

/* output.c */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write s as a JSON string (quoted); a byte that is not part of valid UTF-8
 * is written as the lone surrogate \udcHH (PEP 383), so names round-trip. */
void json_string(FILE *, const char *s);
/* Write s for a terminal: control bytes and invalid UTF-8 shown as \xHH. */
void text_safe(FILE *, const char *s);
/* Open the store named by --db; prints the error itself. */
struct store *cli_open_store(struct cli *, int flags);
/* Print `aalearn CMD --help` text for one command. */
void cli_usage(FILE *, const struct cli_command *);
/* True when argv has -h or --help; then prints usage and the caller returns 0. */
bool cli_wants_help(int argc, char **argv, const char *name);

/* The commands, one per family file. */
int cmd_parse(struct cli *, int, char **);	/* parse.c */
int cmd_import(struct cli *, int, char **);	/* import.c */
int cmd_status(struct cli *, int, char **);	/* status.c */
int cmd_profiles(struct cli *, int, char **);	/* status.c */
int cmd_show(struct cli *, int, char **);	/* status.c */
int cmd_diff(struct cli *, int, char **);	/* review.c */
int cmd_review(struct cli *, int, char **);	/* review.c */
int cmd_apply(struct cli *, int, char **);	/* apply.c */
int cmd_enforce(struct cli *, int, char **);	/* apply.c */
int cmd_complain(struct cli *, int, char **);	/* apply.c */
int cmd_rollback(struct cli *, int, char **);	/* apply.c */
int cmd_history(struct cli *, int, char **);	/* apply.c */
int cmd_init(struct cli *, int, char **);	/* init.c */
int cmd_check(struct cli *, int, char **);	/* check.c */
int cmd_export(struct cli *, int, char **);	/* check.c */

extern const struct cli_command cli_commands[];

#endif /* AALEARN_CLI_H */
