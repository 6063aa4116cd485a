/*
 * host_profiles.h - for the learner's unit tests: an include loader over the
 * host's /etc/apparmor.d (abstractions, tunables), as the CLI's is over
 * --profile-dir.  Test code only; each test includes it once.
 */
#ifndef AALEARN_TEST_HOST_PROFILES_H
#define AALEARN_TEST_HOST_PROFILES_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A loader reading the host's /etc/apparmor.d; a directory is the
 * concatenation of its files, as the parser reads it. */
static __attribute__((unused)) int
read_all(const char *path, char **ret_text, size_t *ret_len)
{
	struct stat st;
	char *buf;
	FILE *f;

	if (stat(path, &st) != 0)
		return -ENOENT;
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		size_t len = 0;
		int n;

		if ((n = scandir(path, &ents, NULL, alphasort)) < 0)
			return -EIO;
		buf = calloc(1, 1);
		for (int i = 0; i < n; i++) {
			char sub[4096], *t;
			size_t tl;

			snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
			if (ents[i]->d_name[0] != '.' && buf != NULL &&
			    stat(sub, &st) == 0 && S_ISREG(st.st_mode) &&
			    read_all(sub, &t, &tl) == 0) {
				char *nb = realloc(buf, len + tl + 2);

				if (nb != NULL) {
					buf = nb;
					memcpy(buf + len, t, tl);
					len += tl;
					buf[len++] = '\n';
					buf[len] = '\0';
				}
				free(t);
			}
			free(ents[i]);
		}
		free(ents);
		if (buf == NULL)
			return -ENOMEM;
		*ret_text = buf;
		*ret_len = len;
		return 0;
	}
	if ((f = fopen(path, "re")) == NULL)
		return -ENOENT;
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		free(buf);
		return -EIO;
	}
	fclose(f);
	buf[st.st_size] = '\0';
	*ret_text = buf;
	*ret_len = (size_t)st.st_size;
	return 0;
}

static __attribute__((unused)) int
host_loader(const char *name, bool angle, char **ret_text, size_t *ret_len,
    void *arg)
{
	char path[4096];

	(void)angle;
	(void)arg;
	snprintf(path, sizeof(path), "/etc/apparmor.d/%s", name);
	return read_all(path, ret_text, ret_len);
}

#endif /* AALEARN_TEST_HOST_PROFILES_H */
