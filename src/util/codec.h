/* Whole-buffer compression with the Debian libraries, one small file per
 * library (codec_zstd.c, codec_br.c, codec_gzip.c): eisd never writes a
 * compressor of its own. Pure: no global state, safe from any thread. */
#ifndef EISD_CODEC_H
#define EISD_CODEC_H

#include <stddef.h>

/* The content codings eisd can make, in the order a tie between them is
 * broken (http/negotiate.h keeps the same values). */
enum codec_kind {
	CODEC_ZSTD,
	CODEC_BR,
	CODEC_GZIP,
	CODEC_COUNT,
};

/* Compresses in[0..n) into a malloc'd buffer (*out, *out_len), at a
 * level picked for a result kept and sent many times (slower for small
 * inputs, faster for big ones). 0, or -1 when the library failed or
 * memory ran out (*out untouched). */
int codec_compress(enum codec_kind k, const void *in, size_t n, void **out, size_t *out_len);

int codec_zstd(const void *in, size_t n, void **out, size_t *out_len);
int codec_br(const void *in, size_t n, void **out, size_t *out_len);
int codec_gzip(const void *in, size_t n, void **out, size_t *out_len);

/* Inputs up to this size get the strongest levels. */
#define CODEC_SMALL (1u << 20)

#endif
