/* The config file (--config FILE): every long option as a `name = value`
 * line, `#` comments, values "quoted" or 'quoted' when they need it,
 * repeatable options on several lines, and [location PREFIX] sections
 * whose options apply below PREFIX only. Options given on the command
 * line win over the file's. */
#ifndef EISD_CONFIG_FILE_H
#define EISD_CONFIG_FILE_H

#include <stddef.h>

#include "app/config.h"

/* Largest config file read. */
#define CONFIG_FILE_MAX (1 << 20)

/* Reads path into cfg. CONFIG_USAGE: err is "PATH:LINE: what is wrong";
 * CONFIG_ERROR: the file cannot be read. */
enum config_result config_file_load(struct config *cfg, const char *path,
				    char *err, size_t errlen);

/* The same from text already in memory (path only names it in errors). */
enum config_result config_file_parse(struct config *cfg, const char *path, const char *text,
				     size_t len, char *err, size_t errlen);

/* Resolves the per-path settings once every option is read: the site's
 * from cfg's fields, each location's on top of them, longest prefix
 * first. 0, or -1 (out of memory, in err). */
int config_resolve_locations(struct config *cfg, char *err, size_t errlen);

#endif
