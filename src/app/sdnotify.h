/* The sd_notify protocol without libsystemd: one datagram of
 * "NAME=value\n" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a
 * path, or "@name" for the abstract namespace). Without the variable it
 * does nothing. Never blocks: a datagram the manager cannot take now is
 * dropped. eisd sends READY=1 once serving, RELOADING=1 with
 * MONOTONIC_USEC when a reload begins (then READY=1 again), STOPPING=1 on
 * a stop, STATUS= with each, so Type=notify-reload works.
 *
 * A process started by a binary upgrade (upgrade.h) also finds
 * $EISD_UPGRADE_NOTIFY, where its parent waits for the same READY=1. */
#ifndef EISD_SDNOTIFY_H
#define EISD_SDNOTIFY_H

#define SDNOTIFY_UPGRADE_ENV "EISD_UPGRADE_NOTIFY"

/* Sends fmt's text to $NOTIFY_SOCKET; when it holds READY=1, to
 * $EISD_UPGRADE_NOTIFY too (once). 0, or -1 when it could not be sent. */
int sdnotify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends text to the datagram socket named name ("/path" or "@abstract"). */
int sdnotify_to(const char *name, const char *text);

#endif
