/*
 * apply.c - the commands that write a profile: apply (accepted rules into
 * aalearn's block), enforce and complain (the mode flag), rollback and
 * history (the versions the store keeps of every write).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_profile.h"

/* Options of the writing commands: PROFILE [--no-reload] and friends. */
struct wopts {
	const char *profile;
	bool	 no_reload;
	bool	 force;
	const char *quiet;
	const char *to;
};

static int
parse_wopts(const char *cmd, int argc, char **argv, struct wopts *o,
    const char *allowed)
{
	static const struct option opts[] = {
		{ "no-reload", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", required_argument, NULL, 'q' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 0;	/* GNU getopt: reinitialise, permute */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == '?' || ch == ':' || strchr(allowed, ch) == NULL)
			return cli_usage_error(cmd, "%s: unknown option, or "
			    "one missing its value: '%s'", cmd,
			    argv[optind - 1]);
		switch (ch) {
		case 'n': o->no_reload = true; break;
		case 'f': o->force = true; break;
		case 'q': o->quiet = optarg; break;
		case 't': o->to = optarg; break;
		}
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "%s: which profile?", cmd);
	if (optind + 1 < argc)
		return cli_usage_error(cmd, "%s: unexpected argument '%s'", cmd,
		    argv[optind + 1]);
	o->profile = argv[optind];
	if (!cli_name_ok(o->profile))
		return cli_usage_error(cmd, "%s: not a profile name", cmd);
	return 0;
}

static void
json_write_result(struct cli *cli, const char *profile, const char *path,
    int64_t version, int loaded)
{
	fputs("\"profile\":", stdout);
	json_string(stdout, profile);
	fputs(",\"file\":", stdout);
	json_string(stdout, path);
	if (version > 0)
		printf(",\"version\":%lld", (long long)version);
	else
		fputs(",\"version\":null", stdout);
	printf(",\"loaded\":%s,\"kernel_apparmor\":%s", loaded ? "true" : "false",
	    cli_kernel_has_apparmor() ? "true" : "false");
}

/* ---------------------------------------------------------------- apply */

struct accepted {
	char	**ids;
	char	**rules;
	size_t	 n, cap;
};

static int
accepted_cb(const struct decision_info *d, void *arg)
{
	struct accepted *a = arg;
	void *tmp;

	if (d->decision != DECISION_ACCEPTED || d->applied)
		return 0;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		if ((tmp = realloc(a->ids, a->cap * sizeof(*a->ids))) == NULL)
			return -ENOMEM;
		a->ids = tmp;
		if ((tmp = realloc(a->rules, a->cap * sizeof(*a->rules))) == NULL)
			return -ENOMEM;
		a->rules = tmp;
	}
	a->ids[a->n] = strdup(d->rule_id != NULL ? d->rule_id : "");
	a->rules[a->n] = strdup(d->rule != NULL ? d->rule : "");
	if (a->ids[a->n] == NULL || a->rules[a->n] == NULL) {
		free(a->ids[a->n]);
		free(a->rules[a->n]);
		return -ENOMEM;
	}
	a->n++;
	return 0;
}

/* Add the rule decided for one id, when it is not in the list yet. */
struct readd {
	struct accepted *acc;
	const char *id;
};

static int
readd_cb(const struct decision_info *d, void *arg)
{
	struct readd *ra = arg;
	struct decision_info copy;
	size_t i;

	if (d->rule_id == NULL || strcmp(d->rule_id, ra->id) != 0 ||
	    d->decision != DECISION_ACCEPTED)
		return 0;
	for (i = 0; i < ra->acc->n; i++)
		if (strcmp(ra->acc->ids[i], ra->id) == 0)
			return 0;
	copy = *d;
	copy.applied = 0;
	return accepted_cb(&copy, ra->acc);
}

static void
accepted_free(struct accepted *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->ids[i]);
		free(a->rules[i]);
	}
	free(a->ids);
	free(a->rules);
}

int
cmd_apply(struct cli *cli, int argc, char **argv)
{
	struct accepted acc = { 0 };
	struct cli_write w;
	struct cli_ctx c;
	struct store *st;
	struct wopts o;
	char *text = NULL;
	size_t len, i;
	int64_t version = 0;
	int loaded = 0, r, ret = EXIT_ERROR;

	if (parse_wopts("apply", argc, argv, &o, "n") != 0)
		return EXIT_ERROR;
	if ((st = cli_open_store(cli, 0)) == NULL)
		return EXIT_ERROR;
	if (cli_ctx_load(cli, st, o.profile, CTX_PROPOSE, &c) < 0) {
		store_close(st);
		return EXIT_ERROR;
	}
	r = store_list_decisions(st, o.profile, accepted_cb, &acc);
	if (r < 0) {
		cli_error("%s: cannot read the decisions for '%s': %s", cli->db,
		    o.profile, strerror(-r));
		goto out;
	}
	/*
	 * Rules accepted and applied once but no longer in the profile (a
	 * rollback took them out) are proposed again as accepted: they go
	 * back in, so that apply writes what diff shows.
	 */
	for (i = 0; i < c.nprops; i++) {
		if (c.dec[i] != DECISION_ACCEPTED ||
		    c.props[i].kind == PROPOSAL_NONE)
			continue;
		r = store_list_decisions(st, o.profile, readd_cb,
		    &(struct readd){ &acc, c.props[i].id });
		if (r < 0) {
			cli_error("%s: cannot read the decisions for '%s': %s",
			    cli->db, o.profile, strerror(-r));
			goto out;
		}
	}
	if (acc.n == 0) {
		if (cli->json) {
			putchar('{');
			json_write_result(cli, o.profile, c.block_path, 0, 0);
			fputs(",\"applied\":[]}\n", stdout);
		} else {
			printf("nothing to apply to '");
			text_safe(stdout, o.profile);
			printf("': no accepted rule waits; see 'aalearn review "
			    "%s'\n", o.profile);
		}
		ret = EXIT_OK;
		goto out;
	}
	r = profile_add_rules(c.block_text, c.block_len,
	    c.block_include != NULL ? NULL : o.profile,
	    (const char *const *)acc.rules, acc.n, &text, &len);
	if (r == -EBADMSG) {
		/* the text leaves a statement open where the block goes */
		cli_error("cannot add the accepted rules to %s: %s lacks its "
		    "',' (apparmor_parser refuses the file as it is); %s left "
		    "unchanged: add the ',' and run 'aalearn apply %s' again",
		    c.block_path, c.block_include != NULL ? "its last rule" :
		    "the rule before the profile's closing brace",
		    c.block_path, o.profile);
		goto out;
	}
	if (r < 0) {
		cli_error("cannot add the accepted rules to %s: %s; see "
		    "'aalearn review %s'", c.block_path,
		    r == -EINVAL ? "a rule is not one line ending in ','" :
		    strerror(-r), o.profile);
		goto out;
	}
	cli_ctx_write(&c, text, "apply", o.no_reload, &w);
	if (cli_profile_write(cli, st, &w, &version, &loaded) < 0)
		goto out;
	for (i = 0; i < acc.n; i++) {
		r = store_mark_applied(st, o.profile, acc.ids[i]);
		if (r < 0) {
			cli_error("%s: cannot mark rule %s applied: %s", cli->db,
			    acc.ids[i], strerror(-r));
			goto out;
		}
	}
	if (cli->json) {
		putchar('{');
		json_write_result(cli, o.profile, c.block_path, version, loaded);
		fputs(",\"applied\":[", stdout);
		for (i = 0; i < acc.n; i++) {
			if (i > 0)
				putchar(',');
			fputs("{\"id\":", stdout);
			json_string(stdout, acc.ids[i]);
			fputs(",\"rule\":", stdout);
			json_string(stdout, acc.rules[i]);
			putchar('}');
		}
		fputs("]}\n", stdout);
	} else {
		printf("applied %zu rule%s to %s", acc.n, acc.n == 1 ? "" : "s",
		    c.block_path);
		if (version > 0)
			printf(" (version %lld)", (long long)version);
		putchar('\n');
		for (i = 0; i < acc.n; i++) {
			fputs("  ", stdout);
			text_safe(stdout, acc.rules[i]);
			putchar('\n');
		}
		cli_print_loaded(cli, c.block_include != NULL ? c.path :
		    c.block_path, loaded, o.no_reload);
	}
	ret = EXIT_OK;
out:
	free(text);
	accepted_free(&acc);
	cli_ctx_free(&c);
	store_close(st);
	return ret;
}

/* ----------------------------------------------------- enforce, complain */

struct last_new {
	const char *name;
	int64_t	 last_new_ms;
	bool	 found;
};

static int
last_new_cb(const struct profile_info *p, void *arg)
{
	struct last_new *l = arg;

	if (p->name != NULL && strcmp(p->name, l->name) == 0) {
		l->last_new_ms = p->last_new_ms;
		l->found = true;
	}
	return 0;
}

static int
set_mode(struct cli *cli, const char *cmd, int argc, char **argv,
    enum profile_mode mode)
{
	struct accepted acc = { 0 };
	struct last_new ln;
	struct cli_write w;
	struct cli_ctx c;
	struct store *st;
	struct wopts o;
	const struct profile_block *b;
	const char *mode_name = mode == PROFILE_MODE_COMPLAIN ? "complain" :
	    "enforce";
	char *text = NULL, reasons[4][512], ago[64];
	const char *quiet_text;
	int64_t quiet_ms = 24 * 3600 * 1000LL, version = 0, now = cli_now_ms();
	size_t len, nreasons = 0, i;
	int loaded = 0, r, ret = EXIT_ERROR;

	if (parse_wopts(cmd, argc, argv, &o, mode == PROFILE_MODE_ENFORCE ?
	    "nfq" : "n") != 0)
		return EXIT_ERROR;
	if (o.quiet != NULL && cli_parse_duration(o.quiet, &quiet_ms) < 0)
		return cli_usage_error(cmd, "%s: --quiet wants a duration such "
		    "as 24h, 30m, 2d or 0, not '%s'", cmd, o.quiet);
	if ((st = cli_open_store(cli, 0)) == NULL)
		return EXIT_ERROR;
	if (cli_ctx_load(cli, st, o.profile, mode == PROFILE_MODE_ENFORCE ?
	    CTX_PROPOSE : 0, &c) < 0) {
		store_close(st);
		return EXIT_ERROR;
	}
	b = profile_find(c.pf, o.profile);

	if (mode == PROFILE_MODE_ENFORCE) {
		if (c.npending > 0)
			snprintf(reasons[nreasons++], sizeof(reasons[0]),
			    "%zu proposal%s pending; decide with 'aalearn review "
			    "%s'", c.npending, c.npending == 1 ? " is" : "s are",
			    o.profile);
		if (c.nunsafe > 0)
			snprintf(reasons[nreasons++], sizeof(reasons[0]),
			    "%zu observed access%s no safe rule and would be "
			    "denied; see 'aalearn diff %s', acknowledge with "
			    "'aalearn review %s --reject ID'", c.nunsafe,
			    c.nunsafe == 1 ? " has" : "es have", o.profile,
			    o.profile);
		r = store_list_decisions(st, o.profile, accepted_cb, &acc);
		if (r < 0) {
			cli_error("%s: cannot read the decisions for '%s': %s",
			    cli->db, o.profile, strerror(-r));
			goto out;
		}
		if (acc.n > 0)
			snprintf(reasons[nreasons++], sizeof(reasons[0]),
			    "%zu accepted rule%s not applied yet; run 'aalearn "
			    "apply %s'", acc.n, acc.n == 1 ? " is" : "s are",
			    o.profile);
		ln.name = o.profile;
		ln.last_new_ms = 0;
		ln.found = false;
		r = store_list_profiles(st, last_new_cb, &ln);
		if (r < 0) {
			cli_error("%s: cannot list profiles: %s", cli->db,
			    strerror(-r));
			goto out;
		}
		if (ln.last_new_ms > 0 && now - ln.last_new_ms < quiet_ms) {
			quiet_text = o.quiet != NULL ? o.quiet : "24h";
			snprintf(reasons[nreasons++], sizeof(reasons[0]),
			    "a new observation arrived %s, within the quiet "
			    "period of %s; wait, or pass --quiet DURATION",
			    cli_ago(ln.last_new_ms, now, ago, sizeof(ago)),
			    quiet_text);
		}
		if (nreasons > 0 && !o.force) {
			if (cli->json) {
				fputs("{\"profile\":", stdout);
				json_string(stdout, o.profile);
				fputs(",\"mode\":", stdout);
				json_string(stdout, b != NULL && b->mode ==
				    PROFILE_MODE_COMPLAIN ? "complain" : "enforce");
				fputs(",\"changed\":false,\"refused\":[", stdout);
				for (i = 0; i < nreasons; i++) {
					if (i > 0)
						putchar(',');
					json_string(stdout, reasons[i]);
				}
				fputs("]}\n", stdout);
			}
			cli_error("not promoting '%s' to enforce mode:",
			    o.profile);
			for (i = 0; i < nreasons; i++)
				fprintf(stderr, "  %s\n", reasons[i]);
			fprintf(stderr, "  (--force promotes it anyway)\n");
			ret = EXIT_FOUND;
			goto out;
		}
	}

	r = profile_set_mode(c.text, c.len, o.profile, mode, &text, &len);
	if (r < 0) {
		cli_error("cannot set the mode of '%s' in %s: %s", o.profile,
		    c.path, r == -EINVAL ? "its header's flags cannot be "
		    "edited safely (two flags=(...) clauses, flags without "
		    "'flags=', or an unbalanced quote); fix the header by hand" :
		    strerror(-r));
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.profile = o.profile;
	w.path = c.path;
	w.text = text;
	w.reason = mode_name;
	w.no_reload = o.no_reload;
	w.base_text = c.text;
	if (cli_profile_write(cli, st, &w, &version, &loaded) < 0)
		goto out;
	if (cli->json) {
		putchar('{');
		json_write_result(cli, o.profile, c.path, version, loaded);
		fputs(",\"mode\":", stdout);
		json_string(stdout, mode_name);
		printf(",\"changed\":%s", version > 0 ? "true" : "false");
		fputs(",\"forced\":[", stdout);
		for (i = 0; i < nreasons; i++) {
			if (i > 0)
				putchar(',');
			json_string(stdout, reasons[i]);
		}
		fputs("]}\n", stdout);
	} else {
		if (version == 0)
			printf("'%s' already is in %s mode in %s\n", o.profile,
			    mode_name, c.path);
		else
			printf("'%s' is now in %s mode in %s (version %lld)\n",
			    o.profile, mode_name, c.path, (long long)version);
		for (i = 0; i < nreasons; i++)
			printf("  forced past: %s\n", reasons[i]);
		if (version > 0 || loaded)
			cli_print_loaded(cli, c.path, loaded, o.no_reload);
	}
	ret = EXIT_OK;
out:
	free(text);
	accepted_free(&acc);
	cli_ctx_free(&c);
	store_close(st);
	return ret;
}

int
cmd_enforce(struct cli *cli, int argc, char **argv)
{
	return set_mode(cli, "enforce", argc, argv, PROFILE_MODE_ENFORCE);
}

int
cmd_complain(struct cli *cli, int argc, char **argv)
{
	return set_mode(cli, "complain", argc, argv, PROFILE_MODE_COMPLAIN);
}

/* -------------------------------------------------------------- history */

struct ver {
	int64_t	 version, written_ms;
	char	*path, *text, *reason;
};

struct ver_list {
	struct ver *v;
	size_t	 n, cap;
};

static int
ver_cb(const struct version_info *vi, void *arg)
{
	struct ver_list *l = arg;
	struct ver *tmp, *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((tmp = realloc(l->v, l->cap * sizeof(*l->v))) == NULL)
			return -ENOMEM;
		l->v = tmp;
	}
	v = &l->v[l->n];
	v->version = vi->version;
	v->written_ms = vi->written_ms;
	v->path = strdup(vi->path != NULL ? vi->path : "");
	v->text = strdup(vi->text != NULL ? vi->text : "");
	v->reason = strdup(vi->reason != NULL ? vi->reason : "");
	if (v->path == NULL || v->text == NULL || v->reason == NULL) {
		free(v->path);
		free(v->text);
		free(v->reason);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static void
ver_list_free(struct ver_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].text);
		free(l->v[i].reason);
	}
	free(l->v);
}

/* Whether the file at v->path holds v->text right now. */
static bool
ver_current(const struct ver *v)
{
	char *text;
	bool same;

	if (cli_read_file(v->path, CLI_PROFILE_MAX, &text, NULL) < 0)
		return false;
	same = strcmp(text, v->text) == 0;
	free(text);
	return same;
}

int
cmd_history(struct cli *cli, int argc, char **argv)
{
	struct ver_list l = { 0 };
	struct store *st;
	struct wopts o;
	char t[64];
	size_t i;
	bool cur, seen_path;
	int r;

	if (parse_wopts("history", argc, argv, &o, "") != 0)
		return EXIT_ERROR;
	if ((st = cli_open_store(cli, STORE_READONLY)) == NULL)
		return EXIT_ERROR;
	r = store_list_versions(st, o.profile, ver_cb, &l);
	if (r < 0) {
		cli_error("%s: cannot list the versions of '%s': %s", cli->db,
		    o.profile, strerror(-r));
		goto out;
	}
	if (cli->json) {
		fputs("{\"profile\":", stdout);
		json_string(stdout, o.profile);
		fputs(",\"versions\":[", stdout);
	} else if (l.n == 0) {
		printf("no versions of '");
		text_safe(stdout, o.profile);
		printf("' in %s: aalearn has not written it yet\n", cli->db);
	} else {
		printf("%-8s %-21s %7s  %-28s %s\n", "VERSION", "WRITTEN",
		    "BYTES", "REASON", "FILE");
	}
	for (i = 0; i < l.n; i++) {
		size_t j;

		/* Current: the newest version of its file, and on disk. */
		seen_path = false;
		for (j = 0; j < i; j++)
			if (strcmp(l.v[j].path, l.v[i].path) == 0)
				seen_path = true;
		cur = !seen_path && ver_current(&l.v[i]);
		if (cli->json) {
			if (i > 0)
				putchar(',');
			printf("{\"version\":%lld,\"written_ms\":%lld,"
			    "\"written\":", (long long)l.v[i].version,
			    (long long)l.v[i].written_ms);
			json_string(stdout, cli_time_iso(l.v[i].written_ms, t,
			    sizeof(t)));
			fputs(",\"reason\":", stdout);
			json_string(stdout, l.v[i].reason);
			fputs(",\"file\":", stdout);
			json_string(stdout, l.v[i].path);
			printf(",\"bytes\":%zu,\"current\":%s}",
			    strlen(l.v[i].text), cur ? "true" : "false");
			continue;
		}
		printf("%-8lld %-21s %7zu  %-28s ", (long long)l.v[i].version,
		    cli_time(l.v[i].written_ms, t, sizeof(t)),
		    strlen(l.v[i].text), l.v[i].reason);
		text_safe(stdout, l.v[i].path);
		printf("%s\n", cur ? "  (current)" : "");
	}
	if (cli->json)
		fputs("]}\n", stdout);
out:
	ver_list_free(&l);
	store_close(st);
	return r < 0 ? EXIT_ERROR : EXIT_OK;
}

/* ------------------------------------------------------------- rollback */

int
cmd_rollback(struct cli *cli, int argc, char **argv)
{
	struct ver_list l = { 0 };
	struct cli_write w;
	struct store *st;
	struct wopts o;
	const struct ver *target = NULL;
	char *main_path = NULL, *reason = NULL, *end;
	int64_t to = 0, version = 0;
	size_t i, dl;
	int loaded = 0, r, ret = EXIT_ERROR;

	if (parse_wopts("rollback", argc, argv, &o, "tn") != 0)
		return EXIT_ERROR;
	if (o.to != NULL) {
		errno = 0;
		to = strtoll(o.to, &end, 10);
		if (errno != 0 || *end != '\0' || to <= 0)
			return cli_usage_error("rollback", "rollback: --to wants "
			    "a version number from 'aalearn history %s'",
			    o.profile);
	}
	if ((st = cli_open_store(cli, 0)) == NULL)
		return EXIT_ERROR;
	r = store_list_versions(st, o.profile, ver_cb, &l);
	if (r < 0) {
		cli_error("%s: cannot list the versions of '%s': %s", cli->db,
		    o.profile, strerror(-r));
		goto out;
	}
	if (l.n == 0) {
		cli_error("no versions of '%s' in %s: aalearn has not written "
		    "it, so there is nothing to roll back to", o.profile,
		    cli->db);
		goto out;
	}
	if (to > 0) {
		for (i = 0; i < l.n; i++)
			if (l.v[i].version == to)
				target = &l.v[i];
		if (target == NULL) {
			cli_error("'%s' has no version %lld; see 'aalearn history "
			    "%s'", o.profile, (long long)to, o.profile);
			goto out;
		}
	} else {
		/* Undo the last write: the version before the newest one of
		 * the same file (newest first in the list). */
		for (i = 1; i < l.n && target == NULL; i++)
			if (strcmp(l.v[i].path, l.v[0].path) == 0)
				target = &l.v[i];
		if (target == NULL) {
			cli_error("'%s' has a single version; nothing to roll "
			    "back to (see 'aalearn history %s')", o.profile,
			    o.profile);
			goto out;
		}
	}
	if (asprintf(&reason, "rollback to %lld", (long long)target->version) < 0) {
		reason = NULL;
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.profile = o.profile;
	w.path = target->path;
	w.text = target->text;
	w.reason = reason;
	w.no_reload = o.no_reload;
	/* A local/ file is checked through the file that includes it. */
	if (!cli_text_defines(target->text, o.profile) &&
	    cli_profile_find(cli, o.profile, &main_path) == 0 &&
	    strcmp(main_path, target->path) != 0) {
		dl = strlen(cli->profile_dir);
		if (strncmp(target->path, cli->profile_dir, dl) == 0 &&
		    target->path[dl] == '/') {
			w.check_main = main_path;
			w.include_name = target->path + dl + 1;
		}
	}
	if (cli_profile_write(cli, st, &w, &version, &loaded) < 0)
		goto out;
	if (cli->json) {
		putchar('{');
		json_write_result(cli, o.profile, target->path, version, loaded);
		printf(",\"restored\":%lld}\n", (long long)target->version);
	} else {
		if (version > 0)
			printf("restored version %lld of '%s' to %s (now version "
			    "%lld)\n", (long long)target->version, o.profile,
			    target->path, (long long)version);
		else
			printf("%s already holds version %lld of '%s'\n",
			    target->path, (long long)target->version, o.profile);
		if (version > 0 || loaded)
			cli_print_loaded(cli, w.check_main != NULL ?
			    w.check_main : target->path, loaded, o.no_reload);
	}
	ret = EXIT_OK;
out:
	free(reason);
	free(main_path);
	ver_list_free(&l);
	store_close(st);
	return ret;
}
