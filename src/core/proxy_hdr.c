/* The PROXY header (see proxy_hdr.h). The socket is peeked, so the header
 * is taken off it exactly: the bytes after it are the client's and stay in
 * the kernel for the transport. A header split across segments is kept
 * in c->proxy_buf until it is whole. */
#include "core/proxy_hdr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/conn.h"
#include "core/conn_io.h"
#include "core/ctx.h"
#include "util/cidr.h"
#include "util/proxy_proto.h"

int proxy_hdr_start(struct conn *c)
{
	const struct config *cfg = c->ctx->cfg;

	/* Only a proxy we trust may name another client: from anyone else
	 * a header would be a spoofed address, and its absence a client
	 * that bypassed the proxy. */
	if (!cidr_match_any(cfg->trusted_proxies, (size_t)cfg->ntrusted_proxies,
			    &c->peer.sa))
		return -1;
	c->proxy_wait = true;
	return 0;
}

void proxy_hdr_drop(struct conn *c)
{
	free(c->proxy_buf);
	c->proxy_buf = NULL;
	c->proxy_have = 0;
}

static void apply(struct conn *c, const struct proxy_info *pi)
{
	/* LOCAL (the proxy's own health check) and UNKNOWN name nobody:
	 * the proxy itself stays the peer. */
	if (!pi->has_addr)
		return;
	memset(&c->peer, 0, sizeof(c->peer));
	memcpy(&c->peer, &pi->src, pi->addr_len);
	conn_format_addr(&pi->src, c->peer_addr, sizeof(c->peer_addr));
}

static ssize_t recv_retry(int fd, void *buf, size_t len, int flags)
{
	ssize_t n;

	do
		n = recv(fd, buf, len, flags);
	while (n < 0 && errno == EINTR);
	return n;
}

int proxy_hdr_read(struct conn *c)
{
	char buf[PROXY_HDR_MAX];
	size_t have = c->proxy_have, consumed = 0;
	struct proxy_info pi;
	enum proxy_result r;
	ssize_t n;

	if (have)
		memcpy(buf, c->proxy_buf, have);
	n = recv_retry(c->fd, buf + have, sizeof(buf) - have, MSG_PEEK);
	if (n == 0)
		return -1; /* gone before the header ended */
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;

	r = proxy_parse(buf, have + (size_t)n, &pi, &consumed);
	if (r == PROXY_ERROR)
		return -1;
	if (r == PROXY_NEED_MORE) {
		/* All of it is header: take it off the socket and keep it. */
		if (have + (size_t)n == sizeof(buf))
			return -1;
		if (!c->proxy_buf && !(c->proxy_buf = malloc(PROXY_HDR_MAX)))
			return -1;
		if (recv_retry(c->fd, c->proxy_buf + have, (size_t)n, 0) != n)
			return -1;
		c->proxy_have = (unsigned short)(have + (size_t)n);
		return 0;
	}
	/* Exactly the rest of the header (peeked, so it is there). */
	if (consumed > have &&
	    recv_retry(c->fd, buf, consumed - have, 0) != (ssize_t)(consumed - have))
		return -1;
	proxy_hdr_drop(c);
	c->proxy_wait = false;
	apply(c, &pi);
	return 1;
}
