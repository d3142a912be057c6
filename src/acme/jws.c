/* See jws.h. */
#include "acme/jws.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jws_key {
	EVP_PKEY *pkey;
};

char *jws_b64url(const void *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	char *out = malloc(len / 3 * 4 + 5), *o = out;
	size_t i = 0;

	if (!out)
		return NULL;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

static struct jws_key *wrap(EVP_PKEY *pkey)
{
	struct jws_key *k;

	if (!pkey)
		return NULL;
	k = malloc(sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k->pkey = pkey;
	return k;
}

struct jws_key *jws_key_generate(void)
{
	return wrap(EVP_EC_gen("P-256"));
}

struct jws_key *jws_key_from_pem(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey;
	char group[32];
	size_t glen = 0;

	if (!bio)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	/* Only P-256: ES256 is the one algorithm we sign with. */
	if (pkey && (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
		     !EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						     sizeof(group), &glen) ||
		     strcmp(group, "prime256v1") != 0)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return wrap(pkey);
}

char *jws_key_to_pem(const struct jws_key *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (!bio)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL)) {
		n = BIO_get_mem_data(bio, &data);
		out = malloc((size_t)n + 1);
		if (out) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(bio);
	return out;
}

void jws_key_free(struct jws_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* The affine coordinates, each as 32 big-endian bytes. */
static int coordinates(const struct jws_key *k, unsigned char x[32], unsigned char y[32])
{
	BIGNUM *bx = NULL, *by = NULL;
	int rc = -1;

	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) &&
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) &&
	    BN_bn2binpad(bx, x, 32) == 32 && BN_bn2binpad(by, y, 32) == 32)
		rc = 0;
	BN_free(bx);
	BN_free(by);
	return rc;
}

char *jws_jwk(const struct jws_key *k)
{
	unsigned char x[32], y[32];
	char *bx, *by, *out = NULL;

	if (coordinates(k, x, y))
		return NULL;
	bx = jws_b64url(x, 32);
	by = jws_b64url(y, 32);
	if (bx && by && asprintf(&out, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
				 bx, by) < 0)
		out = NULL;
	free(bx);
	free(by);
	return out;
}

char *jws_thumbprint(const struct jws_key *k)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *jwk = jws_jwk(k), *out = NULL;

	if (jwk && EVP_Digest(jwk, strlen(jwk), md, &mdlen, EVP_sha256(), NULL) && mdlen == 32)
		out = jws_b64url(md, 32);
	free(jwk);
	return out;
}

int jws_sign_es256(const struct jws_key *k, const void *data, size_t len, unsigned char sig[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80];
	const unsigned char *p = der;
	size_t derlen = sizeof(der);
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int rc = -1;

	if (!md)
		return -1;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, der, &derlen, data, len) != 1)
		goto out;
	es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (!es)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32)
		rc = 0;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return rc;
}

char *jws_sign(const struct jws_key *k, const char *kid, const char *nonce, const char *url,
	       const char *payload)
{
	json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "nonce", nonce, "url", url);
	char *jwk = NULL, *header = NULL, *b64h = NULL, *b64p = NULL, *input = NULL;
	char *b64s = NULL, *out = NULL;
	unsigned char sig[64];

	if (!hdr)
		return NULL;
	if (kid) {
		if (json_object_set_new(hdr, "kid", json_string(kid)))
			goto out;
	} else {
		json_t *j;
		if (!(jwk = jws_jwk(k)) || !(j = json_loads(jwk, 0, NULL)) ||
		    json_object_set_new(hdr, "jwk", j))
			goto out;
	}
	header = json_dumps(hdr, JSON_COMPACT);
	if (!header)
		goto out;
	b64h = jws_b64url(header, strlen(header));
	b64p = jws_b64url(payload ? payload : "", payload ? strlen(payload) : 0);
	if (!b64h || !b64p || asprintf(&input, "%s.%s", b64h, b64p) < 0) {
		input = NULL;
		goto out;
	}
	if (jws_sign_es256(k, input, strlen(input), sig))
		goto out;
	b64s = jws_b64url(sig, sizeof(sig));
	if (!b64s || asprintf(&out, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
			      b64h, b64p, b64s) < 0)
		out = NULL;
out:
	json_decref(hdr);
	free(jwk);
	free(header);
	free(b64h);
	free(b64p);
	free(input);
	free(b64s);
	return out;
}
