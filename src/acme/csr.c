/* See csr.h. */
#include "acme/csr.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/jws.h"

static char *bio_string(BIO *bio)
{
	char *data, *out;
	long n = BIO_get_mem_data(bio, &data);

	out = malloc((size_t)n + 1);
	if (out) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	return out;
}

static char *key_pem_of(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL;

	if (bio && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL))
		out = bio_string(bio);
	BIO_free(bio);
	return out;
}

/* "DNS:a,DNS:b" for the subjectAltName extension. */
static char *san_list(const char *const *names, size_t n)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(names[i]) + 5;
	s = p = malloc(len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%sDNS:%s", i ? "," : "", names[i]);
	*p = '\0';
	return s;
}

char *acme_csr_new(const char *const *names, size_t n, char **key_pem)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subj = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = NULL;
	char *sans = san_list(names, n), *out = NULL;
	unsigned char *der = NULL;
	int derlen;

	*key_pem = NULL;
	if (!pkey || !req || !subj || !exts || !sans || n == 0)
		goto out;
	if (!X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
					(const unsigned char *)names[0], -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, subj) || !X509_REQ_set_pubkey(req, pkey))
		goto out;
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, sans);
	if (!ext || !sk_X509_EXTENSION_push(exts, ext))
		goto out;
	ext = NULL; /* owned by exts */
	if (!X509_REQ_add_extensions(req, exts) || !X509_REQ_sign(req, pkey, EVP_sha256()))
		goto out;
	derlen = i2d_X509_REQ(req, &der);
	if (derlen <= 0)
		goto out;
	out = jws_b64url(der, (size_t)derlen);
	if (out && !(*key_pem = key_pem_of(pkey))) {
		free(out);
		out = NULL;
	}
out:
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	EVP_PKEY_free(pkey);
	free(sans);
	return out;
}

int acme_alpn_cert(const char *name, const char *key_auth, char **cert_pem, char **key_pem)
{
	/* The extension's value is the DER OCTET STRING holding the digest
	 * (RFC 8737 §3: Authorization ::= OCTET STRING (SIZE (32))). */
	unsigned char value[34] = { 0x04, 0x20 };
	unsigned int mdlen = 0;
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL, *san = NULL;
	char *sans = san_list(&name, 1);
	BIO *bio = NULL;
	int rc = -1;

	*cert_pem = *key_pem = NULL;
	if (!pkey || !x || !oid || !os || !sans ||
	    !EVP_Digest(key_auth, strlen(key_auth), value + 2, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32 || !ASN1_OCTET_STRING_set(os, value, sizeof(value)))
		goto out;
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, os);
	san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, sans);
	if (!ext || !san || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 7 * 24 * 3600) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
					(const unsigned char *)name, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) || !X509_set_pubkey(x, pkey) ||
	    !X509_add_ext(x, san, -1) || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, pkey, EVP_sha256()))
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_X509(bio, x))
		goto out;
	*cert_pem = bio_string(bio);
	*key_pem = key_pem_of(pkey);
	if (*cert_pem && *key_pem)
		rc = 0;
out:
	if (rc) {
		free(*cert_pem);
		free(*key_pem);
		*cert_pem = *key_pem = NULL;
	}
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	X509_EXTENSION_free(san);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	X509_free(x);
	EVP_PKEY_free(pkey);
	free(sans);
	return rc;
}

static time_t asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return (time_t)-1;
	return timegm(&tm);
}

int acme_cert_validity(const char *pem, size_t len, time_t *not_before, time_t *not_after)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	int rc = -1;

	if (x) {
		*not_before = asn1_time_t(X509_get0_notBefore(x));
		*not_after = asn1_time_t(X509_get0_notAfter(x));
		if (*not_before != (time_t)-1 && *not_after != (time_t)-1)
			rc = 0;
	}
	X509_free(x);
	BIO_free(bio);
	return rc;
}

bool acme_pair_matches(const char *chain, size_t clen, const char *key, size_t klen)
{
	BIO *cb = BIO_new_mem_buf(chain, (int)clen), *kb = BIO_new_mem_buf(key, (int)klen);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	bool ok = x && k && X509_check_private_key(x, k) == 1;

	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(cb);
	BIO_free(kb);
	ERR_clear_error();
	return ok;
}
