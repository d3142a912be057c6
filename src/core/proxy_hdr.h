/* The PROXY protocol header at the start of a connection (--proxy-protocol):
 * read from the socket itself, below the transport, so it works the same
 * under TLS (a proxy sends it before the ClientHello). Engine-side only. */
#ifndef EISD_PROXY_HDR_H
#define EISD_PROXY_HDR_H

struct conn;

/* The most header bytes waited for: a v2 header with the TLVs HAProxy
 * sends (ALPN, authority, unique id, SSL details) is a few hundred. A
 * longer one is refused (the parser itself takes up to 64 KiB). */
#define PROXY_HDR_MAX 2048

/* A new connection: 0 when its peer is a trusted proxy (the header is now
 * awaited), -1 when it is not (the caller closes). */
int proxy_hdr_start(struct conn *c);

/* Reads what the socket has of the header, never a byte past it (those
 * belong to the transport). 1: the header is complete and the client it
 * names is now c's peer; 0: waiting for more; -1: close (end of input, a
 * malformed or oversized header, or an error). */
int proxy_hdr_read(struct conn *c);

/* Frees what a connection closed while waiting still holds. */
void proxy_hdr_drop(struct conn *c);

#endif
