/* PROXY protocol header parser, versions 1 (text) and 2 (binary), as
 * HAProxy's proxy-protocol.txt specifies them. Pure: bytes in, result out;
 * no I/O, no allocation, no global state.
 *
 * A receiver must not guess (spec section 2): whatever is not a complete,
 * well-formed header is an error, and the caller closes the connection. */
#ifndef EISD_PROXY_PROTO_H
#define EISD_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The longest v1 line, CRLF included (spec 2.1). */
#define PROXY_V1_MAX 107
/* The fixed part of a v2 header: signature, ver/cmd, family, length. */
#define PROXY_V2_HEAD 16

enum proxy_result {
	PROXY_OK = 0,    /* a whole header: *consumed bytes, *out filled */
	PROXY_NEED_MORE, /* a valid prefix of a header: read more */
	PROXY_ERROR,     /* not a PROXY header, or a malformed one */
};

struct proxy_info {
	int version; /* 1 or 2 */
	/* false: the header names no address (v1 UNKNOWN, v2 LOCAL, v2
	 * UNSPEC or UNIX family); the connection's own peer stands. */
	bool has_addr;
	int family; /* AF_INET or AF_INET6 with has_addr, else AF_UNSPEC */
	struct sockaddr_storage src; /* the client, port included */
	struct sockaddr_storage dst; /* the address it connected to */
	socklen_t addr_len;          /* of src and dst */
	size_t tlv_len;              /* v2: bytes of TLVs skipped (validated) */
};

/* Parses the header at the start of buf[0..len). On PROXY_OK sets
 * *consumed to its length (the protocol's bytes follow) and fills *out;
 * otherwise leaves both alone. Never reads past buf + len. A v2 header
 * may be up to PROXY_V2_HEAD + 65535 bytes: a caller with a smaller
 * buffer that stays PROXY_NEED_MORE when full treats it as an error. */
enum proxy_result proxy_parse(const void *buf, size_t len,
			      struct proxy_info *out, size_t *consumed);

#endif
