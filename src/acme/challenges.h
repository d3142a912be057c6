/* The ACME thread's side of the HTTP-01 table (the reader's side,
 * acme_http01_answer, is in acme.h). */
#ifndef EISD_ACME_CHALLENGES_H
#define EISD_ACME_CHALLENGES_H

int acme_http01_publish(const char *token, const char *key_auth);
void acme_http01_withdraw(const char *token);

#endif
