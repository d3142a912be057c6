/* brotli through libbrotlienc. See codec.h. */
#include "util/codec.h"

#include <brotli/encode.h>
#include <stdlib.h>

int codec_br(const void *in, size_t n, void **out, size_t *out_len)
{
	size_t cap = BrotliEncoderMaxCompressedSize(n), len;
	void *buf;

	if (cap == 0)
		cap = n + 1024; /* too big for the bound's arithmetic */
	buf = malloc(cap);
	if (!buf)
		return -1;
	len = cap;
	if (!BrotliEncoderCompress(n <= CODEC_SMALL ? BROTLI_MAX_QUALITY : 7, BROTLI_DEFAULT_WINDOW,
				   BROTLI_MODE_GENERIC, n, in, &len, buf)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = len;
	return 0;
}
