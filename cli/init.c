/*
 * init.c - `aalearn init NAME --container`: a new complain-mode profile for
 * a container from the learner's template, written, checked, loaded where
 * the kernel has AppArmor, and how to run a container under it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_profile.h"

static const char *const runtimes[] = { "docker", "containerd", "cri-o",
    "podman" };

/* A name that is also a file name: letters, digits, '.', '_', '-'. */
static bool
plain_name(const char *s)
{
	size_t n = 0;

	if (s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s != '\0'; s++, n++) {
		if (n >= 128)
			return false;
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			return false;
	}
	return true;
}

static void
how_to_run(FILE *f, const char *name, const char *runtime)
{
	fprintf(f, "\nRun a container under it:\n");
	if (strcmp(runtime, "podman") == 0)
		fprintf(f, "  podman run --security-opt apparmor=%s IMAGE\n", name);
	else if (strcmp(runtime, "containerd") == 0)
		fprintf(f, "  nerdctl run --security-opt apparmor=%s IMAGE\n", name);
	fprintf(f, "  docker run --security-opt apparmor=%s IMAGE\n", name);
	fprintf(f, "  compose:     security_opt: [\"apparmor=%s\"]\n", name);
	fprintf(f, "  Kubernetes:  securityContext:\n"
	    "                 appArmorProfile:\n"
	    "                   type: Localhost\n"
	    "                   localhostProfile: %s\n"
	    "               (load the profile on every node first; see "
	    "'aalearn export %s --format k8s')\n", name, name);
	fprintf(f, "Then let the workload run and see what it needs with "
	    "'aalearn diff %s'.\n", name);
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "container", no_argument, NULL, 'c' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "no-reload", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_write w;
	struct store *st = NULL;
	struct stat sb;
	const char *name, *runtime = "docker";
	char *path = NULL, *found = NULL, *text = NULL;
	bool container = false, no_reload = false;
	int64_t version = 0;
	size_t len, i;
	int ch, r, loaded = 0, ret = EXIT_ERROR;

	optind = 0;	/* GNU getopt: reinitialise, permute */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': container = true; break;
		case 'r': runtime = optarg; break;
		case 'n': no_reload = true; break;
		default:
			return cli_usage_error("init", "init: unknown option, "
			    "or one missing its value: '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("init", "init: which name?");
	name = argv[optind];
	if (optind + 1 < argc)
		return cli_usage_error("init", "init: unexpected argument '%s'",
		    argv[optind + 1]);
	if (!container)
		return cli_usage_error("init", "init: only container profiles "
		    "are made so far; add --container");
	for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
		if (strcmp(runtime, runtimes[i]) == 0)
			break;
	if (i == sizeof(runtimes) / sizeof(runtimes[0]))
		return cli_usage_error("init", "init: --runtime is one of docker, "
		    "containerd, cri-o, podman; not '%s'", runtime);
	if (!plain_name(name))
		return cli_usage_error("init", "init: '%s' is not a plain "
		    "profile name (letters, digits, '.', '_', '-')", name);

	r = cli_profile_find(cli, name, &found);
	if (r == 0) {
		cli_error("profile '%s' already exists in %s; see 'aalearn diff "
		    "%s', or remove it first", name, found, name);
		goto out;
	}
	if (r != -ENOENT) {
		cli_error("cannot read the profile directory %s: %s; create it "
		    "or pass --profile-dir", cli->profile_dir, strerror(-r));
		goto out;
	}
	if (asprintf(&path, "%s/%s", cli->profile_dir, name) < 0) {
		path = NULL;
		goto out;
	}
	if (lstat(path, &sb) == 0) {
		cli_error("%s exists and does not define profile '%s'; pick "
		    "another name or move that file", path, name);
		goto out;
	}
	r = profile_container_template(name, runtime, &text, &len);
	if (r < 0) {
		cli_error("cannot make a profile named '%s': %s", name,
		    strerror(-r));
		goto out;
	}
	if ((st = cli_open_store(cli, STORE_CREATE)) == NULL)
		goto out;
	memset(&w, 0, sizeof(w));
	w.profile = name;
	w.path = path;
	w.text = text;
	w.reason = "init";
	w.no_reload = no_reload;
	if (cli_profile_write(cli, st, &w, &version, &loaded) < 0)
		goto out;
	if (cli->json) {
		fputs("{\"profile\":", stdout);
		json_string(stdout, name);
		fputs(",\"file\":", stdout);
		json_string(stdout, path);
		fputs(",\"runtime\":", stdout);
		json_string(stdout, runtime);
		printf(",\"mode\":\"complain\",\"version\":%lld,\"loaded\":%s,"
		    "\"kernel_apparmor\":%s,\"run\":{\"docker\":"
		    "\"docker run --security-opt apparmor=%s IMAGE\","
		    "\"compose\":\"security_opt: [\\\"apparmor=%s\\\"]\","
		    "\"kubernetes\":{\"securityContext\":{\"appArmorProfile\":"
		    "{\"type\":\"Localhost\",\"localhostProfile\":\"%s\"}}}}}\n",
		    (long long)version, loaded ? "true" : "false",
		    cli_kernel_has_apparmor() ? "true" : "false", name, name,
		    name);
	} else {
		printf("wrote %s: profile '%s' in complain mode for %s "
		    "(version %lld)\n", path, name, runtime, (long long)version);
		cli_print_loaded(cli, path, loaded, no_reload);
		how_to_run(stdout, name, runtime);
	}
	ret = EXIT_OK;
out:
	store_close(st);
	free(text);
	free(path);
	free(found);
	return ret;
}
