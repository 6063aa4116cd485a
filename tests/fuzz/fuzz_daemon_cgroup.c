/*
 * fuzz_daemon_cgroup.c - attribution_parse_cgroup() on any bytes.
 *
 * A /proc/<pid>/cgroup file names cgroups that a container's runtime (or,
 * with delegation, the container itself) chose.  The parser must never read
 * or write outside its buffers, and what it returns must be what it promises:
 * a hex id, NUL-terminated inside buf, a pod uid without '_'.
 *
 * Linked against daemon/ (the fuzz_daemon_* rule in tests/CMakeLists.txt).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define ID_MIN	ATTRIBUTION_ID_MIN
#define ID_MAX	ATTRIBUTION_ID_MAX
#define POD_MAX	ATTRIBUTION_POD_MAX

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container c;
	char buf[ID_MAX + 1 + POD_MAX + 1];
	size_t i, n;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = attribution_parse_cgroup((const char *)data, size, &c, buf,
	    sizeof(buf));
	if (rc != 0) {
		if (rc != -ENOENT || c.id != NULL)
			abort();
		return 0;
	}
	if (c.runtime == NULL || c.id != buf)
		abort();
	n = strlen(c.id);
	if (n < ID_MIN || n > ID_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (!((c.id[i] >= '0' && c.id[i] <= '9') ||
		    (c.id[i] >= 'a' && c.id[i] <= 'f')))
			abort();
	if (c.pod_uid != NULL) {
		if (c.pod_uid < buf || c.pod_uid >= buf + sizeof(buf) ||
		    strchr(c.pod_uid, '_') != NULL || *c.pod_uid == '\0')
			abort();
	}
	/* The id came from the input. */
	if (memmem(data, size, c.id, n) == NULL)
		abort();
	return 0;
}
