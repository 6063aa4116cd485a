/*
 * main.c - aalearnd: learn AppArmor profiles from the kernel's audit records.
 *
 *	aalearnd [-f] [-n] [-v] [-c FILE] [-d DB]
 *
 * Options on the command line override the configuration file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: aalearnd [-fnv] [-c config] [-d database]\n"
	    "  -f  stay in the foreground (as under systemd)\n"
	    "  -n  check the configuration and exit\n"
	    "  -v  verbose: log at debug level\n"
	    "  -c  configuration file (default %s)\n"
	    "  -d  database (default %s)\n",
	    AALEARN_DEFAULT_CONF, STORE_DEFAULT_PATH);
}

/* Detach the classic way; stderr stays, so logs still go somewhere. */
static int
detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid == -1)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		return -errno;
	if (chdir("/") == -1)
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *conf = AALEARN_DEFAULT_CONF, *db = NULL;
	int foreground = 0, check = 0, verbose = 0, conf_given = 0, c, r;
	struct config cfg;
	struct loop *loop;
	char err[1024];

	while ((c = getopt(argc, argv, "fnvc:d:hV")) != -1) {
		switch (c) {
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'c':
			conf = optarg;
			conf_given = 1;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("aalearnd %s\n", AALEARN_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init(LOG_LEVEL_INFO);
	config_default(&cfg);
	r = config_load(&cfg, conf, err, sizeof(err));
	/* The default file is optional; one named with -c is not. */
	if (r == -ENOENT && !conf_given) {
		config_default(&cfg);
		r = 0;
	}
	if (r < 0) {
		log_error("%s", err);
		return 1;
	}
	if (db != NULL && db[0] == '\0') {
		log_error("-d: empty database path");
		return 2;
	}
	if (check) {
		printf("%s: ok\n", conf);
		return 0;
	}
	if (!foreground && (r = detach()) < 0) {
		log_error("detaching: %s", strerror(-r));
		return 1;
	}
	r = loop_new(&cfg, conf, db, verbose ? LOG_LEVEL_DEBUG : 0, &loop);
	if (r < 0) {
		log_error("not started: %s", strerror(-r));
		return 1;
	}
	r = loop_run(loop);
	loop_free(loop);
	return r < 0 ? 1 : 0;
}
