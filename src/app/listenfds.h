/* systemd socket activation without libsystemd: $LISTEN_PID (this
 * process), $LISTEN_FDS (how many descriptors from 3 on) and
 * $LISTEN_FDNAMES (their names, ':'-separated). eisd serves one listening
 * socket: the one named "http" when several are passed, else the only
 * one. The variables are removed once read, so nothing started later
 * (a binary upgrade) takes them for its own. */
#ifndef EISD_LISTENFDS_H
#define EISD_LISTENFDS_H

#include <stddef.h>

#define LISTENFDS_START 3

/* The inherited socket's descriptor; -1 when none was passed; -2 with
 * err when the variables are malformed or name no usable choice. Sockets
 * passed but not used are closed. */
int listenfds_take(char *err, size_t errlen);

#endif
