/*
 * check.c - `aalearn check PROFILE [--baseline FILE]`: for CI, exit 1 and
 * list the observed accesses that the profile (or a committed baseline
 * file) does not allow; `aalearn export PROFILE --format profile|json|k8s`:
 * the profile text, the evidence as JSON, or a Kubernetes-ready snippet.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_profile.h"

static const char *
mask_text(uint64_t mask, int cls, char *buf, size_t len)
{
	if (mask_format(mask, cls, buf, len) == NULL)
		snprintf(buf, len, "0x%llx", (unsigned long long)mask);
	return buf;
}

static int
cmp_access(const struct access *a, const struct access *b)
{
	int i, c;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		if ((c = strcmp(a->f[i], b->f[i])) != 0)
			return c;
	return 0;
}

static int
cmp_obs(const void *a, const void *b)
{
	return cmp_access(&((const struct observation *)a)->access,
	    &((const struct observation *)b)->access);
}

int
cmd_check(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "baseline", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct observation *obs = NULL;
	struct policy *policy = NULL;
	struct cli_ctx c;
	struct store *st;
	const char *profile, *baseline = NULL, *ref;
	char *btext = NULL, m1[256], m2[256];
	size_t nobs = 0, i, j, k, bad = 0, len, groups = 0;
	uint64_t need, allowed, missing;
	int ch, r, ret = EXIT_ERROR;
	bool first = true, ok;

	memset(&c, 0, sizeof(c));
	optind = 0;	/* GNU getopt: reinitialise, permute */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'b')
			return cli_usage_error("check", "check: unknown option, "
			    "or one missing its value: '%s'", argv[optind - 1]);
		baseline = optarg;
	}
	if (optind >= argc)
		return cli_usage_error("check", "check: which profile?");
	profile = argv[optind++];
	if (optind < argc)
		return cli_usage_error("check", "check: unexpected argument "
		    "'%s'", argv[optind]);
	if (!cli_name_ok(profile))
		return cli_usage_error("check", "check: not a profile name");
	if ((st = cli_open_store(cli, STORE_READONLY)) == NULL)
		return EXIT_ERROR;

	if (baseline != NULL) {
		r = cli_read_file(baseline, PROFILE_TEXT_MAX, &btext, &len);
		if (r < 0) {
			cli_error("cannot read the baseline %s: %s", baseline,
			    strerror(-r));
			goto out;
		}
		r = policy_load(btext, len, profile, cli_loader, cli, &policy);
		if (r < 0) {
			cli_error("the baseline %s: %s", baseline,
			    r == -ENOENT ? "it does not define that profile, or "
			    "one of its includes is missing from --profile-dir" :
			    r == -EINVAL ? "it cannot be read (unbalanced braces "
			    "or an unterminated quote)" : strerror(-r));
			goto out;
		}
		ref = baseline;
	} else {
		if (cli_ctx_load(cli, st, profile, CTX_POLICY, &c) < 0)
			goto out;
		policy = c.policy;
		c.policy = NULL;
		ref = c.path;
	}
	r = cli_obs_load(st, profile, NULL, &obs, &nobs);
	if (r < 0) {
		cli_error("%s: cannot read the observations of '%s': %s",
		    cli->db, profile, strerror(-r));
		goto out;
	}
	if (nobs > 0)
		qsort(obs, nobs, sizeof(*obs), cmp_obs);

	if (cli->json) {
		fputs("{\"profile\":", stdout);
		json_string(stdout, profile);
		fputs(",\"reference\":", stdout);
		json_string(stdout, ref);
		fputs(",\"not_allowed\":[", stdout);
	}
	for (i = 0; i < nobs; i = j) {
		need = 0;
		for (j = i; j < nobs && cmp_access(&obs[i].access,
		    &obs[j].access) == 0; j++)
			need |= obs[j].access.mask;
		groups++;
		missing = 0;
		ok = true;
		for (k = i; k < j; k++) {
			if (policy_allows(policy, &obs[k].access))
				continue;
			ok = false;
			allowed = policy_allowed(policy, &obs[k].access);
			missing |= obs[k].access.mask & ~allowed & MASK_PERMS;
		}
		if (ok)
			continue;
		bad++;
		if (cli->json) {
			if (!first)
				putchar(',');
			first = false;
			fputs("{\"class\":", stdout);
			json_string(stdout, access_class_name(obs[i].access.cls));
			fputs(",\"fields\":[", stdout);
			for (k = 0; k < ACCESS_NFIELDS; k++) {
				if (k > 0)
					putchar(',');
				json_string(stdout, obs[i].access.f[k]);
			}
			fputs("],\"mask\":", stdout);
			json_string(stdout, mask_text(need, obs[i].access.cls, m1,
			    sizeof(m1)));
			fputs(",\"missing\":", stdout);
			json_string(stdout, mask_text(missing, obs[i].access.cls,
			    m2, sizeof(m2)));
			fputs(",\"containers\":[", stdout);
			for (k = i; k < j; k++) {
				if (k > i)
					putchar(',');
				json_string(stdout, obs[k].container.id);
			}
			fputs("]}", stdout);
			continue;
		}
		if (bad == 1)
			printf("not allowed by %s:\n", ref);
		printf("  %-10s", access_class_name(obs[i].access.cls));
		for (k = 0; k < ACCESS_NFIELDS; k++) {
			if (obs[i].access.f[k][0] == '\0')
				continue;
			putchar(' ');
			cli_field(stdout, obs[i].access.f[k]);
		}
		mask_text(need, obs[i].access.cls, m1, sizeof(m1));
		if (m1[0] != '\0')
			printf(" %s", m1);
		if (missing != 0 && missing != (need & MASK_PERMS))
			printf("  (missing %s)", mask_text(missing,
			    obs[i].access.cls, m2, sizeof(m2)));
		putchar('\n');
	}
	if (cli->json) {
		printf("],\"accesses\":%zu,\"ok\":%s}\n", groups,
		    bad == 0 ? "true" : "false");
	} else if (bad == 0) {
		printf("%s %zu observed access%s of '%s' %s allowed by %s\n",
		    groups == 1 ? "the" : "all", groups, groups == 1 ? "" :
		    "es", profile, groups == 1 ? "is" : "are", ref);
	} else {
		printf("%zu of %zu observed accesses of '%s' are not allowed; "
		    "see 'aalearn diff %s'\n", bad, groups, profile, profile);
	}
	ret = bad == 0 ? EXIT_OK : EXIT_FOUND;
out:
	cli_obs_free(obs, nobs);
	policy_free(policy);
	cli_ctx_free(&c);
	free(btext);
	store_close(st);
	return ret;
}

/* --------------------------------------------------------------- export */

/* Kubernetes object names: lower-case letters, digits, '-' (and '.'). */
static void
k8s_name(FILE *f, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n < 200; s++, n++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			fputc(*s, f);
		else if (*s >= 'A' && *s <= 'Z')
			fputc(*s - 'A' + 'a', f);
		else
			fputc('-', f);
	}
}

static int
export_json(struct cli *cli, struct store *st, const char *profile)
{
	struct observation *obs = NULL;
	char m[256], t[64];
	size_t n = 0, i;
	int k, r;

	r = cli_obs_load(st, profile, NULL, &obs, &n);
	if (r < 0) {
		cli_error("%s: cannot read the observations of '%s': %s",
		    cli->db, profile, strerror(-r));
		return EXIT_ERROR;
	}
	fputs("{\"format\":\"aalearn-evidence\",\"version\":1,\"host\":", stdout);
	json_string(stdout, store_host_id(st));
	fputs(",\"profile\":", stdout);
	json_string(stdout, profile);
	fputs(",\"observations\":[", stdout);
	for (i = 0; i < n; i++) {
		const struct observation *o = &obs[i];

		if (i > 0)
			putchar(',');
		fputs("{\"class\":", stdout);
		json_string(stdout, access_class_name(o->access.cls));
		fputs(",\"fields\":[", stdout);
		for (k = 0; k < ACCESS_NFIELDS; k++) {
			if (k > 0)
				putchar(',');
			json_string(stdout, o->access.f[k]);
		}
		fputs("],\"mask\":", stdout);
		json_string(stdout, mask_text(o->access.mask, o->access.cls, m,
		    sizeof(m)));
		fputs(",\"label\":", stdout);
		json_string(stdout, o->label);
		fputs(",\"container\":{\"runtime\":", stdout);
		json_string(stdout, o->container.runtime);
		fputs(",\"id\":", stdout);
		json_string(stdout, o->container.id);
		fputs(",\"pod_uid\":", stdout);
		json_string(stdout, o->container.pod_uid);
		printf("},\"allowed\":%llu,\"denied\":%llu,\"first_ms\":%lld,"
		    "\"last_ms\":%lld,\"first\":", (unsigned long long)o->allowed,
		    (unsigned long long)o->denied, (long long)o->first_ms,
		    (long long)o->last_ms);
		json_string(stdout, cli_time_iso(o->first_ms, t, sizeof(t)));
		fputs(",\"last\":", stdout);
		json_string(stdout, cli_time_iso(o->last_ms, t, sizeof(t)));
		printf(",\"sample\":{\"pid\":%ld,\"comm\":", o->sample_pid);
		json_string(stdout, o->sample_comm);
		fputs(",\"exe\":", stdout);
		json_string(stdout, o->sample_exe);
		fputs("}}", stdout);
	}
	fputs("]}\n", stdout);
	cli_obs_free(obs, n);
	return EXIT_OK;
}

/* The profile text as a YAML literal block, indented by `indent` spaces. */
static void
yaml_block(FILE *f, const char *text, int indent)
{
	const char *p = text, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (nl > p)
			fprintf(f, "%*s", indent, "");
		for (; p < nl; p++) {
			unsigned char ch = (unsigned char)*p;

			/* A literal block holds printable text only. */
			fputc((ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' :
			    ch, f);
		}
		fputc('\n', f);
		if (*p == '\n')
			p++;
	}
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *format = "profile";
	struct cli_ctx c;
	struct store *st;
	int ch, ret = EXIT_ERROR;

	memset(&c, 0, sizeof(c));
	optind = 0;	/* GNU getopt: reinitialise, permute */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'f')
			return cli_usage_error("export", "export: unknown "
			    "option, or one missing its value: '%s'",
			    argv[optind - 1]);
		format = optarg;
	}
	if (optind < argc)
		profile = argv[optind++];
	if (profile == NULL)
		return cli_usage_error("export", "export: which profile?");
	if (optind < argc)
		return cli_usage_error("export", "export: unexpected argument "
		    "'%s'", argv[optind]);
	if (strcmp(format, "profile") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "k8s") != 0)
		return cli_usage_error("export", "export: --format is profile, "
		    "json or k8s; not '%s'", format);
	if (!cli_name_ok(profile))
		return cli_usage_error("export", "export: not a profile name");
	if ((st = cli_open_store(cli, STORE_READONLY)) == NULL)
		return EXIT_ERROR;
	if (strcmp(format, "json") == 0) {
		ret = export_json(cli, st, profile);
		goto out;
	}
	if (cli_ctx_load(cli, st, profile, 0, &c) < 0)
		goto out;
	if (strcmp(format, "profile") == 0) {
		fputs(c.text, stdout);
		if (c.block_include != NULL && c.block_exists)
			cli_error("note: %s also includes %s (aalearn's rules); "
			    "ship that file too", c.path, c.block_path);
		ret = EXIT_OK;
		goto out;
	}
	printf("# Kubernetes: AppArmor profile '%s', exported by aalearn.\n"
	    "# Load it on every node that may run the pod (a DaemonSet or\n"
	    "# configuration management writing /etc/apparmor.d/%s from this\n"
	    "# ConfigMap and running 'apparmor_parser -r'), then reference it:\n"
	    "#\n"
	    "#   securityContext:\n"
	    "#     appArmorProfile:\n"
	    "#       type: Localhost\n"
	    "#       localhostProfile: %s\n"
	    "#\n"
	    "# (before Kubernetes 1.30: the annotation\n"
	    "#  container.apparmor.security.beta.kubernetes.io/CONTAINER: "
	    "localhost/%s)\n", profile, profile, profile, profile);
	printf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
	    "aalearn-profile-");
	k8s_name(stdout, profile);
	printf("\n  labels:\n    app.kubernetes.io/managed-by: aalearn\n"
	    "data:\n  ");
	k8s_name(stdout, profile);
	/* Explicit indentation: the text may start with a space. */
	printf(": |2\n");
	yaml_block(stdout, c.text, 4);
	if (c.block_include != NULL && c.block_exists) {
		printf("  ");
		k8s_name(stdout, c.block_include);
		printf(": |2\n");
		yaml_block(stdout, c.block_text, 4);
	}
	ret = EXIT_OK;
out:
	cli_ctx_free(&c);
	store_close(st);
	return ret;
}
