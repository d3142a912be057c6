/* Where ACME keeps what it must not lose: the account key and, per name,
 * the certificate chain and its key. Every file is written whole or not at
 * all (temporary file, fsync, rename, fsync of the directory); keys are
 * 0600 and the directory 0700. A file that does not parse is set aside
 * under a new name (never overwritten) and reported. */
#ifndef EISD_ACME_STORE_H
#define EISD_ACME_STORE_H

#include <stdbool.h>
#include <stddef.h>

/* Creates dir (and its parents) 0700 if missing, or tightens an existing
 * one we own to 0700. Returns 0, or -1 with err. */
int acme_store_open(const char *dir, char *err, size_t errlen);

/* dir/file, written atomically with mode. Returns 0, or -1 with err. */
int acme_store_write(const char *dir, const char *file, const char *data, size_t len,
		     unsigned mode, char *err, size_t errlen);

/* Reads dir/file (at most 1 MiB). Returns a malloc'd NUL-terminated copy
 * with *len, or NULL: *missing tells "no such file" from an error (err). */
char *acme_store_read(const char *dir, const char *file, size_t *len, bool *missing,
		      char *err, size_t errlen);

/* Renames dir/file to dir/file.corrupt-UNIXTIME; the new name in out. */
int acme_store_set_aside(const char *dir, const char *file, char *out, size_t outlen);

/* The file names of a domain's certificate and key: "NAME.crt",
 * "NAME.key". A name is a validated host name, so it is a safe file name
 * (no slash, never starts with a dot). */
void acme_store_names(const char *domain, char *crt, char *key, size_t len);

#endif
