/* gzip through zlib (deflate with the gzip wrapper). See codec.h. */
#include "util/codec.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int codec_gzip(const void *in, size_t n, void **out, size_t *out_len)
{
	z_stream z;
	uLong cap;
	void *buf;
	int rc;

	if (n > UINT_MAX)
		return -1; /* one deflate call; eisd compresses files of a few MiB */
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: the gzip header and trailer, no file name or
	 * time in it, so the same file always gives the same bytes. */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&z, (uLong)n);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}
