/*
 * source_netlink.c - the audit netlink multicast group (AUDIT_NLGRP_READLOG).
 *
 * A reader of the group sees every record the kernel emits without taking
 * the place of auditd.  The kernel drops messages for a reader whose socket
 * is full and tells it with ENOBUFS on the next receive: the drop is counted
 * (from the gap in event serials when one follows, at least one), the
 * receive buffer is raised and reading goes on.  The kernel's own counter of
 * records lost before any reader (backlog limit, rate limit) is read with
 * AUDIT_GET.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "source_internal.h"

#ifndef AUDIT_NLGRP_READLOG
#define AUDIT_NLGRP_READLOG 1
#endif

#define NETLINK_BUF (64 * 1024)
#define NETLINK_BATCH 20000		/* messages per source_read() */
#define NETLINK_RCVBUF_MAX (256 * 1024 * 1024)

struct netlink_source {
	struct source base;
	int	 fd;
	int	 rcvbuf;
	int64_t	 overflowed;	/* ENOBUFS seen since the last gap measured */
	int64_t	 last_epoch, last_serial;
	char	*buf;
	/*
	 * Tests only ($AALEARND_TEST_NETLINK_FAIL_ON): a message holding this
	 * text makes the read fail with EIO, as a broken socket would, so
	 * that the daemon's recovery can be exercised.  NULL: never.
	 */
	const char *fail_on;
};

/*
 * The next message in buf[*off..len), or NULL.  NLMSG_OK/NEXT mix signed
 * and unsigned lengths; this walks the buffer with sizes only.
 */
static struct nlmsghdr *
netlink_next(char *buf, size_t len, size_t *off)
{
	struct nlmsghdr *nlh;

	if (*off > len || len - *off < sizeof(*nlh))
		return NULL;
	nlh = (struct nlmsghdr *)(void *)(buf + *off);
	if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - *off)
		return NULL;
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
	return nlh;
}

static void
netlink_raise_rcvbuf(struct netlink_source *ns)
{
	int want = ns->rcvbuf;

	if (want >= NETLINK_RCVBUF_MAX)
		return;
	want = want < NETLINK_RCVBUF_MAX / 2 ? want * 2 : NETLINK_RCVBUF_MAX;
	/* FORCE passes net.core.rmem_max; it needs CAP_NET_ADMIN. */
	if (setsockopt(ns->fd, SOL_SOCKET, SO_RCVBUFFORCE, &want,
	    sizeof(want)) == -1 && setsockopt(ns->fd, SOL_SOCKET, SO_RCVBUF,
	    &want, sizeof(want)) == -1) {
		log_warn("%s: raising the receive buffer to %d: %s",
		    ns->base.name, want, strerror(errno));
		return;
	}
	ns->rcvbuf = want;
	log_info("%s: receive buffer raised to %d bytes", ns->base.name, want);
}

static void
netlink_message(struct netlink_source *ns, int type, const char *p,
    size_t len)
{
	int64_t epoch, serial;
	int ms;

	/* The kernel may count the terminating NUL in the length. */
	while (len > 0 && (p[len - 1] == '\0' || p[len - 1] == '\n'))
		len--;
	if (dedup_stamp(p, len, &epoch, &ms, &serial) == 0) {
		/*
		 * Serials are global and count events: after an overflow,
		 * the first jump says how many events we missed (the
		 * messages queued before the drop come first, contiguous).
		 * Each ENOBUFS already counted one.
		 */
		if (ns->overflowed > 0 && ns->last_serial > 0 &&
		    serial > ns->last_serial + 1) {
			int64_t gap = serial - ns->last_serial - 1;

			if (gap > ns->overflowed)
				ns->base.counts.lost +=
				    (uint64_t)(gap - ns->overflowed);
			ns->overflowed = 0;
		}
		if (serial > ns->last_serial) {
			ns->last_epoch = epoch;
			ns->last_serial = serial;
		}
	}
	source_emit_netlink(&ns->base, type, p, len);
}

static int
netlink_read(struct source *src)
{
	struct netlink_source *ns = (struct netlink_source *)src;
	int handed = 0;

	while (handed < NETLINK_BATCH) {
		struct sockaddr_nl from;
		struct iovec iov = { ns->buf, NETLINK_BUF };
		struct msghdr mh = { 0 };
		struct nlmsghdr *nlh;
		ssize_t n;
		size_t off = 0;

		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(ns->fd, &mh, MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				src->counts.overflows++;
				src->counts.lost++;	/* at least one */
				ns->overflowed++;
				log_warn("%s: socket overflow, records lost",
				    src->name);
				netlink_raise_rcvbuf(ns);
				continue;
			}
			return -errno;
		}
		/* Only the kernel speaks on this group. */
		if (from.nl_pid != 0)
			continue;
		while ((nlh = netlink_next(ns->buf, (size_t)n, &off)) != NULL) {
			if (nlh->nlmsg_type == NLMSG_NOOP ||
			    nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE)
				continue;
			if (ns->fail_on != NULL && memmem(NLMSG_DATA(nlh),
			    nlh->nlmsg_len - NLMSG_HDRLEN, ns->fail_on,
			    strlen(ns->fail_on)) != NULL)
				return -EIO;
			netlink_message(ns, nlh->nlmsg_type, NLMSG_DATA(nlh),
			    nlh->nlmsg_len - NLMSG_HDRLEN);
			handed++;
		}
	}
	return handed;
}

static int
netlink_position(const struct source *src, char *buf, size_t len)
{
	const struct netlink_source *ns = (const struct netlink_source *)src;
	int n;

	/* Live only: nothing to resume, but the stamp helps a reader. */
	n = snprintf(buf, len, "serial=%" PRId64 ":%" PRId64, ns->last_epoch,
	    ns->last_serial);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

static int
netlink_fd(const struct source *src)
{
	return ((const struct netlink_source *)src)->fd;
}

static void
netlink_free(struct source *src)
{
	struct netlink_source *ns = (struct netlink_source *)src;

	if (ns->fd != -1)
		close(ns->fd);
	free(ns->buf);
	free(ns);
}

static const struct source_ops netlink_ops = {
	.read = netlink_read,
	.position = netlink_position,
	.fd = netlink_fd,
	.free = netlink_free,
};

int
source_netlink_new(const struct source_sink *sink, int rcvbuf,
    struct source **ret_source)
{
	struct sockaddr_nl sa = { 0 };
	struct netlink_source *ns;
	int r;

	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return -ENOMEM;
	source_init(&ns->base, &netlink_ops, SOURCE_NETLINK, "netlink", sink);
	ns->buf = malloc(NETLINK_BUF);
	ns->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_AUDIT);
	if (ns->buf == NULL || ns->fd == -1) {
		r = ns->buf == NULL ? -ENOMEM : -errno;
		netlink_free(&ns->base);
		return r;
	}
	ns->fail_on = getenv("AALEARND_TEST_NETLINK_FAIL_ON");
	if (ns->fail_on != NULL && *ns->fail_on == '\0')
		ns->fail_on = NULL;
	ns->rcvbuf = rcvbuf > 0 ? rcvbuf : 8 * 1024 * 1024;
	if (setsockopt(ns->fd, SOL_SOCKET, SO_RCVBUFFORCE, &ns->rcvbuf,
	    sizeof(ns->rcvbuf)) == -1)
		(void)setsockopt(ns->fd, SOL_SOCKET, SO_RCVBUF, &ns->rcvbuf,
		    sizeof(ns->rcvbuf));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1);
	if (bind(ns->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		r = -errno;
		netlink_free(&ns->base);
		return r;
	}
	*ret_source = &ns->base;
	return 0;
}

int
source_netlink_kernel_lost(uint64_t *ret_lost)
{
	struct {
		struct nlmsghdr nlh;
		char	 pad[64];
	} req;
	char buf[8192];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, r = -ETIMEDOUT, tries;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd == -1)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(0);
	req.nlh.nlmsg_type = AUDIT_GET;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nlh.nlmsg_seq = 1;
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1) {
		r = -errno;
		close(fd);
		return r;
	}
	/* The reply and an ack; never wait more than a second in all. */
	for (tries = 0; tries < 4; tries++) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		struct nlmsghdr *nlh;
		ssize_t n;
		size_t off = 0;

		if (poll(&pfd, 1, 250) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		while ((nlh = netlink_next(buf, (size_t)n, &off)) != NULL) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) &&
				    e->error != 0) {
					r = e->error;
					goto out;
				}
				continue;
			}
			if (nlh->nlmsg_type == AUDIT_GET &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(offsetof(
			    struct audit_status, lost) + sizeof(uint32_t))) {
				struct audit_status st;

				memset(&st, 0, sizeof(st));
				memcpy(&st, NLMSG_DATA(nlh), nlh->nlmsg_len -
				    NLMSG_HDRLEN < sizeof(st) ? nlh->nlmsg_len -
				    NLMSG_HDRLEN : sizeof(st));
				*ret_lost = st.lost;
				r = 0;
				goto out;
			}
		}
	}
out:
	close(fd);
	return r;
}
