/* The load balancer's health check at --health PATH: 200 while serving,
 * 503 from the moment a graceful stop (or an upgrade, which stops this
 * process) begins, so a balancer sends no new clients while the
 * connections in flight finish. Open to every client: balancers are
 * rarely on loopback, and it tells nothing but "serving". */
#ifndef EISD_HEALTH_H
#define EISD_HEALTH_H

#include <stdbool.h>

struct http_exchange;

bool health_is_request(const struct http_exchange *x);
/* 0, or -1 when memory ran out. */
int health_serve(struct http_exchange *x);

#endif
