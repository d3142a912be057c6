/* zstd through libzstd. See codec.h. */
#include "util/codec.h"

#include <stdlib.h>
#include <zstd.h>

int codec_zstd(const void *in, size_t n, void **out, size_t *out_len)
{
	size_t cap = ZSTD_compressBound(n), len;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	void *buf = malloc(cap ? cap : 1);

	if (!cc || !buf)
		goto fail;
	/* A browser decodes "zstd" with a window of at most 8 MiB (RFC 9659). */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel,
						n <= CODEC_SMALL ? 19 : 12)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 23)))
		goto fail;
	len = ZSTD_compress2(cc, buf, cap, in, n);
	if (ZSTD_isError(len))
		goto fail;
	ZSTD_freeCCtx(cc);
	*out = buf;
	*out_len = len;
	return 0;
fail:
	ZSTD_freeCCtx(cc);
	free(buf);
	return -1;
}
