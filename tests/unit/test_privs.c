/* Unit tests for src/app/privs.c. The drop runs in a forked child, so the
 * test process keeps its ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/privs.h"

static void test_lookup_root(void **state)
{
	struct privs p;
	char err[256] = "";

	(void)state;
	assert_int_equal(privs_lookup("root", &p, err, sizeof(err)), 0);
	assert_string_equal(p.name, "root");
	assert_int_equal(p.uid, 0);
	assert_int_equal(p.gid, 0);
}

static void test_lookup_unknown(void **state)
{
	struct privs p;
	char err[256] = "";

	(void)state;
	assert_int_equal(privs_lookup("no-such-user-eisd", &p, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown user 'no-such-user-eisd'");
}

/* Runs privs_drop in a child; returns its exit status: 0 dropped and
 * verified here too, 1 privs_drop failed (message in err), 2 the ids
 * are wrong after a drop that said it worked. */
static int drop_in_child(const struct privs *p, char *err, size_t errlen)
{
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char msg[256] = "";
		uid_t r, e, s;
		int rc = privs_drop(p, -1, msg, sizeof(msg));

		close(fds[0]);
		if (write(fds[1], msg, strlen(msg)) < 0)
			_exit(3);
		if (rc)
			_exit(1);
		if (getresuid(&r, &e, &s) || r != p->uid || e != p->uid || s != p->uid)
			_exit(2);
		if (p->uid != 0 && setuid(0) == 0)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_drop(void **state)
{
	struct privs nobody, self;
	struct passwd *me = getpwuid(getuid());
	char err[256];

	(void)state;
	assert_non_null(me);
	assert_int_equal(privs_lookup(me->pw_name, &self, err, sizeof(err)), 0);
	/* Becoming who we are is always fine. */
	assert_int_equal(drop_in_child(&self, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	assert_int_equal(privs_lookup("nobody", &nobody, err, sizeof(err)), 0);
	if (getuid() == 0) {
		assert_int_equal(drop_in_child(&nobody, err, sizeof(err)), 0);
		assert_string_equal(err, "");
	} else if (getuid() != nobody.uid) {
		assert_int_equal(drop_in_child(&nobody, err, sizeof(err)), 1);
		assert_string_equal(err, "cannot switch to user 'nobody': not running as root");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_root),
		cmocka_unit_test(test_lookup_unknown),
		cmocka_unit_test(test_drop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
