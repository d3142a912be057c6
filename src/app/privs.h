/* Giving up root: look the user up, then (after binding) drop the
 * supplementary groups, the gid and the uid, optionally inside a chroot,
 * and prove root cannot come back. */
#ifndef EISD_PRIVS_H
#define EISD_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs {
	char name[256];
	uid_t uid;
	gid_t gid;
};

/* Looks NAME up in the user database (do this before any chroot: the
 * database lives outside it). 0, or -1 with a one-line reason in err. */
int privs_lookup(const char *name, struct privs *p, char *err, size_t errlen);

/* Becomes p's user for good: supplementary groups (initgroups), then,
 * with chroot_fd >= 0, chroot into that directory, then gid and uid (all
 * of real, effective and saved). Afterwards checks that the ids are the
 * user's and, unless the user is root, that setuid(0) fails. 0, or -1
 * with a one-line reason in err; on -1 the caller must exit, since the
 * process may be half-way. Not running as root, only a switch to the
 * current user (a no-op) succeeds, and only without chroot. */
int privs_drop(const struct privs *p, int chroot_fd, char *err, size_t errlen);

/* Whether any of the process's uids is root. */
bool privs_running_as_root(void);

#endif
