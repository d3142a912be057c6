/* Dispatch to the library of each coding. See codec.h. */
#include "util/codec.h"

int codec_compress(enum codec_kind k, const void *in, size_t n, void **out, size_t *out_len)
{
	switch (k) {
	case CODEC_ZSTD:
		return codec_zstd(in, n, out, out_len);
	case CODEC_BR:
		return codec_br(in, n, out, out_len);
	case CODEC_GZIP:
		return codec_gzip(in, n, out, out_len);
	case CODEC_COUNT:
	default:
		return -1;
	}
}
