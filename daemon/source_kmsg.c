/*
 * source_kmsg.c - the kernel log (/dev/kmsg), for hosts without auditd:
 * the kernel prints audit records there when no audit daemon is registered.
 *
 * Every read() returns one record "prio,seq,usec,flags[,...];text\n" followed
 * by " KEY=value" lines.  The sequence number is the checkpoint; it restarts
 * at each boot, so the boot id goes with it.  When the ring overwrote
 * records before we read them, read() fails with EPIPE and the gap in
 * sequence numbers says how many were lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source_internal.h"

#define KMSG_REC_MAX (16 * 1024)
#define KMSG_BATCH 20000
#define KMSG_BOOT_ID "/proc/sys/kernel/random/boot_id"

struct kmsg_source {
	struct source base;
	int	 fd;
	char	 boot[40];
	uint64_t seq;		/* last record handed on or skipped */
	int	 have_seq;
	uint64_t skip_to;	/* records up to this seq were done before */
	int	 skipping;
	char	*rec, *line;
};

static void
kmsg_boot_id(char *buf, size_t len)
{
	ssize_t n;
	int fd;

	snprintf(buf, len, "unknown");
	fd = open(KMSG_BOOT_ID, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(buf, len, "unknown");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static int
kmsg_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The kernel writes '\', control and non-ASCII bytes as \xNN: undo that. */
static size_t
kmsg_unescape(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    kmsg_hex((unsigned char)s[i + 2]) >= 0 &&
		    kmsg_hex((unsigned char)s[i + 3]) >= 0) {
			out[o++] = (char)(kmsg_hex((unsigned char)s[i + 2]) *
			    16 + kmsg_hex((unsigned char)s[i + 3]));
			i += 4;
		} else {
			out[o++] = s[i++];
		}
	}
	return o;
}

static void
kmsg_record(struct kmsg_source *ks, const char *rec, size_t n)
{
	const char *semi, *text, *nl;
	unsigned long long seq;
	char *end;
	size_t len;

	semi = memchr(rec, ';', n);
	if (semi == NULL)
		return;
	/* prio,seq,... */
	end = memchr(rec, ',', (size_t)(semi - rec));
	if (end == NULL)
		return;
	errno = 0;
	seq = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != ',')
		return;
	if (ks->have_seq && seq > ks->seq + 1)
		ks->base.counts.lost += seq - ks->seq - 1;
	ks->seq = seq;
	ks->have_seq = 1;
	if (ks->skipping) {
		if (seq <= ks->skip_to)
			return;
		ks->skipping = 0;
	}
	text = semi + 1;
	nl = memchr(text, '\n', n - (size_t)(text - rec));
	len = nl != NULL ? (size_t)(nl - text) : n - (size_t)(text - rec);
	/*
	 * Without auditd the kernel prints audit records rate-limited and
	 * later says how many it dropped: those are lost records.
	 */
	if (len > 20 && memcmp(text, "kauditd_printk_skb: ", 20) == 0) {
		unsigned long long dropped = strtoull(text + 20, &end, 10);

		if (end != text + 20 && strncmp(end, " callbacks suppressed",
		    21) == 0)
			ks->base.counts.lost += dropped;
		return;
	}
	/* Only audit records matter; a boot's other chatter is not read. */
	if (memmem(text, len, "audit", 5) == NULL)
		return;
	len = kmsg_unescape(text, len, ks->line);
	source_emit_line(&ks->base, ks->line, len);
}

static int
kmsg_read(struct source *src)
{
	struct kmsg_source *ks = (struct kmsg_source *)src;
	uint64_t before = src->counts.read;
	int n;

	for (n = 0; n < KMSG_BATCH; n++) {
		ssize_t r = read(ks->fd, ks->rec, KMSG_REC_MAX - 1);

		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			if (errno == EPIPE) {
				/* Overwritten; the seq gap counts them. */
				src->counts.overflows++;
				continue;
			}
			if (errno == EINVAL)
				continue;	/* larger than our buffer */
			return -errno;
		}
		if (r == 0)
			break;
		ks->rec[r] = '\0';
		kmsg_record(ks, ks->rec, (size_t)r);
	}
	return (int)(src->counts.read - before);
}

static int
kmsg_position(const struct source *src, char *buf, size_t len)
{
	const struct kmsg_source *ks = (const struct kmsg_source *)src;
	int n;

	n = snprintf(buf, len, "boot=%s,seq=%" PRIu64, ks->boot, ks->seq);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

static int
kmsg_fd(const struct source *src)
{
	return ((const struct kmsg_source *)src)->fd;
}

static void
kmsg_free(struct source *src)
{
	struct kmsg_source *ks = (struct kmsg_source *)src;

	if (ks->fd != -1)
		close(ks->fd);
	free(ks->rec);
	free(ks->line);
	free(ks);
}

static const struct source_ops kmsg_ops = {
	.read = kmsg_read,
	.position = kmsg_position,
	.fd = kmsg_fd,
	.free = kmsg_free,
};

int
source_kmsg_new(const struct source_sink *sink, const char *path,
    const char *checkpoint, int read_backlog, struct source **ret_source)
{
	struct kmsg_source *ks;
	char boot[40];
	unsigned long long seq;
	int r, at_end = !read_backlog, end = 0;

	if (path == NULL)
		path = "/dev/kmsg";
	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return -ENOMEM;
	source_init(&ks->base, &kmsg_ops, SOURCE_KMSG, "kmsg", sink);
	ks->rec = malloc(KMSG_REC_MAX);
	ks->line = malloc(KMSG_REC_MAX);
	ks->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (ks->rec == NULL || ks->line == NULL || ks->fd == -1) {
		r = ks->fd == -1 ? -errno : -ENOMEM;
		kmsg_free(&ks->base);
		return r;
	}
	kmsg_boot_id(ks->boot, sizeof(ks->boot));
	if (checkpoint != NULL && checkpoint[0] != '\0') {
		if (sscanf(checkpoint, "boot=%39[^,],seq=%llu%n", boot, &seq,
		    &end) == 2 && checkpoint[end] == '\0') {
			/*
			 * Same boot: skip what was done.  Another boot: its
			 * whole ring is new.
			 */
			at_end = 0;
			if (strcmp(boot, ks->boot) == 0) {
				ks->skip_to = seq;
				ks->skipping = 1;
				ks->seq = seq;
				ks->have_seq = 1;
			}
		} else {
			log_warn("kmsg: unreadable checkpoint \"%.80s\"; "
			    "starting at the end", checkpoint);
		}
	}
	/*
	 * Opening starts at the oldest record kept.  To begin at the end and
	 * still know the sequence number there (the checkpoint), read the
	 * ring once without handing anything on.
	 */
	if (at_end) {
		ks->skip_to = UINT64_MAX;
		ks->skipping = 1;
		for (;;) {
			ssize_t n = read(ks->fd, ks->rec, KMSG_REC_MAX - 1);

			if (n == -1 && (errno == EINTR || errno == EPIPE ||
			    errno == EINVAL))
				continue;
			if (n <= 0)
				break;
			ks->rec[n] = '\0';
			kmsg_record(ks, ks->rec, (size_t)n);
		}
		ks->skipping = 0;
		ks->skip_to = 0;
		ks->base.counts.lost = 0;
		ks->base.counts.overflows = 0;
	}
	*ret_source = &ks->base;
	return 0;
}
