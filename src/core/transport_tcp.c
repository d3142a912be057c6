/* Plain TCP behind the transport seam (core/transport.h): the socket
 * calls themselves, and nothing else. */
#include "core/transport.h"

#include <errno.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn.h"

/* The one place errno becomes a transport result. */
static ssize_t tcp_result(void)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return TRANSPORT_WANT_WRITE;
	return TRANSPORT_ERROR;
}

static ssize_t tcp_read(struct conn *c, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return TRANSPORT_WANT_READ;
		return TRANSPORT_ERROR;
	}
}

static ssize_t tcp_writev(struct conn *c, const struct iovec *iov, int iovcnt, int flags)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	int f = MSG_NOSIGNAL | (flags & TRANSPORT_MORE ? MSG_MORE : 0);

	for (;;) {
		ssize_t n = sendmsg(c->fd, &msg, f);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return tcp_result();
	}
}

static ssize_t tcp_sendfile(struct conn *c, int fd, off_t *off, size_t len, int flags)
{
	for (;;) {
		ssize_t n = sendfile(c->fd, fd, off, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return tcp_result();
	}
}

static int tcp_queued(struct conn *c)
{
	int q;

	if (ioctl(c->fd, SIOCOUTQ, &q) < 0)
		return -1;
	return q;
}

static void tcp_shutdown(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
}

static void tcp_close(struct conn *c, enum transport_close how)
{
	if (how == TRANSPORT_CLOSE_ABORT) {
		/* A zero linger time makes close() send RST and drop the send
		 * queue now instead of keeping it for a peer that is not
		 * reading (issue 16: 500 such sockets held 1.8 GB). */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
}

/* A refused client's request may already wait in the receive queue, and
 * close() with unread bytes answers with RST, which may destroy the short
 * reply before the client reads it: take in what is there (bounded). */
static void tcp_reject(int fd, const char *reply, size_t len)
{
	char scratch[4096];

	/* Best effort on a fresh socket; its buffer takes a short reply whole. */
	if (reply && send(fd, reply, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* the client is gone already */
	}
	for (int i = 0; i < 4; i++)
		if (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) <= 0)
			break;
	close(fd);
}

const struct transport transport_tcp = {
	.name = "tcp",
	.open = NULL,
	.read = tcp_read,
	.writev = tcp_writev,
	.sendfile = tcp_sendfile,
	.queued = tcp_queued,
	.read_pending = NULL,
	.shutdown = tcp_shutdown,
	.close = tcp_close,
	.reject = tcp_reject,
};
