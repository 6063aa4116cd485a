/*
 * cli_profile.h - helpers private to the profile commands of cli/ (status,
 * review, apply, init, check): time and durations, profile files in
 * --profile-dir, atomic writes that keep every version in the store, and
 * running apparmor_parser.
 */
#ifndef AALEARN_CLI_PROFILE_H
#define AALEARN_CLI_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* Profile files larger than this are refused rather than read. */
#define CLI_PROFILE_MAX (8u << 20)

/* ------------------------------------------------------------- time */

int64_t cli_now_ms(void);
/* "2026-11-26 09:30:00Z", or "never" for 0; into buf. */
const char *cli_time(int64_t ms, char *buf, size_t len);
/* ISO 8601 for JSON: "2026-11-26T09:30:00.123Z"; into buf. */
const char *cli_time_iso(int64_t ms, char *buf, size_t len);
/* "3m ago", "2d ago", "never"; into buf. */
const char *cli_ago(int64_t ms, int64_t now_ms, char *buf, size_t len);
/* "24h", "30m", "90s", "2d", "1h30m", "0", "45" (seconds); -EINVAL else. */
int cli_parse_duration(const char *s, int64_t *ret_ms);

/* ------------------------------------------------------- argument help */

/* Prints "NAME: missing PROFILE; usage: ..." and returns EXIT_ERROR. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A profile or container name the user typed: printable, bounded. */
bool cli_name_ok(const char *name);

/*
 * A field of an access for a terminal: as text_safe(), in double quotes
 * (inner quotes as \x22) when it holds a space, comma or quote, so that
 * a name holding ", " reads as the one name it is.
 */
void cli_field(FILE *, const char *s);

/* ------------------------------------------------------- profile files */

/* Read a whole regular file of at most max bytes; NUL-terminated. */
int cli_read_file(const char *path, size_t max, char **ret_text,
    size_t *ret_len);
/*
 * The file in --profile-dir whose text defines profile name (at the top
 * level of the file), in *ret_path (malloc'd).  -ENOENT when none does.
 */
int cli_profile_find(struct cli *, const char *name, char **ret_path);
/*
 * Find and read the file that defines profile name.  Prints the error
 * itself, naming the profile, the directory and what to do.
 */
int cli_profile_load(struct cli *, const char *name, char **ret_path,
    char **ret_text);
/* Does the top level of text define profile name? */
bool cli_text_defines(const char *text, const char *name);
/* The mode the text's flags give profile name: "complain", "enforce"... */
const char *cli_text_mode(const char *text, const char *name);

/* ----------------------------------------------------------- the parser */

/* The kernel has AppArmor: $AALEARN_SECURITYFS or /sys/kernel/security/apparmor. */
bool cli_kernel_has_apparmor(void);
/*
 * Run the parser over path with one mode flag ("-QK" to check, "-r" to
 * replace in the kernel), --profile-dir searched for includes after the
 * overlay directory (when not NULL).  On failure prints what the parser
 * said, naming path as shown (a temporary file stands for the real one),
 * and returns -EINVAL (or -errno when it could not be run).
 */
int cli_parser_run(struct cli *, const char *flag, const char *overlay,
    const char *path, const char *shown);
/*
 * Reads includes for the learner (profile_loader): relative names from
 * --profile-dir, a directory as its files concatenated.  arg: struct cli.
 */
int cli_loader(const char *name, bool angle, char **ret_text, size_t *ret_len,
    void *arg);

/* --------------------------------------------------------------- writes */

struct cli_write {
	const char *profile;
	const char *path;	/* the file to (re)write, inside --profile-dir */
	const char *text;	/* its new contents */
	const char *reason;	/* kept with the version: "apply", "init"... */
	bool	 no_reload;	/* --no-reload */
	/*
	 * Set when path is an included file (local/NAME): the file that
	 * includes it, checked with the new text in place, and the name it
	 * is included by.
	 */
	const char *check_main;
	const char *include_name;
	/* The text the new one was made from: refused when the file holds
	 * something else by now (another writer came between).  NULL: any. */
	const char *base_text;
};

/*
 * Write text to path atomically (temporary file in the same directory,
 * checked with `parser -QK`, fsync, rename, fsync of the directory).  The
 * text on disk before, when the store does not hold it yet, is kept as a
 * version first; the new text is kept as the next version (*ret_version).
 * Then reload with `parser -r` when the kernel has AppArmor.  Prints its
 * errors.  *ret_loaded: 1 loaded, 0 not (no AppArmor or --no-reload).
 */
int cli_profile_write(struct cli *, struct store *, const struct cli_write *,
    int64_t *ret_version, int *ret_loaded);
/* Print where the profile went and whether it is loaded (text mode). */
void cli_print_loaded(struct cli *, const char *path, int loaded,
    bool no_reload);

/* ------------------------------------------------------------ proposals */

/*
 * A profile with what the store knows about it: its file, the file that
 * holds aalearn's block (the same file, or its local/ include), the policy
 * it allows, the observations, and the proposals with their decisions.
 */
struct cli_ctx {
	const char *profile;
	char	*path;		/* the file that defines the profile */
	char	*text;
	size_t	 len;
	struct profile_file *pf;
	char	*block_path;	/* the file aalearn's block goes into */
	char	*block_text;	/* its text ("" when it does not exist yet) */
	size_t	 block_len;
	char	*block_include;	/* "local/NAME" when block_path is included */
	bool	 block_exists;
	struct policy *policy;
	struct observation *obs;
	size_t	 nobs;
	struct proposal *props;	/* every proposal not rejected */
	size_t	 nprops;
	int	*dec;		/* per proposal: DECISION_* */
	size_t	 npending;	/* rules and includes not decided */
	size_t	 nrejected;	/* proposals left out: rejected before */
	size_t	 nunsafe;	/* PROPOSAL_NONE: no safe rule */
};

enum {
	CTX_POLICY = 1 << 0,	/* load the policy (includes resolved) */
	CTX_PROPOSE = 1 << 1,	/* and the observations and proposals */
};

/* Load everything; prints its errors (naming the profile and what to do). */
int cli_ctx_load(struct cli *, struct store *, const char *profile,
    int flags, struct cli_ctx *);
void cli_ctx_free(struct cli_ctx *);
/* The proposals pending for profile, whose file text is given. */
int cli_pending_count(struct cli *, struct store *, const char *profile,
    const char *text, size_t *ret_n);
/* Owned copies of the store's observations of a profile. */
int cli_obs_load(struct store *, const char *profile, const char *container,
    struct observation **ret_obs, size_t *ret_n);
void cli_obs_free(struct observation *, size_t n);
/* The write that puts new_block_text into the block's file. */
void cli_ctx_write(const struct cli_ctx *, const char *new_block_text,
    const char *reason, bool no_reload, struct cli_write *ret_w);
/* A string safe for a profile comment or a terminal, malloc'd. */
char *cli_safe_dup(const char *s, size_t max);

#endif /* AALEARN_CLI_PROFILE_H */
