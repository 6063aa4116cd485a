/*
 * source_file.c - follow auditd's log across rotation.
 *
 * Position = (dev, inode, offset of the first byte not yet handed on), plus a
 * hash of the file's first bytes ("head") to recognise a file after
 * copy-truncate and an inode number that was reused, the file's mtime to
 * place it among rotated files when it is gone, and the last serial seen.
 *
 * Rotation by rename (auditd's num_logs: audit.log -> audit.log.1 ...,
 * logrotate's audit.log-DATE): the open descriptor keeps the old file, which
 * is read to its end before moving on; every rotated file newer than it is
 * read next, then the new audit.log.  Copy-truncate: the file shrinks (or its
 * head changes); what lay after our offset is now in the copy, found by its
 * head, and is read from the copy before the truncated file from 0.  A
 * restart resumes the same way from the stored position.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_internal.h"

#define FILE_HEAD_MAX 256		/* bytes hashed to recognise a file */
#define FILE_LINE_MAX (64 * 1024)	/* longer lines are cut and handed on */
#define FILE_QUEUE_MAX 32		/* rotated files read after the current */
#define FILE_SCAN_MAX 256		/* directory entries considered */
#define FILE_READ_MAX (16 * 1024 * 1024) /* bytes per source_read() */
/* After a rename, how long to wait for the writer to start the new file. */
#define FILE_SWITCH_GRACE_MS 2000

struct file_id {
	dev_t	 dev;
	ino_t	 ino;
};

struct file_open {
	int	 fd;
	struct file_id id;
	off_t	 off;		/* where reading starts */
	int	 live;		/* the file at path when it was opened */
	size_t	 head_len;	/* the head known for it (from a checkpoint) */
	uint32_t head_hash;
	struct timespec mtime;	/* when queued: a change since is noticed */
};

struct file_source {
	struct source base;
	char	 path[CONFIG_PATH_MAX];
	char	 dir[CONFIG_PATH_MAX];
	char	 basename[NAME_MAX + 1];

	int	 fd;		/* file being read, -1: none yet */
	int	 live;
	struct file_id id;
	off_t	 off;		/* end of the last complete line handed on */
	struct timespec mtime;
	size_t	 head_len;
	uint32_t head_hash;
	int64_t	 last_epoch, last_serial;
	int64_t	 rotated_seen_ms;	/* path names another file since */

	struct file_open queue[FILE_QUEUE_MAX];
	size_t	 nqueue;
	int	 open_err;	/* the last open failure, logged once */
	/* Rotated files read to their end: never queued again. */
	struct file_id done[8];
	size_t	 ndone;

	char	*buf;		/* bytes read after off: a partial line */
	size_t	 buflen;
};

struct file_entry {
	char	 name[NAME_MAX + 1];
	struct file_id id;
	struct timespec mtime;
	off_t	 size;
	long	 num;		/* suffix of name.N, -1 otherwise */
	int	 live;		/* the file at path itself */
};

static uint32_t
file_fnv(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

/* Hash of the first len bytes of fd; -EIO when fewer are there. */
static int
file_head(int fd, size_t len, uint32_t *ret_hash)
{
	unsigned char b[FILE_HEAD_MAX];
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, b + got, len - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		got += (size_t)n;
	}
	*ret_hash = file_fnv(b, len);
	return 0;
}

static int
file_head_matches(int fd, size_t len, uint32_t hash)
{
	uint32_t h;

	if (len == 0)
		return 1;
	return file_head(fd, len, &h) == 0 && h == hash;
}

static int
file_entry_cmp(const void *a, const void *b)
{
	const struct file_entry *x = a, *y = b;

	if (x->live != y->live)
		return x->live - y->live;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	/* Same tick: auditd's higher number is the older file. */
	if (x->num != y->num)
		return x->num > y->num ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
file_is_compressed(const char *name)
{
	static const char *const ext[] = { ".gz", ".xz", ".bz2", ".zst",
		".lz4", ".Z" };
	size_t n = strlen(name), i, e;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		e = strlen(ext[i]);
		if (n > e && strcmp(name + n - e, ext[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * The rotated generations of the log (name.N, name-SUFFIX, name.SUFFIX), then
 * the file at path, oldest first.  Returns how many.
 */
static size_t
file_scan(const struct file_source *fs, struct file_entry *ent, size_t max)
{
	size_t blen = strlen(fs->basename), n = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd;

	dfd = open(fs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return 0;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL && n < max) {
		const char *name = de->d_name;
		struct file_entry *e = &ent[n];
		int live = strcmp(name, fs->basename) == 0;

		if (!live && (strncmp(name, fs->basename, blen) != 0 ||
		    (name[blen] != '.' && name[blen] != '-') ||
		    name[blen + 1] == '\0' || file_is_compressed(name)))
			continue;
		if (fstatat(dirfd(d), name, &st, 0) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->id.dev = st.st_dev;
		e->id.ino = st.st_ino;
		e->mtime = st.st_mtim;
		e->size = st.st_size;
		e->live = live;
		e->num = -1;
		if (!live && name[blen] == '.') {
			char *end;
			long v = strtol(name + blen + 1, &end, 10);

			if (*end == '\0' && v >= 0)
				e->num = v;
		}
		n++;
	}
	closedir(d);
	qsort(ent, n, sizeof(*ent), file_entry_cmp);
	return n;
}

static int
file_openat_entry(const struct file_source *fs, const struct file_entry *e)
{
	char p[CONFIG_PATH_MAX + NAME_MAX + 2];
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", fs->dir, e->name);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return -errno;
	/* It may have moved on between the scan and now. */
	if (fstat(fd, &st) == -1 || st.st_ino != e->id.ino ||
	    st.st_dev != e->id.dev) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static void
file_queue_clear(struct file_source *fs)
{
	size_t i;

	for (i = 0; i < fs->nqueue; i++)
		close(fs->queue[i].fd);
	fs->nqueue = 0;
}

/*
 * Queue ent[from..n) to be read from offset 0, the first from off0 with the
 * head it is known by: until it is recomputed, a truncation in the meantime
 * must still be recognised.
 */
static void
file_queue_from(struct file_source *fs, struct file_entry *ent, size_t n,
    size_t from, off_t off0, size_t head_len0, uint32_t head_hash0)
{
	size_t i;

	for (i = from; i < n && fs->nqueue < FILE_QUEUE_MAX; i++) {
		struct file_open *q = &fs->queue[fs->nqueue];
		size_t k;
		int fd;

		for (k = 0; k < fs->ndone && k < 8; k++)
			if (fs->done[k].ino == ent[i].id.ino &&
			    fs->done[k].dev == ent[i].id.dev && !ent[i].live)
				break;
		if (k < fs->ndone && k < 8)
			continue;
		fd = file_openat_entry(fs, &ent[i]);

		if (fd < 0) {
			if (fd != fs->open_err)
				log_warn("%s: %s/%s: %s", fs->base.name,
				    fs->dir, ent[i].name, strerror(-fd));
			fs->open_err = fd;
			continue;
		}
		fs->open_err = 0;
		q->fd = fd;
		q->id = ent[i].id;
		q->off = i == from ? off0 : 0;
		q->live = ent[i].live;
		q->mtime = ent[i].mtime;
		if (i == from) {
			q->head_len = head_len0;
			q->head_hash = head_hash0;
		} else {
			/*
			 * Known now, so that a copy-truncate before we get
			 * to it is recognised and its copy read instead.
			 */
			q->head_len = ent[i].size < FILE_HEAD_MAX ?
			    (size_t)ent[i].size : FILE_HEAD_MAX;
			if (file_head(fd, q->head_len, &q->head_hash) < 0)
				q->head_len = 0;
		}
		fs->nqueue++;
	}
}

/* The current file, rotated away, was read to its end. */
static void
file_done(struct file_source *fs)
{
	fs->done[fs->ndone % 8] = fs->id;
	fs->ndone++;
}

static void
file_close_current(struct file_source *fs)
{
	if (fs->fd != -1)
		close(fs->fd);
	fs->fd = -1;
	fs->buflen = 0;
}

/* Make the head of the queue the current file. */
static int
file_next(struct file_source *fs)
{
	struct file_open q;

	file_close_current(fs);
	if (fs->nqueue == 0)
		return 0;
	q = fs->queue[0];
	memmove(&fs->queue[0], &fs->queue[1],
	    (fs->nqueue - 1) * sizeof(fs->queue[0]));
	fs->nqueue--;
	if (lseek(q.fd, q.off, SEEK_SET) == -1) {
		close(q.fd);
		return -errno;
	}
	fs->fd = q.fd;
	fs->id = q.id;
	fs->off = q.off;
	fs->live = q.live;
	fs->head_len = q.head_len;
	fs->head_hash = q.head_hash;
	fs->rotated_seen_ms = 0;
	fs->mtime = q.mtime;
	return 1;
}

/*
 * Find where (id, off, head) continues and queue it and everything newer.
 * The file is first looked for by inode; when it is gone or shrank below
 * off, by a copy that starts with the same head and is long enough.
 */
static void
file_resume(struct file_source *fs, struct file_id id, off_t off,
    size_t head_len, uint32_t head_hash, struct timespec mtime)
{
	struct file_entry *ent;
	size_t n, i;
	int fd, found = -1;

	ent = calloc(FILE_SCAN_MAX, sizeof(*ent));
	if (ent == NULL)
		return;
	n = file_scan(fs, ent, FILE_SCAN_MAX);
	file_queue_clear(fs);
	if (id.ino == 0) {
		/* No position yet: the live file from its start. */
		if (n > 0 && ent[n - 1].live)
			file_queue_from(fs, ent, n, n - 1, 0, 0, 0);
		free(ent);
		return;
	}
	for (i = 0; i < n; i++) {
		if (ent[i].id.ino != id.ino || ent[i].id.dev != id.dev)
			continue;
		if (ent[i].size < off)
			break;
		fd = file_openat_entry(fs, &ent[i]);
		if (fd >= 0 && file_head_matches(fd, head_len, head_hash)) {
			size_t j = i;

			close(fd);
			/*
			 * At the start of an empty file nothing identifies
			 * its content: whatever was rotated away since (a
			 * copy-truncate meanwhile) is newer than the position.
			 */
			if (off == 0 && head_len == 0)
				while (j > 0 && (ent[j - 1].mtime.tv_sec >
				    mtime.tv_sec || (ent[j - 1].mtime.tv_sec ==
				    mtime.tv_sec && ent[j - 1].mtime.tv_nsec >
				    mtime.tv_nsec)))
					j--;
			file_queue_from(fs, ent, n, j, j == i ? off : 0,
			    j == i ? head_len : 0, j == i ? head_hash : 0);
			free(ent);
			return;
		}
		if (fd >= 0)
			close(fd);
		break;
	}
	/* Copy-truncate: the old bytes live on in a copy. */
	for (i = 0; i < n && (off > 0 || head_len > 0); i++) {
		if ((ent[i].id.ino == id.ino && ent[i].id.dev == id.dev) ||
		    ent[i].size < off)
			continue;
		fd = file_openat_entry(fs, &ent[i]);
		if (fd < 0)
			continue;
		if (file_head_matches(fd, head_len, head_hash))
			found = (int)i;
		close(fd);
		if (found >= 0)
			break;
	}
	if (found >= 0) {
		log_info("%s: resuming in %s/%s at offset %jd (copy-truncate)",
		    fs->base.name, fs->dir, ent[found].name, (intmax_t)off);
		file_queue_from(fs, ent, n, (size_t)found, off, head_len,
		    head_hash);
		fs->base.counts.rotations++;
		free(ent);
		return;
	}
	if (id.ino != 0 && off > 0)
		log_warn("%s: the file of the last position (inode %ju, "
		    "offset %jd) is gone; continuing with the newer files",
		    fs->base.name, (uintmax_t)id.ino, (intmax_t)off);
	/* Gone: every file written after it, from the start. */
	for (i = 0; i < n; i++)
		if (ent[i].live || ent[i].mtime.tv_sec > mtime.tv_sec ||
		    (ent[i].mtime.tv_sec == mtime.tv_sec &&
		    ent[i].mtime.tv_nsec > mtime.tv_nsec))
			break;
	file_queue_from(fs, ent, n, i, 0, 0, 0);
	free(ent);
}

/*
 * Queue what follows the current (finished, rotated) file: it is found
 * again among the generations, and everything newer is queued after it.
 */
static void
file_queue_successors(struct file_source *fs)
{
	file_resume(fs, fs->id, fs->off, fs->head_len, fs->head_hash,
	    fs->mtime);
	/* The resume found this very file first: it is done. */
	if (fs->nqueue > 0 && fs->queue[0].id.ino == fs->id.ino &&
	    fs->queue[0].id.dev == fs->id.dev && !fs->queue[0].live) {
		close(fs->queue[0].fd);
		memmove(&fs->queue[0], &fs->queue[1],
		    (fs->nqueue - 1) * sizeof(fs->queue[0]));
		fs->nqueue--;
	}
}

static void
file_update_head(struct file_source *fs, off_t size)
{
	size_t want;

	if (fs->head_len >= FILE_HEAD_MAX || size <= (off_t)fs->head_len)
		return;
	want = size < FILE_HEAD_MAX ? (size_t)size : FILE_HEAD_MAX;
	if (file_head(fs->fd, want, &fs->head_hash) == 0)
		fs->head_len = want;
}

static void
file_emit(struct file_source *fs, const char *line, size_t len)
{
	int64_t epoch, serial;
	int ms;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (dedup_stamp(line, len, &epoch, &ms, &serial) == 0) {
		fs->last_epoch = epoch;
		fs->last_serial = serial;
	}
	source_emit_line(&fs->base, line, len);
}

/*
 * Read the current file to its end; hand on every complete line.  Returns
 * lines handed on, or -errno.
 */
static int
file_drain(struct file_source *fs, size_t *budget)
{
	int lines = 0;

	for (;;) {
		size_t room = FILE_LINE_MAX - fs->buflen, start = 0, i;
		ssize_t n;

		n = read(fs->fd, fs->buf + fs->buflen, room);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		if (n == 0)
			break;
		fs->buflen += (size_t)n;
		for (i = 0; i < fs->buflen; i++) {
			if (fs->buf[i] != '\n')
				continue;
			file_emit(fs, fs->buf + start, i - start);
			lines++;
			fs->off += (off_t)(i + 1 - start);
			start = i + 1;
		}
		if (start == 0 && fs->buflen == FILE_LINE_MAX) {
			/* No newline in 64 KiB: not a log line; cut it. */
			file_emit(fs, fs->buf, fs->buflen);
			lines++;
			fs->off += (off_t)fs->buflen;
			start = fs->buflen;
		}
		memmove(fs->buf, fs->buf + start, fs->buflen - start);
		fs->buflen -= start;
		if ((size_t)n > *budget) {
			*budget = 0;
			break;
		}
		*budget -= (size_t)n;
	}
	return lines;
}

/* The old file is done: a last line without newline is still a line. */
static void
file_finish(struct file_source *fs)
{
	if (fs->buflen > 0) {
		file_emit(fs, fs->buf, fs->buflen);
		fs->off += (off_t)fs->buflen;
		fs->buflen = 0;
	}
}

static int
file_read(struct source *src)
{
	struct file_source *fs = (struct file_source *)src;
	size_t budget = FILE_READ_MAX;
	struct stat st, pst;
	int total = 0, r;

	for (;;) {
		if (fs->fd == -1) {
			if (fs->nqueue == 0 && fs->id.ino == 0) {
				struct file_id none = { 0, 0 };
				struct timespec t0 = { 0, 0 };

				/* Nothing open: read the log when it appears. */
				if (stat(fs->path, &st) == -1)
					break;
				file_resume(fs, none, 0, 0, 0, t0);
			} else if (fs->nqueue == 0) {
				/*
				 * Done with a rotated file (or the queue was
				 * full): what came after it, found again.
				 */
				file_queue_successors(fs);
			}
			if ((r = file_next(fs)) < 0)
				return r;
			if (r == 0)
				break;
		}
		if (fstat(fs->fd, &st) == -1)
			return -errno;
		/* Copy-truncate: shorter than what we read, or a new head. */
		if (fs->live && (st.st_size < fs->off + (off_t)fs->buflen ||
		    !file_head_matches(fs->fd, fs->head_len, fs->head_hash))) {
			log_info("%s: truncated at offset %jd", src->name,
			    (intmax_t)fs->off);
			src->counts.rotations++;
			file_resume(fs, fs->id, fs->off, fs->head_len,
			    fs->head_hash, fs->mtime);
			file_close_current(fs);
			continue;
		}
		/*
		 * Empty when last seen, so no head to compare: if it changed
		 * since, it may have been filled and copy-truncated; any
		 * rotated file newer than our last look is read first.
		 */
		if (fs->live && fs->off == 0 && fs->head_len == 0 &&
		    fs->buflen == 0 && (st.st_mtim.tv_sec != fs->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != fs->mtime.tv_nsec)) {
			file_resume(fs, fs->id, 0, 0, 0, fs->mtime);
			if (fs->nqueue > 1) {
				log_info("%s: emptied while unread; reading "
				    "the rotated copy first", src->name);
				src->counts.rotations++;
				file_close_current(fs);
				continue;
			}
			file_queue_clear(fs);
		}
		r = file_drain(fs, &budget);
		if (r < 0)
			return r;
		total += r;
		if (fstat(fs->fd, &st) == 0) {
			fs->mtime = st.st_mtim;
			file_update_head(fs, st.st_size);
		}
		if (budget == 0)
			break;
		if (!fs->live) {
			/* A rotated file: nobody writes it any more. */
			file_finish(fs);
			file_done(fs);
			file_close_current(fs);
			continue;
		}
		if (stat(fs->path, &pst) == -1) {
			/*
			 * Renamed, no new log yet - unless newer rotated
			 * files show that the writer went on without us.
			 */
			file_resume(fs, fs->id, fs->off, fs->head_len,
			    fs->head_hash, fs->mtime);
			if (fs->nqueue <= 1) {
				file_queue_clear(fs);
				break;
			}
			file_queue_clear(fs);
			pst.st_size = 1;
		} else if (pst.st_ino == fs->id.ino &&
		    pst.st_dev == fs->id.dev) {
			fs->rotated_seen_ms = 0;
			break;
		}
		/*
		 * Renamed away.  The writer may still finish a line in the
		 * old file until it reopens: switch once the new file has
		 * data or after a grace period.
		 */
		if (fs->rotated_seen_ms == 0)
			fs->rotated_seen_ms = source_now_ms();
		if (pst.st_size == 0 && source_now_ms() - fs->rotated_seen_ms <
		    FILE_SWITCH_GRACE_MS)
			break;
		r = file_drain(fs, &budget);
		if (r < 0)
			return r;
		total += r;
		if (budget == 0)
			break;
		file_finish(fs);
		src->counts.rotations++;
		log_debug("%s: rotated (inode %ju)", src->name,
		    (uintmax_t)fs->id.ino);
		fs->live = 0;
		file_done(fs);
		file_close_current(fs);
	}
	return total;
}

static int
file_position(const struct source *src, char *buf, size_t len)
{
	const struct file_source *fs = (const struct file_source *)src;
	int n;

	n = snprintf(buf, len,
	    "dev=%ju,ino=%ju,off=%jd,head=%zu:%08" PRIx32
	    ",mtime=%jd.%09ld,serial=%" PRId64 ":%" PRId64,
	    (uintmax_t)fs->id.dev, (uintmax_t)fs->id.ino, (intmax_t)fs->off,
	    fs->head_len, fs->head_hash, (intmax_t)fs->mtime.tv_sec,
	    (long)fs->mtime.tv_nsec, fs->last_epoch, fs->last_serial);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

static int
file_fd(const struct source *src)
{
	return -1;
}

static void
file_free(struct source *src)
{
	struct file_source *fs = (struct file_source *)src;

	file_close_current(fs);
	file_queue_clear(fs);
	free(fs->buf);
	free(fs);
}

static const struct source_ops file_ops = {
	.read = file_read,
	.position = file_position,
	.fd = file_fd,
	.free = file_free,
};

static int
file_parse_position(const char *text, struct file_id *id, off_t *off,
    size_t *head_len, uint32_t *head_hash, struct timespec *mtime,
    int64_t *epoch, int64_t *serial)
{
	uintmax_t dev, ino;
	intmax_t o, sec;
	size_t hl;
	unsigned h;
	long nsec;
	long long e, s;
	int end = 0;

	if (sscanf(text, "dev=%ju,ino=%ju,off=%jd,head=%zu:%x,mtime=%jd.%ld,"
	    "serial=%lld:%lld%n", &dev, &ino, &o, &hl, &h, &sec, &nsec, &e, &s,
	    &end) != 9 || text[end] != '\0' || o < 0 || hl > FILE_HEAD_MAX ||
	    nsec < 0 || nsec > 999999999)
		return -EINVAL;
	id->dev = (dev_t)dev;
	id->ino = (ino_t)ino;
	*off = (off_t)o;
	*head_len = hl;
	*head_hash = h;
	mtime->tv_sec = (time_t)sec;
	mtime->tv_nsec = nsec;
	*epoch = e;
	*serial = s;
	return 0;
}

int
source_file_new(const struct source_sink *sink, const char *path,
    const char *checkpoint, int read_backlog, struct source **ret_source)
{
	struct file_source *fs;
	char name[CONFIG_PATH_MAX + 8];
	const char *slash;
	struct stat st;

	if (path[0] != '/' || strlen(path) >= CONFIG_PATH_MAX)
		return -EINVAL;
	slash = strrchr(path, '/');
	if (slash[1] == '\0' || strlen(slash + 1) > NAME_MAX)
		return -EINVAL;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return -ENOMEM;
	if ((fs->buf = malloc(FILE_LINE_MAX)) == NULL) {
		free(fs);
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "file:%s", path);
	source_init(&fs->base, &file_ops, SOURCE_AUDITLOG, name, sink);
	snprintf(fs->path, sizeof(fs->path), "%s", path);
	if (slash == path)
		snprintf(fs->dir, sizeof(fs->dir), "/");
	else
		snprintf(fs->dir, sizeof(fs->dir), "%.*s", (int)(slash - path),
		    path);
	snprintf(fs->basename, sizeof(fs->basename), "%s", slash + 1);
	fs->fd = -1;

	if (checkpoint != NULL && checkpoint[0] != '\0') {
		struct file_id id;
		struct timespec mtime;
		size_t hl;
		uint32_t hh;
		off_t off;

		if (file_parse_position(checkpoint, &id, &off, &hl, &hh, &mtime,
		    &fs->last_epoch, &fs->last_serial) < 0) {
			log_warn("%s: unreadable checkpoint \"%.80s\"; "
			    "starting at the end", name, checkpoint);
		} else {
			file_resume(fs, id, off, hl, hh, mtime);
			*ret_source = &fs->base;
			return 0;
		}
	}
	/* First start: the backlog, or only what comes from now on. */
	if (stat(path, &st) == 0) {
		struct file_id none = { 0, 0 };
		struct timespec t0 = { 0, 0 };

		file_resume(fs, none, 0, 0, 0, t0);
		if (!read_backlog && fs->nqueue == 1) {
			off_t end = lseek(fs->queue[0].fd, 0, SEEK_END);

			fs->queue[0].off = end > 0 ? end : 0;
		}
		if (file_next(fs) > 0) {
			if (fstat(fs->fd, &st) == 0)
				file_update_head(fs, st.st_size);
		}
	}
	*ret_source = &fs->base;
	return 0;
}
