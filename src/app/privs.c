/* Dropping root after the listening socket is bound. The order matters:
 * groups first (initgroups needs root and the group database), then the
 * chroot (needs root), then the gid (needs root), the uid last. */
#include "app/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int privs_lookup(const char *name, struct privs *p, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int rc;

	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (rc) {
		snprintf(err, errlen, "cannot look up user '%s': %s", name, strerror(rc));
		return -1;
	}
	if (!res) {
		snprintf(err, errlen, "unknown user '%s'", name);
		return -1;
	}
	if (strlen(pw.pw_name) >= sizeof(p->name)) {
		snprintf(err, errlen, "user name '%s' too long", name);
		return -1;
	}
	strcpy(p->name, pw.pw_name);
	p->uid = pw.pw_uid;
	p->gid = pw.pw_gid;
	return 0;
}

bool privs_running_as_root(void)
{
	uid_t r, e, s;

	if (getresuid(&r, &e, &s))
		return geteuid() == 0;
	return r == 0 || e == 0 || s == 0;
}

/* All three ids are the target's; with a non-root target, root is gone
 * for good (setuid(0) and setgid(0) must both be refused). */
static int privs_verify(const struct privs *p, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg)) {
		snprintf(err, errlen, "cannot read back the process ids: %s", strerror(errno));
		return -1;
	}
	if (ru != p->uid || eu != p->uid || su != p->uid ||
	    rg != p->gid || eg != p->gid || sg != p->gid) {
		snprintf(err, errlen, "user '%s': ids did not change as asked", p->name);
		return -1;
	}
	if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "user '%s': root could be regained after the drop", p->name);
		return -1;
	}
	if (p->uid != 0 && p->gid != 0 && setegid(0) == 0) {
		snprintf(err, errlen, "user '%s': group root could be regained after the drop", p->name);
		return -1;
	}
	return 0;
}

int privs_drop(const struct privs *p, int chroot_fd, char *err, size_t errlen)
{
	if (!privs_running_as_root()) {
		if (p->uid == getuid() && p->gid == getgid() && chroot_fd < 0)
			return privs_verify(p, err, errlen); /* already that user */
		snprintf(err, errlen, "cannot switch to user '%s'%s: not running as root", p->name,
			 chroot_fd >= 0 ? " and chroot" : "");
		return -1;
	}
	/* Supplementary groups before anything else: a process keeps root's
	 * groups (and with them group-readable files) across setuid. */
	if (initgroups(p->name, p->gid)) {
		snprintf(err, errlen, "cannot set the groups of user '%s': %s", p->name, strerror(errno));
		return -1;
	}
	if (chroot_fd >= 0) {
		/* fchdir + chroot(".") chroots into the directory already
		 * open, not whatever the path names by now. */
		if (fchdir(chroot_fd) || chroot(".") || chdir("/")) {
			snprintf(err, errlen, "cannot chroot into the root directory: %s", strerror(errno));
			return -1;
		}
	}
	if (setresgid(p->gid, p->gid, p->gid)) {
		snprintf(err, errlen, "cannot switch to the group of user '%s': %s", p->name, strerror(errno));
		return -1;
	}
	if (setresuid(p->uid, p->uid, p->uid)) {
		snprintf(err, errlen, "cannot switch to user '%s': %s", p->name, strerror(errno));
		return -1;
	}
	return privs_verify(p, err, errlen);
}
