#!/bin/sh
# The layer rules of docs/architecture.md, checked on the source tree:
#  1. protocols and handlers (src/http, src/files, src/services) never see
#     the worker: no core/server.h, core/conn_io.h or core/loop.h, no
#     struct worker or struct conn_pool (they get struct ctx: core/ctx.h);
#  2. nothing below src/app includes an app/ header but app/config.h;
#  3. epoll appears in the epoll backend (src/core/loop_epoll.c) only;
#  4. the engine (src/core) includes no header of a higher layer: only
#     core/, util/ and app/config.h (what it keeps for the layers above
#     comes through struct server_hooks, set in src/app).
# Usage: check_layers.sh [SRC]   (default: src next to this script)
#        check_layers.sh --self-test   (each rule fails on a planted violation)
set -u

here=$(cd "$(dirname "$0")" && pwd)

check() {
	src=$1
	fail=0
	say() {
		echo "check_layers: $*" >&2
		fail=1
	}
	upper=""
	for d in http files services; do
		[ -d "$src/$d" ] && upper="$upper $src/$d"
	done
	if [ -n "$upper" ]; then
		hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"core/(server|conn_io|loop)\.h"' $upper)
		[ -n "$hits" ] && say "the worker's headers above core/ (use core/ctx.h):
$hits"
		hits=$(grep -rnE '\bstruct[[:space:]]+(worker|conn_pool)\b' $upper)
		[ -n "$hits" ] && say "struct worker / struct conn_pool above core/ (use c->ctx):
$hits"
	fi
	below=$(find "$src" -mindepth 1 -maxdepth 1 -type d ! -name app ! -name client)
	if [ -n "$below" ]; then
		hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"app/' $below | grep -v '"app/config\.h"')
		[ -n "$hits" ] && say "app/ headers below app/ (only app/config.h may be):
$hits"
	fi
	if [ -d "$src/core" ]; then
		hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"' "$src/core" |
		       grep -vE '"(core|util)/[^"]*"|"app/config\.h"')
		[ -n "$hits" ] && say "a higher layer's header in core/ (use struct server_hooks):
$hits"
	fi
	hits=$(grep -rnE 'sys/epoll\.h|\bepoll_[a-z_]+[[:space:]]*\(|\bEPOLL[A-Z_]+' "$src" |
	       grep -v "^$src/core/loop_epoll\.c:")
	[ -n "$hits" ] && say "epoll outside src/core/loop_epoll.c (use core/loop.h):
$hits"
	return $fail
}

self_test() {
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	rc=0
	# name | file to append to | line to append
	while IFS='|' read -r name file line; do
		rm -rf "$tmp/src" && cp -r "$here/../src" "$tmp/src"
		printf '%s\n' "$line" >>"$tmp/src/$file"
		if check "$tmp/src" 2>/dev/null; then
			echo "check_layers self-test: '$name' was not caught" >&2
			rc=1
		fi
	done <<'EOF'
server.h in http|http/http1.c|#include "core/server.h"
conn_io.h in services|services/echo.c|#include "core/conn_io.h"
struct worker in files|files/static.c|struct worker *w;
struct conn_pool in services|services/status.c|static struct conn_pool *p;
app header in core|core/conn.c|#include "app/privs.h"
app header in a new folder|util/log.c|#include "app/main.h"
epoll header in core|core/server.c|#include <sys/epoll.h>
epoll call in http|http/http1.c|int x = epoll_wait(0, 0, 0, 0);
epoll flag in core|core/conn.c|int y = EPOLLIN;
files header in core|core/server.c|#include "files/fcache.h"
http header in core|core/ctx.h|#include "http/httpdate.h"
tls header in core|core/conn.c|#  include "tls/tls.h"
EOF
	rm -rf "$tmp/src" && cp -r "$here/../src" "$tmp/src"
	if ! check "$tmp/src"; then
		echo "check_layers self-test: the clean tree fails" >&2
		rc=1
	fi
	[ $rc -eq 0 ] && echo "check_layers self-test: every planted violation caught"
	return $rc
}

if [ "${1:-}" = "--self-test" ]; then
	self_test
	exit $?
fi
src=${1:-$here/../src}
if check "$src"; then
	echo "check_layers: ok"
	exit 0
fi
exit 1
