/* Unit tests for src/acme: base64url (RFC 4648 §5 vectors), the JWK and
 * its thumbprint (RFC 7638), ES256 signatures in the JWS form r||s
 * (verified here with OpenSSL after converting back to DER, so the test
 * does not trust the code's own conversion), the flattened JWS, the
 * TLS-ALPN-01 certificate's extension, and the renewal schedule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "acme/csr.h"
#include "acme/jws.h"
#include "acme/schedule.h"

static void b64(const char *in, size_t len, const char *want)
{
	char *got = jws_b64url(in, len);
	assert_string_equal(got, want);
	free(got);
}

static void test_b64url_vectors(void **state)
{
	b64("", 0, "");
	b64("f", 1, "Zg");
	b64("fo", 2, "Zm8");
	b64("foo", 3, "Zm9v");
	b64("foob", 4, "Zm9vYg");
	b64("fooba", 5, "Zm9vYmE");
	b64("foobar", 6, "Zm9vYmFy");
	/* The two characters that differ from standard base64. */
	b64("\xfb\xff", 2, "-_8");
	b64("\xff\xff\xfe", 3, "___-");
}

/* Decodes base64url (test side, written independently of jws.c). */
static size_t unb64(const char *s, unsigned char *out)
{
	size_t n = 0;
	unsigned v = 0;
	int bits = 0;

	for (; *s; s++) {
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *p = strchr(alpha, *s);
		assert_non_null(p);
		v = v << 6 | (unsigned)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	return n;
}

static EVP_PKEY *public_of(struct jws_key *k)
{
	char *pem = jws_key_to_pem(k);
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(pem);
	assert_non_null(pkey);
	return pkey;
}

static int verify_rs(EVP_PKEY *pkey, const char *data, const unsigned char rs[64])
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int derlen, ok;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	ECDSA_SIG_set0(sig, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
	derlen = i2d_ECDSA_SIG(sig, &der);
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)data, strlen(data)) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return ok;
}

static void test_es256_is_r_s(void **state)
{
	struct jws_key *k = jws_key_generate();
	EVP_PKEY *pkey = public_of(k);
	unsigned char sig[64];

	/* Many signatures: r or s with a leading zero byte (1 in 256) must
	 * still be 32 bytes each, left-padded. */
	for (int i = 0; i < 300; i++) {
		char msg[32];
		snprintf(msg, sizeof(msg), "message %d", i);
		assert_int_equal(jws_sign_es256(k, msg, strlen(msg), sig), 0);
		assert_true(verify_rs(pkey, msg, sig));
		sig[10] ^= 1;
		assert_false(verify_rs(pkey, msg, sig));
	}
	EVP_PKEY_free(pkey);
	jws_key_free(k);
}

static void test_jwk_and_thumbprint(void **state)
{
	struct jws_key *k = jws_key_generate();
	EVP_PKEY *pkey = public_of(k);
	char *jwk = jws_jwk(k), *tp = jws_thumbprint(k), *want;
	BIGNUM *x = NULL, *y = NULL;
	unsigned char bx[32], by[32], md[32];
	unsigned int mdlen;

	/* The members in RFC 7638's order, no whitespace. */
	assert_int_equal(strncmp(jwk, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"", 31), 0);
	EVP_PKEY_get_bn_param(pkey, "qx", &x);
	EVP_PKEY_get_bn_param(pkey, "qy", &y);
	BN_bn2binpad(x, bx, 32);
	BN_bn2binpad(y, by, 32);
	json_t *doc = json_loads(jwk, 0, NULL);
	unsigned char got[40];
	assert_int_equal(unb64(json_string_value(json_object_get(doc, "x")), got), 32);
	assert_memory_equal(got, bx, 32);
	assert_int_equal(unb64(json_string_value(json_object_get(doc, "y")), got), 32);
	assert_memory_equal(got, by, 32);
	EVP_Digest(jwk, strlen(jwk), md, &mdlen, EVP_sha256(), NULL);
	want = jws_b64url(md, 32);
	assert_string_equal(tp, want);
	assert_int_equal(strlen(tp), 43);
	json_decref(doc);
	BN_free(x);
	BN_free(y);
	free(want);
	free(jwk);
	free(tp);
	EVP_PKEY_free(pkey);
	jws_key_free(k);
}

static void test_flattened_jws(void **state)
{
	struct jws_key *k = jws_key_generate();
	EVP_PKEY *pkey = public_of(k);
	char *s = jws_sign(k, NULL, "nonce-1", "https://ca/new-acct", "{\"a\":1}");
	json_t *doc = json_loads(s, 0, NULL), *hdr;
	const char *prot = json_string_value(json_object_get(doc, "protected"));
	const char *payload = json_string_value(json_object_get(doc, "payload"));
	const char *sig = json_string_value(json_object_get(doc, "signature"));
	unsigned char buf[1024], rs[64];
	char input[2048];

	assert_non_null(prot);
	assert_string_equal(payload, "eyJhIjoxfQ");
	size_t n = unb64(prot, buf);
	buf[n] = '\0';
	hdr = json_loads((char *)buf, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ES256");
	assert_string_equal(json_string_value(json_object_get(hdr, "nonce")), "nonce-1");
	assert_string_equal(json_string_value(json_object_get(hdr, "url")), "https://ca/new-acct");
	assert_non_null(json_object_get(hdr, "jwk"));
	assert_null(json_object_get(hdr, "kid"));
	assert_int_equal(unb64(sig, rs), 64);
	snprintf(input, sizeof(input), "%s.%s", prot, payload);
	assert_true(verify_rs(pkey, input, rs));
	json_decref(hdr);
	json_decref(doc);
	free(s);

	/* With a kid: no jwk; POST-as-GET: the payload is empty. */
	s = jws_sign(k, "https://ca/acct/1", "n2", "https://ca/order/1", NULL);
	doc = json_loads(s, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "payload")), "");
	n = unb64(json_string_value(json_object_get(doc, "protected")), buf);
	buf[n] = '\0';
	hdr = json_loads((char *)buf, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")), "https://ca/acct/1");
	assert_null(json_object_get(hdr, "jwk"));
	json_decref(hdr);
	json_decref(doc);
	free(s);
	EVP_PKEY_free(pkey);
	jws_key_free(k);
}

static void test_key_pem_round_trip(void **state)
{
	struct jws_key *k = jws_key_generate(), *k2;
	char *pem = jws_key_to_pem(k), *a, *b;

	k2 = jws_key_from_pem(pem, strlen(pem));
	assert_non_null(k2);
	a = jws_jwk(k);
	b = jws_jwk(k2);
	assert_string_equal(a, b);
	assert_null(jws_key_from_pem("garbage", 7));
	free(a);
	free(b);
	free(pem);
	jws_key_free(k);
	jws_key_free(k2);
}

static void test_alpn_cert_extension(void **state)
{
	char *cert = NULL, *key = NULL;
	const char *ka = "token123.thumbprint456";
	unsigned char md[32];
	unsigned int mdlen;

	assert_int_equal(acme_alpn_cert("a.example", ka, &cert, &key), 0);
	BIO *bio = BIO_new_mem_buf(cert, -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	int idx = X509_get_ext_by_OBJ(x, oid, -1);
	assert_true(idx >= 0);
	X509_EXTENSION *ext = X509_get_ext(x, idx);
	assert_true(X509_EXTENSION_get_critical(ext));
	ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
	EVP_Digest(ka, strlen(ka), md, &mdlen, EVP_sha256(), NULL);
	assert_int_equal(ASN1_STRING_length(v), 34);
	const unsigned char *d = ASN1_STRING_get0_data(v);
	assert_int_equal(d[0], 0x04);
	assert_int_equal(d[1], 32);
	assert_memory_equal(d + 2, md, 32);
	assert_int_equal(X509_check_host(x, "a.example", 0, 0, NULL), 1);
	time_t nb, na;
	assert_int_equal(acme_cert_validity(cert, strlen(cert), &nb, &na), 0);
	assert_true(na > nb);
	ASN1_OBJECT_free(oid);
	X509_free(x);
	BIO_free(bio);
	free(cert);
	free(key);
}

static void test_renewal_schedule(void **state)
{
	/* 90 days: renew 30 days before the end. */
	time_t nb = 1700000000, na = nb + 90 * 86400;
	assert_int_equal(acme_renew_at(nb, na), nb + 60 * 86400);
	/* 6 days (short-lived): 2 days before. */
	assert_int_equal(acme_renew_at(nb, nb + 6 * 86400), nb + 4 * 86400);
	/* Nonsense validity: at once. */
	assert_int_equal(acme_renew_at(nb, nb - 1), nb);
}

static void test_backoff(void **state)
{
	assert_int_equal(acme_backoff(1, -1, 0), 60);
	assert_int_equal(acme_backoff(2, -1, 0), 120);
	assert_int_equal(acme_backoff(5, -1, 0), 960);
	assert_int_equal(acme_backoff(30, -1, 0), 12 * 3600);
	/* The CA's Retry-After wins when longer. */
	assert_int_equal(acme_backoff(1, 3600, 0), 3600);
	assert_int_equal(acme_backoff(3, 10, 0), 240);
	/* Jitter adds at most 10%. */
	assert_int_equal(acme_backoff(1, -1, 0.5), 63);
	assert_true(acme_backoff(2, -1, 0.9999) <= 132);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_vectors),
		cmocka_unit_test(test_es256_is_r_s),
		cmocka_unit_test(test_jwk_and_thumbprint),
		cmocka_unit_test(test_flattened_jws),
		cmocka_unit_test(test_key_pem_round_trip),
		cmocka_unit_test(test_alpn_cert_extension),
		cmocka_unit_test(test_renewal_schedule),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
