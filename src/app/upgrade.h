/* The zero-downtime binary upgrade (SIGUSR2): eisd starts the program
 * file it was started from (the new binary, once installed over the old
 * one) with the same arguments, handing it the listening socket the way
 * systemd would ($LISTEN_FDS=1, descriptor 3), and waits for its
 * READY=1 (sd_notify on a private socket, $EISD_UPGRADE_NOTIFY). Then
 * this process stops accepting, lets what is in flight finish within the
 * shutdown grace and exits 0; the socket never closes, so no client is
 * refused. If the new process fails or is not ready in time, it is
 * stopped and this one goes on serving. */
#ifndef EISD_UPGRADE_H
#define EISD_UPGRADE_H

#include <stddef.h>
#include <sys/types.h>

/* How long the new process has to say READY=1. */
#define UPGRADE_READY_TIMEOUT_MS 15000

struct server;

/* Starts exe argv with srv's listening socket and waits for it. The new
 * process's pid, or -1 with err (nothing changed). */
pid_t upgrade_start(struct server *srv, const char *exe, char *const argv[], char *err,
		    size_t errlen);

#endif
