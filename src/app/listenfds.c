/* $LISTEN_FDS (listenfds.h). */
#include "app/listenfds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whole-string decimal > 0. */
static long positive(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || v <= 0 ? -1 : v;
}

/* The index of "http" among the ':'-separated names, else -1. */
static long named_http(const char *names, long n)
{
	long i = 0;

	for (const char *p = names; p && i < n; i++) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		if (len == 4 && memcmp(p, "http", 4) == 0)
			return i;
		p = colon ? colon + 1 : NULL;
	}
	return -1;
}

int listenfds_take(char *err, size_t errlen)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	long pid = positive(pid_s), n = positive(fds_s), pick = 0;
	int rc;

	if (!fds_s)
		return -1;
	if (pid != (long)getpid()) {
		/* Meant for another process (a parent that did not clear it). */
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		return -1;
	}
	if (n < 0 || n > 64) {
		snprintf(err, errlen, "socket activation: invalid LISTEN_FDS '%s'", fds_s);
		return -2;
	}
	if (n > 1) {
		pick = named_http(names, n);
		if (pick < 0) {
			snprintf(err, errlen, "socket activation: %ld sockets passed and none named \"http\" "
				 "(FileDescriptorName=http in the .socket unit picks one)", n);
			return -2;
		}
	}
	for (long i = 0; i < n; i++)
		if (i != pick)
			close((int)(LISTENFDS_START + i));
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	rc = (int)(LISTENFDS_START + pick);
	return rc;
}
