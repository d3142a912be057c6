/* The checks of --check-config. */
#include "app/check.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/privs.h"
#include "app/setup.h"
#include "files/mime.h"

static int check_user(const struct config *cfg, char *err, size_t errlen)
{
	struct privs p;

	return cfg->user ? privs_lookup(cfg->user, &p, err, errlen) : 0;
}

static int check_mime(const struct config *cfg, char *err, size_t errlen)
{
	int code;
	struct mime_table *m = setup_mime(cfg, &code, err, errlen);

	mime_table_free(m);
	return m ? 0 : -1;
}

static int check_root(const struct config *cfg, char *err, size_t errlen)
{
	int fd;

	if (cfg->protocol == PROTOCOL_ECHO)
		return 0;
	fd = setup_root(cfg, err, errlen);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* The log must be writable, or creatable; a check creates nothing. */
static int check_log(const struct config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int fd;

	if (!setup_log_is_file(cfg))
		return 0;
	fd = open(cfg->access_log, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT) {
		snprintf(dir, sizeof(dir), "%s", cfg->access_log);
		if (access(dirname(dir), W_OK | X_OK) == 0)
			return 0;
	}
	snprintf(err, errlen, "cannot open access log '%s': %s", cfg->access_log, strerror(errno));
	return -1;
}

const config_check_fn config_checks[] = {
	check_user,
	check_mime,
	check_root,
	check_log,
	NULL,
};

int config_check_run(const struct config *cfg)
{
	char err[512];

	for (const config_check_fn *c = config_checks; *c; c++) {
		err[0] = '\0';
		if ((*c)(cfg, err, sizeof(err))) {
			fprintf(stderr, "eisd: %s\n", err);
			return 1;
		}
	}
	if (cfg->config_file)
		printf("eisd: configuration OK (%s)\n", cfg->config_file);
	else
		printf("eisd: configuration OK\n");
	return 0;
}
